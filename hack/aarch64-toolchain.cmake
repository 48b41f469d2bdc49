# Cross-compiling for linux/arm64 (Graviton) with Debian's aarch64 toolchain.
# The arm64 -dev packages live in a sysroot unpacked by hack/build-arm64.sh (apt-get download +
# dpkg -x), passed as -DVB_ARM64_SYSROOT=...; libc comes from the toolchain's own
# /usr/aarch64-linux-gnu. Test executables run under qemu-aarch64 (CMAKE_CROSSCOMPILING_EMULATOR).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)

if(NOT VB_ARM64_SYSROOT)
  set(VB_ARM64_SYSROOT "$ENV{VB_ARM64_SYSROOT}")
endif()
if(NOT VB_ARM64_SYSROOT)
  message(FATAL_ERROR "set VB_ARM64_SYSROOT (hack/build-arm64.sh does)")
endif()
# try_compile re-reads this file in a fresh scope: hand the sysroot on through the environment.
set(ENV{VB_ARM64_SYSROOT} "${VB_ARM64_SYSROOT}")
set(_multiarch ${VB_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu)

set(CMAKE_FIND_ROOT_PATH ${VB_ARM64_SYSROOT} /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config reads the sysroot's .pc files and prefixes their paths with the sysroot.
set(ENV{PKG_CONFIG_LIBDIR} "${_multiarch}/pkgconfig:${VB_ARM64_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${VB_ARM64_SYSROOT}")
set(ENV{PKG_CONFIG_PATH} "")

set(CMAKE_C_FLAGS_INIT "-I${VB_ARM64_SYSROOT}/usr/include/aarch64-linux-gnu")
# The libraries' own dependencies (libssl, libnghttp2, ...) are found through rpath-link.
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "-L${_multiarch} -Wl,-rpath-link,${_multiarch} -Wl,-rpath-link,${VB_ARM64_SYSROOT}/lib/aarch64-linux-gnu")

set(CMAKE_CROSSCOMPILING_EMULATOR
    env "LD_LIBRARY_PATH=${_multiarch}:${VB_ARM64_SYSROOT}/lib/aarch64-linux-gnu"
    qemu-aarch64 -L /usr/aarch64-linux-gnu)

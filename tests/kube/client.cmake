# Kube client/config tests (kube-client helper). Unit tests need no server; the integration
# script starts tests/kubesim and runs test_kube_rest against it over HTTPS with a token.
vb_unit_test(test_kube_units ${CMAKE_CURRENT_LIST_DIR}/test_kube_units.c LIBS vb_kube)
target_compile_definitions(test_kube_units PRIVATE FIXTURES="${CMAKE_CURRENT_LIST_DIR}/fixtures")
vb_unit_test(test_kube_config ${CMAKE_CURRENT_LIST_DIR}/test_kube_config.c LIBS vb_kube)

# Integration: kube_rest_it.sh starts tests/kubesim and runs test_kube_rest against it.
add_executable(test_kube_rest ${CMAKE_CURRENT_LIST_DIR}/test_kube_rest.c)
target_link_libraries(test_kube_rest PRIVATE vb_kube PkgConfig::CMOCKA Threads::Threads)
if(EXISTS ${PROJECT_SOURCE_DIR}/tests/kubesim/kubesim.py)
  vb_script_test(kube_rest_integration ${CMAKE_CURRENT_LIST_DIR}/kube_rest_it.sh
    TIMEOUT 180 ARGS $<TARGET_FILE:test_kube_rest>)
endif()

# A POST whose answer is lost is never resent (stub_server.py drops the connection).
vb_unit_test(test_kube_stub ${CMAKE_CURRENT_LIST_DIR}/test_kube_stub.c LIBS vb_kube)
target_compile_definitions(test_kube_stub PRIVATE STUB_SERVER="${CMAKE_CURRENT_LIST_DIR}/stub_server.py")

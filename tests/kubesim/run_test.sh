#!/bin/sh
# Runs one tests/kubesim/test_<name>.py unittest module (ctest entry point).
cd "$(dirname "$0")" && exec python3 -m unittest -v "$1"

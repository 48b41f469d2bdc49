# Kube client/config tests (kube-client helper). Unit tests need no server; the integration
# script starts tests/kubesim and runs test_kube_rest against it over HTTPS with a token.
vb_unit_test(test_kube_units ${CMAKE_CURRENT_LIST_DIR}/test_kube_units.c LIBS vb_kube)
target_compile_definitions(test_kube_units PRIVATE FIXTURES="${CMAKE_CURRENT_LIST_DIR}/fixtures")
vb_unit_test(test_kube_config ${CMAKE_CURRENT_LIST_DIR}/test_kube_config.c LIBS vb_kube)

vb_unit_test(test_httpd test_httpd.c LIBS vb_kube)
vb_unit_test(test_runtime_units test_runtime_units.c LIBS vb_kube)
# Integration against kubesim (tests/kubesim): informer consistency; the long run doubles as
# the leak test in the build-asan pass.
add_executable(it_informer it_informer.c)
target_link_libraries(it_informer PRIVATE vb_kube)
vb_script_test(it_informer ${CMAKE_CURRENT_SOURCE_DIR}/with_kubesim.sh ARGS $<TARGET_FILE:it_informer> 4 TIMEOUT 600)
# Manager, controllers, Owns(), event aggregation, metrics, graceful stop.
add_executable(it_manager it_manager.c)
target_link_libraries(it_manager PRIVATE vb_kube)
vb_script_test(it_manager ${CMAKE_CURRENT_SOURCE_DIR}/with_kubesim.sh ARGS $<TARGET_FILE:it_manager> TIMEOUT 300)
vb_script_test(it_operator ${CMAKE_CURRENT_SOURCE_DIR}/it_operator.sh TIMEOUT 300)

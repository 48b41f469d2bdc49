vb_unit_test(test_httpd test_httpd.c LIBS vb_kube)

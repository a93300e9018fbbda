tb_add_test(NAME tst_demo SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_demo.cpp LIBS tunebench_core TORCH)

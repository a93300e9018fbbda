# Included by tests/CMakeLists.txt; tb_add_test() is defined there.
tb_add_test(NAME tst_demo SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_demo.cpp LIBS ${TB_ENGINE} TORCH LABELS unit slow)

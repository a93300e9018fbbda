# Included by tests/CMakeLists.txt; tb_add_test() is defined there.
tb_add_test(NAME tst_data SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_data.cpp LIBS ${TB_API})
tb_add_test(NAME tst_dataset_session SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_dataset_session.cpp LIBS ${TB_API})

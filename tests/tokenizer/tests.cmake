# Included by tests/CMakeLists.txt; tb_add_test() is defined there.
tb_add_test(NAME tst_tokenizer SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_tokenizer.cpp LIBS ${TB_API})

# Included by tests/CMakeLists.txt; tb_add_test() is defined there.
tb_add_test(NAME tst_store SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_store.cpp LIBS ${TB_API} LABELS unit threaded)
tb_add_test(NAME tst_model_card SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_model_card.cpp LIBS ${TB_ENGINE} ${TB_API})

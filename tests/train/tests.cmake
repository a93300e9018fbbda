# Included by tests/CMakeLists.txt; tb_add_test() is defined there.
tb_add_test(NAME tst_peft SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_peft.cpp LIBS ${TB_ENGINE} TORCH)
tb_add_test(NAME tst_estimate SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_estimate.cpp LIBS ${TB_ENGINE} TORCH)
tb_add_test(NAME tst_trainer SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_trainer.cpp LIBS ${TB_ENGINE} TORCH)
tb_add_test(NAME tst_runjob SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_runjob.cpp LIBS ${TB_ENGINE} TORCH)
tb_add_test(NAME tst_validate SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_validate.cpp LIBS ${TB_API})
tb_add_test(NAME tst_train_step SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_train_step.cpp LIBS ${TB_ENGINE} TORCH)
tb_add_test(NAME tst_inspect SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_inspect.cpp LIBS ${TB_ENGINE} TORCH)

# Included by tests/CMakeLists.txt inside if(TUNEBENCH_GUI); tb_add_test() is defined there.
tb_add_test(NAME tst_dataset_panel SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_dataset_panel.cpp LIBS tunebench_ui tunebench_base)
tb_add_test(NAME tst_method_panel SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_method_panel.cpp LIBS tunebench_ui tunebench_base)
tb_add_test(NAME tst_eval_panels SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_eval_panels.cpp LIBS tunebench_ui tunebench_core)
# The whole flow through the window: import, configure, train, evaluate, compare, forgetting.
tb_add_test(NAME tst_workbench_flow SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_workbench_flow.cpp LIBS tunebench_ui tunebench_core TORCH)
target_include_directories(tst_workbench_flow PRIVATE ${TB_TESTS_DIR})

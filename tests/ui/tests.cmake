# Included by tests/CMakeLists.txt inside if(TUNEBENCH_GUI); tb_add_test() is defined there.
# GUI tests link what the window links (tunebench_ui: torch-free core
# libraries); those that build a model for their fixtures also link LibTorch.
tb_add_test(NAME tst_dataset_panel SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_dataset_panel.cpp LIBS tunebench_ui LABELS gui)
tb_add_test(NAME tst_method_panel SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_method_panel.cpp LIBS tunebench_ui LABELS gui)
tb_add_test(NAME tst_eval_panels SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_eval_panels.cpp LIBS tunebench_ui LABELS gui)
tb_add_test(NAME tst_training_job SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_training_job.cpp LIBS tunebench_ui ${TB_ENGINE} TORCH LABELS gui threaded)
tb_add_test(NAME tst_main_window SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_main_window.cpp LIBS tunebench_ui ${TB_ENGINE} TORCH LABELS gui)
# The whole flow through the window: import, configure, train, evaluate, compare, forgetting.
tb_add_test(NAME tst_workbench_flow SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_workbench_flow.cpp LIBS tunebench_ui ${TB_ENGINE} TORCH LABELS gui slow)

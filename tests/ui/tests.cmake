# Included by tests/CMakeLists.txt inside if(TUNEBENCH_GUI); tb_add_test() is defined there.
# GUI tests link what the window links (tunebench_ui: torch-free core
# libraries); those that build a model for their fixtures also link LibTorch.
tb_add_test(NAME tst_dataset_panel SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_dataset_panel.cpp LIBS tunebench_ui LABELS gui threaded)
tb_add_test(NAME tst_method_panel SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_method_panel.cpp LIBS tunebench_ui LABELS gui)
tb_add_test(NAME tst_eval_panels SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_eval_panels.cpp LIBS tunebench_ui LABELS gui)
tb_add_test(NAME tst_forgetting_panel SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_forgetting_panel.cpp LIBS tunebench_ui ${TB_ENGINE} TORCH LABELS gui)
tb_add_test(NAME tst_run_history SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_run_history.cpp LIBS tunebench_ui LABELS gui)
# Export ▸ GGUF on a LoRA run of the demo workspace: the files, their GGUF headers, Modelfile and model card.
tb_add_test(NAME tst_run_history_export SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_run_history_export.cpp LIBS tunebench_ui ${TB_ENGINE} TORCH LABELS gui threaded)
tb_add_test(NAME tst_example_compare SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_example_compare.cpp LIBS tunebench_ui LABELS gui)
tb_add_test(NAME tst_playground SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_playground.cpp LIBS tunebench_ui ${TB_ENGINE} TORCH LABELS gui threaded)
tb_add_test(NAME tst_training_job SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_training_job.cpp LIBS tunebench_ui ${TB_ENGINE} TORCH LABELS gui threaded)
tb_add_test(NAME tst_training_panel SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_training_panel.cpp LIBS tunebench_ui ${TB_ENGINE} TORCH LABELS gui threaded)
# Data-parallel training from the window: rank 0 on the job's thread, rank 1 a tunebench-cli-engine process.
tb_add_test(NAME tst_training_processes SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_training_processes.cpp LIBS tunebench_ui ${TB_ENGINE} TORCH LABELS gui slow threaded)
target_compile_definitions(tst_training_processes PRIVATE TB_CLI_ENGINE="$<TARGET_FILE:tunebench-cli-engine>")
add_dependencies(tst_training_processes tunebench-cli-engine)
tb_add_test(NAME tst_main_window SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_main_window.cpp LIBS tunebench_ui ${TB_ENGINE} TORCH LABELS gui)
# Run details, "What it learned": tiny LoRA/adapter/prompt/full runs measured on the dialog's thread.
tb_add_test(NAME tst_run_details SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_run_details.cpp LIBS tunebench_ui ${TB_ENGINE} TORCH LABELS gui threaded)
# The whole flow through the window: import, configure, train, evaluate, compare, forgetting.
tb_add_test(NAME tst_workbench_flow SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_workbench_flow.cpp LIBS tunebench_ui ${TB_ENGINE} TORCH LABELS gui slow)
# The Evaluation panel's significance, per-metric charts and HTML report on a hand-written store.
tb_add_test(NAME tst_eval_compare SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_eval_compare.cpp LIBS tunebench_ui LABELS gui)
tb_add_test(NAME tst_locale_theme SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_locale_theme.cpp LIBS tunebench_ui LABELS gui)
# Issue 11's flows through the window: one configuration is what every Start trains, drafts survive a restart,
# a killed training process is offered for resume (it runs the CLI), closing while training does not block.
tb_add_test(NAME tst_workbench_state SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_workbench_state.cpp LIBS tunebench_ui ${TB_ENGINE} TORCH LABELS gui threaded)
target_compile_definitions(tst_workbench_state PRIVATE TB_CLI="$<TARGET_FILE:tunebench-cli>")
add_dependencies(tst_workbench_state tunebench-cli tunebench-cli-engine)

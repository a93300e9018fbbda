# Included by tests/CMakeLists.txt; tb_add_test() is defined there.
tb_add_test(NAME tst_metrics SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_metrics.cpp LIBS ${TB_API} LABELS unit threaded)
tb_add_test(NAME tst_forgetting SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_forgetting.cpp LIBS ${TB_API})
tb_add_test(NAME tst_suite SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_suite.cpp LIBS ${TB_API})
# The evaluation engine on a tiny model, and the eval / forgetting commands as processes.
tb_add_test(NAME tst_evaluator SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_evaluator.cpp LIBS ${TB_ENGINE} TORCH)
target_compile_definitions(tst_evaluator PRIVATE TB_CLI="$<TARGET_FILE:tunebench-cli>")
add_dependencies(tst_evaluator tunebench-cli)
# General ability (loss / perplexity on a general text sample) on a tiny model and a LoRA run, and the `general` command.
tb_add_test(NAME tst_general_ability SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_general_ability.cpp LIBS ${TB_ENGINE} TORCH)
target_compile_definitions(tst_general_ability PRIVATE TB_CLI="$<TARGET_FILE:tunebench-cli>")
add_dependencies(tst_general_ability tunebench-cli)

# Timing and agreement against sacreBLEU / rouge_score on generated data; run
# by tests/bench/bench_metrics.sh, not by ctest.
add_executable(tb_bench_metrics EXCLUDE_FROM_ALL ${CMAKE_CURRENT_LIST_DIR}/bench_metrics.cpp)
target_link_libraries(tb_bench_metrics PRIVATE ${TB_API} tunebench_options)
tb_add_test(NAME tst_significance SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_significance.cpp LIBS ${TB_API})
target_compile_definitions(tst_significance PRIVATE TB_CLI="$<TARGET_FILE:tunebench-cli>")
add_dependencies(tst_significance tunebench-cli)
# The significance of stored evaluations (engine/run_comparison.h) on a hand-written store.
tb_add_test(NAME tst_run_comparison SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_run_comparison.cpp LIBS ${TB_API} LABELS unit)

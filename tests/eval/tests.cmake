# Included by tests/CMakeLists.txt; tb_add_test() is defined there.
tb_add_test(NAME tst_metrics SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_metrics.cpp LIBS tunebench_base)
tb_add_test(NAME tst_forgetting SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_forgetting.cpp LIBS tunebench_base)
tb_add_test(NAME tst_suite SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_suite.cpp LIBS tunebench_base)

# Timing and agreement against sacreBLEU / rouge_score on generated data; run
# by tests/bench/bench_metrics.sh, not by ctest.
add_executable(tb_bench_metrics ${CMAKE_CURRENT_LIST_DIR}/bench_metrics.cpp)
target_link_libraries(tb_bench_metrics PRIVATE tunebench_base)

# llama.cpp (npm's node-llama-cpp, installed on first use into ~/.cache/tunebench)
# runs Tunebench's GGUF exports; see tst_gguf_interop.cpp. Skipped, with the
# reason, only when the npm registry cannot be reached.
tb_add_test(NAME tst_gguf_interop SOURCES interop/tst_gguf_interop.cpp LIBS ${TB_ENGINE} TORCH LABELS interop slow)
target_compile_definitions(tst_gguf_interop PRIVATE TB_CLI="$<TARGET_FILE:tunebench-cli>"
  TB_INTEROP_SCRIPT="${CMAKE_CURRENT_LIST_DIR}/llama_cpp_run.mjs")
add_dependencies(tst_gguf_interop tunebench-cli tunebench-cli-engine)
set_tests_properties(tst_gguf_interop PROPERTIES SKIP_REGULAR_EXPRESSION "SKIP   : GgufInterop::" TIMEOUT 1500)

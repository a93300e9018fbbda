# Included by core/CMakeLists.txt after it creates tunebench_core: the
# evaluation engine runs models, so it needs LibTorch.
target_sources(tunebench_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/evaluator.cpp
)

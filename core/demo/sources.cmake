# Included by core/CMakeLists.txt after it creates tunebench_core: the demo
# workspace pretrains a model, so it needs LibTorch.
target_sources(tunebench_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/bpe_trainer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/demo.cpp
  ${CMAKE_CURRENT_LIST_DIR}/suite.cpp
)

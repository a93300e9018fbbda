# Included by core/CMakeLists.txt after it creates tunebench_base (no LibTorch, no Qt).
target_sources(tunebench_base PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/batches.cpp
  ${CMAKE_CURRENT_LIST_DIR}/csv.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dataset.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mixing.cpp
  ${CMAKE_CURRENT_LIST_DIR}/split.cpp
  ${CMAKE_CURRENT_LIST_DIR}/stats.cpp
  ${CMAKE_CURRENT_LIST_DIR}/template.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tokenized.cpp
  ${CMAKE_CURRENT_LIST_DIR}/validate.cpp
)

# Included by core/CMakeLists.txt after it creates tunebench_base (no LibTorch, no Qt).
target_sources(tunebench_base PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/bleu.cpp
  ${CMAKE_CURRENT_LIST_DIR}/chrf.cpp
  ${CMAKE_CURRENT_LIST_DIR}/classification.cpp
  ${CMAKE_CURRENT_LIST_DIR}/forgetting.cpp
  ${CMAKE_CURRENT_LIST_DIR}/metric_command.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ngrams.cpp
  ${CMAKE_CURRENT_LIST_DIR}/porter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pytext.cpp
  ${CMAKE_CURRENT_LIST_DIR}/qa.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rouge.cpp
  ${CMAKE_CURRENT_LIST_DIR}/suite.cpp
)
target_link_libraries(tunebench_base PUBLIC PkgConfig::UTF8PROC nlohmann_json::nlohmann_json)

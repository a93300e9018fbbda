# Included by core/CMakeLists.txt after it creates tunebench_base (torch-free).
target_sources(tunebench_base PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/addedvocabulary.cpp
  ${CMAKE_CURRENT_LIST_DIR}/bpemodel.cpp
  ${CMAKE_CURRENT_LIST_DIR}/bytelevel.cpp
  ${CMAKE_CURRENT_LIST_DIR}/decoder.cpp
  ${CMAKE_CURRENT_LIST_DIR}/gpt2files.cpp
  ${CMAKE_CURRENT_LIST_DIR}/hftokenizer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/jsonfield.cpp
  ${CMAKE_CURRENT_LIST_DIR}/llama2ctokenizer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/loader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/normalizer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/postprocessor.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pretokenizer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/regex.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sentencepiecetokenizer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/textpattern.cpp
  ${CMAKE_CURRENT_LIST_DIR}/unicode.cpp
)
target_link_libraries(tunebench_base PUBLIC
  PkgConfig::PCRE2 PkgConfig::UTF8PROC PkgConfig::SENTENCEPIECE nlohmann_json::nlohmann_json)

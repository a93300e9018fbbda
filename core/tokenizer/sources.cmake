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
  ${CMAKE_CURRENT_LIST_DIR}/spm_loader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/textpattern.cpp
  ${CMAKE_CURRENT_LIST_DIR}/unicode.cpp
)
target_link_libraries(tunebench_base PUBLIC
  PkgConfig::PCRE2 PkgConfig::UTF8PROC nlohmann_json::nlohmann_json)

# SentencePiece lives in its own module, loaded at run time (see spm_shim.h).
add_library(tunebench_spm MODULE ${CMAKE_CURRENT_LIST_DIR}/spm_shim.cpp)
target_include_directories(tunebench_spm PRIVATE ${CMAKE_CURRENT_LIST_DIR}/..)
target_link_libraries(tunebench_spm PRIVATE PkgConfig::SENTENCEPIECE)
set_target_properties(tunebench_spm PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)
target_compile_definitions(tunebench_base PRIVATE TB_SPM_BUILD_PATH="$<TARGET_FILE:tunebench_spm>")
target_link_libraries(tunebench_base PUBLIC ${CMAKE_DL_LIBS})
add_dependencies(tunebench_base tunebench_spm)
install(TARGETS tunebench_spm LIBRARY DESTINATION lib/tunebench)

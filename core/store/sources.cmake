# Included by core/CMakeLists.txt after it creates tunebench_base (torch-free).
find_package(SQLite3 REQUIRED)
target_sources(tunebench_base PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/connection.cpp
  ${CMAKE_CURRENT_LIST_DIR}/owner.cpp
  ${CMAKE_CURRENT_LIST_DIR}/run_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/run_writer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/schema.cpp
  ${CMAKE_CURRENT_LIST_DIR}/writes.cpp
)
find_package(Threads REQUIRED)
target_link_libraries(tunebench_base PUBLIC SQLite::SQLite3 Threads::Threads)

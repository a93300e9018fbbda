# Included by tests/CMakeLists.txt; tb_add_test() is defined there.
# Faults of the run store and the CLI (issue 12), one CTest test per fault,
# all from one executable: the CLI as real processes on a real store.
tb_add_test(NAME tst_faults_store_cli SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_faults_store_cli.cpp
            LIBS ${TB_ENGINE} TORCH LABELS faults)
target_compile_definitions(tst_faults_store_cli PRIVATE TB_CLI="$<TARGET_FILE:tunebench-cli>")
add_dependencies(tst_faults_store_cli tunebench-cli)
# tb_add_test registered the whole program; each fault is its own test instead.
set_tests_properties(tst_faults_store_cli PROPERTIES DISABLED TRUE)
foreach(fault
    invalidUtf8NeverStopsRunsList            # 3
    resumeOfARunningRunIsRefused             # 5
    resumeNeitherRedoesNorDuplicates         # 9
    relativeStorePathsWorkFromAnywhere       # 6
    storesSharingAFolderKeepTheirRunsApart   # 4
    lockedStoreDelaysButLosesNothing         # 7
    ctrlCExits130                            # 10
    tokenizeOfAFolderFails                   # 10
    controlCharactersInNamesAreEscaped)      # 10
  add_test(NAME faults_store_cli_${fault} COMMAND tst_faults_store_cli ${fault})
  set_tests_properties(faults_store_cli_${fault} PROPERTIES
    ENVIRONMENT "QT_QPA_PLATFORM=offscreen;OMP_NUM_THREADS=2" LABELS faults TIMEOUT 120)
endforeach()

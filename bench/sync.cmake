# Sync benchmark: commit-to-acknowledgement latency and backlog drain rate
# against the reference cloud.
if(TARGET tillbridge_sync AND TARGET tillbridge-refcloud)
  add_executable(sync_bench ${CMAKE_CURRENT_LIST_DIR}/sync_bench.cpp)
  target_link_libraries(sync_bench PRIVATE tillbridge_sync tillbridge_warnings
    Poco::Net Poco::JSON Poco::Foundation)
  target_compile_definitions(sync_bench PRIVATE
    TILLBRIDGE_REFCLOUD_PATH="$<TARGET_FILE:tillbridge-refcloud>")
  add_dependencies(sync_bench tillbridge-refcloud)
endif()

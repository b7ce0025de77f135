# POS database source benchmark: detection latency (SQLite, MariaDB) and the
# catch-up rate with a backlog of 100,000 sales, and POS commit -> cloud
# acknowledgement through the whole pipeline.
if(TARGET tillbridge_sql_source AND TARGET tillbridge_demo_pos AND TARGET tillbridge_sync
   AND TARGET tillbridge-refcloud)
  add_executable(pos_source_bench ${CMAKE_CURRENT_LIST_DIR}/pos_source_bench.cpp)
  target_link_libraries(pos_source_bench PRIVATE tillbridge_sql_source tillbridge_demo_pos
    tillbridge_store tillbridge_sync tillbridge_warnings Poco::DataSQLite Poco::DataMySQL
    Poco::Data Poco::Net Poco::JSON Poco::Foundation)
  target_compile_definitions(pos_source_bench PRIVATE
    TILLBRIDGE_SOURCE_DIR="${PROJECT_SOURCE_DIR}" TILLBRIDGE_BINARY_DIR="${PROJECT_BINARY_DIR}"
    TILLBRIDGE_REFCLOUD_PATH="$<TARGET_FILE:tillbridge-refcloud>")
  add_dependencies(pos_source_bench tillbridge-refcloud)
endif()

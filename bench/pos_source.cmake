# POS database source benchmark: detection latency (SQLite, MariaDB) and the
# catch-up rate with a backlog of 100,000 sales.
if(TARGET tillbridge_sql_source AND TARGET tillbridge_demo_pos)
  add_executable(pos_source_bench ${CMAKE_CURRENT_LIST_DIR}/pos_source_bench.cpp)
  target_link_libraries(pos_source_bench PRIVATE tillbridge_sql_source tillbridge_demo_pos
    tillbridge_store tillbridge_warnings Poco::DataSQLite Poco::DataMySQL Poco::Data
    Poco::Foundation)
  target_compile_definitions(pos_source_bench PRIVATE
    TILLBRIDGE_SOURCE_DIR="${PROJECT_SOURCE_DIR}" TILLBRIDGE_BINARY_DIR="${PROJECT_BINARY_DIR}")
endif()

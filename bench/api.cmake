# Local API latency at a fixed request rate (GET /v1/consents/{phone}).
add_executable(api_bench ${CMAKE_CURRENT_SOURCE_DIR}/api_bench.cpp)
target_link_libraries(api_bench PRIVATE tillbridge_api tillbridge_warnings Poco::Net Poco::Foundation
  Threads::Threads)

# Local API latency at a fixed request rate (GET /v1/consents/{phone}).
add_executable(api_bench ${CMAKE_CURRENT_SOURCE_DIR}/api_bench.cpp)
target_link_libraries(api_bench PRIVATE tillbridge_api tillbridge_warnings Poco::Net Poco::Foundation
  Threads::Threads)
# New-client latency while 300 slow clients hold connections open.
add_executable(api_slow_clients_bench ${CMAKE_CURRENT_SOURCE_DIR}/api_slow_clients_bench.cpp)
target_link_libraries(api_slow_clients_bench PRIVATE tillbridge_api tillbridge_warnings Poco::Net
  Poco::Foundation Threads::Threads)

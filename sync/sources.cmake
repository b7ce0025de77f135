# tillbridge_sync: the Sync API client (cpprestsdk), the webhook sink, the
# outbox pusher and the change puller. cpprestsdk stays inside
# http_transport.cpp; the other files use project types only.
add_library(tillbridge_sync STATIC
  ${CMAKE_CURRENT_LIST_DIR}/backoff.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cloud_check.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cloud_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/http_transport.cpp
  ${CMAKE_CURRENT_LIST_DIR}/puller.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pusher.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sync_api.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sync_options.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sync_service.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sync_status.cpp
  ${CMAKE_CURRENT_LIST_DIR}/webhook_sink.cpp)
target_link_libraries(tillbridge_sync
  PUBLIC tillbridge_store tillbridge_common tillbridge_warnings Threads::Threads
  # cpprestsdk needs OpenSSL on the link line itself (see NOTES.md).
  PRIVATE cpprestsdk::cpprest OpenSSL::SSL OpenSSL::Crypto Poco::JSON Poco::Foundation)
if(TILLBRIDGE_SANITIZE)
  # cpprestsdk is built with hidden visibility, so its stream classes have a
  # second type_info in this binary and UBSan's vptr check reports calls on
  # them as type mismatches (-fsanitize=vptr false positive). Everything
  # else in this file keeps the full sanitizer set.
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/http_transport.cpp
    PROPERTIES COMPILE_OPTIONS -fno-sanitize=vptr)
endif()

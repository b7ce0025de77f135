# tillbridge_sync: the Sync API client, the webhook sink, the outbox pusher
# and the change puller, over one HTTP transport (sync/http_transport.h):
#   cpprest  http_transport.cpp (cpprestsdk), the Linux default
#   poco     http_transport_poco.cpp (Poco NetSSL_OpenSSL), forced on Windows,
#            where cpprestsdk cannot be built (docs: NOTES.md 11)
# The HTTP library stays inside its transport file; the other files use
# project types only.
if(WIN32)
  set(TILLBRIDGE_HTTP_CLIENT poco CACHE STRING "HTTP client of the cloud sync: cpprest or poco"
      FORCE)
else()
  set(TILLBRIDGE_HTTP_CLIENT cpprest CACHE STRING "HTTP client of the cloud sync: cpprest or poco")
endif()
set_property(CACHE TILLBRIDGE_HTTP_CLIENT PROPERTY STRINGS cpprest poco)
if(NOT TILLBRIDGE_HTTP_CLIENT MATCHES "^(cpprest|poco)$")
  message(FATAL_ERROR "TILLBRIDGE_HTTP_CLIENT must be cpprest or poco, not "
                      "'${TILLBRIDGE_HTTP_CLIENT}'")
endif()

# Everything but the transport, compiled once: tillbridge_sync packs it with
# the chosen transport, and tests can link it with the other one.
add_library(tillbridge_sync_core OBJECT
  ${CMAKE_CURRENT_LIST_DIR}/backoff.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cloud_check.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cloud_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/puller.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pusher.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sync_api.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sync_options.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sync_service.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sync_status.cpp
  ${CMAKE_CURRENT_LIST_DIR}/webhook_sink.cpp)
target_link_libraries(tillbridge_sync_core
  PUBLIC tillbridge_store tillbridge_common tillbridge_warnings Threads::Threads
  PRIVATE Poco::JSON Poco::Foundation)

# What a library holding http_transport_poco.cpp links.
set(tb_poco_transport_libs Poco::NetSSL Poco::Net Poco::Crypto Poco::Foundation
    OpenSSL::SSL OpenSSL::Crypto)
if(WIN32)
  # Windows' trusted roots (crypt32) and socket duplication (ws2_32).
  list(APPEND tb_poco_transport_libs crypt32 ws2_32)
endif()

if(TILLBRIDGE_HTTP_CLIENT STREQUAL "poco")
  add_library(tillbridge_sync STATIC ${CMAKE_CURRENT_LIST_DIR}/http_transport_poco.cpp)
  target_link_libraries(tillbridge_sync PUBLIC tillbridge_sync_core
    PRIVATE ${tb_poco_transport_libs})
else()
  add_library(tillbridge_sync STATIC ${CMAKE_CURRENT_LIST_DIR}/http_transport.cpp)
  target_link_libraries(tillbridge_sync PUBLIC tillbridge_sync_core
    # cpprestsdk needs OpenSSL on the link line itself (see NOTES.md).
    PRIVATE cpprestsdk::cpprest OpenSSL::SSL OpenSSL::Crypto)
  if(TILLBRIDGE_SANITIZE)
    # cpprestsdk is built with hidden visibility, so its stream classes have a
    # second type_info in this binary and UBSan's vptr check reports calls on
    # them as type mismatches (-fsanitize=vptr false positive). Everything
    # else keeps the full sanitizer set.
    set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/http_transport.cpp
      PROPERTIES COMPILE_OPTIONS -fno-sanitize=vptr)
  endif()
endif()

# The Poco transport on its own, so that on Linux the transport tests also
# run against it (tests/sync: sync_transport_poco_test links it with
# tillbridge_sync_core instead of tillbridge_sync).
if(NOT WIN32)
  add_library(tillbridge_sync_transport_poco STATIC
    ${CMAKE_CURRENT_LIST_DIR}/http_transport_poco.cpp)
  target_link_libraries(tillbridge_sync_transport_poco
    PUBLIC tillbridge_common tillbridge_warnings Threads::Threads
    PRIVATE ${tb_poco_transport_libs})
endif()

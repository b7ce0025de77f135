# Printer tap benchmark: passthrough latency (TCP, pty) and decoder speed.
if(TARGET tillbridge_printer)
  add_executable(printer_bench ${CMAKE_CURRENT_LIST_DIR}/printer_bench.cpp)
  target_link_libraries(printer_bench PRIVATE tillbridge_printer tillbridge_warnings)
  target_compile_definitions(printer_bench PRIVATE TILLBRIDGE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endif()

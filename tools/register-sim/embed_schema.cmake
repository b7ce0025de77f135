# Generates demo_schema.cpp (DemoPos::Schema) from examples/demo-pos/schema.sql.
#   cmake -DSCHEMA=... -DOUTPUT=... -P embed_schema.cmake
file(READ "${SCHEMA}" text)
string(REPLACE "\\" "\\\\" text "${text}")
string(REPLACE "\"" "\\\"" text "${text}")
string(REPLACE "\t" "\\t" text "${text}")
string(REPLACE "\n" "\\n\"\n    \"" text "${text}")
set(content "// Generated from examples/demo-pos/schema.sql by embed_schema.cmake; do not edit.
#include \"tools/register-sim/demo_pos.h\"

namespace tillbridge::tools {

const char* DemoPos::Schema() {
  return
    \"${text}\";
}

}  // namespace tillbridge::tools
")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
  if(old STREQUAL content)
    return()
  endif()
endif()
file(WRITE "${OUTPUT}" "${content}")

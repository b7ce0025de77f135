# Install step of the Windows build (see packaging/CPackConfig.cmake): copies
# every DLL that tillbridge.exe loads, directly or through another DLL, into
# the install tree's bin/, so the MSI holds a program that starts on a bare
# Windows. DLLs that Windows ships (TB_SYSTEM_DLLS, by base name) are left
# out; any other DLL that cannot be found stops the install.
# Set before this script: TB_EXECUTABLE, TB_DLL_DIRS, TB_OBJDUMP (cross
# builds), TB_SYSTEM_DLLS.
if(TB_OBJDUMP)
  set(CMAKE_GET_RUNTIME_DEPENDENCIES_PLATFORM windows+pe)
  set(CMAKE_GET_RUNTIME_DEPENDENCIES_TOOL objdump)
  set(CMAKE_GET_RUNTIME_DEPENDENCIES_COMMAND "${TB_OBJDUMP}")
endif()
# Windows finds DLLs by name in any case, and the PE import tables (and so
# CMake's resolver) use lower case: on a case-sensitive build host, look
# them up through a folder of lower-case links.
set(tb_lower "${CMAKE_CURRENT_BINARY_DIR}/dll-lookup")
if(NOT CMAKE_CURRENT_BINARY_DIR)
  set(tb_lower "${CMAKE_INSTALL_PREFIX}/.dll-lookup")
endif()
file(REMOVE_RECURSE "${tb_lower}")
file(MAKE_DIRECTORY "${tb_lower}")
foreach(dir IN LISTS TB_DLL_DIRS)
  file(GLOB tb_found "${dir}/*.dll" "${dir}/*.DLL")
  foreach(dll IN LISTS tb_found)
    get_filename_component(tb_name "${dll}" NAME)
    string(TOLOWER "${tb_name}" tb_name)
    if(NOT EXISTS "${tb_lower}/${tb_name}")
      file(CREATE_LINK "${dll}" "${tb_lower}/${tb_name}" SYMBOLIC)
    endif()
  endforeach()
endforeach()

set(tb_system_regexes)
foreach(name IN LISTS TB_SYSTEM_DLLS)
  list(APPEND tb_system_regexes "^${name}[.]dll$")
endforeach()
file(GET_RUNTIME_DEPENDENCIES
  EXECUTABLES "${TB_EXECUTABLE}"
  RESOLVED_DEPENDENCIES_VAR tb_dlls
  UNRESOLVED_DEPENDENCIES_VAR tb_missing
  DIRECTORIES "${tb_lower}" ${TB_DLL_DIRS}
  PRE_EXCLUDE_REGEXES "^api-ms-" "^ext-ms-" ${tb_system_regexes}
  POST_EXCLUDE_REGEXES "[Ss]ystem32")
if(tb_missing)
  message(FATAL_ERROR "tillbridge.exe needs DLLs that were not found in ${TB_DLL_DIRS}: "
                      "${tb_missing}")
endif()
set(tb_real)
foreach(dll IN LISTS tb_dlls)
  file(REAL_PATH "${dll}" tb_path)
  list(APPEND tb_real "${tb_path}")
endforeach()
file(REMOVE_RECURSE "${tb_lower}")
list(LENGTH tb_real tb_count)
message(STATUS "Installing ${tb_count} DLLs beside tillbridge.exe")
file(INSTALL ${tb_real} DESTINATION "${CMAKE_INSTALL_PREFIX}/bin")

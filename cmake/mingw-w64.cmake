# Cross-builds the Windows agent (x86-64) on Debian with mingw-w64's
# posix-thread GCC, against a dependency prefix (see scripts/windows/):
#   cmake --preset windows                      (prefix in build/windows-deps)
#   cmake --preset windows -DTILLBRIDGE_WINDOWS_DEPS=/path/to/prefix
# Tests run through Wine (CMAKE_CROSSCOMPILING_EMULATOR).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)

if(NOT TILLBRIDGE_WINDOWS_DEPS)
  set(TILLBRIDGE_WINDOWS_DEPS "${CMAKE_CURRENT_LIST_DIR}/../build/windows-deps")
endif()
get_filename_component(TILLBRIDGE_WINDOWS_DEPS "${TILLBRIDGE_WINDOWS_DEPS}" ABSOLUTE)
set(TILLBRIDGE_WINDOWS_DEPS "${TILLBRIDGE_WINDOWS_DEPS}" CACHE PATH
    "Windows dependency prefix (scripts/windows/unpack-deps.sh or build-deps.sh)")
if(NOT EXISTS "${TILLBRIDGE_WINDOWS_DEPS}/cmake/PocoConfig.cmake")
  message(FATAL_ERROR "No Windows dependency prefix at ${TILLBRIDGE_WINDOWS_DEPS}: unpack the "
                      "prebuilt one with scripts/windows/unpack-deps.sh, or build it from the "
                      "upstream archives with scripts/windows/build-deps.sh")
endif()

# /usr/x86_64-w64-mingw32 holds Windows' import libraries (ws2_32, odbc32, crypt32).
set(CMAKE_FIND_ROOT_PATH "${TILLBRIDGE_WINDOWS_DEPS}" /usr/x86_64-w64-mingw32)
set(CMAKE_PREFIX_PATH "${TILLBRIDGE_WINDOWS_DEPS}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_LIBDIR} "${TILLBRIDGE_WINDOWS_DEPS}/lib/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# The three mingw runtime DLLs every program of this toolchain loads.
execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libstdc++-6.dll
                OUTPUT_VARIABLE tb_libstdcxx OUTPUT_STRIP_TRAILING_WHITESPACE)
get_filename_component(TILLBRIDGE_MINGW_RUNTIME_DIR "${tb_libstdcxx}" DIRECTORY)

find_program(TILLBRIDGE_WINE NAMES wine wine64)
if(TILLBRIDGE_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${TILLBRIDGE_WINE}")
endif()

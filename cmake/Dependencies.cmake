# Every dependency comes from a Debian package on Linux (scripts/install-deps.sh
# installs them) and from the mingw-w64 dependency prefix when cross-building
# for Windows (cmake/mingw-w64.cmake). See README.md for which library does what.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(SQLite3 REQUIRED)
pkg_check_modules(SERIALPORT REQUIRED IMPORTED_TARGET libserialport)

if(WIN32)
  # DLLs that every Windows (8 and later) ships in system32; the MSI never
  # carries them (packaging/windows/InstallDlls.cmake), and
  # tests/windows/msi_install_test.sh checks the program's imports against
  # this list and the DLLs shipped beside it.
  set(TILLBRIDGE_WINDOWS_SYSTEM_DLLS
    advapi32 bcrypt crypt32 gdi32 iphlpapi kernel32 msvcrt ntdll odbc32 ole32 oleaut32 rpcrt4
    secur32 shell32 shlwapi user32 userenv version winmm ws2_32 wsock32 dnsapi netapi32 mswsock
    wldap32 psapi dbghelp setupapi cfgmgr32 normaliz comdlg32 comctl32)
  # The prefix's Poco package files define the connector client targets.
  find_package(Poco REQUIRED COMPONENTS
    Foundation Util Net NetSSL Crypto JSON Data DataSQLite DataMySQL DataPostgreSQL)
  find_package(libphonenumber REQUIRED)
  add_library(tillbridge_phonenumber INTERFACE)
  target_link_libraries(tillbridge_phonenumber INTERFACE libphonenumber::phonenumber)
else()
  find_package(PostgreSQL REQUIRED)
  pkg_check_modules(MARIADB REQUIRED IMPORTED_TARGET libmariadb)
  # Debian's Poco 1.11 CMake files name client targets that nothing defines.
  if(NOT TARGET PostgreSQL::client)
    add_library(PostgreSQL::client INTERFACE IMPORTED)
    target_link_libraries(PostgreSQL::client INTERFACE PostgreSQL::PostgreSQL)
  endif()
  if(NOT TARGET MySQL::client)
    add_library(MySQL::client INTERFACE IMPORTED)
    target_link_libraries(MySQL::client INTERFACE PkgConfig::MARIADB)
  endif()
  find_package(Poco REQUIRED COMPONENTS
    Foundation Util Net NetSSL Crypto JSON Data DataSQLite DataMySQL DataPostgreSQL)

  find_library(PHONENUMBER_LIBRARY NAMES phonenumber REQUIRED)
  find_path(PHONENUMBER_INCLUDE_DIR phonenumbers/phonenumberutil.h REQUIRED)
  add_library(tillbridge_phonenumber INTERFACE)
  target_link_libraries(tillbridge_phonenumber INTERFACE ${PHONENUMBER_LIBRARY})
  target_include_directories(tillbridge_phonenumber SYSTEM INTERFACE ${PHONENUMBER_INCLUDE_DIR})
endif()

# The cloud client's HTTP library: cpprestsdk on Linux (the design's choice;
# sync/sources.cmake also builds the Poco transport there for its tests).
# mingw-w64 cannot build cpprestsdk, so Windows uses Poco's
# HTTPSClientSession behind the same interface (sync/http_transport.h).
if(NOT WIN32)
  find_package(cpprestsdk REQUIRED)
endif()

if(TILLBRIDGE_BUILD_TESTS)
  if(CMAKE_CROSSCOMPILING)
    # doctest is one header: use the build machine's copy (Debian's
    # doctest-dev) without putting the host's include folder on the path.
    find_file(TB_DOCTEST_HEADER doctest.h PATHS /usr/include/doctest NO_CMAKE_FIND_ROOT_PATH
              NO_DEFAULT_PATH REQUIRED)
    get_filename_component(tb_doctest_dir "${TB_DOCTEST_HEADER}" DIRECTORY)
    file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/doctest-include)
    file(CREATE_LINK "${tb_doctest_dir}" ${CMAKE_BINARY_DIR}/doctest-include/doctest SYMBOLIC)
    add_library(doctest::doctest INTERFACE IMPORTED)
    target_include_directories(doctest::doctest SYSTEM INTERFACE ${CMAKE_BINARY_DIR}/doctest-include)
  else()
    find_package(doctest REQUIRED)
    include(/usr/lib/cmake/doctest/doctest.cmake OPTIONAL RESULT_VARIABLE TB_DOCTEST_CMAKE)
  endif()
endif()

# Every dependency comes from a Debian package; scripts/install-deps.sh
# installs them. See README.md for which library does what.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(PostgreSQL REQUIRED)
pkg_check_modules(MARIADB REQUIRED IMPORTED_TARGET libmariadb)
pkg_check_modules(SERIALPORT REQUIRED IMPORTED_TARGET libserialport)

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
find_package(cpprestsdk REQUIRED)

find_library(PHONENUMBER_LIBRARY NAMES phonenumber REQUIRED)
find_path(PHONENUMBER_INCLUDE_DIR phonenumbers/phonenumberutil.h REQUIRED)
add_library(tillbridge_phonenumber INTERFACE)
target_link_libraries(tillbridge_phonenumber INTERFACE ${PHONENUMBER_LIBRARY})
target_include_directories(tillbridge_phonenumber SYSTEM INTERFACE ${PHONENUMBER_INCLUDE_DIR})

if(TILLBRIDGE_BUILD_TESTS)
  find_package(doctest REQUIRED)
  include(/usr/lib/cmake/doctest/doctest.cmake OPTIONAL RESULT_VARIABLE TB_DOCTEST_CMAKE)
endif()

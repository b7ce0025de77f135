#!/usr/bin/env bash
# Rebuild the Windows x86-64 (mingw-w64) dependency prefix of the agent from
# the pinned upstream source archives, on Debian 12.
#
# The CI uses a prebuilt copy of this prefix (tillbridge-mingw-deps-v1); this
# script is how that prefix is reproduced.  Run with --help for usage.
set -euo pipefail

readonly SCRIPT_NAME=${0##*/}
readonly TARGET=x86_64-w64-mingw32
# The -posix variants use winpthreads, which std::thread/std::mutex need; the
# -win32 variants would build, but mixing the two runtimes in one process is
# unsupported, so every compiler is named explicitly.
readonly CC_W=$TARGET-gcc-posix
readonly CXX_W=$TARGET-g++-posix

# Build steps in dependency order.  "finalize" and "check" close a full run;
# "verify", "sources" and "smoke" are extra steps that only run when named.
readonly BUILD_STEPS=(openssl sqlite libserialport poco runtime mariadb libpq poco_dbs
                      abseil protobuf icu libphonenumber)
readonly DEFAULT_STEPS=(verify "${BUILD_STEPS[@]}" finalize check)
readonly ALL_STEPS=(verify sources "${BUILD_STEPS[@]}" finalize check smoke)
# Steps that are cheap and idempotent: never skipped because of a stamp.
readonly ALWAYS_RUN=" verify sources runtime finalize check smoke "
# Steps whose output should be seen on the terminal, not only in the log.
readonly REPORTING=" verify check smoke "

# Which completed steps a step builds on.
declare -A STEP_NEEDS=(
  [poco]="openssl sqlite"
  [mariadb]=""
  [libpq]="openssl"
  [poco_dbs]="poco mariadb libpq"
  [libphonenumber]="abseil protobuf icu"
)

# Build directories under $WORK/build owned by a step (wiped by --force).
declare -A STEP_BUILD_DIRS=(
  [sqlite]=sqlite [libserialport]=libserialport [poco]=poco [mariadb]=mariadb
  [libpq]=libpq [abseil]=abseil [protobuf]=protobuf [icu]="icu-native icu-cross"
  [libphonenumber]=libphonenumber
)

# ---------------------------------------------------------------------------
# Pinned archives.  The sums are those of third-party-src/MANIFEST.md.
# For archives made with `git archive` the sum of the uncompressed tar stream is
# accepted as well, so an export recompressed with another xz still verifies.
# ---------------------------------------------------------------------------
declare -A ARCHIVE SHA256 TAR_SHA256 TOPDIR ORIGIN
pin() { # key file sha256 tar-sha256|- topdir origin
  ARCHIVE[$1]=$2 SHA256[$1]=$3 TOPDIR[$1]=$5 ORIGIN[$1]=$6
  [[ $4 == - ]] || TAR_SHA256[$1]=$4
}
pin openssl openssl-3.0.22.tar.gz \
  67ebca7e50d17383028045486653492195b83db95f8558709701bb47b5c1ef81 - openssl-3.0.22 \
  "upstream release tarball: https://github.com/openssl/openssl/releases/download/openssl-3.0.22/openssl-3.0.22.tar.gz"
pin sqlite sqlite-amalgamation-3.40.0.tar.gz \
  0333552076d2700c75352256e91c78bf5cd62491589ba0c69aed0a81868980e7 - sqlite-autoconf-3400000 \
  "upstream release tarball https://www.sqlite.org/2022/sqlite-autoconf-3400000.tar.gz, saved as sqlite-amalgamation-3.40.0.tar.gz"
pin libserialport libserialport-0.1.1.tar.xz \
  c05f2075580c0ce7369444644f33942f6ca777bb7f1f1fd00aa3d3cce38b2df7 \
  bb92c58f0766da73c21db6956c5aca4e380680446f9c7e7cfef11fff6e9a6501 libserialport-0.1.1 \
  "git export of tag libserialport-0.1.1 (not sigrok.org's 'make dist' tarball):
    git clone https://github.com/sigrokproject/libserialport && git -C libserialport archive --format=tar --prefix=libserialport-0.1.1/ libserialport-0.1.1 | xz -6 > libserialport-0.1.1.tar.xz"
pin poco poco-1.11.8p2.tar.xz \
  6a14d0a696bc2a0c40576ad0f9f4bf210f1e1006b1ca3490f6a655a53bc420f9 \
  e103a4673a717177497cd7aab3e7e294a19a67734bc6cebf455099163d519fae poco-1.11.8p2 \
  "git export of tag poco-1.11.8p2-release without the bundled SQLite amalgamation:
    git clone https://github.com/pocoproject/poco && git -C poco archive --format=tar --prefix=poco-1.11.8p2/ poco-1.11.8p2-release -- . ':(exclude)Data/SQLite/src/sqlite3.c' | xz -6 > poco-1.11.8p2.tar.xz"
pin mariadb mariadb-connector-c-3.3.11.tar.xz \
  72c6ef1ddb51d8c3b9901487c9cce51a0f98d07db8b4ad76d529c58497f84cc2 \
  1e85084cc3d06b8dbe2e0e57f6503693926a8c99de624379cea5c81355c2d47b mariadb-connector-c-3.3.11 \
  "git export of tag v3.3.11:
    git clone https://github.com/mariadb-corporation/mariadb-connector-c && git -C mariadb-connector-c archive --format=tar --prefix=mariadb-connector-c-3.3.11/ v3.3.11 | xz -6 > mariadb-connector-c-3.3.11.tar.xz"
pin libpq postgresql-15.18.tar.bz2 \
  11df0df97fe3ea4ba9a791faaf39cee1d2fe571e78885b5b55d8517d27c323b4 - postgresql-15.18 \
  "upstream release tarball: https://ftp.postgresql.org/pub/source/v15.18/postgresql-15.18.tar.bz2"
pin abseil abseil-20220623.1.tar.xz \
  1ec559aeb68624514aa8b418119df0bb72a3c15306329b400ac5f4f9cb07820e \
  6b45dd017cce1d8fa8db88e4407132b2000fbb200ab5cec709c569eb121bd281 abseil-20220623.1 \
  "git export of tag 20220623.1:
    git clone https://github.com/abseil/abseil-cpp && git -C abseil-cpp archive --format=tar --prefix=abseil-20220623.1/ 20220623.1 | xz -6 > abseil-20220623.1.tar.xz"
pin protobuf protobuf-21.12.tar.xz \
  bf11381a76ae056fd7ee4b7dcfdf7c52f0132a70d3565791d32683670f5a6ec2 \
  84b1dea8527a7c5a7b8938660851a9f9766ad6f9432e158a011bdc61fdd846fa protobuf-21.12 \
  "git export of tag v21.12 (submodules not needed):
    git clone https://github.com/protocolbuffers/protobuf && git -C protobuf archive --format=tar --prefix=protobuf-21.12/ v21.12 | xz -6 > protobuf-21.12.tar.xz"
pin icu icu-72.1.tar.gz \
  a2d2d38217092a7ed56635e34467f92f976b370e20182ad325edea6681a71d68 - icu \
  "upstream release tarball https://github.com/unicode-org/icu/releases/download/release-72-1/icu4c-72_1-src.tgz, saved as icu-72.1.tar.gz"
pin libphonenumber libphonenumber-8.12.57.tar.xz \
  f02a626b92517c16e812afcd75929de050135dfd0caadb7b1edb43859dc1d615 \
  dcd174102ee1acd80a5a754400881b2c9e6955a1018bbe1929f55a00346d2325 libphonenumber-8.12.57 \
  "git export of tag v8.12.57, C++ part only:
    git clone https://github.com/google/libphonenumber && git -C libphonenumber archive --format=tar --prefix=libphonenumber-8.12.57/ v8.12.57 -- cpp resources LICENSE LICENSE.Chromium README.md ':(exclude)resources/metadata/1/ranges.csv' ':(exclude)resources/metadata/61/ranges.csv' ':(exclude)resources/metadata/86/ranges.csv' | xz -6 > libphonenumber-8.12.57.tar.xz"
readonly ARCHIVE_ORDER=(openssl sqlite libserialport poco mariadb libpq abseil protobuf icu libphonenumber)

# ---------------------------------------------------------------------------
# Debian 12 package that provides each tool, for the "missing tool" message.
# ---------------------------------------------------------------------------
declare -A TOOL_PKG=(
  [$CC_W]=gcc-mingw-w64-x86-64-posix [$CXX_W]=g++-mingw-w64-x86-64-posix
  [$TARGET-ar]=binutils-mingw-w64-x86-64 [$TARGET-ranlib]=binutils-mingw-w64-x86-64
  [$TARGET-windres]=binutils-mingw-w64-x86-64 [$TARGET-windmc]=binutils-mingw-w64-x86-64
  [$TARGET-dlltool]=binutils-mingw-w64-x86-64 [$TARGET-strip]=binutils-mingw-w64-x86-64
  [$TARGET-objdump]=binutils-mingw-w64-x86-64
  [cmake]=cmake [ninja]=ninja-build [make]=make [perl]=perl [python3]=python3
  [gcc]=gcc [g++]=g++ [protoc]=protobuf-compiler [pkg-config]=pkg-config
  [autoreconf]=autoconf [automake]=automake [aclocal]=automake [libtoolize]=libtool
  [tar]=tar [xz]=xz-utils [gzip]=gzip [bzip2]=bzip2 [sha256sum]=coreutils [patch]=patch
  [wine]="wine wine64"
)
declare -A STEP_TOOLS=(
  [verify]="sha256sum xz gzip bzip2"
  [sources]="tar xz gzip bzip2 sha256sum patch"
  [openssl]="make perl $CC_W $TARGET-ar $TARGET-ranlib $TARGET-windres"
  [sqlite]="$CC_W $TARGET-ar"
  [libserialport]="make $CC_W $TARGET-dlltool autoreconf automake aclocal libtoolize"
  [poco]="cmake ninja $CC_W $CXX_W $TARGET-windres $TARGET-windmc"
  [runtime]="$CXX_W"
  [mariadb]="cmake ninja $CC_W $CXX_W $TARGET-windres"
  [libpq]="make $CC_W"
  [poco_dbs]="cmake ninja $CC_W $CXX_W $TARGET-windmc"
  [abseil]="cmake ninja $CC_W $CXX_W"
  [protobuf]="cmake ninja $CC_W $CXX_W"
  [icu]="make gcc g++ python3 $CC_W $CXX_W"
  [libphonenumber]="cmake ninja $CC_W $CXX_W protoc"
  [finalize]="perl $TARGET-strip $TARGET-objdump"
  [check]="$TARGET-objdump pkg-config"
  [smoke]="cmake ninja $CC_W $CXX_W pkg-config wine"
)

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------
msg() { printf '%s\n' "$*" >&2; }
die() { printf '%s: error: %s\n' "$SCRIPT_NAME" "$*" >&2; exit 1; }

usage() {
  cat <<EOF
Usage: $SCRIPT_NAME [options] SRC_DIR [PREFIX] [step ...]

Rebuild the mingw-w64 dependency prefix of the Windows agent build (OpenSSL,
SQLite, libserialport, Poco with SQLite/ODBC/MySQL/PostgreSQL connectors,
mariadb-connector-c, libpq, abseil, protobuf, ICU, libphonenumber and the
mingw runtime DLLs) from the pinned upstream archives in SRC_DIR.

  SRC_DIR   directory holding the pinned archives (see scripts/windows/README.md)
  PREFIX    install prefix to create (default: ./tillbridge-mingw-deps)
  step      one or more steps, run in the order given (default: all)

Steps (default order):
  verify          check the sha256 of every archive
  openssl sqlite libserialport poco runtime mariadb libpq poco_dbs
  abseil protobuf icu libphonenumber
                  build and install one library each
  finalize        relocation clean-ups and the hand-written CMake packages
  check           verify the prefix holds the expected files and no build paths
Extra steps (only when named):
  sources         unpack and patch every archive without building
  smoke           build a test program against PREFIX and run it under wine
  all             shorthand for the default list

Options:
  -w, --work-dir DIR  scratch directory for sources, build trees, stamps and
                      logs (default: PREFIX.work)
  -j, --jobs N        parallel build jobs (default: $(nproc 2>/dev/null || echo 2))
  -f, --force         rebuild the named steps even if they are stamped as done
  -h, --help          show this help

Build steps write WORK/stamps/<step>.done and are skipped while that stamp
exists, so re-running the same command resumes after a failure.  Each step logs
to WORK/logs/<step>.log; timings are appended to WORK/timings.txt.
The smoke step uses \$WINE if set, otherwise wine64 or wine.

A full build takes about 45 minutes on 2 cores (ICU, OpenSSL, protobuf and
Poco take most of it).  Run it at low priority on a shared machine:
  nice -n 15 $SCRIPT_NAME /path/to/third-party-src /opt/tillbridge-mingw-deps

Examples:
  $SCRIPT_NAME SRC verify                 # only check the archives
  $SCRIPT_NAME SRC /tmp/deps sqlite check # build one library, check it
  $SCRIPT_NAME SRC /tmp/deps all smoke    # full build plus wine smoke test
EOF
}

is_step() { [[ " ${ALL_STEPS[*]} all " == *" $1 "* ]]; }
fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# Report every missing tool at once, with the apt-get line that fixes it.
need_tools() {
  local tool missing=() pkgs=()
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 && continue
    [[ " ${missing[*]-} " == *" $tool "* ]] && continue
    missing+=("$tool")
    # shellcheck disable=SC2206 # a tool may map to several packages
    pkgs+=(${TOOL_PKG[$tool]:-$tool})
  done
  ((${#missing[@]} == 0)) && return 0
  local uniq
  uniq=$(printf '%s\n' "${pkgs[@]}" | sort -u | tr '\n' ' ')
  die "missing tools: ${missing[*]}
  install them with: sudo apt-get install -y ${uniq% }"
}

# The generated libphonenumber sources must come from the same protobuf
# release as the runtime library built here (21.12 = protoc 3.21.12).
check_protoc_version() {
  local v
  v=$(protoc --version 2>/dev/null || true)
  [[ $v == "libprotoc 3.21."* ]] ||
    die "libphonenumber needs the host protoc 3.21.x to match protobuf 21.12, found '${v:-none}'
  install it with: sudo apt-get install -y protobuf-compiler   (Debian 12 ships 3.21.12)"
}

# ---------------------------------------------------------------------------
# Archives: verification and unpacking
# ---------------------------------------------------------------------------
archive_missing() {
  die "missing archive ${ARCHIVE[$1]} in $SRC_DIR
  get it as the ${ORIGIN[$1]}"
}

declare -A VERIFIED=()
verify_archive() { # key
  local key=$1 file="$SRC_DIR/${ARCHIVE[$1]}" sum tarsum
  [[ -n ${VERIFIED[$key]:-} ]] && return 0
  [[ -f $file ]] || archive_missing "$key"
  sum=$(sha256sum "$file" | cut -d' ' -f1)
  if [[ $sum == "${SHA256[$key]}" ]]; then
    msg "ok       ${ARCHIVE[$key]}  sha256 $sum"
  elif [[ -n ${TAR_SHA256[$key]:-} ]] &&
       tarsum=$(xz -dc "$file" 2>/dev/null | sha256sum | cut -d' ' -f1) &&
       [[ $tarsum == "${TAR_SHA256[$key]}" ]]; then
    msg "ok       ${ARCHIVE[$key]}  (recompressed; tar stream sha256 $tarsum)"
  else
    die "sha256 mismatch for $file
  expected ${SHA256[$key]}
  got      $sum
  this is not the pinned ${ARCHIVE[$key]}; get it as the ${ORIGIN[$key]}"
  fi
  VERIFIED[$key]=1
}

# Unpack (once) and patch an archive into $WORK/src; sets SRC_PATH.
unpack() { # key
  local key=$1 top=${TOPDIR[$1]}
  local dest="$WORK/src/$top" tmp="$WORK/src/.unpack-$key" stamp="$WORK/stamps/unpack-$key.done"
  SRC_PATH=$dest
  if [[ -e $stamp && -d $dest ]]; then
    return 0
  fi
  verify_archive "$key"
  # A directory without a stamp is a half-finished extraction or patch run.
  rm -rf "$dest" "$tmp"
  mkdir -p "$tmp"
  msg "unpacking ${ARCHIVE[$key]}"
  tar -xf "$SRC_DIR/${ARCHIVE[$key]}" -C "$tmp" --no-same-owner
  [[ -d $tmp/$top ]] || die "${ARCHIVE[$key]} has no top folder '$top/'"
  mv "$tmp/$top" "$dest"
  rmdir "$tmp"
  if declare -F "patch_$key" >/dev/null; then
    msg "patching $top"
    "patch_$key" "$dest"
  fi
  touch "$stamp"
}

apply_patch() { # dir description; unified diff on stdin
  patch -d "$1" -p1 --forward --batch --no-backup-if-mismatch ||
    die "patch '$2' does not apply in $1"
}

# ---------------------------------------------------------------------------
# Source patches.  Applied to the unpacked copies only, never to the archives.
# ---------------------------------------------------------------------------

# Poco 1.11.8p2:
#  * POCO_SQLITE_UNBUNDLED: the pinned archive has no Data/SQLite/src/sqlite3.c,
#    and POCO_UNBUNDLED would also demand external zlib/PCRE/expat.  The new
#    option links Data/SQLite to find_package(SQLite3) only, keeps POCO_UNBUNDLED
#    private to DataSQLite (consumers still see the bundled zlib/expat headers)
#    and makes PocoDataSQLiteConfig.cmake look for SQLite3 as well.
#  * UnWindows.h includes <Winsock2.h>/<Iphlpapi.h>; mingw's headers are
#    lower-case, which matters on a case-sensitive build host.
#  * mingw-w64's wincrypt.h defines TIMESTAMP_REQUEST as a macro, which turns
#    the ICMPv4PacketImpl enumerator of that name into a syntax error.
patch_poco() {
  apply_patch "$1" "poco: external SQLite, mingw header case, TIMESTAMP_REQUEST" <<'PATCH'
--- a/CMakeLists.txt
+++ b/CMakeLists.txt
@@ -188,6 +188,9 @@
 option(POCO_UNBUNDLED
 	"Set to OFF|ON (default is OFF) to control linking dependencies as external" OFF)
 
+option(POCO_SQLITE_UNBUNDLED
+	"Set to ON to link Data/SQLite against an external SQLite while keeping zlib, pcre and expat bundled" OFF)
+
 if(ENABLE_TESTS)
 	include(CTest)
 	enable_testing()
--- a/Data/SQLite/CMakeLists.txt
+++ b/Data/SQLite/CMakeLists.txt
@@ -6,7 +6,7 @@
 file(GLOB_RECURSE HDRS_G "include/*.h")
 POCO_HEADERS_AUTO(SQLITE_SRCS ${HDRS_G})
 
-if(POCO_UNBUNDLED)
+if(POCO_UNBUNDLED OR POCO_SQLITE_UNBUNDLED)
 	find_package(SQLite3 REQUIRED)
 else()
 	# sqlite3
@@ -42,7 +42,12 @@
 	PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src
 )
 
-if(POCO_UNBUNDLED)
+if(POCO_SQLITE_UNBUNDLED AND NOT POCO_UNBUNDLED)
+	# External SQLite only. POCO_UNBUNDLED stays a private define so that
+	# consumers keep using the bundled zlib/pcre/expat headers.
+	target_link_libraries(DataSQLite PUBLIC SQLite::SQLite3)
+	target_compile_definitions(DataSQLite PRIVATE POCO_UNBUNDLED SQLITE_THREADSAFE=1)
+elseif(POCO_UNBUNDLED)
 		target_link_libraries(DataSQLite PUBLIC SQLite::SQLite3)
 	target_compile_definitions(DataSQLite PUBLIC
 		POCO_UNBUNDLED
--- a/Data/SQLite/cmake/PocoDataSQLiteConfig.cmake
+++ b/Data/SQLite/cmake/PocoDataSQLiteConfig.cmake
@@ -1,7 +1,7 @@
 include(CMakeFindDependencyMacro)
 find_dependency(PocoFoundation)
 find_dependency(PocoData)
-if(@POCO_UNBUNDLED@)
+if(@POCO_UNBUNDLED@ OR @POCO_SQLITE_UNBUNDLED@)
 	if(CMAKE_VERSION VERSION_LESS "3.14")
 		list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}/V313")
 	endif()
--- a/Foundation/include/Poco/UnWindows.h
+++ b/Foundation/include/Poco/UnWindows.h
@@ -29,8 +29,8 @@
 #if !defined(POCO_NO_WINDOWS_H)
     #include <windows.h>
     #ifdef __MINGW32__
-        #include <Winsock2.h>
-        #include <Iphlpapi.h>
+        #include <winsock2.h>
+        #include <iphlpapi.h>
         #include <ws2tcpip.h>
     #endif // __MINGW32__
 #endif
--- a/Net/include/Poco/Net/ICMPv4PacketImpl.h
+++ b/Net/include/Poco/Net/ICMPv4PacketImpl.h
@@ -22,6 +22,11 @@
 #include "Poco/Net/Socket.h"
 #include "Poco/Net/ICMPPacketImpl.h"
 #include <cstddef>
+// mingw-w64 <wincrypt.h> defines TIMESTAMP_REQUEST as a macro, which breaks
+// the MessageType enumerator of the same name below.
+#if defined(__MINGW32__) && defined(TIMESTAMP_REQUEST)
+#undef TIMESTAMP_REQUEST
+#endif
 
 
 namespace Poco {
PATCH
}

# libphonenumber 8.12.57 (cpp/):
#  * the archive has no tools/ folder, so cpp/CMakeLists.txt's
#    include(../tools/cpp/gtest.cmake) gets an empty stub;
#  * find_package(absl) is only called for the geocoder upstream, but the
#    library always links absl targets;
#  * the gtest-based test library and executable are left out of "all";
#  * BUILD_SHARED_LIB becomes an option so only the static library is built.
patch_libphonenumber() {
  mkdir -p "$1/tools/cpp"
  cat >"$1/tools/cpp/gtest.cmake" <<'CMAKE'
# Stub: the pinned source archive has no tools/ folder and the tests are not
# built, so there is nothing to find.
function (find_or_build_gtest)
endfunction ()
CMAKE
  apply_patch "$1" "libphonenumber: absl, no tests, static only" <<'PATCH'
--- a/cpp/CMakeLists.txt
+++ b/cpp/CMakeLists.txt
@@ -38,6 +38,9 @@
 
 include (GNUInstallDirs)
 include (../tools/cpp/gtest.cmake)
+# The library always links absl::node_hash_set, absl::strings and
+# absl::synchronization, but upstream only looks for absl with the geocoder.
+find_package (absl REQUIRED)
 
 function (print_error DESCRIPTION FILE)
   message (FATAL_ERROR
@@ -95,6 +98,7 @@
 option ("BUILD_STATIC_LIB" "Build static libraries" "ON")
 option ("USE_STDMUTEX" "Use C++ 2011 std::mutex for multi-threading" "OFF")
 option ("USE_POSIX_THREAD" "Use Posix api for multi-threading" "OFF")
+option ("BUILD_SHARED_LIB" "Build the shared library" "ON")
 
 if (${USE_ALTERNATE_FORMATS} STREQUAL "ON")
   add_definitions ("-DI18N_PHONENUMBERS_USE_ALTERNATE_FORMATS")
@@ -423,8 +427,7 @@
       VERSION ${libphonenumber_VERSION_MAJOR}.${libphonenumber_VERSION_MINOR})
 endif ()
 
-# Build a shared library (with -fPIC).
-set (BUILD_SHARED_LIB true)
+# Build a shared library (with -fPIC) unless -DBUILD_SHARED_LIB=OFF was given.
 
 if (${USE_RE2} STREQUAL "ON")
   # RE2 is not always available as a shared library (e.g: package provided by
@@ -504,7 +507,7 @@
 endif ()
 
 # Build a specific library for testing purposes.
-add_library (phonenumber_testing STATIC ${TESTING_LIBRARY_SOURCES})
+add_library (phonenumber_testing STATIC EXCLUDE_FROM_ALL ${TESTING_LIBRARY_SOURCES})
 if (${BUILD_GEOCODER} STREQUAL "ON")
   add_dependencies (phonenumber_testing generate_geocoding_data)
 endif ()
@@ -564,7 +567,7 @@
 
 # Build the testing binary.
 include_directories ("test")
-add_executable (libphonenumber_test ${TEST_SOURCES})
+add_executable (libphonenumber_test EXCLUDE_FROM_ALL ${TEST_SOURCES})
 set (TEST_LIBS phonenumber_testing ${GTEST_LIB})
 
 if (NOT WIN32)
PATCH
}

# ---------------------------------------------------------------------------
# Build helpers
# ---------------------------------------------------------------------------
mingw_sysroot() {
  local kernel32
  kernel32=$("$CC_W" -print-file-name=libkernel32.a)
  [[ -f $kernel32 ]] || die "$CC_W cannot find libkernel32.a (broken mingw-w64 install?)"
  # .../x86_64-w64-mingw32/lib/libkernel32.a -> .../x86_64-w64-mingw32
  readlink -f "$(dirname "$kernel32")/.."
}

# CMake toolchain file used by every CMake-based step.  Libraries, headers and
# packages are looked up only in PREFIX and the mingw sysroot, so nothing from
# the Debian host leaks into the Windows build; programs (protoc) come from
# the host.
write_toolchain() {
  TOOLCHAIN="$WORK/toolchain-mingw64.cmake"
  local sysroot
  sysroot=$(mingw_sysroot)
  cat >"$TOOLCHAIN" <<EOF
# Generated by $SCRIPT_NAME
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER   $CC_W)
set(CMAKE_CXX_COMPILER $CXX_W)
set(CMAKE_RC_COMPILER  $TARGET-windres)
set(CMAKE_FIND_ROOT_PATH "$PREFIX;$sysroot")
set(CMAKE_PREFIX_PATH "$PREFIX")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
EOF
}

cmake_configure() { # src build [cmake args...]
  local src=$1 build=$2
  shift 2
  [[ -n ${TOOLCHAIN:-} ]] || write_toolchain
  cmake -S "$src" -B "$build" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$PREFIX" \
    "$@"
}

cmake_build_install() { # build
  cmake --build "$1" --parallel "$JOBS"
  cmake --install "$1"
}

install_license() { # name file...
  local dir="$PREFIX/share/licenses/$1"
  shift
  mkdir -p "$dir"
  install -m 644 "$@" "$dir/"
}

# ---------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------
step_verify() {
  local key
  for key in "${ARCHIVE_ORDER[@]}"; do
    verify_archive "$key"
  done
}

step_sources() {
  local key
  for key in "${ARCHIVE_ORDER[@]}"; do
    unpack "$key"
  done
  msg "all sources unpacked and patched under $WORK/src"
}

step_openssl() {
  unpack openssl
  # OpenSSL builds in its source tree; that tree is our private copy.
  cd "$SRC_PATH"
  # The cross prefix is prepended to CC/CXX/AR/RC, giving the -posix compilers.
  # (3.0.x has no no-docs option; install_sw installs no documentation.)
  CC=gcc-posix CXX=g++-posix ./Configure mingw64 \
    --cross-compile-prefix="$TARGET-" --prefix="$PREFIX" --libdir=lib no-tests shared
  make -j"$JOBS" build_sw
  make install_sw
  # c_rehash is a Unix shell/perl helper, useless in a Windows prefix.
  rm -f "$PREFIX/bin/c_rehash"
  install_license openssl-3.0.22 LICENSE.txt
}

step_sqlite() {
  unpack sqlite
  local src=$SRC_PATH build="$WORK/build/sqlite"
  grep -q '#define SQLITE_VERSION *"3\.40\.0"' "$src/sqlite3.h" ||
    die "$src/sqlite3.h is not SQLite 3.40.0"
  mkdir -p "$build"
  # Static library: it ends up inside libPocoDataSQLite.dll and the agent.
  "$CC_W" -O2 -DSQLITE_THREADSAFE=1 -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_JSON1 \
    -DSQLITE_ENABLE_COLUMN_METADATA -c "$src/sqlite3.c" -o "$build/sqlite3.o"
  rm -f "$build/libsqlite3.a"
  "$TARGET-ar" rcs "$build/libsqlite3.a" "$build/sqlite3.o"
  install -D -m 644 "$build/libsqlite3.a" "$PREFIX/lib/libsqlite3.a"
  install -D -m 644 "$src/sqlite3.h" "$PREFIX/include/sqlite3.h"
  install -m 644 "$src/sqlite3ext.h" "$PREFIX/include/sqlite3ext.h"
  mkdir -p "$PREFIX/lib/pkgconfig"
  cat >"$PREFIX/lib/pkgconfig/sqlite3.pc" <<'EOF'
prefix=${pcfiledir}/../..
libdir=${prefix}/lib
includedir=${prefix}/include
Name: SQLite
Description: SQL database engine (static amalgamation build)
Version: 3.40.0
Libs: -L${libdir} -lsqlite3
Cflags: -I${includedir}
EOF
  mkdir -p "$PREFIX/share/licenses/sqlite-3.40.0"
  cat >"$PREFIX/share/licenses/sqlite-3.40.0/README" <<'EOF'
SQLite is in the public domain; see the blessing at the top of include/sqlite3.h.
EOF
}

step_libserialport() {
  unpack libserialport
  local src=$SRC_PATH build="$WORK/build/libserialport"
  # The pinned archive is a git export: no configure script yet.
  if [[ ! -x $src/configure ]]; then
    mkdir -p "$src/autostuff"
    (cd "$src" && autoreconf --force --install)
  fi
  mkdir -p "$build"
  cd "$build"
  # Builds both libserialport-0.dll (+ import library) and libserialport.a.
  "$src/configure" --host="$TARGET" --prefix="$PREFIX" CC="$CC_W"
  make -j"$JOBS"
  make install
  install_license libserialport-0.1.1 "$src/COPYING"
}

# Poco options shared by the "poco" and "poco_dbs" configure runs.
poco_args() {
  POCO_ARGS=(
    -DBUILD_SHARED_LIBS=ON
    -DCMAKE_MC_COMPILER="$(command -v "$TARGET-windmc")"
    -DOPENSSL_ROOT_DIR="$PREFIX" -DOPENSSL_USE_STATIC_LIBS=OFF
    -DPOCO_UNBUNDLED=OFF -DPOCO_SQLITE_UNBUNDLED=ON
    -DSQLite3_INCLUDE_DIR="$PREFIX/include" -DSQLite3_LIBRARY="$PREFIX/lib/libsqlite3.a"
    -DODBC_ROOT_DIR="$(mingw_sysroot)"
    -DENABLE_FOUNDATION=ON -DENABLE_UTIL=ON -DENABLE_NET=ON -DENABLE_NETSSL=ON
    -DENABLE_CRYPTO=ON -DENABLE_JSON=ON -DENABLE_XML=ON -DENABLE_DATA=ON
    -DENABLE_DATA_SQLITE=ON -DENABLE_DATA_ODBC=ON
    -DENABLE_NETSSL_WIN=OFF -DENABLE_MONGODB=OFF -DENABLE_REDIS=OFF -DENABLE_PDF=OFF
    -DENABLE_ZIP=OFF -DENABLE_SEVENZIP=OFF -DENABLE_ENCODINGS=OFF
    -DENABLE_ENCODINGS_COMPILER=OFF -DENABLE_PAGECOMPILER=OFF
    -DENABLE_PAGECOMPILER_FILE2PAGE=OFF -DENABLE_ACTIVERECORD=OFF
    -DENABLE_ACTIVERECORD_COMPILER=OFF -DENABLE_PROMETHEUS=OFF -DENABLE_JWT=OFF
    -DENABLE_APACHECONNECTOR=OFF -DENABLE_CPPPARSER=OFF -DENABLE_POCODOC=OFF
    -DENABLE_TESTS=OFF -DENABLE_SAMPLES=OFF
  )
}

step_poco() {
  unpack poco
  local src=$SRC_PATH
  # Poco's private copy of sqlite3.h (3.43.1) comes first on the include path;
  # it must match the 3.40.0 library that DataSQLite links.
  install -m 644 "$PREFIX/include/sqlite3.h" "$src/Data/SQLite/src/sqlite3.h"
  poco_args
  # The database connectors need mariadb and libpq, which come later
  # (step poco_dbs); Data/ODBC uses Windows' odbc32 from the mingw sysroot.
  cmake_configure "$src" "$WORK/build/poco" "${POCO_ARGS[@]}" \
    -DENABLE_DATA_MYSQL=OFF -DENABLE_DATA_POSTGRESQL=OFF
  cmake_build_install "$WORK/build/poco"
  install_license poco-1.11.8p2 "$src/LICENSE"
}

# GCC/winpthreads runtime DLLs the built DLLs depend on, from the toolchain.
step_runtime() {
  local dll path
  mkdir -p "$PREFIX/bin"
  for dll in libstdc++-6.dll libgcc_s_seh-1.dll libwinpthread-1.dll; do
    path=$("$CXX_W" -print-file-name="$dll")
    [[ -f $path ]] || die "$CXX_W does not know $dll"
    install -m 755 "$(readlink -f "$path")" "$PREFIX/bin/$dll"
  done
}

step_mariadb() {
  unpack mariadb
  local src=$SRC_PATH build="$WORK/build/mariadb" plugin
  # SChannel TLS and built-in auth plugins: no OpenSSL coupling and no plugin
  # DLLs to ship.
  local args=(
    -DWITH_SSL=SCHANNEL -DWITH_UNIT_TESTS=OFF -DWITH_CURL=OFF
    -DWITH_EXTERNAL_ZLIB=OFF -DWITH_MSI=OFF -DWITH_SIGNCODE=OFF -DWITH_ICONV=OFF
    -DINSTALL_LIBDIR=lib -DINSTALL_BINDIR=bin -DINSTALL_INCLUDEDIR=include/mariadb
    -DINSTALL_PLUGINDIR=lib/mariadb/plugin -DINSTALL_DOCDIR=share/doc/mariadb-connector-c
    -DINSTALL_MANDIR=share/man
    -DCLIENT_PLUGIN_REMOTE_IO=OFF -DCLIENT_PLUGIN_CLIENT_ED25519=OFF
  )
  for plugin in DIALOG CACHING_SHA2_PASSWORD SHA256_PASSWORD MYSQL_CLEAR_PASSWORD \
                MYSQL_OLD_PASSWORD AUTH_GSSAPI_CLIENT PVIO_NPIPE PVIO_SHMEM; do
    args+=("-DCLIENT_PLUGIN_$plugin=STATIC")
  done
  cmake_configure "$src" "$build" "${args[@]}"
  cmake_build_install "$build"
  # Poco includes <mysql/mysql.h>, and the import library is called
  # liblibmariadb.dll.a upstream; provide both spellings.
  rm -rf "$PREFIX/include/mysql"
  cp -a "$PREFIX/include/mariadb" "$PREFIX/include/mysql"
  cp -f "$PREFIX/lib/liblibmariadb.dll.a" "$PREFIX/lib/libmariadb.dll.a"
  install_license mariadb-connector-c-3.3.11 "$src/COPYING.LIB"
}

step_libpq() {
  unpack libpq
  local src=$SRC_PATH build="$WORK/build/libpq"
  mkdir -p "$build"
  cd "$build"
  # Only the client library is needed; configure once, then build the libpq
  # directory (which pulls in src/port and src/common by itself).
  "$src/configure" --host="$TARGET" --prefix="$PREFIX" \
    --without-readline --without-zlib --without-icu --with-ssl=openssl \
    CC="$CC_W" CPPFLAGS="-I$PREFIX/include" LDFLAGS="-L$PREFIX/lib"
  make -C src/interfaces/libpq -j"$JOBS"
  make -C src/interfaces/libpq install
  # libpq-fe.h includes these two, which the libpq install does not copy.
  install -m 644 "$src/src/include/postgres_ext.h" "$build/src/include/pg_config_ext.h" \
    "$PREFIX/include/"
  install_license postgresql-15.18 "$src/COPYRIGHT"
}

step_poco_dbs() {
  unpack poco
  local src=$SRC_PATH
  poco_args
  # Same build tree as "poco": only the two new connectors compile.
  cmake_configure "$src" "$WORK/build/poco" "${POCO_ARGS[@]}" \
    -DENABLE_DATA_MYSQL=ON -DMYSQL_INCLUDE_DIR="$PREFIX/include" \
    -DMYSQL_LIBRARY="$PREFIX/lib/liblibmariadb.dll.a" \
    -DENABLE_DATA_POSTGRESQL=ON -DPostgreSQL_ROOT_DIR="$PREFIX"
  cmake_build_install "$WORK/build/poco"
}

step_abseil() {
  unpack abseil
  local src=$SRC_PATH
  cmake_configure "$src" "$WORK/build/abseil" \
    -DBUILD_SHARED_LIBS=OFF -DABSL_PROPAGATE_CXX_STD=ON -DCMAKE_CXX_STANDARD=17 \
    -DBUILD_TESTING=OFF -DABSL_BUILD_TESTING=OFF -DABSL_ENABLE_INSTALL=ON
  cmake_build_install "$WORK/build/abseil"
  install_license abseil-20220623.1 "$src/LICENSE"
}

step_protobuf() {
  unpack protobuf
  local src=$SRC_PATH
  # Runtime libraries only: code generation uses the host protoc 3.21.12.
  cmake_configure "$src" "$WORK/build/protobuf" \
    -Dprotobuf_BUILD_SHARED_LIBS=OFF -Dprotobuf_BUILD_TESTS=OFF \
    -Dprotobuf_BUILD_PROTOC_BINARIES=OFF -Dprotobuf_BUILD_LIBPROTOC=OFF \
    -Dprotobuf_WITH_ZLIB=OFF -Dprotobuf_BUILD_EXAMPLES=OFF
  cmake_build_install "$WORK/build/protobuf"
  install_license protobuf-21.12 "$src/LICENSE"
}

step_icu() {
  unpack icu
  local src="$SRC_PATH/source" native="$WORK/build/icu-native" cross="$WORK/build/icu-cross"
  # A cross build of ICU needs ICU's own data tools for the build machine.
  mkdir -p "$native" "$cross"
  (cd "$native" &&
    sh "$src/runConfigureICU" Linux --disable-tests --disable-samples --disable-extras &&
    make -j"$JOBS")
  cd "$cross"
  # Default data packaging on mingw is a DLL (icudt72.dll, full data).
  "$src/configure" --host="$TARGET" --prefix="$PREFIX" --with-cross-build="$native" \
    --enable-shared --disable-static --disable-tests --disable-samples \
    --disable-extras --disable-tools \
    CC="$CC_W" CXX="$CXX_W" CFLAGS=-O2 CXXFLAGS=-O2
  make -j"$JOBS"
  make install
  install_license icu "$SRC_PATH/LICENSE"
}

step_libphonenumber() {
  unpack libphonenumber
  local src=$SRC_PATH protoc
  protoc=$(command -v protoc)
  # ICU's Windows import library is icuin, not icui18n, so it is named here.
  cmake_configure "$src/cpp" "$WORK/build/libphonenumber" \
    -DCMAKE_CXX_STANDARD=17 -DUSE_BOOST=OFF -DUSE_STDMUTEX=ON \
    -DREGENERATE_METADATA=OFF -DBUILD_GEOCODER=OFF -DBUILD_TESTING=OFF \
    -DBUILD_STATIC_LIB=ON -DBUILD_SHARED_LIB=OFF -DUSE_ICU_REGEXP=ON \
    -DPROTOC_BIN="$protoc" -DPROTOBUF_PROTOC_EXECUTABLE="$protoc" \
    -DICU_I18N_LIB="$PREFIX/lib/libicuin.dll.a"
  cmake_build_install "$WORK/build/libphonenumber"
  install_license libphonenumber-8.12.57 "$src/LICENSE" "$src/LICENSE.Chromium"
}

# Append an imported-target definition to a Poco package file unless one is
# already there (keeps finalize idempotent).
add_poco_dependency_target() { # config-file target; definition on stdin
  local file="$PREFIX/cmake/$1"
  if [[ ! -f $file ]]; then
    msg "skip $1 (not built)"
    cat >/dev/null
    return 0
  fi
  if grep -qF "add_library($2 " "$file"; then
    cat >/dev/null
    return 0
  fi
  cat >>"$file"
}

# Relocation clean-ups.  Safe to run repeatedly and on a partial prefix.
step_finalize() {
  local f dll
  # libtool archives hold absolute paths and are useless to CMake consumers.
  find "$PREFIX" -name '*.la' -type f -print -delete

  # pkg-config files: prefix relative to the file, every other copy of the
  # absolute prefix expressed through it.  ICU writes "prefix = /path" with
  # spaces, which the first expression covers as well.
  for f in "$PREFIX"/lib/pkgconfig/*.pc; do
    [[ -e $f ]] || continue
    TB_PREFIX=$PREFIX perl -pi -e '
      s{^prefix\s*=.*$}{prefix=\${pcfiledir}/../..};
      s{\Q$ENV{TB_PREFIX}\E}{\${prefix}}g unless /^prefix=/;' "$f"
  done

  # mariadb records its absolute plugin directory; every plugin is built in.
  for f in "$PREFIX"/include/{mariadb,mysql}/mariadb_version.h; do
    [[ -f $f ]] || continue
    TB_PREFIX=$PREFIX perl -pi -e \
      's{"\Q$ENV{TB_PREFIX}\E/lib/mariadb/plugin"}{"lib/mariadb/plugin"}' "$f"
  done

  # PostgreSQL installs libpq.dll into lib/ as well as bin/.
  rm -f "$PREFIX/lib/libpq.dll"
  rm -f "$PREFIX/bin/c_rehash"
  # ICU's pkgdata makefile fragments carry build paths and serve tools that
  # are not shipped.
  rm -rf "$PREFIX/lib/icu"

  # Debian's runtime DLLs carry debug info; nothing else needs stripping.
  # (Only strip once: strip rewrites the PE header even with nothing to do.)
  for dll in libstdc++-6.dll libgcc_s_seh-1.dll libwinpthread-1.dll; do
    [[ -f $PREFIX/bin/$dll ]] || continue
    if "$TARGET-objdump" -h "$PREFIX/bin/$dll" | grep -q '[[:space:]]\.debug_'; then
      "$TARGET-strip" --strip-debug "$PREFIX/bin/$dll"
    fi
  done

  # Poco 1.11's generated package files link MySQL::client, PostgreSQL::client
  # and ODBC::ODBC but never define them (they come from Poco's own Find
  # modules, which are not installed).  Define them relative to the package.
  add_poco_dependency_target PocoDataMySQLConfig.cmake MySQL::client <<'EOF'
# Added by scripts/windows/build-deps.sh: MySQL::client (mariadb-connector-c).
get_filename_component(_tbdeps_root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
if(NOT TARGET MySQL::client)
  add_library(MySQL::client UNKNOWN IMPORTED)
  set_target_properties(MySQL::client PROPERTIES
    IMPORTED_LOCATION "${_tbdeps_root}/lib/libmariadb.dll.a"
    INTERFACE_INCLUDE_DIRECTORIES "${_tbdeps_root}/include;${_tbdeps_root}/include/mariadb")
endif()
unset(_tbdeps_root)
EOF
  add_poco_dependency_target PocoDataPostgreSQLConfig.cmake PostgreSQL::client <<'EOF'
# Added by scripts/windows/build-deps.sh: PostgreSQL::client (libpq).
get_filename_component(_tbdeps_root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
if(NOT TARGET PostgreSQL::client)
  add_library(PostgreSQL::client UNKNOWN IMPORTED)
  set_target_properties(PostgreSQL::client PROPERTIES
    IMPORTED_LOCATION "${_tbdeps_root}/lib/libpq.a"
    INTERFACE_INCLUDE_DIRECTORIES "${_tbdeps_root}/include")
endif()
unset(_tbdeps_root)
EOF
  add_poco_dependency_target PocoDataODBCConfig.cmake ODBC::ODBC <<'EOF'
# Added by scripts/windows/build-deps.sh: ODBC::ODBC is Windows' odbc32.
if(NOT TARGET ODBC::ODBC)
  add_library(ODBC::ODBC INTERFACE IMPORTED)
  set_target_properties(ODBC::ODBC PROPERTIES INTERFACE_LINK_LIBRARIES "odbc32")
endif()
EOF

  # libphonenumber 8.12.57 installs no CMake package.
  if [[ -f $PREFIX/lib/libphonenumber.a ]]; then
    mkdir -p "$PREFIX/lib/cmake/libphonenumber"
    cat >"$PREFIX/lib/cmake/libphonenumber/libphonenumberConfig.cmake" <<'EOF'
# libphonenumber 8.12.57 package, written by scripts/windows/build-deps.sh
# (upstream installs none).  Static library built with USE_STDMUTEX=ON and
# USE_ICU_REGEXP=ON, without Boost and without the geocoder.
include(CMakeFindDependencyMacro)
find_dependency(absl CONFIG)
find_dependency(protobuf CONFIG)
find_dependency(ICU COMPONENTS uc i18n data)
get_filename_component(_lpn_root "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET libphonenumber::phonenumber)
  add_library(libphonenumber::phonenumber STATIC IMPORTED)
  set_target_properties(libphonenumber::phonenumber PROPERTIES
    IMPORTED_LOCATION "${_lpn_root}/lib/libphonenumber.a"
    INTERFACE_INCLUDE_DIRECTORIES "${_lpn_root}/include"
    INTERFACE_COMPILE_DEFINITIONS "I18N_PHONENUMBERS_USE_STDMUTEX;I18N_PHONENUMBERS_USE_ICU_REGEXP"
    INTERFACE_LINK_LIBRARIES "protobuf::libprotobuf;absl::node_hash_set;absl::strings;absl::synchronization;ICU::i18n;ICU::uc;ICU::data")
endif()
unset(_lpn_root)
EOF
    cat >"$PREFIX/lib/cmake/libphonenumber/libphonenumberConfigVersion.cmake" <<'EOF'
set(PACKAGE_VERSION 8.12.57)
if(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION VERSION_EQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
EOF
  fi
}

# ---------------------------------------------------------------------------
# check: expected files per step, relocatability, DLL sanity
# ---------------------------------------------------------------------------
poco_files() { # component...
  local c
  for c in "$@"; do
    printf '%s\n' "bin/libPoco$c.dll" "lib/libPoco$c.dll.a" \
      "cmake/Poco${c}Config.cmake" "cmake/Poco${c}Targets.cmake"
  done
}

expected_files() { # step
  case $1 in
    openssl) printf '%s\n' bin/libcrypto-3-x64.dll bin/libssl-3-x64.dll bin/openssl.exe \
        lib/libcrypto.dll.a lib/libssl.dll.a lib/libcrypto.a lib/libssl.a \
        lib/ossl-modules/legacy.dll include/openssl/ssl.h include/openssl/opensslv.h \
        lib/pkgconfig/openssl.pc lib/pkgconfig/libssl.pc lib/pkgconfig/libcrypto.pc \
        share/licenses/openssl-3.0.22/LICENSE.txt ;;
    sqlite) printf '%s\n' lib/libsqlite3.a include/sqlite3.h include/sqlite3ext.h \
        lib/pkgconfig/sqlite3.pc share/licenses/sqlite-3.40.0/README ;;
    libserialport) printf '%s\n' bin/libserialport-0.dll lib/libserialport.dll.a \
        lib/libserialport.a include/libserialport.h lib/pkgconfig/libserialport.pc \
        share/licenses/libserialport-0.1.1/COPYING ;;
    poco) poco_files Foundation Util Net NetSSL Crypto JSON XML Data DataSQLite DataODBC
        printf '%s\n' cmake/PocoConfig.cmake include/Poco/Foundation.h \
        include/Poco/Data/SQLite/SQLite.h include/Poco/Net/HTTPSClientSession.h \
        share/licenses/poco-1.11.8p2/LICENSE ;;
    runtime) printf '%s\n' bin/libstdc++-6.dll bin/libgcc_s_seh-1.dll bin/libwinpthread-1.dll ;;
    mariadb) printf '%s\n' bin/libmariadb.dll lib/liblibmariadb.dll.a lib/libmariadb.dll.a \
        lib/libmariadbclient.a include/mariadb/mysql.h include/mariadb/mariadb_version.h \
        include/mysql/mysql.h share/licenses/mariadb-connector-c-3.3.11/COPYING.LIB ;;
    libpq) printf '%s\n' bin/libpq.dll lib/libpq.a include/libpq-fe.h include/postgres_ext.h \
        include/pg_config_ext.h lib/pkgconfig/libpq.pc share/licenses/postgresql-15.18/COPYRIGHT ;;
    poco_dbs) poco_files DataMySQL DataPostgreSQL
        printf '%s\n' include/Poco/Data/MySQL/MySQL.h include/Poco/Data/PostgreSQL/PostgreSQL.h ;;
    abseil) printf '%s\n' lib/cmake/absl/abslConfig.cmake lib/libabsl_base.a \
        lib/libabsl_strings.a lib/libabsl_synchronization.a lib/libabsl_hash.a \
        include/absl/base/config.h lib/pkgconfig/absl_base.pc \
        share/licenses/abseil-20220623.1/LICENSE ;;
    protobuf) printf '%s\n' lib/libprotobuf.a lib/libprotobuf-lite.a \
        lib/cmake/protobuf/protobuf-config.cmake include/google/protobuf/message.h \
        lib/pkgconfig/protobuf.pc share/licenses/protobuf-21.12/LICENSE ;;
    icu) printf '%s\n' bin/icuuc72.dll bin/icuin72.dll bin/icuio72.dll bin/icudt72.dll \
        lib/libicuuc.dll.a lib/libicuin.dll.a lib/libicuio.dll.a lib/libicudt.dll.a \
        include/unicode/uchar.h include/unicode/regex.h lib/pkgconfig/icu-uc.pc \
        lib/pkgconfig/icu-i18n.pc lib/pkgconfig/icu-io.pc share/licenses/icu/LICENSE ;;
    libphonenumber) printf '%s\n' lib/libphonenumber.a include/phonenumbers/phonenumberutil.h \
        include/phonenumbers/phonemetadata.pb.h share/licenses/libphonenumber-8.12.57/LICENSE \
        share/licenses/libphonenumber-8.12.57/LICENSE.Chromium ;;
    finalize) [[ -f $PREFIX/lib/libphonenumber.a ]] &&
        printf '%s\n' lib/cmake/libphonenumber/libphonenumberConfig.cmake \
          lib/cmake/libphonenumber/libphonenumberConfigVersion.cmake
        return 0 ;;
  esac
}

# Windows system DLLs are not shipped; anything named like one of ours must be.
is_shipped_dll_name() {
  [[ ${1,,} == lib*.dll || ${1,,} == icu*.dll ]]
}

step_check() {
  [[ -d $PREFIX ]] || die "prefix $PREFIX does not exist"
  local groups=() step f problems=0 not_run=()
  # A prefix built elsewhere (no stamps here) is checked in full.
  local any_stamp=0
  for step in "${BUILD_STEPS[@]}"; do
    [[ -e $WORK/stamps/$step.done ]] && any_stamp=1
  done
  for step in "${BUILD_STEPS[@]}" finalize; do
    if ((any_stamp == 0)) || [[ -e $WORK/stamps/$step.done ]]; then
      groups+=("$step")
    else
      not_run+=("$step")
    fi
  done

  for step in "${groups[@]}"; do
    local missing=()
    while IFS= read -r f; do
      [[ -n $f && ! -e $PREFIX/$f ]] && missing+=("$f")
    done < <(expected_files "$step")
    if ((${#missing[@]})); then
      msg "MISSING  $step: ${missing[*]}"
      problems=$((problems + 1))
    else
      msg "ok       $step"
    fi
  done

  # Relocatability: no package file may name the build prefix or work dir.
  local leaks
  leaks=$(grep -rIlF -e "$PREFIX" -e "$WORK" \
            "$PREFIX"/cmake "$PREFIX"/lib/cmake "$PREFIX"/lib/pkgconfig "$PREFIX"/include \
            "$PREFIX"/share 2>/dev/null || true)
  if [[ -n $leaks ]]; then
    msg "NOT RELOCATABLE (absolute build paths in):"
    msg "$leaks"
    problems=$((problems + 1))
  else
    msg "ok       no build paths in cmake/, lib/cmake, lib/pkgconfig, include/, share/"
  fi
  # Every .pc file must resolve its prefix to this directory.
  local pc got bad_pc=0
  for pc in "$PREFIX"/lib/pkgconfig/*.pc; do
    [[ -e $pc ]] || continue
    pc=${pc##*/}
    got=$(PKG_CONFIG_LIBDIR="$PREFIX/lib/pkgconfig" PKG_CONFIG_PATH='' \
          pkg-config --variable=prefix "${pc%.pc}" 2>/dev/null || true)
    if [[ -z $got || $(readlink -m "$got") != "$PREFIX" ]]; then
      msg "BAD PC   $pc: prefix resolves to '${got}', not $PREFIX"
      bad_pc=$((bad_pc + 1))
    fi
  done
  if ((bad_pc)); then
    problems=$((problems + 1))
  else
    msg "ok       every .pc file resolves to the prefix"
  fi

  # DLLs: PE32+ x86-64, and every non-system DLL they import is in bin/.
  local dll dep bad_pe=0 unresolved=()
  for dll in "$PREFIX"/bin/*.dll "$PREFIX"/bin/*.exe; do
    [[ -e $dll ]] || continue
    if ! "$TARGET-objdump" -f "$dll" | grep -q 'file format pei-x86-64'; then
      msg "NOT PE   ${dll#"$PREFIX"/}"
      bad_pe=1
    fi
    while read -r dep; do
      is_shipped_dll_name "$dep" || continue
      [[ -n $(find "$PREFIX/bin" -maxdepth 1 -iname "$dep" -print -quit) ]] ||
        unresolved+=("${dll##*/} -> $dep")
    done < <("$TARGET-objdump" -p "$dll" | sed -n 's/^[[:space:]]*DLL Name: //p')
  done
  ((bad_pe)) && problems=$((problems + 1))
  if ((${#unresolved[@]})); then
    msg "UNRESOLVED DLL imports: ${unresolved[*]}"
    problems=$((problems + 1))
  else
    msg "ok       all DLL imports resolve to bin/ or Windows"
  fi

  if ((problems)); then
    die "check found $problems problem(s) in $PREFIX"
  fi
  if ((${#not_run[@]})); then
    msg "partial prefix OK (steps not run yet: ${not_run[*]})"
  else
    msg "prefix $PREFIX is complete"
  fi
}

# ---------------------------------------------------------------------------
# smoke: a consumer project built against PREFIX and run under wine
# ---------------------------------------------------------------------------
find_wine() {
  local w
  for w in "${WINE:-}" wine64 /usr/lib/wine/wine64 wine; do
    [[ -n $w ]] && command -v "$w" >/dev/null 2>&1 && { printf '%s\n' "$w"; return 0; }
  done
  die "no wine found; install it with: sudo apt-get install -y wine wine64 (or set WINE=)"
}

step_smoke() {
  local dir="$WORK/smoke" wine out
  rm -rf "$dir/build"
  mkdir -p "$dir/src"
  # A consumer-side toolchain file, as the agent uses it: only PREFIX is on
  # the find root path, so this also proves the packages are self-contained.
  cat >"$dir/toolchain.cmake" <<EOF
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER   $CC_W)
set(CMAKE_CXX_COMPILER $CXX_W)
set(CMAKE_RC_COMPILER  $TARGET-windres)
set(CMAKE_FIND_ROOT_PATH "$PREFIX")
set(CMAKE_PREFIX_PATH "$PREFIX")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_LIBDIR} "$PREFIX/lib/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
EOF
  cat >"$dir/src/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.25)
project(tillbridge_deps_smoke CXX)
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
find_package(Poco REQUIRED COMPONENTS Foundation Util Net NetSSL Crypto JSON XML
             Data DataSQLite DataODBC DataMySQL DataPostgreSQL)
find_package(SQLite3 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SERIALPORT REQUIRED IMPORTED_TARGET libserialport)
find_package(libphonenumber 8.12 REQUIRED)
add_executable(smoke main.cpp)
target_link_libraries(smoke PRIVATE
  Poco::Foundation Poco::Util Poco::Net Poco::NetSSL Poco::Crypto Poco::JSON Poco::XML
  Poco::Data Poco::DataSQLite Poco::DataODBC Poco::DataMySQL Poco::DataPostgreSQL
  SQLite::SQLite3 PkgConfig::SERIALPORT libphonenumber::phonenumber)
EOF
  cat >"$dir/src/main.cpp" <<'EOF'
// Exercises one entry point of every library in the prefix.
#include <Poco/Crypto/DigestEngine.h>
#include <Poco/Data/MySQL/Connector.h>
#include <Poco/Data/ODBC/Connector.h>
#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/SHA2Engine.h>
#include <libpq-fe.h>
#include <libserialport.h>
#include <mysql.h>
#include <phonenumbers/phonenumberutil.h>
#include <sqlite3.h>

#include <iostream>
#include <string>

using namespace Poco::Data::Keywords;

int main()
{
    int failures = 0;
    auto expect = [&failures](bool ok, const char* what) {
        if (!ok) {
            std::cout << "FAILED: " << what << '\n';
            ++failures;
        }
    };
    try {
        Poco::Net::Context::Ptr tls = new Poco::Net::Context(
            Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_NONE);
        Poco::Net::HTTPSClientSession https("example.com", 443, tls);
        std::cout << "HTTPSClientSession: " << https.getHost() << ':' << https.getPort() << '\n';

        Poco::Data::SQLite::Connector::registerConnector();
        {
            Poco::Data::Session db("SQLite", ":memory:");
            db << "CREATE TABLE t (a INTEGER, b TEXT)", now;
            db << "INSERT INTO t VALUES (42, 'tillbridge')", now;
            int a = 0;
            std::string b;
            db << "SELECT a, b FROM t", into(a), into(b), now;
            std::cout << "SQLite: a=" << a << " b=" << b << " version=" << sqlite3_libversion() << '\n';
            expect(a == 42 && b == "tillbridge", "SQLite round trip");
        }

        const std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        Poco::SHA2Engine sha;
        sha.update("abc");
        const std::string h1 = Poco::DigestEngine::digestToHex(sha.digest());
        Poco::Crypto::DigestEngine ossl("SHA256");
        ossl.update("abc");
        const std::string h2 = Poco::DigestEngine::digestToHex(ossl.digest());
        std::cout << "SHA-256(abc): Poco " << h1 << ", OpenSSL " << h2 << '\n';
        expect(h1 == abc && h2 == abc, "SHA-256");

        Poco::JSON::Parser parser;
        auto obj = parser.parse(R"({"n": 3, "ok": true})").extract<Poco::JSON::Object::Ptr>();
        expect(obj->getValue<int>("n") == 3 && obj->getValue<bool>("ok"), "JSON parse");

        sp_port** ports = nullptr;
        const sp_return rc = sp_list_ports(&ports);
        int count = 0;
        if (rc == SP_OK) {
            for (; ports[count] != nullptr; ++count)
                std::cout << "  serial port: " << sp_get_port_name(ports[count]) << '\n';
            sp_free_port_list(ports);
        }
        std::cout << "sp_list_ports rc=" << rc << " ports=" << count << '\n';
        expect(rc == SP_OK, "sp_list_ports");

        Poco::Data::MySQL::Connector::registerConnector();
        Poco::Data::PostgreSQL::Connector::registerConnector();
        Poco::Data::ODBC::Connector::registerConnector();
        std::cout << "connectors registered; mariadb " << MARIADB_PACKAGE_VERSION
                  << " (client " << mysql_get_client_info() << "), libpq " << PQlibVersion() << '\n';

        using i18n::phonenumbers::PhoneNumber;
        using i18n::phonenumbers::PhoneNumberUtil;
        const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
        PhoneNumber number;
        const auto err = util->Parse("044 668 18 00", "CH", &number);
        std::string e164;
        util->Format(number, PhoneNumberUtil::E164, &e164);
        std::cout << "libphonenumber: " << e164 << '\n';
        expect(err == PhoneNumberUtil::NO_PARSING_ERROR && e164 == "+41446681800" &&
               util->IsValidNumber(number), "phone number parse");
    } catch (const Poco::Exception& e) {
        std::cout << "FAILED: " << e.displayText() << '\n';
        ++failures;
    }
    if (failures != 0)
        return 1;
    std::cout << "SMOKE OK\n";
    return 0;
}
EOF
  cmake -S "$dir/src" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$dir/toolchain.cmake"
  cmake --build "$dir/build" --parallel "$JOBS"

  wine=$(find_wine)
  # Own wine prefix, so the user's ~/.wine is left alone; no Mono/Gecko
  # install dialogs; DLLs found through WINEPATH (Z: is the Unix root).
  out=$(WINEPREFIX="$dir/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml=' \
        WINEPATH="Z:${PREFIX//\//\\}\\bin" "$wine" "$dir/build/smoke.exe" 2>&1) || {
    printf '%s\n' "$out"
    die "smoke program failed under $wine"
  }
  printf '%s\n' "$out"
  grep -q '^SMOKE OK' <<<"$out" || die "smoke program did not report SMOKE OK"
}

# ---------------------------------------------------------------------------
# Step runner
# ---------------------------------------------------------------------------
run_step() { # step
  local step=$1 log="$WORK/logs/$1.log" stamp="$WORK/stamps/$1.done" dep dir rc start
  if [[ -e $stamp && $ALWAYS_RUN != *" $step "* ]]; then
    if ((FORCE)); then
      rm -f "$stamp"
      for dir in ${STEP_BUILD_DIRS[$step]:-}; do rm -rf "${WORK:?}/build/$dir"; done
      # poco_dbs lives in poco's build tree, which was just wiped.
      [[ $step != poco ]] || rm -f "$WORK/stamps/poco_dbs.done"
    else
      msg "==> $step: done earlier, skipped (stamp $stamp; --force rebuilds)"
      return 0
    fi
  fi
  local missing_deps=()
  for dep in ${STEP_NEEDS[$step]:-}; do
    [[ -e $WORK/stamps/$dep.done ]] || missing_deps+=("$dep")
  done
  ((${#missing_deps[@]} == 0)) ||
    die "step '$step' needs ${missing_deps[*]} first
  run: $SCRIPT_NAME $SRC_DIR $PREFIX ${missing_deps[*]} $step"

  msg "==> $step (log: $log)"
  start=$SECONDS
  set +e
  if [[ $REPORTING == *" $step "* ]]; then
    ( set -euo pipefail; "step_$step" ) 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
  else
    # Trace the commands into the log, so a failure shows what ran.
    ( set -euo pipefail; PS4='+ '; set -x; "step_$step" ) >"$log" 2>&1
    rc=$?
  fi
  set -e
  local took=$((SECONDS - start))
  if ((rc != 0)); then
    if [[ $REPORTING != *" $step "* ]]; then
      msg "---- last 40 lines of $log ----"
      tail -n 40 "$log" >&2 || true
      msg "----"
    fi
    die "step '$step' failed (exit $rc) after $(fmt_secs "$took"); full log: $log
  fix the cause and re-run the same command: finished steps are skipped"
  fi
  touch "$stamp"
  printf '%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$step" "$(fmt_secs "$took")" \
    >>"$WORK/timings.txt"
  msg "    $step done in $(fmt_secs "$took")"
}

main() {
  local positional=()
  WORK='' JOBS=$(nproc 2>/dev/null || echo 2) FORCE=0
  while (($#)); do
    case $1 in
      -h|--help) usage; exit 0 ;;
      -w|--work-dir) (($# >= 2)) || die "$1 needs a directory"; WORK=$2; shift ;;
      --work-dir=*) WORK=${1#*=} ;;
      -j|--jobs) (($# >= 2)) || die "$1 needs a number"; JOBS=$2; shift ;;
      --jobs=*) JOBS=${1#*=} ;;
      -f|--force) FORCE=1 ;;
      --) shift; positional+=("$@"); break ;;
      -*) die "unknown option $1 (see --help)" ;;
      *) positional+=("$1") ;;
    esac
    shift
  done
  [[ $JOBS =~ ^[1-9][0-9]*$ ]] || die "--jobs needs a positive number, got '$JOBS'"
  ((${#positional[@]} >= 1)) || { usage >&2; exit 2; }

  SRC_DIR=${positional[0]}
  positional=("${positional[@]:1}")
  [[ -d $SRC_DIR ]] || die "source archive directory '$SRC_DIR' does not exist
  it must hold the pinned archives; see scripts/windows/README.md"
  SRC_DIR=$(cd "$SRC_DIR" && pwd -P)

  # The second argument is the prefix unless it names a step.
  PREFIX=./tillbridge-mingw-deps
  if ((${#positional[@]})) && ! is_step "${positional[0]}"; then
    PREFIX=${positional[0]}
    positional=("${positional[@]:1}")
    # A mistyped step name would otherwise start a full build into ./typo.
    if [[ $PREFIX =~ ^[a-z_]+$ && ! -e $PREFIX ]]; then
      die "'$PREFIX' is neither a step nor an existing directory
  steps: ${ALL_STEPS[*]} all; to create a prefix of that name write ./$PREFIX"
    fi
  fi
  PREFIX=$(readlink -m "$PREFIX")
  [[ $PREFIX != / && $PREFIX != "$SRC_DIR" ]] || die "refusing prefix '$PREFIX'"
  WORK=$(readlink -m "${WORK:-$PREFIX.work}")
  # OpenSSL's Configure and the autotools builds cannot cope with blanks.
  [[ $PREFIX$WORK != *[[:space:]]* ]] ||
    die "the prefix and work directory paths must not contain blanks"
  [[ $WORK != "$PREFIX" && $WORK != "$PREFIX"/* ]] ||
    die "the work directory must not be inside the prefix (it would end up in the package)"

  local steps=() s
  ((${#positional[@]})) || positional=(all)
  for s in "${positional[@]}"; do
    if [[ $s == all ]]; then
      steps+=("${DEFAULT_STEPS[@]}")
    elif is_step "$s"; then
      steps+=("$s")
    else
      die "unknown step '$s'; steps: ${ALL_STEPS[*]} all"
    fi
  done

  # Fail now, not 40 minutes in, if a tool for a requested step is missing.
  local tools=()
  for s in "${steps[@]}"; do
    # shellcheck disable=SC2206 # word lists by design
    tools+=(${STEP_TOOLS[$s]:-})
  done
  need_tools "${tools[@]}"
  [[ " ${steps[*]} " == *" libphonenumber "* ]] && check_protoc_version

  # Environment hygiene: host compiler settings must not reach the cross
  # builds, and pkg-config must only see the prefix.
  unset CC CXX CPP CFLAGS CXXFLAGS CPPFLAGS LDFLAGS LIBS PKG_CONFIG_SYSROOT_DIR
  export PKG_CONFIG_LIBDIR="$PREFIX/lib/pkgconfig" PKG_CONFIG_PATH=''

  # Verifying the archives only reads SRC_DIR: no work directory, no prefix.
  if [[ " ${steps[*]} " == " verify " ]]; then
    msg "sources: $SRC_DIR"
    step_verify
    msg "all ${#ARCHIVE_ORDER[@]} archives match their pinned sha256"
    return 0
  fi

  mkdir -p "$WORK/src" "$WORK/build" "$WORK/stamps" "$WORK/logs" "$PREFIX"
  # Build trees and stamps belong to one prefix (its path is baked into them).
  if [[ -f $WORK/prefix ]]; then
    [[ $(<"$WORK/prefix") == "$PREFIX" ]] ||
      die "$WORK was used for prefix $(<"$WORK/prefix"); use another --work-dir"
  else
    printf '%s\n' "$PREFIX" >"$WORK/prefix"
  fi

  msg "sources: $SRC_DIR"
  msg "prefix:  $PREFIX"
  msg "work:    $WORK  (jobs: $JOBS)"
  for s in "${steps[@]}"; do
    run_step "$s"
  done
  msg "finished: ${steps[*]}"
}

main "$@"

#!/usr/bin/env bash
# Installs what Tillbridge needs from Debian 12 packages (and the npm registry
# for test tooling). Idempotent: packages already present are skipped, and
# nothing is downloaded when everything is there.
#
#   scripts/install-deps.sh build   compilers and libraries to build the agent
#   scripts/install-deps.sh demo    build + what the live demo uses
#   scripts/install-deps.sh package build + what scripts/package.sh uses
#   scripts/install-deps.sh test    build + servers, browser and tools the tests use
#   scripts/install-deps.sh windows the Windows cross-build: mingw-w64, Wine, wixl
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WHAT="${1:-test}"

BUILD_PKGS=(
  build-essential cmake ninja-build pkg-config git
  libsqlite3-dev sqlite3          # the local store
  libpoco-dev                     # service, HTTP server, config, JSON, POS database access
  libpq-dev libmariadb-dev        # Poco::Data PostgreSQL / MariaDB connectors
  unixodbc-dev                    # Poco::Data ODBC connector (optional POS connector)
  libserialport-dev               # serial printer ports
  libcpprest-dev libssl-dev       # cloud sync client, TLS, digests
  libphonenumber-dev              # E.164 phone numbers
  doctest-dev                     # unit tests
)
DEMO_PKGS=(curl python3)
PACKAGE_PKGS=(dpkg-dev lintian)   # dpkg-shlibdeps for Depends, lintian for the check
TEST_PKGS=(
  socat                           # pseudo-terminal pairs for the printer tap
  mariadb-server postgresql       # real POS database servers
  odbc-postgresql                 # ODBC driver for the POS source's ODBC test
  clang libclang-rt-14-dev        # libFuzzer targets
  chromium                        # the cashier page in a real browser
  wrk curl procps psmisc python3
  tinyproxy                       # a real HTTP proxy for the sync client's proxy test
  lintian debootstrap msitools    # packaging checks: lint, clean Debian root, MSI tables
  wixl systemd-container zstd man-db  # MSI build, booting the root, root cache, man page check
)

WINDOWS_PKGS=(
  cmake ninja-build pkg-config doctest-dev   # the build itself (doctest is one header)
  g++-mingw-w64-x86-64-posix gcc-mingw-w64-x86-64-posix binutils-mingw-w64-x86-64
  wine                                       # runs the Windows tests and the MSI
  wixl msitools                              # builds and reads the MSI
  file curl python3 sqlite3                  # the Wine integration tests (node: "test")
)

case "$WHAT" in
  build) WANT=("${BUILD_PKGS[@]}") ;;
  demo) WANT=("${BUILD_PKGS[@]}" "${DEMO_PKGS[@]}") ;;
  package) WANT=("${BUILD_PKGS[@]}" "${PACKAGE_PKGS[@]}") ;;
  test) WANT=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}") ;;
  windows) WANT=("${WINDOWS_PKGS[@]}") ;;
  *) echo "usage: $0 [build|demo|package|test|windows]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${WANT[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Node.js and npm drive the browser and printer tests. Machines that already
# carry Node.js from another source (with npm bundled) must not get Debian's
# npm, which conflicts with it.
if [ "$WHAT" = "test" ] && ! { command -v node >/dev/null && command -v npm >/dev/null; }; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
else
  echo "install-deps: all ${#WANT[@]} Debian packages present"
fi

# npm tooling for tests: playwright-core (browser test) and an ESC/POS
# encoder (printer tests). Lockfiles pin versions; skipped when installed.
if [ "$WHAT" = "test" ]; then
  for dir in "$ROOT"/tests/js/*/; do
    dir="${dir%/}"
    if [ -f "$dir/package.json" ]; then
      if [ ! -d "$dir/node_modules" ] || [ "$dir/package.json" -nt "$dir/node_modules" ]; then
        echo "install-deps: npm install in ${dir#"$ROOT"/}"
        (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
        touch "$dir/node_modules"
      fi
    fi
  done
fi

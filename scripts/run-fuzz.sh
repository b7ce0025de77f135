#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz) with clang in its own build
# folder and runs each for a bounded time. Exits non-zero when a target
# crashes, hangs, leaks past the memory limit or fails to build.
#
#   scripts/run-fuzz.sh [seconds-per-target]     (default 60)
#
# Environment: FUZZ_BUILD_DIR (default build/fuzz), FUZZ_JOBS (default 2).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER_TARGET="${1:-60}"
BUILD="${FUZZ_BUILD_DIR:-$ROOT/build/fuzz}"
JOBS="${FUZZ_JOBS:-2}"
SANITIZE="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

command -v clang++ >/dev/null || { echo "run-fuzz: clang++ not found (scripts/install-deps.sh test)" >&2; exit 2; }

cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DTILLBRIDGE_FUZZ=ON -DTILLBRIDGE_BUILD_TESTS=ON \
  -DCMAKE_CXX_FLAGS="$SANITIZE" -DCMAKE_C_FLAGS="$SANITIZE" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null

# Every *_fuzzer target the tree declares (tests/fuzz/CMakeLists.txt).
mapfile -t TARGETS < <(cmake --build "$BUILD" --target help | sed -n 's/^\([A-Za-z0-9_]*_fuzzer\):.*/\1/p' | sort)
if [ ${#TARGETS[@]} -eq 0 ]; then
  echo "run-fuzz: no fuzz targets found" >&2
  exit 2
fi
cmake --build "$BUILD" -j "$JOBS" --target "${TARGETS[@]}"

status=0
for target in "${TARGETS[@]}"; do
  name="${target%_fuzzer}"
  binary="$(find "$BUILD" -type f -name "$target" -perm -u+x | head -n 1)"
  seeds="$ROOT/tests/fuzz/corpus/$name"
  work="$BUILD/corpus-work/$name"
  artifacts="$BUILD/artifacts/$name/"
  mkdir -p "$work" "$artifacts"
  echo "run-fuzz: $target for ${SECONDS_PER_TARGET}s"
  # New inputs go to $work; the committed seeds are read only.
  if ! "$binary" "$work" "$seeds" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=512 \
      -timeout=5 -max_len=16384 -artifact_prefix="$artifacts" -print_final_stats=1 \
      > "$BUILD/$name.log" 2>&1; then
    echo "run-fuzz: $target FAILED; crash inputs in $artifacts; last lines of $BUILD/$name.log:" >&2
    tail -n 40 "$BUILD/$name.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$BUILD/$name.log" | sed "s/^/run-fuzz: $name /"
  fi
done
exit $status

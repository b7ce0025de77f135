#!/usr/bin/env bash
# ctest fixture for the `db` tests: starts MariaDB and PostgreSQL (via
# scripts/start-test-databases.sh) and prepares the OSPOS schema dumps from
# which each OSPOS test copies a fresh database in well under a second:
#
#   tbtest/ospos_fixture.sql  always: the project's own subset of the OSPOS
#                             3.4.1 schema, tests/drivers/sql/ospos/schema.sql
#   tbtest/ospos_schema.sql   only when the shared test material is beside the
#                             clone: the full upstream OSPOS 3.4.1 schema, loaded
#                             with ../shared/pos-schemas/ospos/load.sh (~20 s);
#                             removed when that loader is absent, so no test
#                             runs against a stale copy
#
# Each dump is keyed by a hash of its source folder and reused while that
# folder is unchanged. Env: TILLBRIDGE_SOURCE_DIR, TILLBRIDGE_BINARY_DIR, and
# TILLBRIDGE_SHARED_DIR (default: ../shared beside the clone).
set -euo pipefail

SRC="${TILLBRIDGE_SOURCE_DIR:?}"
BIN="${TILLBRIDGE_BINARY_DIR:?}"
FIXTURE="$SRC/tests/drivers/sql/ospos"
UPSTREAM="$(realpath -m "${TILLBRIDGE_SHARED_DIR:-$SRC/../shared}/pos-schemas/ospos")"

"$SRC/scripts/start-test-databases.sh"

PORT="${TB_MARIADB_PORT:-3306}"
MYSQL="mysql --protocol=tcp -h 127.0.0.1 -P $PORT -u tillbridge_pos -ptillbridge-pos"
OUT="$BIN/tbtest"
mkdir -p "$OUT"

load_fixture() {
  $MYSQL -e "CREATE DATABASE \`$1\`" && $MYSQL "$1" <"$FIXTURE/schema.sql"
}
load_upstream() {
  MYSQL="$MYSQL" "$UPSTREAM/load.sh" "$1"
}

# dump_current NAME HASH: whether $OUT/NAME.sql was made from content HASH.
dump_current() {
  [ -f "$OUT/$1.sql" ] && [ "$(cat "$OUT/$1.hash" 2>/dev/null)" = "$2" ]
}

# prepare_dump NAME SOURCE_DIR TABLES LOADER: makes $OUT/NAME.sql from a
# database that LOADER fills, unless the dump of SOURCE_DIR's current content
# is already there. TABLES is how many tables the loaded schema must have.
prepare_dump() {
  local name="$1" source="$2" tables_expected="$3" loader="$4"
  local hash
  hash="$(cd "$source" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum |
    cut -c1-12)"
  if dump_current "$name" "$hash"; then
    echo "prepare: $name dump up to date ($hash)"
    return
  fi
  # ctest and the benchmark may prepare at once: the second waits, then reuses.
  exec 9>"$OUT/.$name.lock"
  flock -w 300 9
  if dump_current "$name" "$hash"; then
    echo "prepare: $name dump up to date ($hash)"
    exec 9>&-
    return
  fi
  local db="tbtest_${name}_tpl_$hash"
  $MYSQL -e "DROP DATABASE IF EXISTS \`$db\`"
  echo "prepare: loading $source into $db"
  "$loader" "$db" >"$OUT/$name.load.log" 2>&1 || {
    cat "$OUT/$name.load.log" >&2; echo "prepare: loading $name failed" >&2; exit 1; }
  local tables
  tables="$($MYSQL -N -B -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='$db'")"
  [ "$tables" = "$tables_expected" ] || {
    echo "prepare: expected $tables_expected tables in $name, got $tables" >&2; exit 1; }
  mysqldump --protocol=tcp -h 127.0.0.1 -P "$PORT" -u tillbridge_pos -ptillbridge-pos \
    --single-transaction --no-tablespaces "$db" >"$OUT/$name.sql.tmp"
  mv "$OUT/$name.sql.tmp" "$OUT/$name.sql"
  echo "$hash" >"$OUT/$name.hash"
  $MYSQL -e "DROP DATABASE IF EXISTS \`$db\`"
  exec 9>&-
  echo "prepare: $name dumped to $OUT/$name.sql"
}

prepare_dump ospos_fixture "$FIXTURE" 9 load_fixture
if [ -x "$UPSTREAM/load.sh" ]; then
  prepare_dump ospos_schema "$UPSTREAM" 38 load_upstream
else
  rm -f "$OUT/ospos_schema.sql" "$OUT/ospos_schema.hash" "$OUT/ospos_schema.load.log"
  echo "prepare: no upstream OSPOS schema ($UPSTREAM/load.sh is absent): the OSPOS tests" \
       "run against the fixture only and sql_ospos_upstream_test is skipped"
fi

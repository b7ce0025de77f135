#!/usr/bin/env bash
# ctest fixture for the `db` tests: starts MariaDB and PostgreSQL (via
# scripts/start-test-databases.sh) and loads the real OSPOS 3.4.1 schema once
# with the shared load.sh, then dumps it so each test can copy it into a fresh
# database in well under a second (load.sh itself takes ~20 s).
#
# The dump is keyed by a hash of the schema folder and reused while the
# schema is unchanged. Env: TILLBRIDGE_SOURCE_DIR, TILLBRIDGE_BINARY_DIR.
set -euo pipefail

SRC="${TILLBRIDGE_SOURCE_DIR:?}"
BIN="${TILLBRIDGE_BINARY_DIR:?}"
SHARED="$SRC/../shared/pos-schemas/ospos"
[ -x "$SHARED/load.sh" ] || { echo "prepare: no OSPOS loader at $SHARED/load.sh" >&2; exit 1; }

"$SRC/scripts/start-test-databases.sh"

MYSQL="mysql --protocol=tcp -h 127.0.0.1 -P ${TB_MARIADB_PORT:-3306} -u tillbridge_pos -ptillbridge-pos"
OUT="$BIN/tbtest"
mkdir -p "$OUT"
hash="$(cd "$SHARED" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)"
if [ -f "$OUT/ospos_schema.sql" ] && [ "$(cat "$OUT/ospos_schema.hash" 2>/dev/null)" = "$hash" ]; then
  echo "prepare: OSPOS schema dump up to date ($hash)"
  exit 0
fi

exec 9>"$OUT/.prepare.lock"
flock -w 300 9

db="tbtest_ospos_tpl_$hash"
$MYSQL -e "DROP DATABASE IF EXISTS \`$db\`"
echo "prepare: loading OSPOS schema into $db with load.sh"
MYSQL="$MYSQL" "$SHARED/load.sh" "$db" >"$OUT/ospos_load.log" 2>&1 || {
  cat "$OUT/ospos_load.log" >&2; echo "prepare: load.sh failed" >&2; exit 1; }
tables="$($MYSQL -N -B -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='$db'")"
[ "$tables" = 38 ] || { echo "prepare: expected 38 OSPOS tables, got $tables" >&2; exit 1; }
mysqldump --protocol=tcp -h 127.0.0.1 -P "${TB_MARIADB_PORT:-3306}" -u tillbridge_pos -ptillbridge-pos \
  --single-transaction --no-tablespaces "$db" >"$OUT/ospos_schema.sql.tmp"
mv "$OUT/ospos_schema.sql.tmp" "$OUT/ospos_schema.sql"
echo "$hash" >"$OUT/ospos_schema.hash"
$MYSQL -e "DROP DATABASE IF EXISTS \`$db\`"
echo "prepare: OSPOS schema dumped to $OUT/ospos_schema.sql"

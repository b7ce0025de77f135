#!/usr/bin/env bash
# Starts the MariaDB and PostgreSQL servers that the POS-source tests and the
# benchmark use, on loopback only, and creates their users. Installs nothing
# (scripts/install-deps.sh test does that). Idempotent: servers already up and
# users already present are left as they are, so it is safe to run before
# every test run and from several test fixtures at once.
#
#   scripts/start-test-databases.sh          start both servers, create users
#   scripts/start-test-databases.sh --check  only report whether both are ready
#
# Users (documented in docs/pos-profiles.md, "Testing against real servers"):
#   tillbridge_ro  / tillbridge-ro   read-only: the agent's user. SELECT only,
#                                    on databases named tbtest_* (MariaDB) and
#                                    on tables its owner grants (PostgreSQL).
#   tillbridge_pos / tillbridge-pos  plays the POS in tests: owns tbtest_*
#                                    databases and writes sales into them.
# Starting servers and creating users needs root (CI runs as root). As another
# user the script succeeds only if both servers already answer for these users.
set -euo pipefail

MARIADB_PORT="${TB_MARIADB_PORT:-3306}"
PG_PORT="${TB_PG_PORT:-5432}"
RO_USER=tillbridge_ro RO_PASSWORD=tillbridge-ro
POS_USER=tillbridge_pos POS_PASSWORD=tillbridge-pos

log() { echo "start-test-databases: $*" >&2; }
die() { log "$*"; exit 1; }

mariadb_ready() {
  mysql --protocol=tcp -h 127.0.0.1 -P "$MARIADB_PORT" -u "$RO_USER" -p"$RO_PASSWORD" \
    -N -B -e "SELECT 1" >/dev/null 2>&1
}
pg_ready() {
  PGPASSWORD="$RO_PASSWORD" psql -h 127.0.0.1 -p "$PG_PORT" -U "$RO_USER" -d postgres \
    -tAc "SELECT 1" >/dev/null 2>&1
}

if [ "${1:-}" = "--check" ]; then
  ok=0
  if mariadb_ready; then log "MariaDB ready on 127.0.0.1:$MARIADB_PORT"; else log "MariaDB not ready"; ok=1; fi
  if pg_ready; then log "PostgreSQL ready on 127.0.0.1:$PG_PORT"; else log "PostgreSQL not ready"; ok=1; fi
  exit $ok
fi

if mariadb_ready && pg_ready; then
  log "MariaDB (127.0.0.1:$MARIADB_PORT) and PostgreSQL (127.0.0.1:$PG_PORT) already ready"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || die "servers not ready and not root: run as root (or sudo) to start them"
command -v mysqld >/dev/null 2>&1 || command -v mariadbd >/dev/null 2>&1 ||
  die "mariadb-server is not installed; run scripts/install-deps.sh test"
command -v pg_ctlcluster >/dev/null 2>&1 || die "postgresql is not installed; run scripts/install-deps.sh test"

# Several fixtures may start at once; one does the work, the others wait.
exec 9>/tmp/tillbridge-start-test-databases.lock
flock -w 120 9 || die "timed out waiting for another run of this script"

wait_for() {  # wait_for DESCRIPTION COMMAND...
  local what="$1"; shift
  for _ in $(seq 1 120); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  die "$what did not come up within 60 s"
}

# ---------------------------------------------------------------- MariaDB
if ! mysqladmin -u root ping >/dev/null 2>&1; then
  log "starting MariaDB"
  service mariadb start >/dev/null || die "service mariadb start failed (see /var/log/mysql or journal)"
fi
wait_for "MariaDB" mysqladmin -u root ping
mysql -u root <<SQL
CREATE USER IF NOT EXISTS '$RO_USER'@'127.0.0.1' IDENTIFIED BY '$RO_PASSWORD';
CREATE USER IF NOT EXISTS '$RO_USER'@'localhost' IDENTIFIED BY '$RO_PASSWORD';
GRANT SELECT ON \`tbtest\\_%\`.* TO '$RO_USER'@'127.0.0.1';
GRANT SELECT ON \`tbtest\\_%\`.* TO '$RO_USER'@'localhost';
CREATE USER IF NOT EXISTS '$POS_USER'@'127.0.0.1' IDENTIFIED BY '$POS_PASSWORD';
CREATE USER IF NOT EXISTS '$POS_USER'@'localhost' IDENTIFIED BY '$POS_PASSWORD';
GRANT ALL PRIVILEGES ON \`tbtest\\_%\`.* TO '$POS_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`tbtest\\_%\`.* TO '$POS_USER'@'localhost';
FLUSH PRIVILEGES;
SQL
mariadb_ready || die "MariaDB is up but user $RO_USER cannot log in over 127.0.0.1:$MARIADB_PORT"

# ------------------------------------------------------------- PostgreSQL
cluster="$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $1" "$2}')"
[ -n "$cluster" ] || die "no PostgreSQL cluster found (pg_lsclusters is empty)"
read -r pg_version pg_name <<<"$cluster"
if ! pg_lsclusters -h | awk -v v="$pg_version" -v n="$pg_name" '$1==v && $2==n {print $4}' | grep -q online; then
  log "starting PostgreSQL $pg_version/$pg_name"
  pg_ctlcluster "$pg_version" "$pg_name" start || die "pg_ctlcluster $pg_version $pg_name start failed"
fi
wait_for "PostgreSQL" su postgres -c "psql -p $PG_PORT -tAc 'SELECT 1'"
su postgres -c "psql -p $PG_PORT -v ON_ERROR_STOP=1 -q" <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$RO_USER') THEN
    CREATE ROLE $RO_USER LOGIN PASSWORD '$RO_PASSWORD';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$POS_USER') THEN
    CREATE ROLE $POS_USER LOGIN PASSWORD '$POS_PASSWORD' CREATEDB;
  END IF;
END
\$\$;
SQL
pg_ready || die "PostgreSQL is up but user $RO_USER cannot log in over 127.0.0.1:$PG_PORT"

log "ready: MariaDB 127.0.0.1:$MARIADB_PORT, PostgreSQL 127.0.0.1:$PG_PORT"

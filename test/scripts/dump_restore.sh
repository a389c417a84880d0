#!/usr/bin/env bash
#
# dump_restore.sh: pg_dump -Fc a database that uses buypower, pg_restore it
# into a new database, and check that everything survived.
#
# Run by test/run with PGHOST/PGPORT/PGUSER set and the private PostgreSQL bin
# dir first on PATH. To add a check: put the setup SQL in SETUP and a query
# with its expected output in check_both (it runs against both databases).
set -euo pipefail

SRC=bp_dump_src DST=bp_dump_dst
DUMP=$(mktemp "${TMPDIR:-/tmp}/buypower-dump.XXXXXX")
trap 'rm -f "$DUMP"; dropdb --if-exists "$SRC"; dropdb --if-exists "$DST"' EXIT

# Objects to create in the source database before dumping.
SETUP="
CREATE EXTENSION buypower;
"

q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

FAILED=0
# Compare a query's output with the expected text in the given database.
check() {
	local db=$1 what=$2 sql=$3 want=$4 got
	got=$(q "$db" "$sql")
	if [ "$got" = "$want" ]; then
		echo "ok - $db: $what"
	else
		echo "not ok - $db: $what: expected '$want', got '$got'"
		FAILED=$((FAILED + 1))
	fi
}

# Checks that must hold before the dump and after the restore.
check_both() {
	local db
	for db in "$SRC" "$DST"; do
		check "$db" "extension version" \
			"SELECT extversion FROM pg_extension WHERE extname = 'buypower'" "0.1.0"
		check "$db" "extension schema" \
			"SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'buypower'" "buypower"
	done
}

createdb "$SRC"
psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" -c "$SETUP"
pg_dump -Fc -f "$DUMP" "$SRC"
createdb "$DST"
pg_restore --exit-on-error -d "$DST" "$DUMP"
check_both
[ "$FAILED" -eq 0 ]

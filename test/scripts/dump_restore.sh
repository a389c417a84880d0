#!/usr/bin/env bash
#
# dump_restore.sh: pg_dump a database that uses buypower, restore it into new
# databases (pg_dump -Fc + pg_restore, and pg_dump -Fp | psql), and check
# that everything survived.
#
# Run by test/run with PGHOST/PGPORT/PGUSER set and the private PostgreSQL bin
# dir first on PATH. To add a check: put the setup SQL in SETUP and a query
# in check_both: either with its expected output, or with want_from_src to
# expect what the query returns in the source database (it runs against the
# source and every restored database).
set -euo pipefail

SRC=bp_dump_src DST=bp_dump_dst DST_PLAIN=bp_dump_dst_plain
DUMP=$(mktemp "${TMPDIR:-/tmp}/buypower-dump.XXXXXX")
trap 'rm -f "$DUMP"; for db in "$SRC" "$DST" "$DST_PLAIN"; do dropdb --if-exists "$db"; done' EXIT

# Objects to create in the source database before dumping: trained models
# (names with quotes and non-ASCII, an aliased coefficient, ridge, no
# intercept), a hand-written model with NaN and infinite statistics, and a
# materialized view that scores users with every model.
SETUP="
CREATE EXTENSION buypower;
CREATE TABLE users AS
SELECT u AS user_id, sin(u) * 10 AS age, cos(u * 0.7) * 100 AS spend, (u % 7)::float8 AS visits,
       3 + 0.5 * sin(u) * 10 - 0.02 * cos(u * 0.7) * 100 + 0.25 * (u % 7) + 0.01 * sin(u * 13) AS ltv
FROM generate_series(1, 200) u;
CREATE TABLE models (id int PRIMARY KEY, note text, m buypower.model);
SET client_min_messages = warning;
INSERT INTO models
SELECT 1, 'names, aliased', buypower.linreg(ltv, ARRAY[age, spend, age, visits],
         '{\"names\": [\"age\", \"spend \\\"eur\\\"\", \"age again\", \"visits/wk ü\"]}') FROM users
UNION ALL SELECT 2, 'ridge', buypower.linreg(ltv, ARRAY[age, spend, visits], '{\"l2\": 2.5}') FROM users
UNION ALL SELECT 3, 'no intercept', buypower.linreg(ltv, ARRAY[age, spend, visits], '{\"intercept\": false}') FROM users
UNION ALL SELECT 4, 'NaN and infinite stats', '{\"format\": 1, \"algorithm\": \"linreg\", \"intercept\": true,
    \"nfeatures\": 3, \"coefficients\": [0.5, 1e-300, -2, 3.141592653589793],
    \"std_errors\": [null, \"Infinity\", 0.1, null],
    \"stats\": {\"n\": 3, \"r2\": null, \"sigma\": 0, \"f_statistic\": \"Infinity\", \"condition_number\": \"-Infinity\"}}';
CREATE MATERIALIZED VIEW scores AS
SELECT u.user_id, m.id AS model_id,
       buypower.predict(m.m, CASE WHEN m.id = 1 THEN ARRAY[u.age, u.spend, u.age, u.visits]
                                  ELSE ARRAY[u.age, u.spend, u.visits] END) AS score
FROM users u CROSS JOIN models m;
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

MODELS_MD5="SELECT md5(string_agg(m::text, '|' ORDER BY id)) FROM models"
SCORES_MD5="SELECT count(score) || ' ' || md5(string_agg(user_id || ':' || model_id || ':' || score, '|'
	ORDER BY user_id, model_id)) FROM scores"

# Expect in a database what the query returns in the source.
want_from_src() {
	local db=$1 what=$2 sql=$3
	check "$db" "$what" "$sql" "$(q "$SRC" "$sql")"
}

# Checks that must hold before the dump and after each restore.
check_both() {
	local db
	for db in "$SRC" "$DST" "$DST_PLAIN"; do
		check "$db" "extension version" \
			"SELECT extversion FROM pg_extension WHERE extname = 'buypower'" "0.2.0"
		check "$db" "extension schema" \
			"SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'buypower'" "buypower"
		check "$db" "model texts round-trip" \
			"SELECT bool_and(m::text::buypower.model::text = m::text) AND count(*) = 4 FROM models" "t"
		want_from_src "$db" "model texts identical to the source's" "$MODELS_MD5"
		want_from_src "$db" "model binary forms identical to the source's" \
			"SELECT md5(string_agg(encode(buypower.model_send(m), 'hex'), '|' ORDER BY id)) FROM models"
		check "$db" "aliased coefficient, names, NaN and infinities kept" \
			"SELECT (SELECT m::jsonb->'coefficients'->3 FROM models WHERE id = 1),
			        (SELECT m::jsonb->'names'->>1 FROM models WHERE id = 1),
			        (SELECT m::jsonb->'stats'->>'f_statistic' FROM models WHERE id = 4),
			        (SELECT m::jsonb->'stats'->'r2' FROM models WHERE id = 4)" \
			'null|spend "eur"|Infinity|null'
		want_from_src "$db" "materialized view scores identical to the source's" "$SCORES_MD5"
	done
	# Refreshing recomputes the scores with the restored models and library.
	for db in "$DST" "$DST_PLAIN"; do
		check "$db" "REFRESH MATERIALIZED VIEW works" \
			"REFRESH MATERIALIZED VIEW scores; SELECT count(score) FROM scores" "800"
		want_from_src "$db" "refreshed scores identical to the source's" "$SCORES_MD5"
	done
}

createdb "$SRC"
psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" -c "$SETUP"
pg_dump -Fc -f "$DUMP" "$SRC"
createdb "$DST"
pg_restore --exit-on-error -d "$DST" "$DUMP"
createdb "$DST_PLAIN"
pg_dump -Fp "$SRC" | psql -X -q -v ON_ERROR_STOP=1 -d "$DST_PLAIN" >/dev/null
check_both
[ "$FAILED" -eq 0 ]

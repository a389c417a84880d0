#!/usr/bin/env bash
#
# upgrade.sh: ALTER EXTENSION buypower UPDATE from every earlier release.
#
# For each earlier version V (a frozen buypower--V.sql at the top level):
# install V, store models trained under V and a scoring materialized view,
# update to the current version, and check that
#   - the update path leaves exactly the objects a fresh install creates,
#     with the same properties (volatility, parallel safety, strictness,
#     aggregate support functions, types, casts, privileges, comments);
#   - models stored under V keep their text, bytes and scores.
#
# Run by test/run with PGHOST/PGPORT/PGUSER set and the private PostgreSQL bin
# dir first on PATH.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CUR=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$ROOT/buypower.control")
FRESH=bp_upgrade_fresh OLD=bp_upgrade_old
trap 'for db in "$FRESH" "$OLD"; do dropdb --if-exists "$db"; done' EXIT

q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

FAILED=0
check() {
	local what=$1 got=$2 want=$3
	if [ "$got" = "$want" ]; then
		echo "ok - $what"
	else
		echo "not ok - $what"
		diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -40 | sed 's/^/# /'
		FAILED=$((FAILED + 1))
	fi
}

# One line per extension member with the properties that matter to users.
MEMBERS="
SELECT pg_describe_object(d.classid, d.objid, 0) || coalesce(' | ' || x.details, '')
       || coalesce(' | comment: ' || obj_description(d.objid, c.relname), '')
FROM pg_depend d
JOIN pg_class c ON c.oid = d.classid
LEFT JOIN LATERAL (
    SELECT format('args=%s ret=%s vol=%s par=%s strict=%s src=%s cfg=%s cost=%s rows=%s acl=%s kind=%s support=%s',
                  pg_get_function_arguments(p.oid), pg_get_function_result(p.oid), p.provolatile,
                  p.proparallel, p.proisstrict, p.prosrc, p.proconfig, p.procost, p.prorows,
                  p.proacl, p.prokind, p.prosupport::regproc)
           || coalesce((SELECT format(' agg: sfunc=%s stype=%s final=%s combine=%s ser=%s deser=%s init=%s fextra=%s fmodify=%s space=%s',
                                      a.aggtransfn, a.aggtranstype::regtype, a.aggfinalfn, a.aggcombinefn,
                                      a.aggserialfn, a.aggdeserialfn, a.agginitval, a.aggfinalextra,
                                      a.aggfinalmodify, a.aggtransspace)
                        FROM pg_aggregate a WHERE a.aggfnoid = p.oid), '') AS details
    FROM pg_proc p WHERE d.classid = 'pg_proc'::regclass AND p.oid = d.objid
    UNION ALL
    SELECT format('len=%s byval=%s align=%s storage=%s in=%s out=%s send=%s recv=%s acl=%s cols=%s', t.typlen,
                  t.typbyval, t.typalign, t.typstorage, t.typinput, t.typoutput, t.typsend, t.typreceive, t.typacl,
                  (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                   FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped))
    FROM pg_type t WHERE d.classid = 'pg_type'::regclass AND t.oid = d.objid
    UNION ALL
    SELECT format('func=%s context=%s method=%s', k.castfunc::regprocedure, k.castcontext, k.castmethod)
    FROM pg_cast k WHERE d.classid = 'pg_cast'::regclass AND k.oid = d.objid
) x ON true
WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'buypower')
ORDER BY 1"

# Models trained with the functions every release has, and a scoring view.
SETUP="
CREATE TABLE t AS
SELECT i, sin(i) * 10 AS x1, cos(i * 0.7) * 100 AS x2, (i % 7)::float8 AS x3,
       3 + 0.5 * sin(i) * 10 - 0.02 * cos(i * 0.7) * 100 + 0.25 * (i % 7) + 0.01 * sin(i * 13) AS y,
       (sin(i * 3) + 0.1 * (i % 7) > 0.2) AS b
FROM generate_series(1, 500) i;
CREATE TABLE models (id int PRIMARY KEY, m buypower.model);
SET client_min_messages = warning;
INSERT INTO models
SELECT 1, buypower.linreg(y, ARRAY[x1, x2, x3], '{\"names\": [\"a\", \"b\", \"c\"]}') FROM t
UNION ALL SELECT 2, buypower.linreg(y, ARRAY[x1, x2, x3], '{\"l2\": 2.5}') FROM t
UNION ALL SELECT 3, buypower.logreg(b, ARRAY[x1, x2, x3]) FROM t
UNION ALL SELECT 4, buypower.linreg(y, ARRAY[x1, x2, x1], '{\"intercept\": false}') FROM t;
CREATE MATERIALIZED VIEW scores AS
SELECT t.i, m.id, buypower.predict(m.m, ARRAY[t.x1, t.x2, CASE WHEN m.id = 4 THEN t.x1 ELSE t.x3 END]) AS s
FROM t CROSS JOIN models m;
"
STORED="SELECT md5(string_agg(m::text || encode(buypower.model_send(m), 'hex'), '|' ORDER BY id)) FROM models"
SCORES="SELECT count(s) || ' ' || md5(string_agg(i || ':' || id || ':' || s, '|' ORDER BY i, id)) FROM scores"

createdb "$FRESH"
q "$FRESH" "CREATE EXTENSION buypower" >/dev/null
check "fresh install is version $CUR" "$(q "$FRESH" "SELECT extversion FROM pg_extension WHERE extname = 'buypower'")" "$CUR"
WANT_MEMBERS=$(q "$FRESH" "$MEMBERS")

n=0
for f in "$ROOT"/buypower--*.sql; do
	case $(basename "$f") in buypower--*--*) continue ;; esac
	old=$(basename "$f" .sql)
	old=${old#buypower--}
	[ "$old" != "$CUR" ] || continue
	n=$((n + 1))
	dropdb --if-exists "$OLD" 2>/dev/null
	createdb "$OLD"
	q "$OLD" "CREATE EXTENSION buypower VERSION '$old'" >/dev/null
	psql -X -q -v ON_ERROR_STOP=1 -d "$OLD" -c "$SETUP" >/dev/null
	stored=$(q "$OLD" "$STORED")
	scores=$(q "$OLD" "$SCORES")
	q "$OLD" "ALTER EXTENSION buypower UPDATE" >/dev/null
	check "$old -> $CUR: version after update" \
		"$(q "$OLD" "SELECT extversion FROM pg_extension WHERE extname = 'buypower'")" "$CUR"
	check "$old -> $CUR: same objects and properties as a fresh install" "$(q "$OLD" "$MEMBERS")" "$WANT_MEMBERS"
	check "$old -> $CUR: stored models keep their text and bytes" "$(q "$OLD" "$STORED")" "$stored"
	check "$old -> $CUR: stored models score identically" "$(q "$OLD" "$SCORES")" "$scores"
	check "$old -> $CUR: REFRESH scores identically" \
		"$(q "$OLD" "REFRESH MATERIALIZED VIEW scores; $SCORES")" "$scores"
	check "$old -> $CUR: models re-read from text are identical" \
		"$(q "$OLD" "SELECT bool_and(m::text::buypower.model::text = m::text) FROM models")" "t"
	# a model in the 0.1.0 format has no preprocessing: NULL elements stay an error
	# (the models above were trained by the current library through 0.1.0's SQL,
	# so they may carry preprocessing; stripping it gives the 0.1.0 form)
	check "$old -> $CUR: models in the 0.1.0 format still reject NULL features" \
		"$(q "$OLD" "CREATE FUNCTION pg_temp.null_check() RETURNS text LANGUAGE plpgsql AS \$\$
		             BEGIN PERFORM buypower.predict((m::jsonb - 'preprocessing')::text::buypower.model, ARRAY[1, NULL, 3])
		                   FROM models WHERE id = 1; RETURN 'accepted';
		             EXCEPTION WHEN null_value_not_allowed THEN RETURN 'rejected'; END \$\$;
		             SELECT pg_temp.null_check()")" "rejected"
	check "$old -> $CUR: categorical training and scoring work after the update" \
		"$(q "$OLD" "SELECT round(buypower.predict(m, ARRAY[1, NULL, 3], ARRAY['a'])::numeric, 6) IS NOT NULL
		             FROM (SELECT buypower.linreg(y, ARRAY[x1, x2, x3], ARRAY[(i % 3)::text], '{}') AS m FROM t) s")" "t"
done
check "at least one earlier release to update from" "$([ "$n" -gt 0 ] && echo yes)" "yes"
[ "$FAILED" -eq 0 ]

#!/usr/bin/env bash
# Benchmark buypower.gbdt against XGBoost "hist" (bench/README.md, doc/trees.md).
#
#   bench/trees.sh [ROWS]     ROWS = 1000000 by default; same bench_rows as run.sh
#
# One table (bench/gen.sql), one run of each, the same settings everywhere:
# label ~ x1..x10, 100 trees, depth 6, learning rate 0.1, 255 bins.
#   gbdt serial / 2 workers     buypower.gbdt in the database (final function: backend
#                               thread + 1 helper thread, the default "threads": 2)
#   gbdt serial, 1 thread       the same with "threads": 1 (same model bytes)
#   XGBoost, numpy              data already in a numpy array, fit only, 2 threads
#   export + XGBoost            \copy to CSV | python: parse + fit, end to end
#   PL/Python XGBoost           plpy.execute + numpy + fit inside the server
#   predict                     100-tree gbdt model vs linreg model over all rows
# Env: BENCH_PYTHON (default /usr/bin/python3), RUNS (default 1; median of RUNS).
set -euo pipefail

N=${1:-1000000}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${BENCH_PYTHON:-/usr/bin/python3}
RUNS=${RUNS:-1}
TAG="buypower bench data v1, n=$N"
X="x1, x2, x3, x4, x5, x6, x7, x8, x9, x10"
XA="ARRAY[$X]"
OPTS='{"trees": 100, "max_depth": 6, "learning_rate": 0.1}'
OPTS1='{"trees": 100, "max_depth": 6, "learning_rate": 0.1, "threads": 1}'
SERIAL="SET max_parallel_workers_per_gather = 0;"
PAR2="SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET buypower.parallel_training = on;"

psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
sqlval() { psql_ -At -c "$1"; }

psql_ -c "CREATE EXTENSION IF NOT EXISTS plpython3u;" -c "CREATE EXTENSION IF NOT EXISTS buypower;"
if [ "$(sqlval "SELECT obj_description(to_regclass('bench_rows'), 'pg_class')")" != "$TAG" ]; then
	echo "generating bench_rows with $N rows ..." >&2
	psql_ -v n="$N" -v tag="$TAG" -f "$HERE/gen.sql"
fi

# seconds of one statement (wall, in the server session), median of RUNS
time_sql() { # settings query [untimed before]
	local i out times=""
	for ((i = 0; i < RUNS; i++)); do
		out=$(psql_ -c "$1" -c "${3:-SELECT 1}" -c '\timing on' -c "$2" | awk '/^Time:/ { print $2 }')
		times+="$out"$'\n'
	done
	sed '/^$/d' <<<"$times" | sort -g | awk '{ a[NR] = $1 } END { printf "%.2f\n", a[int((NR + 1) / 2)] / 1000 }'
}
time_cmd() {
	local t0 t1
	t0=$(date +%s%N)
	bash -c "$1" >"${2:-/dev/null}"
	t1=$(date +%s%N)
	awk -v d=$((t1 - t0)) 'BEGIN { printf "%.2f\n", d / 1e9 }'
}

psql_ <<'SQL'
CREATE OR REPLACE FUNCTION bench_xgb_plpy() RETURNS float8 LANGUAGE plpython3u AS $$
import numpy as np, xgboost as xgb
r = plpy.execute("SELECT x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, label::int AS l FROM bench_rows")
X = np.array([[row["x%d" % k] for k in range(1, 11)] for row in r], dtype=np.float64)
y = np.array([row["l"] for row in r], dtype=np.float64)
b = xgb.train({"tree_method": "hist", "max_depth": 6, "eta": 0.1, "max_bin": 255,
               "objective": "binary:logistic", "nthread": 2, "base_score": float(y.mean())},
              xgb.DMatrix(X, label=y), num_boost_round=100)
return float(b.predict(xgb.DMatrix(X[:1]))[0])
$$;
SQL

G1=$(time_sql "$SERIAL" "SELECT buypower.gbdt(label, $XA, '$OPTS') IS NOT NULL FROM bench_rows")
G2=$(time_sql "$PAR2" "SELECT buypower.gbdt(label, $XA, '$OPTS') IS NOT NULL FROM bench_rows")
G0=$(time_sql "$SERIAL" "SELECT buypower.gbdt(label, $XA, '$OPTS1') IS NOT NULL FROM bench_rows")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
psql_ -c "\\copy (SELECT $X, label::int FROM bench_rows) TO '$WORK/rows.csv' CSV"
XNP=$("$PY" "$HERE/trees_xgb.py" numpy <"$WORK/rows.csv" | sed 's/.*fit_seconds=\([0-9.]*\).*/\1/')
XEXP=$(time_cmd "psql -X -q -v ON_ERROR_STOP=1 -c '\\copy (SELECT $X, label::int FROM bench_rows) TO STDOUT CSV' | $PY '$HERE/trees_xgb.py' export")
XPL=$(time_sql "" "SELECT bench_xgb_plpy()")

psql_ -c "DROP TABLE IF EXISTS bench_tree_models; CREATE TABLE bench_tree_models AS
  SELECT buypower.gbdt(label, $XA, '$OPTS') AS g, buypower.linreg(y, $XA) AS l FROM bench_rows;"
PG=$(time_sql "$SERIAL" "CREATE TEMP TABLE bench_pred AS SELECT id, buypower.predict(m.g, $XA) AS p FROM bench_rows, bench_tree_models m" "DROP TABLE IF EXISTS bench_pred")
PL=$(time_sql "$SERIAL" "CREATE TEMP TABLE bench_pred AS SELECT id, buypower.predict(m.l, $XA) AS p FROM bench_rows, bench_tree_models m" "DROP TABLE IF EXISTS bench_pred")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cat <<EOF2
## trees benchmark: $N rows x 10 features, 100 trees, depth 6, lr 0.1 ($RUNS run(s) each)

| what | seconds | vs gbdt serial |
|---|---:|---:|
| buypower.gbdt, serial (2 threads in the final function) | $G1 | 1.00 |
| buypower.gbdt, 2 workers (scan only; trees in the leader, 2 threads) | $G2 | $(ratio "$G2" "$G1") |
| buypower.gbdt, serial, "threads": 1 | $G0 | $(ratio "$G0" "$G1") |
| XGBoost hist, 2 threads, data already in numpy (fit only) | $XNP | $(ratio "$XNP" "$G1") |
| export (\\copy CSV) + XGBoost hist, end to end | $XEXP | $(ratio "$XEXP" "$G1") |
| PL/Python XGBoost hist, in the server | $XPL | $(ratio "$XPL" "$G1") |

| predict over all rows into a table | seconds | ratio |
|---|---:|---:|
| linreg model | $PL | 1.00 |
| 100-tree gbdt model, depth 6 | $PG | $(ratio "$PG" "$PL") |
EOF2

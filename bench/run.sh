#!/usr/bin/env bash
# Benchmark buypower against the scan limit and its peers.  See bench/README.md.
#
#   bench/run.sh [ROWS]        ROWS = 1000000 (default) or 10000000
#
# Connection: the usual PG* variables (PGHOST, PGPORT, PGUSER, PGDATABASE).
# Every timing is the median of 3 runs (BENCH_RUNS) after 1 warm-up run, in one session.
# buypower functions that do not exist yet (pg_proc) print "n/a".
# Env: BENCH_PYTHON (default /usr/bin/python3), BENCH_REGEN=1 forces new data,
# BENCH_RUNS=N times N runs after the warm-up instead of 3 (e.g. 1 at 10M rows).

set -euo pipefail

N=${1:-1000000}
case $N in
	'' | *[!0-9]*) echo "usage: $0 [ROWS]" >&2; exit 2 ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${BENCH_PYTHON:-/usr/bin/python3}
RUNS=${BENCH_RUNS:-3}
case $RUNS in
	'' | *[!0-9]* | 0) echo "BENCH_RUNS must be a positive integer" >&2; exit 2 ;;
esac
TAG="buypower bench data v1, n=$N"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

X="x1, x2, x3, x4, x5, x6, x7, x8, x9, x10"
XA="ARRAY[$X]"
SUMS="sum(x1), sum(x2), sum(x3), sum(x4), sum(x5), sum(x6), sum(x7), sum(x8), sum(x9), sum(x10), sum(y)"

SERIAL="SET max_parallel_workers_per_gather = 0;"
PAR2="SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET buypower.parallel_training = on;"

psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
sqlval() { psql_ -At -c "$1"; }
log() { echo "$*" >&2; }

# ---------------------------------------------------------------- setup
psql_ -c "CREATE EXTENSION IF NOT EXISTS plpython3u;"
if ! psql_ -c "CREATE EXTENSION IF NOT EXISTS buypower;" 2>"$WORK/ext.err"; then
	log "warning: CREATE EXTENSION buypower failed, buypower rows will be n/a: $(head -1 "$WORK/ext.err")"
fi
psql_ -f "$HERE/sklearn_fns.sql"

if [ "${BENCH_REGEN:-0}" = 1 ] ||
	[ "$(sqlval "SELECT obj_description(to_regclass('bench_rows'), 'pg_class')")" != "$TAG" ]; then
	log "generating bench_rows with $N rows ..."
	psql_ -v n="$N" -v tag="$TAG" -f "$HERE/gen.sql"
else
	log "reusing bench_rows ($TAG)"
fi

# has_fn NAME: does buypower.NAME exist?
has_fn() {
	[ "$(sqlval "SELECT count(*) FROM pg_proc WHERE pronamespace = to_regnamespace('buypower') AND proname = '$1'")" != 0 ]
}

# ---------------------------------------------------------------- timing
# time_sql SETTINGS QUERY [UNTIMED_SQL_BEFORE_EACH_RUN] -> median seconds, or "error"
time_sql() {
	local script="$1"$'\n\\o /dev/null\n' i
	for i in $(seq 0 "$RUNS"); do
		script+="${3:-}"$'\n\\timing on\n'"$2;"$'\n\\timing off\n'
	done
	local out
	if ! out=$(psql_ <<<"$script" 2>"$WORK/err"); then
		log "error in: $2"
		log "$(head -3 "$WORK/err")"
		echo error
		return
	fi
	median_ms <<<"$(awk '/^Time:/ { print $2 }' <<<"$out" | tail -n "$RUNS")"
}

# median_ms: RUNS lines of milliseconds on stdin -> median seconds (the
# upper middle one for an even count)
median_ms() {
	sort -g | sed -n "$((RUNS / 2 + 1))p" | awk '{ printf "%.3f\n", $1 / 1000 }'
}

# time_cmd COMMAND -> median seconds of RUNS runs after 1 warm-up (end to end, wall clock)
time_cmd() {
	local i t0 t1 times=""
	for i in $(seq 0 "$RUNS"); do
		t0=$(date +%s%N)
		if ! bash -c "$1" >"$WORK/cmd.out" 2>"$WORK/err"; then
			log "error in: $1"
			log "$(head -3 "$WORK/err")"
			echo error
			return
		fi
		t1=$(date +%s%N)
		[ "$i" = 0 ] || times+="$(((t1 - t0) / 1000))"$'\n'
	done
	sed '/^$/d' <<<"$times" | sort -g | sed -n "$((RUNS / 2 + 1))p" | awk '{ printf "%.3f\n", $1 / 1000000 }'
}

# Results: parallel arrays, one entry per table row.
R_NAME=() R_SET=() R_SEC=() R_BASE=()
add() { # name setting seconds baseline-key
	R_NAME+=("$1") R_SET+=("$2") R_SEC+=("$3") R_BASE+=("$4")
	log "$(printf '%-58s %-10s %s' "$1" "$2" "$3")"
}
NA=n/a
bp() { # name setting required-functions query [untimed-before]
	local f
	for f in $3; do
		if ! has_fn "$f"; then
			add "$1" "$2" "$NA" scan
			return
		fi
	done
	local s
	case $2 in
		serial) s=$SERIAL ;;
		"serial, arrays built") s="$SERIAL SET buypower.rewrite_arrays = off;" ;;
		"2 workers") s=$PAR2 ;;
		*) s="" ;;
	esac
	add "$1" "$2" "$(time_sql "$s" "$4" "${5:-}")" scan
}

# ---------------------------------------------------------------- scan limit
SCAN_SERIAL=$(time_sql "$SERIAL" "SELECT $SUMS FROM bench_rows")
add "scan limit: sum(x1..x10, y)" serial "$SCAN_SERIAL" scan
SCAN_PAR=$(time_sql "$PAR2" "SELECT $SUMS FROM bench_rows")
add "scan limit: sum(x1..x10, y)" "2 workers" "$SCAN_PAR" scan
add "array build: count(ARRAY[x1..x10])" serial "$(time_sql "$SERIAL" "SELECT count($XA) FROM bench_rows")" scan
add "array build: count(ARRAY[x1..x10])" "2 workers" "$(time_sql "$PAR2" "SELECT count($XA) FROM bench_rows")" scan

# ---------------------------------------------------------------- linear regression
bp "buypower.linreg(y, ARRAY[x1..x10])" serial linreg "SELECT buypower.linreg(y, $XA) FROM bench_rows"
bp "buypower.linreg(y, ARRAY[x1..x10])" "2 workers" linreg "SELECT buypower.linreg(y, $XA) FROM bench_rows"
bp "buypower.linreg(y, ARRAY[x1..x10])" "serial, arrays built" linreg "SELECT buypower.linreg(y, $XA) FROM bench_rows"
bp "buypower.linreg_values(y, x1, ..., x10)" serial linreg_values "SELECT buypower.linreg_values(y, $X) FROM bench_rows"
bp "buypower.linreg_values(y, x1, ..., x10)" "2 workers" linreg_values "SELECT buypower.linreg_values(y, $X) FROM bench_rows"
bp "buypower.linreg(y, ARRAY[x1])" serial linreg "SELECT buypower.linreg(y, ARRAY[x1]) FROM bench_rows"
bp "buypower.linreg_values(y, x1)" serial linreg_values "SELECT buypower.linreg_values(y, x1) FROM bench_rows"
add "regr_slope(y, x1), regr_intercept(y, x1)" serial \
	"$(time_sql "$SERIAL" "SELECT regr_slope(y, x1), regr_intercept(y, x1) FROM bench_rows")" scan

SKL_LIN_PY=$(time_sql "" "SELECT bench_sklearn('linreg')")
add "PL/Python sklearn LinearRegression" default "$SKL_LIN_PY" scan
COPY_LIN="psql -X -q -v ON_ERROR_STOP=1 -c '\\copy (SELECT $X, y FROM bench_rows) TO STDOUT CSV' | $PY '$HERE/export_fit.py' linreg"
SKL_LIN_EXP=$(time_cmd "$COPY_LIN")
add "export (COPY CSV) + sklearn LinearRegression" default "$SKL_LIN_EXP" scan
cp "$WORK/cmd.out" "$WORK/export_linreg.out" 2>/dev/null || true

# ---------------------------------------------------------------- scoring
PRED_NOTE="n/a"
if has_fn linreg && has_fn predict; then
	psql_ -c "DROP TABLE IF EXISTS bench_model; CREATE TABLE bench_model AS SELECT buypower.linreg(y, $XA) AS m FROM bench_rows;" || true
	psql_ -c "DROP TABLE IF EXISTS bench_model_a; CREATE TABLE bench_model_a AS SELECT m FROM bench_model; ANALYZE bench_model_a;" || true
fi
bp "buypower.predict(m, x1..x10) into a table" serial "linreg predict" \
	"CREATE TEMP TABLE bench_pred AS SELECT id, buypower.predict(b.m, $XA) AS p FROM bench_rows, bench_model b" \
	"DROP TABLE IF EXISTS bench_pred;"
# The same after ANALYZE of the model table.  Autovacuum never analyzes a
# one-row table (it waits for 50 changed rows), so the planner guesses
# about 1,360 rows for it and puts it inside the nested loop, rescanning it
# (through a Materialize) for every scored row; analyzed, it is the outer
# side and read once.
bp "buypower.predict(m, x1..x10), model table analyzed" serial "linreg predict" \
	"CREATE TEMP TABLE bench_pred AS SELECT id, buypower.predict(b.m, $XA) AS p FROM bench_rows, bench_model_a b" \
	"DROP TABLE IF EXISTS bench_pred;"
# The same, the model read once by a scalar subquery (an InitPlan) instead of
# a cross join, whose nested loop rescans the one-row table for every row.
bp "buypower.predict((SELECT m ...), x1..x10) into a table" serial "linreg predict" \
	"CREATE TEMP TABLE bench_pred AS SELECT id, buypower.predict((SELECT m FROM bench_model), $XA) AS p FROM bench_rows" \
	"DROP TABLE IF EXISTS bench_pred;"

# Coefficients for the hand-written expression: from buypower.summary(m) if it
# has an "estimate" column (intercept first), else by probing predict() with
# the unit vectors.  Without a model: the generating coefficients.
COEFS=""
if has_fn linreg && has_fn predict; then
	if has_fn summary && sqlval "SELECT bool_or('estimate' = ANY(proargnames)) FROM pg_proc WHERE pronamespace = to_regnamespace('buypower') AND proname = 'summary'" | grep -q t; then
		COEFS=$(sqlval "SELECT string_agg(s.estimate::text, ',' ORDER BY s.ordinality) FROM bench_model, buypower.summary(m) WITH ORDINALITY AS s" 2>/dev/null || true)
		PRED_NOTE="coefficients from buypower.summary(m)"
	fi
	if [ "$(tr ',' '\n' <<<"$COEFS" | grep -c .)" != 11 ]; then
		probe="buypower.predict(m, ARRAY[0,0,0,0,0,0,0,0,0,0]::float8[])::text"
		for k in 1 2 3 4 5 6 7 8 9 10; do
			e=$(for j in 1 2 3 4 5 6 7 8 9 10; do [ $j = $k ] && printf 1 || printf 0; [ $j = 10 ] || printf ,; done)
			probe+=" || ',' || (buypower.predict(m, ARRAY[$e]::float8[]) - buypower.predict(m, ARRAY[0,0,0,0,0,0,0,0,0,0]::float8[]))::text"
		done
		COEFS=$(sqlval "SELECT $probe FROM bench_model" 2>/dev/null || true)
		PRED_NOTE="coefficients probed from buypower.predict (summary(m) has no estimate column)"
	fi
fi
if [ "$(tr ',' '\n' <<<"$COEFS" | grep -c .)" != 11 ]; then
	COEFS="1,0.5,-1,1.5,-2,0.25,0.75,-0.5,1.25,-1.5,2"
	[ "$PRED_NOTE" = "n/a" ] && PRED_NOTE="no buypower model: generating coefficients used"
fi
EXPR=$(awk -F, '{ s = $1; for (k = 2; k <= NF; k++) s = s " + " $k " * x" (k - 1); print s }' <<<"$COEFS")
add "hand-written b0 + b1*x1 + ... + b10*x10 into a table" serial \
	"$(time_sql "$SERIAL" "CREATE TEMP TABLE bench_pred AS SELECT id, $EXPR AS p FROM bench_rows" "DROP TABLE IF EXISTS bench_pred;")" scan
if has_fn linreg && has_fn predict; then
	PRED_DIFF=$(sqlval "SELECT max(abs(buypower.predict(b.m, $XA) - ($EXPR))) FROM bench_rows, bench_model b" 2>/dev/null || echo error)
	PRED_NOTE+="; max |predict - expression| = $PRED_DIFF"
fi

# ---------------------------------------------------------------- logistic regression
bp "buypower.logreg(label, ARRAY[x1..x10])" serial logreg "SELECT buypower.logreg(label, $XA) FROM bench_rows"
bp "buypower.logreg(label, ARRAY[x1..x10])" "2 workers" logreg "SELECT buypower.logreg(label, $XA) FROM bench_rows"
bp "buypower.logreg(label, ARRAY[x1..x10])" default logreg "SELECT buypower.logreg(label, $XA) FROM bench_rows"
bp "buypower.logreg(label, ARRAY[x1..x10])" "serial, arrays built" logreg "SELECT buypower.logreg(label, $XA) FROM bench_rows"
bp "buypower.logreg_values(label, x1, ..., x10)" serial logreg_values "SELECT buypower.logreg_values(label, $X) FROM bench_rows"
SKL_LOG_PY=$(time_sql "" "SELECT bench_sklearn('logreg')")
add "PL/Python sklearn LogisticRegression" default "$SKL_LOG_PY" scan
COPY_LOG="psql -X -q -v ON_ERROR_STOP=1 -c '\\copy (SELECT $X, label::int FROM bench_rows) TO STDOUT CSV' | $PY '$HERE/export_fit.py' logreg"
SKL_LOG_EXP=$(time_cmd "$COPY_LOG")
add "export (COPY CSV) + sklearn LogisticRegression" default "$SKL_LOG_EXP" scan
cp "$WORK/cmd.out" "$WORK/export_logreg.out" 2>/dev/null || true

# ---------------------------------------------------------------- AUC
# SQL peer: Mann-Whitney U with average ranks for ties.
auc_sql() { # score-expression from-clause where-clause
	echo "SELECT (sum(r) FILTER (WHERE label) - n1 * (n1 + 1) / 2.0) / (n1 * (n - n1))
	FROM (SELECT label, rank() OVER (ORDER BY s) + (count(*) OVER (PARTITION BY s) - 1) / 2.0 AS r,
	             count(*) FILTER (WHERE label) OVER () AS n1, count(*) OVER () AS n
	      FROM (SELECT label, $1 AS s FROM $2 WHERE $3) t) u
	GROUP BY n1, n"
}
bp "buypower.auc(label, x1)" serial auc "SELECT buypower.auc(label, x1) FROM bench_rows"
add "SQL window-function AUC(label, x1)" serial "$(time_sql "$SERIAL" "$(auc_sql x1 bench_rows true)")" scan

# Equal-AUC check: both logistic fits trained on id % 5 <> 0, scored on id % 5 = 0.
AUC_SK=$(sqlval "SELECT (bench_sklearn('logreg_auc', 'id % 5 <> 0', 'id % 5 = 0'))[1]")
AUC_BP=$NA
if has_fn logreg && has_fn predict; then
	AUC_BP=$(psql_ -At <<EOF 2>"$WORK/err" || echo error
CREATE TEMP TABLE bench_lmodel AS SELECT buypower.logreg(label, $XA) AS m FROM bench_rows WHERE id % 5 <> 0;
$(auc_sql "buypower.predict(b.m, $XA)" "bench_rows, bench_lmodel b" "id % 5 = 0");
EOF
)
fi
AUC_X1_BP=$NA
has_fn auc && AUC_X1_BP=$(sqlval "SELECT buypower.auc(label, x1) FROM bench_rows" 2>/dev/null || echo error)
AUC_X1_SQL=$(sqlval "$(auc_sql x1 bench_rows true)")

# ---------------------------------------------------------------- report
ratio() { # a b -> a/b or n/a
	awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0 && a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/) printf "%.2f", a / b; else printf "n/a" }'
}
sec_of() { # name setting -> seconds
	local i
	for i in "${!R_NAME[@]}"; do
		if [ "${R_NAME[$i]}" = "$1" ] && [ "${R_SET[$i]}" = "$2" ]; then
			echo "${R_SEC[$i]}"
			return
		fi
	done
	echo "$NA"
}

PGV=$(sqlval "SELECT current_setting('server_version')")
JIT=$(sqlval "SELECT current_setting('jit')")
BPV=$(sqlval "SELECT coalesce((SELECT extversion FROM pg_extension WHERE extname = 'buypower'), 'not installed')")
PYV=$($PY -c 'import numpy, sklearn, pandas; print("numpy", numpy.__version__, "sklearn", sklearn.__version__, "pandas", pandas.__version__)')
BLAS=$($PY -c 'from threadpoolctl import threadpool_info as t; print(", ".join(sorted({i["internal_api"] for i in t()})) or "reference BLAS (no threadpool)")' 2>/dev/null || echo unknown)
CPU=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)

{
	echo "## buypower benchmark, $N rows"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'); PostgreSQL $PGV (jit=$JIT); buypower $BPV; $(nproc) cores ($CPU); $PYV; BLAS: $BLAS;" \
		"OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}."
	echo "Seconds are the median of $RUNS run(s) after 1 warm-up. \"serial\": max_parallel_workers_per_gather = 0." \
		"\"2 workers\": max_parallel_workers_per_gather = 2 with parallel_setup_cost = parallel_tuple_cost = 0 (forces the parallel plan)." \
		"\"default\": server settings. \"× scan\" = seconds / scan limit in the same setting (serial scan limit for default)."
	echo
	echo "| Benchmark | Setting | Seconds | × scan |"
	echo "|---|---|---:|---:|"
	for i in "${!R_NAME[@]}"; do
		base=$SCAN_SERIAL
		[ "${R_SET[$i]}" = "2 workers" ] && base=$SCAN_PAR
		echo "| ${R_NAME[$i]} | ${R_SET[$i]} | ${R_SEC[$i]} | $(ratio "${R_SEC[$i]}" "$base") |"
	done
	echo
	echo "### buypower vs peers (peer seconds / buypower seconds; > 1 means buypower is faster)"
	echo
	echo "| Task | buypower | Peer | Peer seconds | Speed-up |"
	echo "|---|---|---|---:|---:|"
	pr() { # task bp-name bp-setting peer-name peer-setting
		local a b
		a=$(sec_of "$2" "$3")
		b=$(sec_of "$4" "$5")
		echo "| $1 | $a ($3) | $4 | $b | $(ratio "$b" "$a") |"
	}
	pr "linreg, 10 features" "buypower.linreg(y, ARRAY[x1..x10])" serial "PL/Python sklearn LinearRegression" default
	pr "linreg, 10 features" "buypower.linreg(y, ARRAY[x1..x10])" "2 workers" "PL/Python sklearn LinearRegression" default
	pr "linreg, 10 features" "buypower.linreg(y, ARRAY[x1..x10])" serial "export (COPY CSV) + sklearn LinearRegression" default
	pr "linreg, 10 features" "buypower.linreg_values(y, x1, ..., x10)" serial "PL/Python sklearn LinearRegression" default
	pr "linreg, 1 feature" "buypower.linreg(y, ARRAY[x1])" serial "regr_slope(y, x1), regr_intercept(y, x1)" serial
	pr "linreg, 1 feature" "buypower.linreg_values(y, x1)" serial "regr_slope(y, x1), regr_intercept(y, x1)" serial
	pr "predict into a table (cross join)" "buypower.predict(m, x1..x10) into a table" serial "hand-written b0 + b1*x1 + ... + b10*x10 into a table" serial
	pr "predict into a table (cross join, model analyzed)" "buypower.predict(m, x1..x10), model table analyzed" serial "hand-written b0 + b1*x1 + ... + b10*x10 into a table" serial
	pr "predict into a table (scalar subquery)" "buypower.predict((SELECT m ...), x1..x10) into a table" serial "hand-written b0 + b1*x1 + ... + b10*x10 into a table" serial
	pr "logreg, 10 features" "buypower.logreg(label, ARRAY[x1..x10])" serial "PL/Python sklearn LogisticRegression" default
	pr "logreg, 10 features" "buypower.logreg(label, ARRAY[x1..x10])" "2 workers" "PL/Python sklearn LogisticRegression" default
	pr "logreg, 10 features" "buypower.logreg(label, ARRAY[x1..x10])" serial "export (COPY CSV) + sklearn LogisticRegression" default
	pr "logreg, 10 features" "buypower.logreg_values(label, x1, ..., x10)" serial "PL/Python sklearn LogisticRegression" default
	pr "logreg, 10 features" "buypower.logreg(label, ARRAY[x1..x10])" "serial, arrays built" "PL/Python sklearn LogisticRegression" default
	pr "AUC of x1" "buypower.auc(label, x1)" serial "SQL window-function AUC(label, x1)" serial
	echo
	echo "### Checks"
	echo
	echo "- Held-out AUC (train id % 5 <> 0, test id % 5 = 0): buypower.logreg $AUC_BP; sklearn LogisticRegression $AUC_SK."
	echo "- AUC(label, x1) on all rows: buypower.auc $AUC_X1_BP; SQL window function $AUC_X1_SQL."
	echo "- Hand-written expression: $PRED_NOTE."
	echo "- export + sklearn LinearRegression: $(cat "$WORK/export_linreg.out" 2>/dev/null)"
	echo "- export + sklearn LogisticRegression (last value: lbfgs iterations): $(cat "$WORK/export_logreg.out" 2>/dev/null)"
} >"$WORK/report.md"

mkdir -p "$HERE/results"
OUT="$HERE/results/$(date -u +%Y-%m-%d)-$N.md"
cp "$WORK/report.md" "$OUT"
cat "$WORK/report.md"
log "written to $OUT"

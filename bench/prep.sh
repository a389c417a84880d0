#!/usr/bin/env bash
# Cost of preprocessing (issue 4), two ratios at ROWS rows (default 1M):
#
#   A. 10 numeric features with imputation (1 % NULLs in x1), standard
#      scaling and IQR clipping on, against the same training with them off
#      ("impute": "error", no scaling, no clipping, x1 without NULLs);
#   B. 10 numeric + 3 categorical features (4, 6 and 8 levels), against 13
#      numeric features.
#
# for buypower.linreg and buypower.logreg, serial plans.  Every time is the
# median of 3 runs after 1 warm-up run, in one session.  Connection: the
# usual PG* variables; needs buypower installed.  Data: bench/prep_gen.sql
# (table bench_prep_rows, kept and reused while its size matches).
#
#   bench/prep.sh [ROWS]
set -euo pipefail

N=${1:-1000000}
case $N in '' | *[!0-9]*) echo "usage: $0 [ROWS]" >&2; exit 2 ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
TAG="buypower prep bench data v1, n=$N"

psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
sqlval() { psql_ -At -c "$1"; }

psql_ -c "CREATE EXTENSION IF NOT EXISTS buypower;"
if [ "$(sqlval "SELECT obj_description(to_regclass('bench_prep_rows'), 'pg_class')")" != "$TAG" ]; then
	echo "generating bench_prep_rows with $N rows ..." >&2
	psql_ -v n="$N" -v tag="$TAG" -f "$HERE/prep_gen.sql"
fi

X10="x1, x2, x3, x4, x5, x6, x7, x8, x9, x10"
XN10="xn1, x2, x3, x4, x5, x6, x7, x8, x9, x10"
X13="$X10, x11, x12, x13"
ON='{"impute": "mean", "scale": "standard", "clip": "iqr"}'
OFF='{"impute": "error", "scale": "none"}'

# median_ms QUERY: median of 3 timed runs after a warm-up, in milliseconds
median_ms() {
	local script=$'SET max_parallel_workers_per_gather = 0;\nSET client_min_messages = warning;\n\\o /dev/null\n' i
	for i in 0 1 2 3; do script+=$'\\timing on\n'"$1;"$'\n\\timing off\n'; done
	psql_ -c '' >/dev/null
	psql -X -v ON_ERROR_STOP=1 <<<"$script" 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' |
		tail -3 | sort -g | sed -n 2p
}

row() {
	local what=$1 a b
	a=$(median_ms "$2")
	b=$(median_ms "$3")
	printf '| %s | %.0f | %.0f | %.2f |\n' "$what" "$a" "$b" "$(echo "$a / $b" | bc -l)"
}

echo "| $N rows, serial | with (ms) | without (ms) | ratio |"
echo "|---|---:|---:|---:|"
for L in linreg logreg; do
	Y=y
	[ "$L" = logreg ] && Y=label
	row "$L: impute + scale + clip on vs off, 10 numeric" \
		"SELECT buypower.$L($Y, ARRAY[$XN10], '$ON') FROM bench_prep_rows" \
		"SELECT buypower.$L($Y, ARRAY[$X10], '$OFF') FROM bench_prep_rows"
	row "$L: 10 numeric + 3 categorical vs 13 numeric" \
		"SELECT buypower.$L($Y, ARRAY[$X10], ARRAY[c1, c2, c3], '{}') FROM bench_prep_rows" \
		"SELECT buypower.$L($Y, ARRAY[$X13]) FROM bench_prep_rows"
done

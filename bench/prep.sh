#!/usr/bin/env bash
# Cost of preprocessing (issue 4), two ratios at ROWS rows (default 1M):
#
#   A. 10 numeric features with imputation (1 % NULLs in x1), standard
#      scaling and IQR clipping on, against the same training with them off
#      ("impute": "error", no scaling, no clipping, x1 without NULLs);
#   B. 10 numeric + 3 categorical features (4, 6 and 8 levels), against 13
#      numeric features.
#
# for buypower.linreg and buypower.logreg, serial plans.  Each pair runs
# alternating in one session, PREP_ROUNDS (default 9) timed rounds after a
# warm-up round: median times, median of the per-round ratios, ratio of
# the minimum times.  Connection: the usual PG* variables; needs buypower
# installed.  Data: bench/prep_gen.sql (table bench_prep_rows, kept and
# reused while its size matches).
#
#   [PREP_ROUNDS=9] bench/prep.sh [ROWS]
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

# row WHAT WITH WITHOUT: the two queries alternating in one session,
# ROUNDS timed rounds after a warm-up round: the median time of each, the
# median of the per-round ratios and the ratio of the minimum times.  On a
# shared VM whole runs drift by 20-30 %, so two medians timed a minute
# apart can land on either side of a 1.2 target; alternating cancels it.
ROUNDS=${PREP_ROUNDS:-9}
row() {
	local what=$1 script=$'SET max_parallel_workers_per_gather = 0;\nSET client_min_messages = warning;\n\\o /dev/null\n' i
	for ((i = 0; i <= ROUNDS; i++)); do
		script+=$'\\timing on\n'"$2;"$'\n'"$3;"$'\n\\timing off\n'
	done
	psql_ -c '' >/dev/null
	psql -X -v ON_ERROR_STOP=1 <<<"$script" 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' |
		awk -v what="$what" '
			{ t[NR] = $1 }
			function median(a, n,   i, j, x) {
				for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
				return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
			}
			END {
				n = 0
				for (i = 3; i + 1 <= NR; i += 2) {
					n++; a[n] = t[i]; b[n] = t[i + 1]; r[n] = t[i] / t[i + 1]
					if (n == 1 || t[i] < amin) amin = t[i]
					if (n == 1 || t[i + 1] < bmin) bmin = t[i + 1]
				}
				printf "| %s | %.0f | %.0f | %.2f | %.2f |\n", what, median(a, n), median(b, n), median(r, n), amin / bmin
			}'
}

echo "| $N rows, serial, $ROUNDS alternating rounds | with (ms, median) | without (ms, median) | ratio (median of rounds) | ratio of minimums |"
echo "|---|---:|---:|---:|---:|"
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

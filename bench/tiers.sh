#!/usr/bin/env bash
#
# bench/tiers.sh [rows]: cost of percentiles and fixed tiers next to predict,
# and against the usual percent_rank() tiering, over N rows (default 1M) of a
# 3-feature linear model with a 1001-point score distribution.  Serial plans;
# median of 3 runs after a warm-up; prints a Markdown table.  Needs PGHOST etc.
# pointing at a server with buypower installed.
set -euo pipefail
N=${1:-1000000}
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
psql -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS buypower;
DROP TABLE IF EXISTS bench_tier_rows, bench_tier_model;
CREATE TABLE bench_tier_rows AS
SELECT i, ARRAY[(hashint8(i) % 1000) / 10.0, (hashint8(i * 3) % 1000) / 10.0, (hashint8(i * 7) % 100)::float8]::float8[] AS x
FROM generate_series(1, $N) i;
ANALYZE bench_tier_rows;
CREATE TABLE bench_tier_model AS
SELECT buypower.score_distribution(m, buypower.predict(m, x)) AS m
FROM bench_tier_rows, (SELECT buypower.linreg(x[1] * 2 + x[2] + x[3], x) AS m FROM bench_tier_rows WHERE i <= 100000) f
WHERE i <= 100000;"

# Print the median of 3 timed runs (ms) of a query, after one warm-up.
time_query() {
	local q=$1 t=()
	for _ in 1 2 3 4; do
		t+=("$(psql -c "SET max_parallel_workers_per_gather = 0" -c '\timing on' -c "$q" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')")
	done
	printf '%s\n' "${t[@]:1}" | sort -n | sed -n 2p
}
declare -A Q=(
	[1scan]="SELECT count(x) FROM bench_tier_rows"
	[2predict]="SELECT sum(buypower.predict(m, x)) FROM bench_tier_rows, bench_tier_model"
	[3percentile]="SELECT sum(buypower.percentile(m, buypower.predict(m, x))) FROM bench_tier_rows, bench_tier_model"
	[4tier]="SELECT count(buypower.tier(m, buypower.predict(m, x))) FROM bench_tier_rows, bench_tier_model"
	[5rank]="SELECT count(CASE WHEN r >= 0.9 THEN 'high' WHEN r >= 0.5 THEN 'mid' ELSE 'low' END) FROM (SELECT percent_rank() OVER (ORDER BY buypower.predict(m, x)) AS r FROM bench_tier_rows, bench_tier_model) z"
	[6dist]="SELECT buypower.score_distribution(m, buypower.predict(m, x)) IS NOT NULL FROM bench_tier_rows, bench_tier_model"
)
declare -A NAME=(
	[1scan]="scan: count(x)" [2predict]="predict(m, x)" [3percentile]="percentile(m, predict(m, x))"
	[4tier]="tier(m, predict(m, x))" [5rank]="percent_rank() OVER (ORDER BY predict(m, x)) + CASE"
	[6dist]="score_distribution(m, predict(m, x)) (training step)"
)
echo "| Query ($N rows, serial) | ms (median of 3) |"
echo "|---|---:|"
for k in $(printf '%s\n' "${!Q[@]}" | sort); do
	echo "| ${NAME[$k]} | $(time_query "${Q[$k]}") |"
done
psql -c "DROP TABLE bench_tier_rows, bench_tier_model"

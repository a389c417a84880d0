#!/usr/bin/env bash
# bench/cold_warm.sh: the first query after the machine was idle, against the same query right after it.
#
# On the 2-core test VM the first query after some idle time is slower, whatever it is (the plain scan
# too), and training that keeps its rows in fresh memory pays more again.  For each of PL/Python
# scikit-learn (bench_sklearn('logreg'), bench/sklearn_fns.sql), buypower.logreg_values, the scan limit
# and buypower.logreg (array form): sleep IDLE seconds (default 60), run the query ("cold"), then run it
# again at once ("warm"); each in a fresh psql session, serial plans for all but PL/Python.  ROUNDS
# rounds (default 2).  Meant for the 10M-row table of bench/gen.sql; a round takes about 4.5 minutes.
# Connection: the usual PG* variables.
#
#   [IDLE=60] [ROUNDS=2] bench/cold_warm.sh
X="x1, x2, x3, x4, x5, x6, x7, x8, x9, x10"
declare -A Q
Q[plpy]="SELECT bench_sklearn('logreg')"
Q[values]="SELECT buypower.logreg_values(label, $X) IS NOT NULL FROM bench_rows"
Q[array]="SELECT buypower.logreg(label, ARRAY[$X]) IS NOT NULL FROM bench_rows"
Q[scan]="SELECT sum(x1), sum(x2), sum(x3), sum(x4), sum(x5), sum(x6), sum(x7), sum(x8), sum(x9), sum(x10), sum(y) FROM bench_rows"
for round in $(seq 1 "${ROUNDS:-2}"); do
	for n in plpy values scan array; do
		sleep "${IDLE:-60}"
		for state in cold warm; do
			pre="SET max_parallel_workers_per_gather = 0;"
			[ "$n" = plpy ] && pre=""
			t=$(printf '%s\n\\timing on\n\\o /dev/null\n%s;\n' "$pre" "${Q[$n]}" | psql -X 2>&1 | grep -o 'Time: [0-9.]*' | tail -1)
			echo "$(date +%T) round $round $n $state $t"
		done
	done
done

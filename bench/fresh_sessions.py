#!/usr/bin/python3
"""bench/fresh_sessions.py [ROUNDS [plpy-first]]: logreg_values, logreg(ARRAY), scikit-learn in PL/Python, scan.

Each round runs, in this order and each in a fresh psql session, the argument
form buypower.logreg_values(label, x1, ..., x10), the array form
buypower.logreg(label, ARRAY[x1..x10]), scikit-learn's LogisticRegression in
PL/Python (bench_sklearn('logreg'), from bench/sklearn_fns.sql, server
settings) and the scan limit (with "plpy-first", PL/Python first, so that it
is the one to run first after other work); the buypower queries and the scan with serial
plans.  No warm-up round: the first round shows what a fit costs after other
work.  Prints each time (ms), then medians and minimums.  Meant for the 10M-row
table (PGDATABASE of bench/run.sh 10000000, or gen.sql with n=10000000), where
a round takes about 40 s.  Connection: the PG* variables.
"""
import subprocess, re, statistics as st, sys
X = "x1, x2, x3, x4, x5, x6, x7, x8, x9, x10"
qs = [("values", f"SELECT buypower.logreg_values(label, {X}) FROM bench_rows"),
      ("array", f"SELECT buypower.logreg(label, ARRAY[{X}]) FROM bench_rows"),
      ("plpy", "SELECT bench_sklearn('logreg')"),
      ("scan", "SELECT sum(x1), sum(x2), sum(x3), sum(x4), sum(x5), sum(x6), sum(x7), sum(x8), sum(x9), sum(x10), sum(y) FROM bench_rows")]
R = int(sys.argv[1]) if len(sys.argv) > 1 else 4
if len(sys.argv) > 2 and sys.argv[2] == "plpy-first":
    qs = [qs[2], qs[0], qs[1], qs[3]]
res = {n: [] for n, _ in qs}
for r in range(R):
    for n, q in qs:
        pre = "" if n == "plpy" else "SET max_parallel_workers_per_gather = 0;"
        out = subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1"],
                             input=pre + "\n\\timing on\n\\o /dev/null\n" + q + ";\n",
                             capture_output=True, text=True)
        t = re.findall(r"Time: ([\d.]+) ms", out.stdout)
        if not t:
            sys.exit(f"{n}: {out.stderr.strip()[:300]}")
        res[n].append(float(t[-1]))
        print(r, n, res[n][-1], flush=True)
for n in res:
    print(n, "median", st.median(res[n]), "min", min(res[n]))

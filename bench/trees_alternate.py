#!/usr/bin/python3
"""bench/trees_alternate.py [ROUNDS]: buypower.gbdt and XGBoost hist, alternating.

Whole runs of bench/trees.sh move by 20-30 % on a shared VM, and the two
sides of its gbdt-vs-XGBoost row are timed minutes apart.  Here one process
reads bench_rows (x1..x10, label) into numpy once (untimed), then for each
round times buypower.gbdt in a fresh psql session (serial plan, the final
function's two threads; the query's \\timing, scan included) and right
after it XGBoost's fit on the numpy data (DMatrix construction included,
as bench/trees_xgb.py), with the same settings: 100 trees, max_depth 6,
eta 0.1, tree_method "hist", max_bin 255, 2 threads.  A first round is a
warm-up and is dropped.  Prints a Markdown table: each round's times and
ratio, the median ratio and the ratio of the minimum times.  Connection:
the usual PG* variables; needs bench_rows (bench/gen.sql) and buypower.
"""

import io
import re
import statistics as st
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import xgboost as xgb

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 6
X = "x1, x2, x3, x4, x5, x6, x7, x8, x9, x10"
OPTS = '{"trees": 100, "max_depth": 6, "learning_rate": 0.1}'
GBDT = f"SELECT buypower.gbdt(label, ARRAY[{X}], '{OPTS}') IS NOT NULL FROM bench_rows"


def gbdt_seconds():
    script = ("SET max_parallel_workers_per_gather = 0;\n\\o /dev/null\n\\timing on\n"
              + GBDT + ";\n")
    out = subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1"], input=script,
                         capture_output=True, text=True, check=True).stdout
    return float(re.findall(r"Time: ([0-9.]+) ms", out)[-1]) / 1000.0


def xgb_seconds(a):
    X_, y = a[:, :-1], a[:, -1]
    params = {"tree_method": "hist", "max_depth": 6, "eta": 0.1, "max_bin": 255,
              "objective": "binary:logistic", "nthread": 2, "base_score": float(y.mean())}
    t0 = time.perf_counter()
    xgb.train(params, xgb.DMatrix(X_, label=y), num_boost_round=100)
    return time.perf_counter() - t0


def main():
    csv = subprocess.run(["psql", "-X", "-q", "-c",
                          f"\\copy (SELECT {X}, label::int FROM bench_rows) TO STDOUT CSV"],
                         capture_output=True, check=True).stdout
    a = pd.read_csv(io.BytesIO(csv), header=None, dtype=np.float64, engine="c").to_numpy()
    rows = []
    for r in range(ROUNDS + 1):
        g = gbdt_seconds()
        x = xgb_seconds(a)
        if r > 0:
            rows.append((g, x))
    print(f"| round | buypower.gbdt (s) | XGBoost hist, numpy (s) | gbdt / XGBoost |")
    print("|---:|---:|---:|---:|")
    for i, (g, x) in enumerate(rows, 1):
        print(f"| {i} | {g:.2f} | {x:.2f} | {g / x:.2f} |")
    ratios = [g / x for g, x in rows]
    gmin = min(g for g, _ in rows)
    xmin = min(x for _, x in rows)
    print(f"\n{len(rows)} rounds ({a.shape[0]} rows): median gbdt {st.median(g for g, _ in rows):.2f} s, "
          f"XGBoost {st.median(x for _, x in rows):.2f} s; median ratio {st.median(ratios):.2f} "
          f"(range {min(ratios):.2f}-{max(ratios):.2f}); ratio of minimums {gmin / xmin:.2f}")


if __name__ == "__main__":
    main()

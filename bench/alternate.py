#!/usr/bin/python3
"""bench/alternate.py [ROUNDS [PAIR ...]]: time benchmark pairs alternating.

Whole runs of bench/run.sh move by 20-30 % against each other on a shared
VM, so a ratio close to a target is also timed here: for each pair (A, B),
one psql session (serial plans) runs A, B, A, B, ... ROUNDS + 1 times; the
first round is a warm-up and is dropped.  Prints one Markdown row per pair:
rounds, the median of the per-round ratios A/B, their range, the ratio of
the two minimum times, and the medians.  Pairs (default: all): linreg10/scan,
array/scan, linreg1/regr, values10/scan, values1/regr, logvalues/scan (the
argument forms linreg_values and logreg_values), values10/linreg10,
logvalues/logreg (argument form against array form), logreg/scan, auc/scan (table bench_rows, from
bench/gen.sql), prep-{linreg,logreg}-{onoff,cat} (bench_prep_rows, from
bench/prep_gen.sql), predict-{cross,analyzed,subq}/hand (predict into a temp
table vs the hand-written expression); and, only when named, predict-trees/linear
(a 100-tree depth-6 gbdt model's predict into a temp table vs a linreg model's,
both model tables analyzed; trains the gbdt model first); rewrite-{num,cat}/array
(predict into a temp table with predict's planner support function against the
same query with buypower.rewrite_arrays off, so ARRAY[...] is built per row;
numeric on bench_rows, 10 + 3 categorical on bench_prep_rows);
rewrite-{linreg,logreg}/array (the same for the training aggregates on
bench_rows: linreg(y, ARRAY[x1..x10]) and logreg(label, ARRAY[x1..x10])).
Connection: the PG* variables.
"""
import subprocess, sys, re, statistics as st
R = int(sys.argv[1]) if len(sys.argv) > 1 else 9
only = sys.argv[2:]
X = "x1, x2, x3, x4, x5, x6, x7, x8, x9, x10"
XA = f"ARRAY[{X}]"
SUMS = "sum(x1), sum(x2), sum(x3), sum(x4), sum(x5), sum(x6), sum(x7), sum(x8), sum(x9), sum(x10), sum(y)"
def q(sql): return subprocess.run(["psql","-X","-At","-c",sql],capture_output=True,text=True).stdout.strip()
expr = None
pairs = {
 "linreg10/scan": (f"SELECT buypower.linreg(y, {XA}) FROM bench_rows", f"SELECT {SUMS} FROM bench_rows", ""),
 "array/scan": (f"SELECT count({XA}) FROM bench_rows", f"SELECT {SUMS} FROM bench_rows", ""),
 "linreg1/regr": ("SELECT buypower.linreg(y, ARRAY[x1]) FROM bench_rows", "SELECT regr_slope(y, x1), regr_intercept(y, x1) FROM bench_rows", ""),
 "values10/scan": (f"SELECT buypower.linreg_values(y, {X}) FROM bench_rows", f"SELECT {SUMS} FROM bench_rows", ""),
 "values1/regr": ("SELECT buypower.linreg_values(y, x1) FROM bench_rows", "SELECT regr_slope(y, x1), regr_intercept(y, x1) FROM bench_rows", ""),
 "logvalues/scan": (f"SELECT buypower.logreg_values(label, {X}) FROM bench_rows", f"SELECT {SUMS} FROM bench_rows", ""),
 "values10/linreg10": (f"SELECT buypower.linreg_values(y, {X}) FROM bench_rows", f"SELECT buypower.linreg(y, {XA}) FROM bench_rows", ""),
 "logvalues/logreg": (f"SELECT buypower.logreg_values(label, {X}) FROM bench_rows", f"SELECT buypower.logreg(label, {XA}) FROM bench_rows", ""),
 "logreg/scan": (f"SELECT buypower.logreg(label, {XA}) FROM bench_rows", f"SELECT {SUMS} FROM bench_rows", ""),
 "auc/scan": ("SELECT buypower.auc(label, x1) FROM bench_rows", f"SELECT {SUMS} FROM bench_rows", ""),
}
XN10 = "xn1, x2, x3, x4, x5, x6, x7, x8, x9, x10"
X13 = X + ", x11, x12, x13"
ON = '{"impute": "mean", "scale": "standard", "clip": "iqr"}'
OFF = '{"impute": "error", "scale": "none"}'
for L, Y in (("linreg", "y"), ("logreg", "label")):
    pairs[f"prep-{L}-onoff"] = (f"SELECT buypower.{L}({Y}, ARRAY[{XN10}], '{ON}') FROM bench_prep_rows",
                                f"SELECT buypower.{L}({Y}, ARRAY[{X}], '{OFF}') FROM bench_prep_rows", "")
    pairs[f"prep-{L}-cat"] = (f"SELECT buypower.{L}({Y}, ARRAY[{X}], ARRAY[c1, c2, c3], '{{}}') FROM bench_prep_rows",
                              f"SELECT buypower.{L}({Y}, ARRAY[{X13}]) FROM bench_prep_rows", "")
if not only or any(o.startswith("predict") for o in only):
    q(f"DROP TABLE IF EXISTS alt_model; CREATE TABLE alt_model AS SELECT buypower.linreg(y, {XA}) AS m FROM bench_rows;"
      "DROP TABLE IF EXISTS alt_model_a; CREATE TABLE alt_model_a AS SELECT m FROM alt_model; ANALYZE alt_model_a;")
    rows = q("SELECT estimate FROM buypower.summary((SELECT m FROM alt_model))").split("\n")
    expr = rows[0] + "".join(f" + ({r})*x{i+1}" for i, r in enumerate(rows[1:]))
    hw = f"CREATE TEMP TABLE alt_p AS SELECT id, {expr} AS p FROM bench_rows"
    pre = "DROP TABLE IF EXISTS alt_p;"
    pairs["predict-cross/hand"] = (f"CREATE TEMP TABLE alt_p AS SELECT id, buypower.predict(b.m, {XA}) AS p FROM bench_rows, alt_model b", hw, pre)
    pairs["predict-analyzed/hand"] = (f"CREATE TEMP TABLE alt_p AS SELECT id, buypower.predict(b.m, {XA}) AS p FROM bench_rows, alt_model_a b", hw, pre)
    pairs["predict-subq/hand"] = (f"CREATE TEMP TABLE alt_p AS SELECT id, buypower.predict((SELECT m FROM alt_model), {XA}) AS p FROM bench_rows", hw, pre)
if "predict-trees/linear" in only:
    # (not in the default set: training the model takes a few seconds)
    q(f"DROP TABLE IF EXISTS alt_gbdt; CREATE TABLE alt_gbdt AS SELECT buypower.gbdt(label, {XA}, "
      "'{\"trees\": 100, \"max_depth\": 6, \"learning_rate\": 0.1}') AS m FROM bench_rows;"
      f"DROP TABLE IF EXISTS alt_model; CREATE TABLE alt_model AS SELECT buypower.linreg(y, {XA}) AS m FROM bench_rows;"
      "ANALYZE alt_gbdt; ANALYZE alt_model;")
    pairs["predict-trees/linear"] = (
        f"CREATE TEMP TABLE alt_p AS SELECT id, buypower.predict(b.m, {XA}) AS p FROM bench_rows, alt_gbdt b",
        f"CREATE TEMP TABLE alt_p AS SELECT id, buypower.predict(b.m, {XA}) AS p FROM bench_rows, alt_model b",
        "DROP TABLE IF EXISTS alt_p;")
if any(o.startswith("rewrite") for o in only):
    # (not in the default set) the planner support functions (ARRAY[...]
    # arguments passed as separate arguments) against the same call with
    # buypower.rewrite_arrays off, so the arrays are built
    on = "DROP TABLE IF EXISTS alt_p; SET buypower.rewrite_arrays = on;"
    off = "DROP TABLE IF EXISTS alt_p; SET buypower.rewrite_arrays = off;"
    pairs["rewrite-linreg/array"] = (f"SELECT buypower.linreg(y, {XA}) FROM bench_rows",
                                     f"SELECT buypower.linreg(y, {XA}) FROM bench_rows", (on, off))
    pairs["rewrite-logreg/array"] = (f"SELECT buypower.logreg(label, {XA}) FROM bench_rows",
                                     f"SELECT buypower.logreg(label, {XA}) FROM bench_rows", (on, off))
if any(o.startswith("rewrite-num") or o.startswith("rewrite-cat") for o in only):
    q(f"DROP TABLE IF EXISTS alt_model_a; CREATE TABLE alt_model_a AS SELECT buypower.linreg(y, {XA}) AS m FROM bench_rows; ANALYZE alt_model_a;"
      f"DROP TABLE IF EXISTS alt_cmodel; CREATE TABLE alt_cmodel AS SELECT buypower.linreg(y, {XA}, ARRAY[c1, c2, c3], '{{}}') AS m "
      "FROM bench_prep_rows; ANALYZE alt_cmodel;")
    pairs["rewrite-num/array"] = (
        f"CREATE TEMP TABLE alt_p AS SELECT id, buypower.predict(b.m, {XA}) AS p FROM bench_rows, alt_model_a b",
        f"CREATE TEMP TABLE alt_p AS SELECT id, buypower.predict(b.m, {XA}) AS p FROM bench_rows, alt_model_a b",
        (on, off))
    pairs["rewrite-cat/array"] = (
        f"CREATE TEMP TABLE alt_p AS SELECT id, buypower.predict(b.m, {XA}, ARRAY[c1, c2, c3]) AS p FROM bench_prep_rows, alt_cmodel b",
        f"CREATE TEMP TABLE alt_p AS SELECT id, buypower.predict(b.m, {XA}, ARRAY[c1, c2, c3]) AS p FROM bench_prep_rows, alt_cmodel b",
        (on, off))
for name, (a, b, pre) in pairs.items():
    if only and name not in only: continue
    script = "SET max_parallel_workers_per_gather = 0;\n\\o /dev/null\n"
    for i in range(R + 1):
        for s, p in ((a, pre[0]), (b, pre[1])) if isinstance(pre, tuple) else ((a, pre), (b, pre)):
            script += f"{p}\n\\timing on\n{s};\n\\timing off\n"
    out = subprocess.run(["psql","-X","-v","ON_ERROR_STOP=1"],input=script,capture_output=True,text=True)
    t = [float(m) for m in re.findall(r"^Time: ([\d.]+) ms", out.stdout + out.stderr, re.M)]
    if len(t) != 2 * (R + 1):
        print(name, "ERROR", out.stderr[:300]); continue
    ta, tb = t[2::2], t[3::2]
    r = [x / y for x, y in zip(ta, tb)]
    if isinstance(pre, tuple):
        q(pre[0])
    print(f"| {name} | {R} | {st.median(r):.2f} | {min(r):.2f}–{max(r):.2f} | {min(ta)/min(tb):.2f} | A {st.median(ta):.0f} ms (min {min(ta):.0f}), B {st.median(tb):.0f} ms (min {min(tb):.0f}) |", flush=True)

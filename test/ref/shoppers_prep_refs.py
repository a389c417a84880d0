#!/usr/bin/python3
"""scikit-learn reference for buypower's preprocessing on real data.

Input : test/data/online_shoppers_intention.csv (unchanged UCI file, CC BY 4.0,
        Sakar et al. 2019; see test/data/README.md)
Output: test/data/ref/shoppers_prep_stats.csv   name,value
        test/data/ref/shoppers_prep_coef.csv    term,estimate (standardised design)

The split is buypower.holdout(row_id, 0.2) with seed 0, reproduced here bit
for bit: row_id is the 1-based position of the row in the CSV (an int4 in
SQL), PostgreSQL's hashint4extended(row_id, 0) is Bob Jenkins' lookup3 hash as
in src/common/hashfn.c (hash_bytes_uint32_extended), and a row is held out
iff (hash >> 11) * 2^-53 < 0.2 (src/split.c).  The SQL test checks the split
sizes and the sum of held-out ids against this file, so a mismatch fails it.

Model: Pipeline(ColumnTransformer(StandardScaler on the 10 numeric columns,
OneHotEncoder(handle_unknown="ignore") on Month, VisitorType, Weekend,
OperatingSystems, Browser, Region, TrafficType), LogisticRegression(C=1))
fitted on the training rows; Newton (newton-cholesky) to a tight tolerance, so the
reference is the optimum, not an early stop (lbfgs leaves errors near 1e-2 along the
nearly flat intercept/level directions of a full one-hot design).  buypower's equivalent is
logreg(revenue, numeric, categorical, '{"l2": 1, "scale": "standard"}'):
same objective (sum of log-losses + 1/2 ||w||^2, intercept unpenalised),
every level one-hot (penalised fits keep all levels), unseen levels all-zero.
Weekend is written as PostgreSQL's boolean text, "true"/"false".

Run: /usr/bin/python3 test/ref/shoppers_prep_refs.py   (a few seconds)
"""

import os
import sys

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "data", "online_shoppers_intention.csv"))
OUT = os.path.normpath(os.path.join(HERE, "..", "data", "ref"))

NUMERIC = ["Administrative", "Administrative_Duration", "Informational",
           "Informational_Duration", "ProductRelated", "ProductRelated_Duration",
           "BounceRates", "ExitRates", "PageValues", "SpecialDay"]
CATEGORICAL = ["Month", "VisitorType", "Weekend", "OperatingSystems", "Browser",
               "Region", "TrafficType"]

M32 = 0xFFFFFFFF


def rot(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


def final(a, b, c):
    c ^= b; c = (c - rot(b, 14)) & M32
    a ^= c; a = (a - rot(c, 11)) & M32
    b ^= a; b = (b - rot(a, 25)) & M32
    c ^= b; c = (c - rot(b, 16)) & M32
    a ^= c; a = (a - rot(c, 4)) & M32
    b ^= a; b = (b - rot(a, 14)) & M32
    c ^= b; c = (c - rot(b, 24)) & M32
    return a, b, c


def hash_uint32_extended(k, seed=0):
    """PostgreSQL's hash_bytes_uint32_extended; seed 0 skips the seed mix."""
    assert seed == 0
    a = b = c = (0x9e3779b9 + 4 + 3923095) & M32
    a = (a + (k & M32)) & M32
    a, b, c = final(a, b, c)
    return (b << 32) | c


def holdout(row_id, fraction):
    return (hash_uint32_extended(row_id) >> 11) * (1.0 / 9007199254740992.0) < fraction


def fmt(v):
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return repr(float(v))


def main():
    df = pd.read_csv(DATA, dtype=str)
    if len(df) != 12330:
        sys.exit("expected 12330 rows, got %d" % len(df))
    for c in NUMERIC:
        df[c] = df[c].astype(float)
    df["Weekend"] = df["Weekend"].map({"TRUE": "true", "FALSE": "false"})
    y = (df["Revenue"] == "TRUE").to_numpy(dtype=int)
    row_id = np.arange(1, len(df) + 1)
    test = np.array([holdout(int(i), 0.2) for i in row_id])

    pre = ColumnTransformer([
        ("num", StandardScaler(), NUMERIC),
        ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL)])
    model = Pipeline([("pre", pre),
                      ("lr", LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-12,
                                                max_iter=100000))])
    model.fit(df[~test], y[~test])
    p = model.predict_proba(df[test])[:, 1]
    auc = roc_auc_score(y[test], p)

    lr = model.named_steps["lr"]
    names = model.named_steps["pre"].get_feature_names_out()
    terms = ["(Intercept)"]
    for n in names:
        kind, rest = n.split("__", 1)
        if kind == "num":
            terms.append(rest)
        else:
            col = next(c for c in CATEGORICAL if rest.startswith(c + "_"))
            terms.append(col + "=" + rest[len(col) + 1:])
    coef = [lr.intercept_[0]] + list(lr.coef_[0])

    with open(os.path.join(OUT, "shoppers_prep_coef.csv"), "w", newline="\n") as f:
        f.write("term,estimate\n")
        for t, b in zip(terms, coef):
            f.write("%s,%s\n" % (t, fmt(b)))
    stats = [("n_train", int((~test).sum())), ("n_test", int(test.sum())),
             ("test_id_sum", int(row_id[test].sum())),
             ("positives_test", int(y[test].sum())),
             ("test_auc", auc), ("n_iter", int(lr.n_iter_[0]))]
    with open(os.path.join(OUT, "shoppers_prep_stats.csv"), "w", newline="\n") as f:
        f.write("name,value\n")
        for n, v in stats:
            f.write("%s,%s\n" % (n, fmt(v)))
    for n, v in stats:
        print(n, v)


if __name__ == "__main__":
    main()

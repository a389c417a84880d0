#!/usr/bin/python3
"""XGBoost peers for bench/trees.sh.

    trees_xgb.py numpy  < rows.csv   read CSV (untimed), then time only the fit
    trees_xgb.py export < rows.csv   read + fit (the caller times it end to end)

Rows are x1..x10,label (0/1).  Settings match buypower.gbdt in the bench:
100 trees, max_depth 6, eta 0.1, tree_method "hist", max_bin 255, 2 threads.
Prints "fit_seconds=... auc_train=..." on one line.
"""

import sys
import time

import numpy as np
import pandas as pd
import xgboost as xgb


def fit(X, y):
    params = {"tree_method": "hist", "max_depth": 6, "eta": 0.1, "max_bin": 255,
              "objective": "binary:logistic", "nthread": 2,
              "base_score": float(y.mean())}
    return xgb.train(params, xgb.DMatrix(X, label=y), num_boost_round=100)


def main():
    a = pd.read_csv(sys.stdin.buffer, header=None, dtype=np.float64, engine="c").to_numpy()
    X, y = a[:, :-1], a[:, -1]
    t0 = time.perf_counter()
    b = fit(X, y)
    t1 = time.perf_counter()
    p = b.predict(xgb.DMatrix(X))
    from sklearn.metrics import roc_auc_score
    print("fit_seconds=%.3f auc_train=%.4f" % (t1 - t0, roc_auc_score(y, p)))


if __name__ == "__main__":
    main()

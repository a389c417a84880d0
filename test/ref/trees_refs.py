#!/usr/bin/python3
"""XGBoost references for buypower.gbdt (sql/trees_accuracy.sql).

Input : test/data/online_shoppers_intention.csv (UCI, see test/data/README.md)
Output: test/data/trees_synthetic.csv   synthetic rows with interactions and NULLs
        test/data/ref/trees_xgb.csv     name,value: held-out AUC / RMSE of XGBoost

Shoppers design as in shoppers_refs.py: the 10 numeric columns unscaled,
Weekend and ReturningVisitor as 0/1; label Revenue.  row_id is the 1-based
row of the CSV; rows with row_id % 5 = 0 are held out (20 %).

Synthetic: 20000 rows, id 1..20000, x1..x6 uniform(0, 1) with x6 NULL in
about 10 % of rows; y = 3 x1 x2 + 2 (x3 > 0.5) x4 + sin(6 x5) + x6 (0 when
NULL) + N(0, 0.3); c = Bernoulli(logistic(2 (y - mean y))).  id % 5 = 0 held
out.

XGBoost 1.7 "hist" with the settings buypower.gbdt is run with: 100 trees,
max_depth 6, eta 0.1, max_bin 255, lambda 1, min_child_weight 1, gamma 0,
no subsampling, base_score = mean of the training target (buypower starts
from the optimal constant: mean, or logit of the mean), NaN as missing.
nthread=1 so the result does not depend on the machine.

Run: /usr/bin/python3 test/ref/trees_refs.py   (a few seconds)
"""

import os

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")


def fit(X, y, train, logistic, rounds=100, depth=6, eta=0.1):
    params = {
        "tree_method": "hist", "max_depth": depth, "eta": eta, "max_bin": 255,
        "lambda": 1.0, "min_child_weight": 1.0, "gamma": 0.0, "nthread": 1,
        "objective": "binary:logistic" if logistic else "reg:squarederror",
        "base_score": float(np.mean(y[train])), "seed": 0,
    }
    d = xgb.DMatrix(X[train], label=y[train], missing=np.nan)
    b = xgb.train(params, d, num_boost_round=rounds)
    p = b.predict(xgb.DMatrix(X[~train], missing=np.nan))
    if logistic:
        return roc_auc_score(y[~train], p)
    return float(np.sqrt(np.mean((p - y[~train]) ** 2)))


def main():
    out = []

    s = pd.read_csv(os.path.join(DATA, "online_shoppers_intention.csv"))
    cols = ["Administrative", "Administrative_Duration", "Informational",
            "Informational_Duration", "ProductRelated", "ProductRelated_Duration",
            "BounceRates", "ExitRates", "PageValues", "SpecialDay"]
    X = s[cols].astype(float).to_numpy()
    X = np.column_stack([X, s["Weekend"].astype(float),
                         (s["VisitorType"] == "Returning_Visitor").astype(float)])
    y = s["Revenue"].astype(float).to_numpy()
    row_id = np.arange(1, len(s) + 1)
    train = row_id % 5 != 0
    out.append(("shoppers_auc", fit(X, y, train, True)))
    out.append(("shoppers_auc_d3_lr03_50", fit(X, y, train, True, rounds=50, depth=3, eta=0.3)))
    out.append(("shoppers_rmse_pagevalues", fit(np.delete(X, 8, axis=1), X[:, 8], train, False)))

    rng = np.random.default_rng(20261122)
    n = 20000
    x = rng.uniform(0, 1, size=(n, 6))
    x6null = rng.uniform(0, 1, size=n) < 0.1
    noise = rng.normal(0, 0.3, size=n)
    yr = (3 * x[:, 0] * x[:, 1] + 2 * (x[:, 2] > 0.5) * x[:, 3] + np.sin(6 * x[:, 4])
          + np.where(x6null, 0, x[:, 5]) + noise)
    pc = 1 / (1 + np.exp(-2 * (yr - yr.mean())))
    c = rng.uniform(0, 1, size=n) < pc
    x[x6null, 5] = np.nan
    # six decimals keep the CSV small; both sides read these exact values
    x = np.round(x, 6)
    yr = np.round(yr, 6)
    ids = np.arange(1, n + 1)
    syn = pd.DataFrame({"id": ids})
    for j in range(6):
        syn["x%d" % (j + 1)] = [repr(float(v)) if not np.isnan(v) else "" for v in x[:, j]]
    syn["y"] = [repr(float(v)) for v in yr]
    syn["c"] = ["true" if v else "false" for v in c]
    syn.to_csv(os.path.join(DATA, "trees_synthetic.csv"), index=False)
    strain = ids % 5 != 0
    out.append(("synthetic_auc", fit(x, c.astype(float), strain, True)))
    out.append(("synthetic_rmse", fit(x, yr, strain, False)))

    with open(os.path.join(DATA, "ref", "trees_xgb.csv"), "w") as f:
        f.write("name,value\n")
        for k, v in out:
            f.write("%s,%r\n" % (k, float(v)))
    for k, v in out:
        print(k, v)


if __name__ == "__main__":
    main()

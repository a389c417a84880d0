#!/usr/bin/python3
"""Peer "export + scikit-learn": read CSV rows x1..x10,target from stdin, fit.

Used by bench/run.sh as
    psql -c "\\copy (SELECT x1, ..., x10, y FROM bench_rows) TO STDOUT CSV" | export_fit.py linreg
and timed end to end (export, parse, fit).  Prints the intercept and
coefficients (and lbfgs iterations for logreg) on one line.
"""

import sys

import numpy as np
import pandas as pd


def main():
    task = sys.argv[1]
    a = pd.read_csv(sys.stdin.buffer, header=None, dtype=np.float64, engine="c").to_numpy()
    X, y = a[:, :-1], a[:, -1]
    if task == "linreg":
        from sklearn.linear_model import LinearRegression
        m = LinearRegression().fit(X, y)
        out = [m.intercept_] + list(m.coef_)
    elif task == "logreg":
        from sklearn.linear_model import LogisticRegression
        m = LogisticRegression(max_iter=10000).fit(X, y)
        out = [m.intercept_[0]] + list(m.coef_[0]) + [m.n_iter_[0]]
    else:
        sys.exit("usage: export_fit.py linreg|logreg < rows.csv")
    print("n=%d %s" % (len(y), " ".join(repr(float(v)) for v in out)))


if __name__ == "__main__":
    main()

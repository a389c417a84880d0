#!/usr/bin/python3
"""Reference values for sql/metrics.sql, computed with scikit-learn.

Run with a Python that has scikit-learn 1.2 and numpy (here /usr/bin/python3):

    /usr/bin/python3 test/ref/metrics_refs.py

It rebuilds the deterministic data sets of sql/metrics.sql from the same
integer formulas (every double is one correctly rounded division, so SQL and
numpy hold bit-identical inputs) and writes test/data/ref/metrics_*.csv:

  metrics_scalar.csv       dataset, metric, value  (sklearn.metrics)
  metrics_roc.csv          dataset, threshold, fpr, tpr
                           (sklearn roc_curve, drop_intermediate=False,
                           without sklearn's artificial first threshold)
  metrics_calibration.csv  dataset, k, prob_true, prob_pred
                           (sklearn calibration_curve, n_bins=10; k numbers
                           the non-empty bins)
  metrics_lift.csv         dataset, bucket, rows, positives, response_rate,
                           lift, cumulative_positives, cumulative_gain,
                           cumulative_lift (numpy: sklearn has no lift table;
                           buckets as ntile(10) over score descending, a
                           tie group going wholly to its first row's bucket)

Values are written with repr(), which round-trips doubles exactly.
"""
import csv
import os

import numpy as np
import sklearn
from sklearn.calibration import calibration_curve
from sklearn.metrics import (accuracy_score, brier_score_loss, f1_score,
                             log_loss, max_error, mean_absolute_error,
                             mean_squared_error, precision_score, r2_score,
                             recall_score, roc_auc_score, roc_curve)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "ref")
N = 10000


def classification_sets():
    """Return {name: (label, score)} for the classification data sets."""
    i = np.arange(1, N + 1, dtype=np.int64)
    label = (i * 7919) % 13 < 4
    base = (i * 104729) % 1000
    sets = {
        # scores independent of labels, 1000 distinct values: many ties
        "c1": (label, base / 1000.0),
        # scores shifted up for positives: an informative model, ties
        "c2": (label, (base + np.where(label, 300, 0)) / 1300.0),
        # small hand-checkable case (also spelled out in sql/metrics.sql)
        "small": (np.array([True, True, False, True, False, False, True, False]),
                  np.array([0.9, 0.8, 0.8, 0.6, 0.6, 0.6, 0.3, 0.1])),
    }
    return sets


def regression_set():
    """Return (y, yhat) of the regression data set r1."""
    i = np.arange(1, N + 1, dtype=np.int64)
    y = ((i * 7919) % 1000) / 10.0
    yhat = (((i * 7919) % 1000) * 9 + ((i * 104729) % 100) * 10) / 100.0
    return y, yhat


def scalar_rows():
    """Yield (dataset, metric, value) rows."""
    for name, (label, score) in classification_sets().items():
        yield name, "auc", roc_auc_score(label, score)
        yield name, "logloss", log_loss(label, score, labels=[False, True])  # eps="auto" = 2**-52
        yield name, "brier", brier_score_loss(label, score)
        for t in (0.5, 0.3):
            pred = score >= t
            yield name, f"accuracy@{t}", accuracy_score(label, pred)
            yield name, f"precision@{t}", precision_score(label, pred)
            yield name, f"recall@{t}", recall_score(label, pred)
            yield name, f"f1@{t}", f1_score(label, pred)
    y, yhat = regression_set()
    yield "r1", "mse", mean_squared_error(y, yhat)
    yield "r1", "rmse", mean_squared_error(y, yhat, squared=False)
    yield "r1", "mae", mean_absolute_error(y, yhat)
    yield "r1", "r2", r2_score(y, yhat)
    yield "r1", "max_error", max_error(y, yhat)
    yield "r1", "mean_y", float(np.mean(y))


def roc_rows():
    """Yield ROC points per classification data set."""
    for name, (label, score) in classification_sets().items():
        fpr, tpr, thr = roc_curve(label, score, drop_intermediate=False)
        for f, t, h in list(zip(fpr, tpr, thr))[1:]:
            yield name, repr(float(h)), repr(float(f)), repr(float(t))


def calibration_rows():
    """Yield calibration points per data set whose scores are probabilities."""
    for name, (label, score) in classification_sets().items():
        prob_true, prob_pred = calibration_curve(label, score, n_bins=10)
        for k, (pt, pp) in enumerate(zip(prob_true, prob_pred), 1):
            yield name, k, repr(float(pt)), repr(float(pp))


def lift_rows(buckets=10):
    """Yield the lift table of each data set, computed directly in numpy."""
    for name, (label, score) in classification_sets().items():
        n, npos = len(label), int(label.sum())
        order = np.argsort(-score, kind="stable")
        s, lab = score[order], label[order]
        q, r = divmod(n, buckets)
        ntile = np.array([a // (q + 1) if a < r * (q + 1) else r + (a - r * (q + 1)) // q
                          for a in range(n)])
        first = {}
        for a in range(n):              # a tie group takes its first row's bucket
            first.setdefault(s[a], ntile[a])
        bucket = np.array([first[v] for v in s])
        cum_rows = cum_pos = 0
        for b in range(buckets):
            rows = int((bucket == b).sum())
            pos = int(lab[bucket == b].sum())
            cum_rows += rows
            cum_pos += pos
            rate = pos / rows if rows else None
            yield (name, b + 1, rows, pos, repr(rate) if rows else None,
                   repr(rate / (npos / n)) if rows else None,
                   cum_pos, repr(cum_pos / npos),
                   repr((cum_pos / cum_rows) / (npos / n)) if cum_rows else None)


def write(fname, header, rows):
    """Write one CSV file."""
    with open(os.path.join(OUT, fname), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow(["" if v is None else v for v in row])


def main():
    assert sklearn.__version__.startswith("1.2"), sklearn.__version__
    os.makedirs(OUT, exist_ok=True)
    write("metrics_scalar.csv", ["dataset", "metric", "value"],
          ((d, m, repr(float(v))) for d, m, v in scalar_rows()))
    write("metrics_roc.csv", ["dataset", "threshold", "fpr", "tpr"], roc_rows())
    write("metrics_calibration.csv", ["dataset", "k", "prob_true", "prob_pred"],
          calibration_rows())
    write("metrics_lift.csv", ["dataset", "bucket", "rows", "positives", "response_rate",
                               "lift", "cumulative_positives", "cumulative_gain",
                               "cumulative_lift"], lift_rows())


if __name__ == "__main__":
    main()

-- PL/Python peers for bench/run.sh: scikit-learn inside the server.
--
-- The table is fetched with plpy (SPI), as a user of PL/Python would, in the
-- fastest form we found: the server packs each row's float8 values with
-- float8send() and string_agg() concatenates them into one bytea, which
-- numpy reads with frombuffer().  One bytea holds at most 1 GB, i.e. about
-- 12M rows of 11 doubles: enough for the 1M and 10M runs.  A per-row plpy.cursor fetch of
-- the same columns into Python tuples is about 5x slower (6.2 s vs 1.25 s at
-- 1M rows on the 2-core test machine), so that would flatter buypower.
--
-- bench_sklearn('linreg')                  LinearRegression on all rows -> {b0, b1..b10}
-- bench_sklearn('logreg')                  LogisticRegression (lbfgs, defaults, max_iter 10000)
--                                          on all rows -> {b0, b1..b10, n_iter}
-- bench_sklearn('logreg_auc', train, test) same fit on rows WHERE train, AUC on rows
--                                          WHERE test -> {auc, n_iter}

CREATE OR REPLACE FUNCTION bench_sklearn(task text, where_train text DEFAULT 'true',
                                         where_test text DEFAULT 'false')
RETURNS float8[] LANGUAGE plpython3u AS $$
import numpy as np

feats = ["x%d" % k for k in range(1, 11)]
target = "y" if task == "linreg" else "label::int::float8"
cols = feats + [target]

def fetch(where):
    packed = " || ".join("float8send(%s)" % c for c in cols)
    q = "SELECT string_agg(%s, ''::bytea) AS b FROM bench_rows WHERE %s" % (packed, where)
    b = plpy.execute(q)[0]["b"]
    a = np.frombuffer(b, dtype=">f8").astype(np.float64).reshape(-1, len(cols))
    return a[:, :-1], a[:, -1]

X, y = fetch(where_train)
if task == "linreg":
    from sklearn.linear_model import LinearRegression
    m = LinearRegression().fit(X, y)
    return [float(m.intercept_)] + [float(c) for c in m.coef_]

from sklearn.linear_model import LogisticRegression
m = LogisticRegression(max_iter=10000).fit(X, y)
n_iter = float(m.n_iter_[0])
if task == "logreg":
    return [float(m.intercept_[0])] + [float(c) for c in m.coef_[0]] + [n_iter]
if task == "logreg_auc":
    from sklearn.metrics import roc_auc_score
    Xt, yt = fetch(where_test)
    return [float(roc_auc_score(yt, m.decision_function(Xt))), n_iter]
plpy.error("unknown task %s" % task)
$$;

#!/usr/bin/python3
"""Reference fits on the UCI Online Shoppers Purchasing Intention data.

Input : test/data/online_shoppers_intention.csv (unchanged UCI file, CC BY 4.0,
        Sakar et al. 2019; see test/data/README.md)
Output: test/data/ref/shoppers_*.csv (every double written with repr())

Design (as in shared/data/README.md): intercept "const", the 10 numeric
columns unscaled, Weekend as 0/1, ReturningVisitor = (VisitorType ==
"Returning_Visitor") as 0/1.  Label: Revenue as 0/1.  row_id is the 1-based
position of the row in the CSV (line number - 1), used for the split fit.

  shoppers_logit.csv             term,estimate,std_error,z     statsmodels Logit, Newton, tol 1e-14
  shoppers_logit_stats.csv       name,value: llf, llnull, deviance, null_deviance, aic, ...
  shoppers_ols.csv               term,estimate,std_error,t,p   statsmodels OLS (QR)
  shoppers_ols_stats.csv         name,value: r2, adj_r2, residual_sd, df_resid, df_model, ...
  shoppers_logit_l2_<l2>.csv     term,estimate  for l2 in {1, 100}: argmin of
                                 sum_i logloss_i + (l2/2)*||w||^2, intercept not penalised
                                 (= sklearn LogisticRegression(C=1/l2))
  shoppers_logit_balanced.csv    term,estimate  unpenalised, row weights n/(2*n_class)
                                 (= sklearn class_weight='balanced', no penalty)
  shoppers_ridge_<l2>.csv        term,estimate  for l2 in {1, 1000}: argmin of
                                 ||y - Xb - b0||^2 + l2*||b||^2, intercept not penalised
                                 (= sklearn Ridge(alpha=l2))
  shoppers_logit_split.csv       term,estimate  unpenalised logit trained on row_id % 5 <> 0
  shoppers_split_stats.csv       name,value: train/test counts and held-out AUC of that fit
  shoppers_crosscheck.csv        name,value: how closely independent solvers agree

Penalised and weighted fits are solved here by a damped Newton method in
numpy (exact Hessian, Cholesky), polished until the step no longer shrinks,
and checked three ways: (1) against scikit-learn (newton-cg and lbfgs, tol
1e-14, huge max_iter) and, for the weighted fit, statsmodels GLM IRLS with
freq_weights, (2) by the gradient recomputed in long double at the
reported optimum, (3) by the Newton step that long-double gradient implies
(an estimate of the remaining error in each coefficient).  Ridge is solved by
QR of the augmented, centred least-squares problem and checked against
sklearn Ridge.  The written values are the numpy Newton / QR solutions.

Run: /usr/bin/python3 test/ref/shoppers_refs.py   (about half a minute)
"""

import os
import sys
import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
import sklearn
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "data", "online_shoppers_intention.csv"))
OUT = os.path.normpath(os.path.join(HERE, "..", "data", "ref"))

NUMERIC = ["Administrative", "Administrative_Duration", "Informational",
           "Informational_Duration", "ProductRelated", "ProductRelated_Duration",
           "BounceRates", "ExitRates", "PageValues", "SpecialDay"]
TERMS = ["const"] + NUMERIC + ["Weekend", "ReturningVisitor"]

# Published in shared/data/README.md (12 significant digits): logit coef, SE
README_LOGIT = {
    "const": (-1.85126795969, 0.0903520924687),
    "ExitRates": (-15.1656921431, 2.34103731166),
    "PageValues": (0.0799234548335, 0.00234489799615),
    "ReturningVisitor": (-0.336062016872, 0.083494964755),
    "ProductRelated_Duration": (5.95877597084e-05, 2.77821465562e-05),
}
README_LLF, README_LLNULL = -3699.85655448, -5312.39806305
README_OLS_R2, README_OLS_SD = 0.273513659105, 0.308421352438


def load():
    df = pd.read_csv(DATA, dtype={"Weekend": str, "Revenue": str})
    if len(df) != 12330:
        sys.exit("expected 12330 rows, got %d" % len(df))
    for c in ("Weekend", "Revenue"):
        if not set(df[c]) <= {"TRUE", "FALSE"}:
            sys.exit("unexpected values in %s" % c)
    X = np.column_stack(
        [np.ones(len(df))]
        + [df[c].to_numpy(dtype=float) for c in NUMERIC]
        + [(df["Weekend"] == "TRUE").to_numpy(dtype=float),
           (df["VisitorType"] == "Returning_Visitor").to_numpy(dtype=float)])
    y = (df["Revenue"] == "TRUE").to_numpy(dtype=float)
    row_id = np.arange(1, len(df) + 1)
    return X, y, row_id


def write_csv(name, header, rows):
    path = os.path.join(OUT, name)
    with open(path, "w", newline="\n") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(v if isinstance(v, str) else fmt(v) for v in r) + "\n")
    print("wrote", os.path.relpath(path, os.path.join(HERE, "..", "..")))


def fmt(v):
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return repr(float(v))


def write_coef(name, beta):
    write_csv(name, ["term", "estimate"], [(t, b) for t, b in zip(TERMS, beta)])


def max_rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


# ---------------------------------------------------------------------------
# Penalised / weighted logistic regression by Newton's method
#
#   f(beta) = sum_i s_i * [log(1 + exp(x_i.beta)) - y_i * x_i.beta] + (l2/2) * sum_{j>=1} beta_j^2
#   g       = X^T (s * (p - y)) + l2 * P beta,     P = diag(0, 1, ..., 1)
#   H       = X^T diag(s * p * (1 - p)) X + l2 * P
# ---------------------------------------------------------------------------

def logloss_terms(z, y):
    """Stable log(1 + exp(z)) - y*z, branching on the sign of z."""
    return np.where(z > 0, z + np.log1p(np.exp(-np.abs(z))), np.log1p(np.exp(-np.abs(z)))) - y * z


def sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def objective(beta, X, y, s, l2):
    z = X @ beta
    return float(np.sum(s * logloss_terms(z, y)) + 0.5 * l2 * np.sum(beta[1:] ** 2))


def gradient(beta, X, y, s, l2, dtype=np.float64):
    Xd, bd, yd, sd = (np.asarray(a, dtype) for a in (X, beta, y, s))
    z = Xd @ bd
    e = np.exp(-np.abs(z))
    p = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    g = Xd.T @ (sd * (p - yd))
    g[1:] += dtype(l2) * bd[1:]
    return g


def hessian(beta, X, s, l2):
    p = sigmoid(X @ beta)
    w = s * p * (1 - p)
    H = X.T @ (X * w[:, None])
    H[1:, 1:] += l2 * np.eye(X.shape[1] - 1)
    return H


def newton_logit(X, y, s, l2, max_iter=200):
    """Damped Newton; returns (beta, iterations, relative long-double step)."""
    # The Newton system is solved after symmetric diagonal (Jacobi) scaling of H:
    # the raw columns differ by 10^5 in scale.  This changes only the linear
    # solve, not the objective or the iterate.
    beta = np.zeros(X.shape[1])
    f = objective(beta, X, y, s, l2)
    prev_step = np.inf
    for it in range(1, max_iter + 1):
        g = gradient(beta, X, y, s, l2)
        H = hessian(beta, X, s, l2)
        d = np.sqrt(np.diag(H))
        Hs = H / np.outer(d, d)
        step = -np.linalg.solve(Hs, g / d) / d
        t = 1.0
        while True:
            nb = beta + t * step
            nf = objective(nb, X, y, s, l2)
            if nf <= f + 1e-4 * t * float(g @ step) or t < 1e-10:
                break
            t *= 0.5
        beta, f = nb, nf
        rel = float(np.max(np.abs(t * step) / np.maximum(np.abs(beta), 1e-300)))
        # stop once the step is at rounding level and no longer shrinking
        if rel < 1e-15 or (rel < 1e-12 and rel >= prev_step):
            break
        prev_step = rel
    # Independent check: gradient in long double and the Newton correction it implies.
    gl = gradient(beta, X, y, s, l2, dtype=np.longdouble)
    H = hessian(beta, X, s, l2)
    corr = np.linalg.solve(H, np.asarray(gl, np.float64))
    err = float(np.max(np.abs(corr) / np.abs(beta)))
    return beta, it, err, float(np.max(np.abs(np.asarray(gl, np.float64))))


def sklearn_logit(X, y, l2, solver, class_weight=None):
    kw = dict(solver=solver, tol=1e-14, max_iter=10 ** 6, class_weight=class_weight)
    if l2 is None:
        kw["penalty"] = None
    else:
        kw["C"] = 1.0 / l2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = LogisticRegression(**kw).fit(X[:, 1:], y)
    return np.concatenate([m.intercept_, m.coef_[0]]), int(m.n_iter_[0])


def main():
    os.makedirs(OUT, exist_ok=True)
    X, y, row_id = load()
    n = len(y)
    checks = []
    print("sklearn", sklearn.__version__, "statsmodels", sm.__version__ if hasattr(sm, "__version__") else "")

    # --- unpenalised logit (statsmodels) -----------------------------------
    res = sm.Logit(y, X).fit(method="newton", tol=1e-14, maxiter=200, disp=0)
    if not res.mle_retvals["converged"]:
        sys.exit("statsmodels Logit did not converge")
    write_csv("shoppers_logit.csv", ["term", "estimate", "std_error", "z"],
              [(t, b, se, z) for t, b, se, z in zip(TERMS, res.params, res.bse, res.tvalues)])
    stats = [("nobs", int(res.nobs)), ("df_model", int(res.df_model)), ("df_resid", int(res.df_resid)),
             ("llf", res.llf), ("llnull", res.llnull), ("deviance", -2 * res.llf),
             ("null_deviance", -2 * res.llnull), ("aic", res.aic), ("bic", res.bic),
             ("prsquared", res.prsquared), ("iterations", int(res.mle_retvals["iterations"]))]
    write_csv("shoppers_logit_stats.csv", ["name", "value"], stats)
    # check against the table in shared/data/README.md (12 significant digits)
    worst = 0.0
    for t, (b, se) in README_LOGIT.items():
        j = TERMS.index(t)
        worst = max(worst, abs(res.params[j] - b) / abs(b), abs(res.bse[j] - se) / abs(se))
    worst = max(worst, abs(res.llf - README_LLF) / abs(README_LLF), abs(res.llnull - README_LLNULL) / abs(README_LLNULL))
    print("logit vs shared README: max rel diff %.2e" % worst)
    if worst > 1e-10:
        sys.exit("logit does not match shared/data/README.md")
    checks.append(("logit_vs_shared_readme_max_rel", worst))
    # own Newton on the same objective (s = 1, l2 = 0)
    b_own, it, err, gmax = newton_logit(X, y, np.ones(n), 0.0)
    checks.append(("logit_statsmodels_vs_newton_max_rel", max_rel(res.params, b_own)))
    b_sk, _ = sklearn_logit(X, y, None, "newton-cg")
    checks.append(("logit_statsmodels_vs_sklearn_newtoncg_max_rel", max_rel(b_sk, res.params)))

    # --- OLS (linear probability model) ------------------------------------
    ols = sm.OLS(y, X).fit()
    write_csv("shoppers_ols.csv", ["term", "estimate", "std_error", "t", "p"],
              [(t, b, se, tv, pv) for t, b, se, tv, pv in zip(TERMS, ols.params, ols.bse, ols.tvalues, ols.pvalues)])
    write_csv("shoppers_ols_stats.csv", ["name", "value"],
              [("nobs", int(ols.nobs)), ("r2", ols.rsquared), ("adj_r2", ols.rsquared_adj),
               ("residual_sd", np.sqrt(ols.scale)), ("ssr", ols.ssr),
               ("df_resid", int(ols.df_resid)), ("df_model", int(ols.df_model)),
               ("fvalue", ols.fvalue)])
    w = max(abs(ols.rsquared - README_OLS_R2) / README_OLS_R2, abs(np.sqrt(ols.scale) - README_OLS_SD) / README_OLS_SD)
    print("OLS vs shared README: max rel diff %.2e" % w)
    if w > 1e-10:
        sys.exit("OLS does not match shared/data/README.md")
    b_qr = np.linalg.lstsq(X, y, rcond=None)[0]
    checks.append(("ols_statsmodels_vs_lstsq_max_rel", max_rel(ols.params, b_qr)))

    # --- L2-penalised logit -------------------------------------------------
    for l2 in (1, 100):
        b, it, err, gmax = newton_logit(X, y, np.ones(n), float(l2))
        write_coef("shoppers_logit_l2_%d.csv" % l2, b)
        ncg, ncg_it = sklearn_logit(X, y, float(l2), "newton-cg")
        lb, lb_it = sklearn_logit(X, y, float(l2), "lbfgs")
        print("l2=%g: newton iters %d, est. rel error %.1e, |g|max(longdouble) %.1e; "
              "sklearn newton-cg %.1e (%d it), lbfgs %.1e (%d it)"
              % (l2, it, err, gmax, max_rel(ncg, b), ncg_it, max_rel(lb, b), lb_it))
        checks += [("l2_%d_newton_est_rel_error" % l2, err),
                   ("l2_%d_newton_max_abs_grad_longdouble" % l2, gmax),
                   ("l2_%d_sklearn_newtoncg_vs_newton_max_rel" % l2, max_rel(ncg, b)),
                   ("l2_%d_sklearn_lbfgs_vs_newton_max_rel" % l2, max_rel(lb, b))]

    # --- class_weight='balanced', unpenalised --------------------------------
    n1 = y.sum()
    n0 = n - n1
    s = np.where(y == 1, n / (2 * n1), n / (2 * n0))
    b, it, err, gmax = newton_logit(X, y, s, 0.0)
    write_coef("shoppers_logit_balanced.csv", b)
    ncg, _ = sklearn_logit(X, y, None, "newton-cg", class_weight="balanced")
    lb, _ = sklearn_logit(X, y, None, "lbfgs", class_weight="balanced")
    glm = sm.GLM(y, X, family=sm.families.Binomial(), freq_weights=s).fit(tol=1e-15, maxiter=200)
    print("balanced: newton iters %d, est. rel error %.1e; statsmodels GLM(freq_weights) %.1e, "
          "sklearn newton-cg %.1e, lbfgs %.1e"
          % (it, err, max_rel(glm.params, b), max_rel(ncg, b), max_rel(lb, b)))
    checks += [("balanced_weight_pos", n / (2 * n1)), ("balanced_weight_neg", n / (2 * n0)),
               ("balanced_newton_est_rel_error", err),
               ("balanced_statsmodels_glm_vs_newton_max_rel", max_rel(glm.params, b)),
               ("balanced_sklearn_newtoncg_vs_newton_max_rel", max_rel(ncg, b)),
               ("balanced_sklearn_lbfgs_vs_newton_max_rel", max_rel(lb, b))]

    # --- ridge ---------------------------------------------------------------
    Z = X[:, 1:]
    zm, ym = Z.mean(axis=0), y.mean()
    Zc, yc = Z - zm, y - ym
    p = Z.shape[1]
    for l2 in (1, 1000):
        A = np.vstack([Zc, np.sqrt(l2) * np.eye(p)])
        r = np.concatenate([yc, np.zeros(p)])
        Q, R = np.linalg.qr(A)
        coef = np.linalg.solve(R, Q.T @ r)
        beta = np.concatenate([[ym - zm @ coef], coef])
        write_coef("shoppers_ridge_%d.csv" % l2, beta)
        sk = Ridge(alpha=float(l2)).fit(Z, y)
        skb = np.concatenate([[sk.intercept_], sk.coef_])
        print("ridge l2=%g: sklearn Ridge vs QR max rel %.1e" % (l2, max_rel(skb, beta)))
        checks.append(("ridge_%d_sklearn_vs_qr_max_rel" % l2, max_rel(skb, beta)))

    # --- split: train on row_id % 5 <> 0, hold out row_id % 5 = 0 ------------
    test = row_id % 5 == 0
    sp = sm.Logit(y[~test], X[~test]).fit(method="newton", tol=1e-14, maxiter=200, disp=0)
    write_coef("shoppers_logit_split.csv", sp.params)
    auc = roc_auc_score(y[test], X[test] @ sp.params)
    write_csv("shoppers_split_stats.csv", ["name", "value"],
              [("n_train", int((~test).sum())), ("n_test", int(test.sum())),
               ("positives_test", int(y[test].sum())), ("test_auc", auc),
               ("train_llf", sp.llf)])
    print("split: test AUC %.6f" % auc)

    write_csv("shoppers_crosscheck.csv", ["name", "value"], checks)


if __name__ == "__main__":
    main()

-- validation splits: determinism, uniformity, types, errors and the K-fold
-- cross-validation recipe of doc/metrics.md
SET extra_float_digits = 0;

-- uniform within 1% on 1M keys (about 0.5 s)
SELECT f, abs(count(*) - 200000) < 2000 AS within_1pct
  FROM generate_series(1, 1000000) i, LATERAL (SELECT buypower.fold(i, 5) AS f) s
 GROUP BY f ORDER BY f;
SELECT f, abs(count(*) - 100000) < 1000 AS within_1pct
  FROM generate_series(1, 1000000) i, LATERAL (SELECT buypower.fold(i, 10, 42) AS f) s
 GROUP BY f ORDER BY f;
SELECT abs(count(*) FILTER (WHERE buypower.holdout(i, 0.2)) - 200000) < 2000 AS within_1pct,
       abs(count(*) FILTER (WHERE buypower.holdout(i, 0.5, 7)) - 500000) < 5000 AS half
  FROM generate_series(1, 1000000) i;

-- deterministic values (the hash partitioning hash: stable across runs)
SELECT i, buypower.fold(i, 5) AS fold, buypower.fold(i, 5, 1) AS seeded,
       buypower.holdout(i, 0.3) AS holdout
  FROM generate_series(1, 8) i;
SELECT buypower.fold('customer-42'::text, 10) AS text_key,
       buypower.fold('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, 10) AS uuid_key,
       buypower.fold('2024-02-29'::date, 10) AS date_key;

-- equal values hash equally across representations
SELECT count(*) FILTER (WHERE buypower.fold(i, 7) <> buypower.fold(i::bigint, 7)) AS int4_vs_int8,
       count(*) FILTER (WHERE buypower.fold(i::numeric, 7) <> buypower.fold((i::numeric + 0.000), 7)) AS numeric_scale
  FROM generate_series(1, 10000) i;

-- seeds give independent splits; a larger fraction gives a superset
SELECT abs(count(*) FILTER (WHERE buypower.fold(i, 5, 1) = buypower.fold(i, 5, 2)) - 20000) < 1000 AS independent,
       count(*) FILTER (WHERE buypower.holdout(i, 0.1) AND NOT buypower.holdout(i, 0.2)) AS not_nested,
       count(*) FILTER (WHERE buypower.holdout(i, 0)) AS none,
       count(*) FILTER (WHERE buypower.holdout(i, 1)) AS all_
  FROM generate_series(1, 100000) i;

-- NULL key: NULL (STRICT); attributes as documented
SELECT buypower.fold(NULL::int, 5) AS fold, buypower.holdout(NULL::text, 0.5) AS holdout;
SELECT proname, provolatile, proisstrict, proparallel, pronargdefaults
  FROM pg_proc WHERE pronamespace = 'buypower'::regnamespace AND proname IN ('fold', 'holdout')
 ORDER BY 1;

-- errors
SELECT buypower.holdout(1, -0.1);
SELECT buypower.holdout(1, 1.5);
SELECT buypower.holdout(1, 'NaN');
SELECT buypower.fold(1, 1);
SELECT buypower.fold(1, -3);
SELECT buypower.fold(point(1, 2), 5);

-- the K-fold recipe: train one model per fold on the other folds
-- (regr_slope/regr_intercept stand in for buypower.linreg), score each
-- row with the model that did not see it
CREATE TABLE cv (id int, x float8, y float8);
INSERT INTO cv SELECT i, i % 100, 3 + 2 * (i % 100) + ((i * 7919) % 11 - 5)::float8 / 10
  FROM generate_series(1, 5000) i;
CREATE TABLE cv_models AS
SELECT f AS fold, regr_slope(y, x) AS slope, regr_intercept(y, x) AS intercept, count(*) AS n
  FROM cv CROSS JOIN generate_series(1, 5) AS f
 WHERE buypower.fold(cv.id, 5) <> f
 GROUP BY f;
SELECT m.fold, abs(m.n - 4000) < 100 AS n_ok, round(m.slope::numeric, 2) AS slope,
       round(m.intercept::numeric, 1) AS intercept,
       round(buypower.rmse(cv.y, m.intercept + m.slope * cv.x)::numeric, 2) AS rmse
  FROM cv JOIN cv_models m ON buypower.fold(cv.id, 5) = m.fold
 GROUP BY m.fold, m.n, m.slope, m.intercept ORDER BY m.fold;
-- overall cross-validated error, and every row scored exactly once
SELECT count(*) AS scored, round(buypower.rmse(cv.y, m.intercept + m.slope * cv.x)::numeric, 2) AS cv_rmse
  FROM cv JOIN cv_models m ON buypower.fold(cv.id, 5) = m.fold;
-- the whole recipe in one statement, as in doc/metrics.md, with
-- buypower.linreg as the learner: per fold, then overall
WITH models AS (
  SELECT f AS fold, buypower.linreg(y, ARRAY[x]) AS model
    FROM cv CROSS JOIN generate_series(1, 5) AS f
   WHERE buypower.fold(cv.id, 5) <> f
   GROUP BY f)
SELECT m.fold, round(buypower.rmse(cv.y, buypower.predict(m.model, ARRAY[cv.x]))::numeric, 2) AS rmse,
       round(buypower.r2(cv.y, buypower.predict(m.model, ARRAY[cv.x]))::numeric, 6) AS r2
  FROM cv JOIN models m ON buypower.fold(cv.id, 5) = m.fold
 GROUP BY ROLLUP (m.fold) ORDER BY m.fold;
-- the regr_slope stand-in above and linreg agree fold by fold
SELECT bool_and(abs(s.estimate - c.slope) < 1e-12 * abs(c.slope)) AS linreg_matches_regr_slope
  FROM cv_models c
  JOIN (SELECT f AS fold, buypower.linreg(y, ARRAY[x]) AS model
          FROM cv CROSS JOIN generate_series(1, 5) AS f
         WHERE buypower.fold(cv.id, 5) <> f GROUP BY f) l USING (fold)
  CROSS JOIN LATERAL buypower.summary(l.model) s
 WHERE s.term = 'x1';

-- buypower.linreg: fitting, options, statistics, grouping, windows, scoring
SET extra_float_digits = 0;

-- deterministic data: y = 2 + 3 x1 - 0.5 x2 + 0.25 x3 + noise
CREATE TABLE train AS
SELECT i AS id,
       (i % 17)::float8 AS x1,
       ((i * 7) % 23)::float8 / 3 AS x2,
       sin(i)::float8 AS x3,
       2 + 3 * (i % 17) - 0.5 * ((i * 7) % 23)::float8 / 3 + 0.25 * sin(i)
         + 0.1 * cos(i * 1.7) AS y,
       CASE WHEN i % 3 = 0 THEN 'north' WHEN i % 3 = 1 THEN 'south' ELSE 'west' END AS region
FROM generate_series(1, 1000) i;

CREATE TABLE models AS
SELECT buypower.linreg(y, ARRAY[x1, x2, x3]) AS m FROM train;

-- the model's JSON document
SELECT m::jsonb->>'algorithm' AS algorithm, (m::jsonb->>'nfeatures')::int AS nfeatures,
       m::jsonb->'intercept' AS intercept,
       jsonb_array_length(m::jsonb->'coefficients') AS ncoef,
       (m::jsonb->'stats'->>'n')::int AS n,
       (m::jsonb->'stats'->>'rank')::int AS rank,
       round((m::jsonb->'stats'->>'r2')::numeric, 6) AS r2
FROM models;

-- summary: intercept first, default names x1..xp
SELECT term, round(estimate::numeric, 3) AS estimate,
       std_error > 0 AS has_se, abs(statistic) > 2 AS significant,
       p_value BETWEEN 0 AND 1 AS p_ok
FROM buypower.summary((SELECT m FROM models));

-- standard errors from the textbook formula sigma^2 (X'X)^-1 (diagonal),
-- computed here by brute force for the slope of a one-feature fit
SELECT abs(s.std_error - sqrt(r.sigma2 / r.sxx)) / s.std_error < 1e-10 AS se_matches_formula
FROM (SELECT buypower.linreg(y, ARRAY[x1]) AS m,
             regr_sxx(y, x1) AS sxx,
             (regr_syy(y, x1) - regr_sxy(y, x1)^2 / regr_sxx(y, x1)) / (count(*) - 2) AS sigma2
      FROM train) r
CROSS JOIN LATERAL buypower.summary(r.m) s WHERE s.term = 'x1';

-- one feature: the same line as regr_slope / regr_intercept, and R^2 as regr_r2
SELECT abs(s.estimate - r.slope) / abs(r.slope) < 1e-12 AS slope_ok,
       abs(i.estimate - r.icpt) / abs(r.icpt) < 1e-12 AS intercept_ok,
       abs((r.m::jsonb->'stats'->>'r2')::float8 - r.r2) < 1e-12 AS r2_ok
FROM (SELECT buypower.linreg(y, ARRAY[x1]) AS m, regr_slope(y, x1) AS slope,
             regr_intercept(y, x1) AS icpt, regr_r2(y, x1) AS r2 FROM train) r
CROSS JOIN LATERAL (SELECT estimate FROM buypower.summary(r.m) WHERE term = 'x1') s
CROSS JOIN LATERAL (SELECT estimate FROM buypower.summary(r.m) WHERE term = '(Intercept)') i;

-- names
SELECT term FROM buypower.summary(
  (SELECT buypower.linreg(y, ARRAY[x1, x2, x3], '{"names": ["recency", "orders", "spend"]}') FROM train));

-- no intercept: through the origin, uncentred R^2 (as NIST NoInt and R's lm)
SELECT term, round(estimate::numeric, 6) AS estimate
FROM buypower.summary((SELECT buypower.linreg(2 * x1, ARRAY[x1], '{"intercept": false}') FROM train));
SELECT (m::jsonb->'stats'->>'r2')::float8 = 1 AS perfect, m::jsonb->'intercept' AS intercept
FROM (SELECT buypower.linreg(2 * x1, ARRAY[x1], '{"intercept": false}') AS m FROM train) s;

-- ridge: l2 = 0 is least squares; a huge penalty shrinks slopes towards 0,
-- never the intercept, which tends to mean(y)
SELECT (SELECT buypower.linreg(y, ARRAY[x1, x2, x3], '{"l2": 0}') FROM train)::text
     = (SELECT m FROM models)::text AS l2_zero_is_ols;
SELECT term, abs(estimate) < 1e-6 AS shrunk
FROM buypower.summary((SELECT buypower.linreg(y, ARRAY[x1, x2, x3], '{"l2": 1e12}') FROM train))
WHERE term <> '(Intercept)';
SELECT abs(s.estimate - (SELECT avg(y) FROM train)) < 1e-3 AS intercept_is_mean
FROM buypower.summary((SELECT buypower.linreg(y, ARRAY[x1, x2, x3], '{"l2": 1e12}') FROM train)) s
WHERE term = '(Intercept)';
-- ridge models carry no standard errors (not defined for a penalised fit)
SELECT count(*) FILTER (WHERE std_error IS NULL) AS no_se
FROM buypower.summary((SELECT buypower.linreg(y, ARRAY[x1, x2, x3], '{"l2": 10}') FROM train));

-- NULL targets and NULL feature arrays are skipped and counted
SELECT (m::jsonb->'stats'->>'n')::int AS n, (m::jsonb->'stats'->>'n_skipped')::int AS skipped
FROM (SELECT buypower.linreg(CASE WHEN id % 10 = 0 THEN NULL ELSE y END,
                             CASE WHEN id % 25 = 0 THEN NULL ELSE ARRAY[x1, x2] END) AS m
      FROM train) s;

-- empty input and all-NULL input give NULL
SELECT buypower.linreg(y, ARRAY[x1]) IS NULL AS empty FROM train WHERE false;
SELECT buypower.linreg(NULL::float8, ARRAY[x1]) IS NULL AS all_null FROM train;

-- fewer rows than parameters: exact fit, no residual degrees of freedom
SELECT (m::jsonb->'stats'->>'df_residual')::int AS df, m::jsonb->'std_errors' AS se
FROM (SELECT buypower.linreg(y, ARRAY[x1]) AS m FROM train WHERE id <= 2) s;
-- a single row: intercept only is estimable
SELECT m::jsonb->'coefficients' AS coef
FROM (SELECT buypower.linreg(y, ARRAY[x1]) AS m FROM train WHERE id = 5) s;

-- constant and collinear features: reported as aliased (null), with a notice
SELECT term, estimate IS NULL AS aliased, round(estimate::numeric, 3) AS estimate
FROM buypower.summary((SELECT buypower.linreg(y, ARRAY[x1, 7.0, x2, x1 + 2 * x2]) FROM train));

-- zero features: an intercept-only model, the mean of y
SELECT abs(estimate - (SELECT avg(y) FROM train)) < 1e-12 AS mean_ok
FROM buypower.summary((SELECT buypower.linreg(y, ARRAY[]::float8[]) FROM train));

-- GROUP BY: one model per region
SELECT region, (m::jsonb->'stats'->>'n')::int AS n, round((m::jsonb->'stats'->>'r2')::numeric, 4) AS r2
FROM (SELECT region, buypower.linreg(y, ARRAY[x1, x2, x3]) AS m FROM train GROUP BY region) g
ORDER BY region;

-- window aggregate: a growing frame refits per row; the last equals the full fit
SELECT count(*) AS rows,
       bool_and((w.m::jsonb->'stats'->>'n')::int = w.id) AS frame_sizes_ok
FROM (SELECT id, buypower.linreg(y, ARRAY[x1, x2]) OVER (ORDER BY id) AS m
      FROM train WHERE id <= 50) w;
SELECT (SELECT buypower.linreg(y, ARRAY[x1, x2]) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
        FROM train LIMIT 1)::text
     = (SELECT buypower.linreg(y, ARRAY[x1, x2] ORDER BY id) FROM train)::text AS window_equals_aggregate;
-- sliding frames work (recomputed per frame)
SELECT count(*) FILTER (WHERE m IS NOT NULL) AS fitted
FROM (SELECT buypower.linreg(y, ARRAY[x1]) OVER (ORDER BY id ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS m
      FROM train WHERE id <= 30) w;

-- predict equals the hand-written linear formula
SELECT max(abs(buypower.predict(m, ARRAY[x1, x2, x3])
               - (c[1] + c[2] * x1 + c[3] * x2 + c[4] * x3))) < 1e-9 AS predict_ok
FROM train,
     (SELECT m, ARRAY(SELECT estimate FROM buypower.summary(m)) AS c FROM models) s;

-- in-sample: residuals from predict reproduce the stored RSS
SELECT abs(sum((y - buypower.predict(m, ARRAY[x1, x2, x3]))^2)
           - (m::jsonb->'stats'->>'rss')::float8) / (m::jsonb->'stats'->>'rss')::float8 < 1e-9 AS rss_ok
FROM train, models GROUP BY m::text, m::jsonb;

-- scoring every user in a materialized view, refreshed concurrently
CREATE TABLE users AS SELECT id AS user_id, x1, x2, x3 FROM train;
CREATE MATERIALIZED VIEW user_scores AS
  SELECT u.user_id, buypower.predict(s.m, ARRAY[u.x1, u.x2, u.x3]) AS score
  FROM users u CROSS JOIN models s;
CREATE UNIQUE INDEX ON user_scores (user_id);
SELECT count(*), round(avg(score)::numeric, 6) AS avg_score FROM user_scores;
UPDATE users SET x1 = x1 + 1 WHERE user_id <= 10;
REFRESH MATERIALIZED VIEW CONCURRENTLY user_scores;
SELECT round(avg(score)::numeric, 6) AS avg_score_after FROM user_scores;

-- a model too large to stay inline is TOASTed; predict caches it per call site
CREATE TABLE wide AS
SELECT i AS id, ARRAY(SELECT sin(i * k)::float8 FROM generate_series(1, 300) k) AS x,
       cos(i)::float8 AS y
FROM generate_series(1, 400) i;
CREATE TABLE wide_model AS SELECT buypower.linreg(y, x) AS m FROM wide;
SELECT pg_column_size(m) > 2000 AS toasted_size FROM wide_model;
SELECT count(*) AS scored, bool_and(p IS NOT NULL) AS all_scored
FROM (SELECT buypower.predict(w.m, x) AS p FROM wide, wide_model w) s;

-- preprocessing over many buffered rows (src/prep.c): the quantile pass
-- and linreg's replay split the rows, the selections the features, into
-- two halves that run at once when the helper thread is free (worker.c).  The
-- model must not depend on "threads", must equal a fit on rows imputed,
-- clipped and standardised by hand, and quantiles must stay exact when the
-- sample that brackets them is misleading.
SET max_parallel_workers_per_gather = 0;
SET extra_float_digits = 0;
CREATE TEMP TABLE ptr AS
SELECT i,
       ((hashint4(i) & 65535) / 65536.0)::float8 AS a,
       CASE WHEN i % 31 = 0 THEN NULL
            WHEN i % 97 = 0 THEN 50.0 + i % 13                      -- outliers
            ELSE ((hashint4(i + 5) & 65535) / 8192.0) END::float8 AS s,
       CASE WHEN i % 37 = 0 THEN -1e4 ELSE ((hashint4(i + 9) & 1023) - 512)::float8 END AS t
FROM generate_series(1, 100003) i;
ALTER TABLE ptr ADD COLUMN y float8;
UPDATE ptr SET y = 1 + 2 * a - 0.25 * coalesce(s, 3) + 0.001 * t + ((hashint4(i + 3) & 255) / 256.0);

CREATE TEMP TABLE ptm AS
SELECT 'default' AS fit, buypower.linreg(y, ARRAY[a, s, t], '{"clip": "iqr", "scale": "standard", "l2": 2}') AS m FROM ptr
UNION ALL SELECT 'threads 1', buypower.linreg(y, ARRAY[a, s, t], '{"clip": "iqr", "scale": "standard", "l2": 2, "threads": 1}') FROM ptr
UNION ALL SELECT 'threads 2', buypower.linreg(y, ARRAY[a, s, t], '{"clip": "iqr", "scale": "standard", "l2": 2, "threads": 2}') FROM ptr;
SELECT count(DISTINCT buypower.model_send(m)) AS distinct_models FROM ptm;

-- by hand: fences from the observed quartiles, mean imputation, clipping,
-- standardisation with the population standard deviation
CREATE TEMP TABLE ptq AS
SELECT percentile_cont(0.25) WITHIN GROUP (ORDER BY s) AS s1, percentile_cont(0.75) WITHIN GROUP (ORDER BY s) AS s3,
       percentile_cont(0.25) WITHIN GROUP (ORDER BY t) AS t1, percentile_cont(0.75) WITHIN GROUP (ORDER BY t) AS t3,
       percentile_cont(0.25) WITHIN GROUP (ORDER BY a) AS a1, percentile_cont(0.75) WITHIN GROUP (ORDER BY a) AS a3,
       avg(s::numeric)::float8 AS sfill FROM ptr;
CREATE TEMP VIEW ptc AS
SELECT i, y,
       least(greatest(a, a1 - 1.5 * (a3 - a1)), a3 + 1.5 * (a3 - a1)) AS a,
       least(greatest(coalesce(s, sfill), s1 - 1.5 * (s3 - s1)), s3 + 1.5 * (s3 - s1)) AS s,
       least(greatest(t, t1 - 1.5 * (t3 - t1)), t3 + 1.5 * (t3 - t1)) AS t
FROM ptr, ptq;
CREATE TEMP TABLE pts AS
SELECT avg(a::numeric)::float8 AS ma, stddev_pop(a::numeric)::float8 AS sa,
       avg(s::numeric)::float8 AS ms, stddev_pop(s::numeric)::float8 AS ss,
       avg(t::numeric)::float8 AS mt, stddev_pop(t::numeric)::float8 AS st FROM ptc;
SELECT (m::jsonb #>> '{stats,n_clipped}')::int AS n_clipped,
       (m::jsonb #>> '{stats,n_clipped}')::int =
         (SELECT count(*) FILTER (WHERE s < s1 - 1.5 * (s3 - s1) OR s > s3 + 1.5 * (s3 - s1)) +
                 count(*) FILTER (WHERE t < t1 - 1.5 * (t3 - t1) OR t > t3 + 1.5 * (t3 - t1)) +
                 count(*) FILTER (WHERE a < a1 - 1.5 * (a3 - a1) OR a > a3 + 1.5 * (a3 - a1))
          FROM ptr, ptq) AS n_clipped_right,
       (m::jsonb #>> '{stats,n_imputed}')::int AS n_imputed,
       (SELECT bool_and(abs((f ->> 'upper')::float8 - u) <= 1e-12 * abs(u) AND abs((f ->> 'lower')::float8 - l) <= 1e-12 * abs(l))
        FROM jsonb_array_elements(m::jsonb -> 'preprocessing' -> 'features') WITH ORDINALITY e(f, k)
        JOIN (SELECT 1, a3 + 1.5 * (a3 - a1), a1 - 1.5 * (a3 - a1) FROM ptq
              UNION ALL SELECT 2, s3 + 1.5 * (s3 - s1), s1 - 1.5 * (s3 - s1) FROM ptq
              UNION ALL SELECT 3, t3 + 1.5 * (t3 - t1), t1 - 1.5 * (t3 - t1) FROM ptq) v(k, u, l) USING (k)) AS fences_exact,
       (SELECT max(abs(x.estimate - h.estimate)) / max(abs(h.estimate))
        FROM buypower.summary(m, 'standardized') x
        JOIN buypower.summary((SELECT buypower.linreg(y, ARRAY[(a - ma) / sa, (s - ms) / ss, (t - mt) / st],
                                                      '{"l2": 2, "scale": "none", "names": ["x1", "x2", "x3"]}')
                               FROM ptc, pts)) h USING (term)) < 1e-12 AS as_by_hand
FROM ptm WHERE fit = 'default';

-- predictions replay the same preprocessing: a training row scores as the
-- hand-made row does under the hand-made fit, to rounding
SELECT max(abs(buypower.predict(m, ARRAY[r.a, r.s, r.t]) -
               buypower.predict(h, ARRAY[(c.a - ma) / sa, (c.s - ms) / ss, (c.t - mt) / st]))) < 1e-9 AS predict_as_by_hand
FROM ptm, ptr r JOIN ptc c USING (i), pts,
     (SELECT buypower.linreg(y, ARRAY[(a - ma) / sa, (s - ms) / ss, (t - mt) / st], '{"l2": 2, "scale": "none"}') AS h
      FROM ptc, pts) hm
WHERE fit = 'default';

-- logreg: the quantile pass, the sums for standard scaling and the
-- hand-over of the rows (turned into design rows in place) split too; the
-- same bytes
SELECT count(DISTINCT buypower.model_send(m)) AS distinct_models
FROM (SELECT buypower.logreg(y > 1.5, ARRAY[a, s, t], o::jsonb) AS m
      FROM ptr, (VALUES ('{"clip": "iqr", "impute": "median", "threads": 1}'),
                        ('{"clip": "iqr", "impute": "median", "threads": 2}'),
                        ('{"clip": "iqr", "impute": "median"}')) v(o)
      GROUP BY o) l;
SELECT count(DISTINCT buypower.model_send(m)) AS distinct_models
FROM (SELECT buypower.logreg(y > 1.5, ARRAY[a, s, t], o::jsonb) AS m
      FROM ptr, (VALUES ('{"clip": "iqr", "scale": "standard", "threads": 1}'),
                        ('{"clip": "iqr", "scale": "standard", "threads": 2}')) v(o)
      GROUP BY o) l;

-- a misleading sample: the quantiles are bracketed from every few rows of
-- the buffer, and here those rows hold values far above all others, so
-- the brackets miss and the quantiles are selected from whole columns
CREATE TEMP TABLE ptmis AS
SELECT i, CASE WHEN i % 3 = 1 THEN 1e6 + i ELSE ((hashint4(i) & 65535) / 65536.0) END::float8 AS v,
       ((hashint4(i + 1) & 65535) / 65536.0)::float8 AS y
FROM generate_series(1, 100000) i;
SELECT abs(((m::jsonb -> 'preprocessing' -> 'features' -> 0 ->> 'fill')::float8 - med)) <= 1e-12 * abs(med) AS median_exact,
       abs(((m::jsonb -> 'preprocessing' -> 'features' -> 0 ->> 'upper')::float8 - (q3 + 1.5 * (q3 - q1)))) <=
         1e-12 * abs(q3 + 1.5 * (q3 - q1)) AS upper_exact,
       abs(((m::jsonb -> 'preprocessing' -> 'features' -> 0 ->> 'center')::float8 - rmed)) <= 1e-12 * abs(rmed) AS robust_center_exact
FROM (SELECT buypower.linreg(y, ARRAY[v], '{"impute": "median", "clip": "iqr", "scale": "robust"}') AS m FROM ptmis) f,
     (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS med,
             percentile_cont(0.25) WITHIN GROUP (ORDER BY v) AS q1,
             percentile_cont(0.75) WITHIN GROUP (ORDER BY v) AS q3 FROM ptmis) q,
     (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY least(greatest(v, q1 - 1.5 * (q3 - q1)), q3 + 1.5 * (q3 - q1))) AS rmed
      FROM ptmis, (SELECT percentile_cont(0.25) WITHIN GROUP (ORDER BY v) AS q1,
                          percentile_cont(0.75) WITHIN GROUP (ORDER BY v) AS q3 FROM ptmis) qq) r;

-- bad values of the option
SELECT buypower.linreg(y, ARRAY[a], '{"threads": 0}') FROM ptr;
SELECT buypower.linreg(y, ARRAY[a], '{"threads": "one"}') FROM ptr;

-- the hand-over happens only where the final function runs once on the
-- state (a plain aggregate); in a window the rows are replayed instead,
-- with the same bytes, and a running frame keeps adding rows to the state
-- after each final call
SELECT (SELECT buypower.model_send(buypower.logreg(y > 1.5, ARRAY[a, s, t], '{"clip": "iqr", "scale": "standard"}')) FROM ptr) =
       (SELECT DISTINCT buypower.model_send(buypower.logreg(y > 1.5, ARRAY[a, s, t], '{"clip": "iqr", "scale": "standard"}') OVER ())
        FROM ptr) AS window_same_bytes;
SELECT i, buypower.model_send(m) = (SELECT buypower.model_send(buypower.logreg(y > 1.5, ARRAY[a, s, t], '{"clip": "iqr"}'))
                                    FROM ptr WHERE i <= w.i) AS running_same_bytes
FROM (SELECT i, buypower.logreg(y > 1.5, ARRAY[a, s, t], '{"clip": "iqr"}') OVER (ORDER BY greatest(i, 50)) AS m
      FROM ptr WHERE i <= 300) w
WHERE i IN (100, 200, 300) ORDER BY i;

-- categorical features one-hot encoded: the rows are handed over compactly
-- (numeric design values, then the column of each slot's 1), or replayed
-- in that form (window), and logreg adds the one-hot parts of its sums
-- without the zeros; both paths and "threads" 1 give the same bytes, with
-- NULL levels, "other" levels, the reference level dropped (no l2) or kept
-- (l2), class weights and no intercept (sql/prep.sql and prep_shoppers.sql
-- check the fit itself against a hand-built design and scikit-learn)
CREATE TEMP TABLE ptc2 AS
SELECT i, a, s, t, y,
       CASE WHEN i % 41 = 0 THEN NULL ELSE 'c' || (hashint4(i + 7) & 7) END AS k1,
       'd' || (hashint4(i + 11) & 3) AS k2
FROM ptr;
SELECT count(DISTINCT b) AS distinct_models, count(*) AS fits
FROM (SELECT buypower.model_send(buypower.logreg(y > 1.5, ARRAY[a, s, t], ARRAY[k1, k2], o::jsonb)) AS b
      FROM ptc2, (VALUES ('{}'), ('{"threads": 1}')) v(o) GROUP BY o
      UNION ALL
      SELECT buypower.model_send(m)
      FROM (SELECT buypower.logreg(y > 1.5, ARRAY[a, s, t], ARRAY[k1, k2], '{}') OVER () AS m FROM ptc2 LIMIT 1) w) f;
SELECT count(DISTINCT b) AS distinct_models, count(*) AS fits
FROM (SELECT buypower.model_send(buypower.logreg(y > 1.5, ARRAY[a, s, t], ARRAY[k1, k2], o::jsonb)) AS b
      FROM ptc2, (VALUES ('{"l2": 1, "max_categories": 5, "class_weight": "balanced", "clip": "iqr", "intercept": false}'),
                        ('{"l2": 1, "max_categories": 5, "class_weight": "balanced", "clip": "iqr", "intercept": false, "threads": 1}')) v(o)
      GROUP BY o
      UNION ALL
      SELECT buypower.model_send(m)
      FROM (SELECT buypower.logreg(y > 1.5, ARRAY[a, s, t], ARRAY[k1, k2],
                                   '{"l2": 1, "max_categories": 5, "class_weight": "balanced", "clip": "iqr", "intercept": false}') OVER () AS m
            FROM ptc2 LIMIT 1) w) f;
-- and with missing indicators (not handed over compactly: replayed)
SELECT count(DISTINCT b) AS distinct_models, count(*) AS fits
FROM (SELECT buypower.model_send(buypower.logreg(y > 1.5, ARRAY[a, s, t], ARRAY[k1, k2], '{"missing_indicators": true}')) AS b FROM ptc2
      UNION ALL
      SELECT buypower.model_send(m)
      FROM (SELECT buypower.logreg(y > 1.5, ARRAY[a, s, t], ARRAY[k1, k2], '{"missing_indicators": true}') OVER () AS m
            FROM ptc2 LIMIT 1) w) f;

-- a hashed aggregate that is rescanned (the inner side of a nested loop)
-- finalizes the same states again: the handed-over learner is kept for
-- that, and every call gives the same model
CREATE TEMP TABLE rt AS
SELECT i, i % 2 AS g, ((hashint4(i) & 65535) / 65536.0)::float8 AS a,
       ((hashint4(i + 1) & 65535) / 65536.0)::float8 AS b, ((hashint4(i + 2) & 65535) / 65536.0)::float8 AS u
FROM generate_series(1, 2000) i;
ANALYZE rt;
CREATE TEMP TABLE rt_plain AS
SELECT g, buypower.model_send(buypower.logreg(u < a, ARRAY[a, b], '{"clip": "iqr"}')) AS b FROM rt GROUP BY g;
BEGIN;
SET LOCAL enable_hashjoin = off;
SET LOCAL enable_mergejoin = off;
SET LOCAL enable_material = off;
SET LOCAL enable_sort = off;
EXPLAIN (COSTS OFF)
SELECT o.k, buypower.model_send(a.m) = (SELECT b FROM rt_plain WHERE g = o.k) AS same_model
FROM (VALUES (0), (1), (0), (1)) o(k)
LEFT JOIN (SELECT g, buypower.logreg(u < a, ARRAY[a, b], '{"clip": "iqr"}') AS m FROM rt GROUP BY g) a ON a.g = o.k;
SELECT o.k, buypower.model_send(a.m) = (SELECT b FROM rt_plain WHERE g = o.k) AS same_model
FROM (VALUES (0), (1), (0), (1)) o(k)
LEFT JOIN (SELECT g, buypower.logreg(u < a, ARRAY[a, b], '{"clip": "iqr"}') AS m FROM rt GROUP BY g) a ON a.g = o.k;
COMMIT;

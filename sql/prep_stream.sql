-- preprocessing: standard scaling alone streams for linreg (ridge's default):
-- the learner takes unscaled rows, and its QR factor gives the means and
-- centred sums of squares that define the scaling; it is then moved to the
-- scaled design.  The buffered path (forced here by z-score clipping with a
-- bound no value reaches, which clips nothing; it too learns the scaling
-- from the learner after replaying the imputed and clipped rows) and a fit
-- on columns standardised by hand must agree with it to 1e-12 relative.
SET extra_float_digits = 0;

CREATE TABLE pst AS
SELECT i,
       ((hashint4(i) & 65535) / 65536.0)::float8 AS a,
       CASE WHEN i % 23 = 0 THEN NULL
            ELSE 1e8 + ((hashint4(i + 7) & 65535) / 16.0) END::float8 AS big,   -- mean far from 0
       ((hashint4(i + 11) & 1023) - 512)::float8 * 1e-6 AS small,
       5.0::float8 AS konst,
       i % 3 AS grp
FROM generate_series(1, 60000) i;
ALTER TABLE pst ADD COLUMN y float8;
UPDATE pst SET y = 2 + 3 * a + 1e-4 * coalesce(big - 1e8, 2000) + 1e5 * small + ((hashint4(i + 3) & 255) / 256.0);

-- largest difference between two models, relative to the size of what is
-- compared (norm-wise): coefficients on both scales against the largest
-- coefficient; centers, scales and fill values against the scale
CREATE FUNCTION pg_temp.max_rel(a buypower.model, b buypower.model) RETURNS float8
LANGUAGE sql AS $$
  SELECT max(r) FROM (
    SELECT max(abs(x.estimate - y.estimate)) / max(abs(y.estimate)) AS r
    FROM buypower.summary(a) x JOIN buypower.summary(b) y USING (term)
    UNION ALL
    SELECT max(abs(x.estimate - y.estimate)) / max(abs(y.estimate))
    FROM buypower.summary(a, 'standardized') x JOIN buypower.summary(b, 'standardized') y USING (term)
    UNION ALL
    SELECT greatest(abs((fa ->> 'center')::float8 - (fb ->> 'center')::float8) / (fb ->> 'scale')::float8,
                    abs((fa ->> 'scale')::float8 - (fb ->> 'scale')::float8) / (fb ->> 'scale')::float8,
                    abs((fa ->> 'fill')::float8 - (fb ->> 'fill')::float8) / (fb ->> 'scale')::float8)
    FROM jsonb_array_elements(a::jsonb -> 'preprocessing' -> 'features') WITH ORDINALITY ea(fa, k)
    JOIN jsonb_array_elements(b::jsonb -> 'preprocessing' -> 'features') WITH ORDINALITY eb(fb, k) USING (k)) d
$$;

-- 1. streamed vs buffered: ridge (standard scaling by default), with NULLs
-- imputed by the mean or by zero, and unpenalised standard scaling
CREATE TABLE m AS
SELECT o AS opts,
       buypower.linreg(y, ARRAY[a, big, small], o::jsonb) AS streamed,
       buypower.linreg(y, ARRAY[a, big, small], (o::jsonb || '{"clip": "zscore", "clip_k": 1e9}')) AS buffered
FROM pst, (VALUES ('{"l2": 10}'), ('{"l2": 1000, "impute": "zero"}'), ('{"scale": "standard"}')) v(o)
GROUP BY o;
SELECT opts,
       pg_temp.max_rel(streamed, buffered) < 1e-12 AS agree,
       (streamed::jsonb -> 'stats' ->> 'n_imputed')::int AS n_imputed,
       (streamed::jsonb -> 'stats' ->> 'n_imputed') = (buffered::jsonb -> 'stats' ->> 'n_imputed') AS same_imputed,
       (SELECT bool_and((f ->> 'missing') = (g ->> 'missing'))
        FROM jsonb_array_elements(streamed::jsonb -> 'preprocessing' -> 'features') WITH ORDINALITY s(f, k)
        JOIN jsonb_array_elements(buffered::jsonb -> 'preprocessing' -> 'features') WITH ORDINALITY t(g, k) USING (k)) AS same_missing
FROM m ORDER BY opts;

-- both against a fit on columns imputed and standardised by hand in SQL
-- (in numeric: float8 avg and stddev_pop lose digits on a mean of 1e8),
-- unscaled by the model: the same penalised fit
CREATE TABLE hand AS
SELECT avg(a::numeric)::float8 AS ma, stddev_pop(a::numeric)::float8 AS sa, avg(big::numeric) AS mb0n,
       avg(big::numeric)::float8 AS mb0, avg(small::numeric)::float8 AS ms, stddev_pop(small::numeric)::float8 AS ss FROM pst;
CREATE TABLE hand2 AS
SELECT avg(coalesce(big::numeric, mb0n))::float8 AS mb, stddev_pop(coalesce(big::numeric, mb0n))::float8 AS sb FROM pst, hand;
SELECT (SELECT max(abs(x.estimate - h.estimate)) / max(abs(h.estimate))
        FROM buypower.summary(streamed, 'standardized') x
        JOIN buypower.summary((SELECT buypower.linreg(y, ARRAY[(a - ma) / sa, (coalesce(big, mb0) - mb) / sb, (small - ms) / ss],
                                                      '{"l2": 10, "scale": "none", "names": ["x1", "x2", "x3"]}')
                               FROM pst, hand, hand2)) h USING (term)) < 1e-12 AS streamed_as_by_hand,
       (SELECT max(abs(x.estimate - h.estimate)) / max(abs(h.estimate))
        FROM buypower.summary(buffered, 'standardized') x
        JOIN buypower.summary((SELECT buypower.linreg(y, ARRAY[(a - ma) / sa, (coalesce(big, mb0) - mb) / sb, (small - ms) / ss],
                                                      '{"l2": 10, "scale": "none", "names": ["x1", "x2", "x3"]}')
                               FROM pst, hand, hand2)) h USING (term)) < 1e-12 AS buffered_as_by_hand,
       (SELECT bool_and(abs((f ->> 'center')::float8 - c) < 1e-12 * sd AND abs((f ->> 'scale')::float8 - sd) < 1e-12 * sd)
        FROM jsonb_array_elements(streamed::jsonb -> 'preprocessing' -> 'features') WITH ORDINALITY e(f, k)
        JOIN (VALUES (1, (SELECT ma FROM hand), (SELECT sa FROM hand)), (2, (SELECT mb FROM hand2), (SELECT sb FROM hand2)),
                     (3, (SELECT ms FROM hand), (SELECT ss FROM hand))) v(k, c, sd) USING (k)) AS params_as_by_hand
FROM m WHERE opts = '{"l2": 10}';

-- clipping that clips (buffered, scaling learned after the replay), with
-- NULLs, against the same by hand: fences from the observed quartiles,
-- then mean imputation, clipping, standardisation
CREATE TABLE spk AS
SELECT i, y, a, CASE WHEN i % 29 = 0 THEN NULL WHEN i % 101 = 0 THEN 40.0 + i % 7 ELSE a * 3 + small * 1000 END::float8 AS s
FROM pst;
CREATE TABLE spk1 AS
SELECT percentile_cont(0.25) WITHIN GROUP (ORDER BY s) AS q1, percentile_cont(0.75) WITHIN GROUP (ORDER BY s) AS q3,
       avg(s::numeric)::float8 AS fill FROM spk;
CREATE VIEW spk_c AS
SELECT i, y, a, least(greatest(coalesce(s, fill), q1 - 1.5 * (q3 - q1)), q3 + 1.5 * (q3 - q1)) AS s FROM spk, spk1;
CREATE TABLE spk2 AS
SELECT avg(a::numeric)::float8 AS ma, stddev_pop(a::numeric)::float8 AS sa,
       avg(s::numeric)::float8 AS ms, stddev_pop(s::numeric)::float8 AS ss FROM spk_c;
SELECT (m::jsonb #>> '{stats,n_clipped}')::int AS n_clipped,
       (m::jsonb #>> '{stats,n_clipped}')::int = (SELECT count(*) FROM spk, spk1 WHERE s > q3 + 1.5 * (q3 - q1) OR s < q1 - 1.5 * (q3 - q1)) AS n_clipped_right,
       (SELECT max(abs(x.estimate - h.estimate)) / max(abs(h.estimate))
        FROM buypower.summary(m, 'standardized') x
        JOIN buypower.summary((SELECT buypower.linreg(y, ARRAY[(a - ma) / sa, (s - ms) / ss], '{"l2": 3, "scale": "none", "names": ["x1", "x2"]}')
                               FROM spk_c, spk2)) h USING (term)) < 1e-12 AS clipped_as_by_hand
FROM (SELECT buypower.linreg(y, ARRAY[a, s], '{"l2": 3, "clip": "iqr"}') AS m FROM spk) t;

-- the penalty is on the standardised coefficients: scaling the inputs by
-- hand does not change the standardised fit
SELECT abs(x.estimate - y.estimate) < 1e-9 * abs(x.estimate) AS unit_free
FROM buypower.summary((SELECT buypower.linreg(y, ARRAY[a, big, small], '{"l2": 10}') FROM pst), 'standardized') x
JOIN buypower.summary((SELECT buypower.linreg(y, ARRAY[a * 1000, big / 7, small * 1e6], '{"l2": 10}') FROM pst), 'standardized') y
USING (term) WHERE term <> '(Intercept)';

-- predictions of the streamed and buffered models agree
SELECT opts, max(abs(buypower.predict(streamed, ARRAY[a, big, small]) - buypower.predict(buffered, ARRAY[a, big, small])))
            < 1e-12 * max(abs(buypower.predict(buffered, ARRAY[a, big, small]))) AS predictions_agree
FROM m, pst GROUP BY opts ORDER BY opts;

-- 2. a constant column is centred and not scaled, as on the buffered path
SELECT pg_temp.max_rel(buypower.linreg(y, ARRAY[a, konst], '{"l2": 1}'),
                       buypower.linreg(y, ARRAY[a, konst], '{"l2": 1, "clip": "zscore", "clip_k": 1e9}')) < 1e-12 AS konst_agree,
       (buypower.linreg(y, ARRAY[a, konst], '{"l2": 1}')::jsonb -> 'preprocessing' -> 'features' -> 1 ->> 'scale')::float8 AS konst_scale
FROM pst;

-- 3. it streams: 60000 rows of 3 features exceed the smallest memory limit
-- when buffered, not when streamed
SET buypower.max_training_memory = 1024;
SELECT buypower.linreg(y, ARRAY[a, big, small], '{"l2": 10, "clip": "zscore", "clip_k": 1e9}') IS NOT NULL FROM pst;
SELECT pg_temp.max_rel((SELECT buypower.linreg(y, ARRAY[a, big, small], '{"l2": 10}') FROM pst), streamed) < 1e-12 AS same_under_limit
FROM m WHERE opts = '{"l2": 10}';
RESET buypower.max_training_memory;

-- 4. groups, and a window (the final function runs more than once)
SELECT grp, pg_temp.max_rel(buypower.linreg(y, ARRAY[a, big, small], '{"l2": 10}'),
                            buypower.linreg(y, ARRAY[a, big, small], '{"l2": 10, "clip": "zscore", "clip_k": 1e9}')) < 1e-12 AS agree
FROM pst GROUP BY grp ORDER BY grp;
SELECT count(DISTINCT m::text) AS distinct_models, count(*) AS rows
FROM (SELECT buypower.linreg(y, ARRAY[a, big, small], '{"l2": 10}') OVER () AS m FROM pst WHERE i <= 50) w;

-- 5. parallel workers: merged learners, then rescaled once
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT buypower.linreg(y, ARRAY[a, big, small], '{"l2": 10}') FROM pst;
SELECT pg_temp.max_rel((SELECT buypower.linreg(y, ARRAY[a, big, small], '{"l2": 10}') FROM pst), streamed) < 1e-12 AS parallel_agrees
FROM m WHERE opts = '{"l2": 10}';
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;

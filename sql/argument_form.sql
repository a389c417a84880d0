-- linreg_values, logreg_values, gbdt_values, forest_values: the training aggregates with the features
-- as separate arguments, (target, x1, ..., xn [, c1, ..., ck] [, options]),
-- so that no array is built per row.  A model must be exactly the one the
-- same values in arrays give: same bytes, same statistics, same errors.
-- The planner would turn the ARRAY[...] calls below into the argument forms
-- themselves (train_support.sql), so the arrays are kept here.
SET buypower.rewrite_arrays = off;
CREATE TABLE af AS
SELECT i AS id, sin(i)::float8 AS x1, cos(i * 0.3)::float8 AS x2, ((i * 7) % 13)::int AS x3,
       (i % 5)::text AS c, (ARRAY['north', 'south', 'east'])[1 + i % 3]::varchar AS region
FROM generate_series(1, 3000) i;
ALTER TABLE af ADD COLUMN y float8, ADD COLUMN b boolean, ADD COLUMN yn numeric;
UPDATE af SET y = 1 + 2 * x1 - 0.5 * x2 + 0.1 * x3 + 0.3 * sin(id * 17) + (length(c) + id % 5) * 0.2,
              b = x1 + 0.2 * x3 + sin(id * 5) + (id % 5) * 0.3 > 1.5;
UPDATE af SET yn = b::int;
-- missing values for imputation, a NULL category, skipped targets
UPDATE af SET x2 = NULL WHERE id % 17 = 0;
UPDATE af SET c = NULL WHERE id % 23 = 0;
UPDATE af SET y = NULL, b = NULL, yn = NULL WHERE id % 101 = 0;

-- every learner and option set: the same model text either way
SELECT kind, a::text = v::text AS same_model, (v::jsonb->'stats'->>'n')::int AS n,
       (v::jsonb->'stats'->>'n_skipped')::int AS skipped
FROM (
  SELECT 'linreg' AS kind, buypower.linreg(y, ARRAY[x1, x2, x3]) AS a,
         buypower.linreg_values(y, x1, x2, x3) AS v FROM af
  UNION ALL
  SELECT 'ridge+prep', buypower.linreg(y, ARRAY[x1, x2, x3], '{"l2": 0.5, "clip": "iqr", "impute": "median", "scale": "robust"}'),
         buypower.linreg_values(y, x1, x2, x3, '{"l2": 0.5, "clip": "iqr", "impute": "median", "scale": "robust"}') FROM af
  UNION ALL
  SELECT 'no intercept, names', buypower.linreg(y, ARRAY[x1, x2, x3], '{"intercept": false, "names": ["a", "b", "c"]}'),
         buypower.linreg_values(y, x1, x2, x3, '{"intercept": false, "names": ["a", "b", "c"]}'::jsonb) FROM af
  UNION ALL
  SELECT 'linreg categorical', buypower.linreg(y, ARRAY[x1, x2, x3], ARRAY[c, region], '{}'),
         buypower.linreg_values(y, x1, x2, x3, c, region) FROM af
  UNION ALL
  SELECT 'logreg', buypower.logreg(b, ARRAY[x1, x2, x3]), buypower.logreg_values(b, x1, x2, x3) FROM af
  UNION ALL
  SELECT 'logreg 0/1 label', buypower.logreg(yn::float8, ARRAY[x1, x2, x3], '{"l2": 1, "class_weight": "balanced"}'),
         buypower.logreg_values(yn::float8, x1, x2, x3, '{"l2": 1, "class_weight": "balanced"}') FROM af
  UNION ALL
  SELECT 'logreg categorical', buypower.logreg(b, ARRAY[x1, x2, x3], ARRAY[c, region], '{"missing_indicators": true}'),
         buypower.logreg_values(b, x1, x2, x3, c, region, '{"missing_indicators": true}') FROM af
  UNION ALL
  SELECT 'gbdt', buypower.gbdt(y, ARRAY[x1, x2, x3], '{"trees": 5, "max_depth": 3}'),
         buypower.gbdt_values(y, x1, x2, x3, '{"trees": 5, "max_depth": 3}') FROM af
  UNION ALL
  SELECT 'gbdt categorical', buypower.gbdt(b, ARRAY[x1, x2, x3], ARRAY[c, region], '{"trees": 5, "max_depth": 3}'),
         buypower.gbdt_values(b, x1, x2, x3, c, region, '{"trees": 5, "max_depth": 3}') FROM af
  UNION ALL
  SELECT 'forest', buypower.forest(b, ARRAY[x1, x2, x3], '{"trees": 5, "max_depth": 4}'),
         buypower.forest_values(b, x1, x2, x3, '{"trees": 5, "max_depth": 4}') FROM af
  UNION ALL
  SELECT 'forest categorical', buypower.forest(y, ARRAY[x1, x2, x3], ARRAY[c, region], '{"trees": 5, "max_depth": 4}'),
         buypower.forest_values(y, x1, x2, x3, c, region, '{"trees": 5, "max_depth": 4}') FROM af
) t ORDER BY kind;

-- numbers of any numeric type are converted as by a cast to float8
SELECT buypower.linreg(y, ARRAY[x1, x2::float4, x3, id::int8, (id % 7)::numeric])::text
       = buypower.linreg_values(y, x1, x2::float4, x3, id::int8, (id % 7)::numeric)::text AS same_model
FROM af;
-- the array form still takes arrays of integers (no ambiguity with the argument form)
SELECT buypower.linreg(y, ARRAY[x3, id])::text = buypower.linreg_values(y, x3, id)::text AS same_model FROM af;

-- a model from either form scores the same; predict_values is its scoring twin
SELECT count(*) FILTER (WHERE buypower.predict(m, ARRAY[x1, x2, x3::float8], ARRAY[c, region])
                        IS DISTINCT FROM buypower.predict_values(m, x1, x2, x3, c, region)) AS differ
FROM af, (SELECT buypower.logreg_values(b, x1, x2, x3, c, region) AS m FROM af) t;

-- GROUP BY, window, empty input
SELECT region, a::text = v::text AS same_model
FROM (SELECT region, buypower.linreg(y, ARRAY[x1, x2, x3]) AS a, buypower.linreg_values(y, x1, x2, x3) AS v
        FROM af GROUP BY region) t ORDER BY region;
SELECT count(*) AS rows, bool_and(a::text = v::text) AS same_models
FROM (SELECT buypower.logreg(b, ARRAY[x1, x2, x3]) OVER (PARTITION BY region ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS a,
             buypower.logreg_values(b, x1, x2, x3) OVER (PARTITION BY region ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS v
        FROM af WHERE id < 600) t;
SELECT buypower.linreg_values(y, x1) IS NULL AS empty FROM af WHERE false;

-- a forced parallel plan gives the serial model (to 1e-9: workers' rows
-- arrive in another order)
CREATE TABLE af_big AS
SELECT i AS id, ((hashint4(i) & 65535) / 65536.0)::float8 AS x1, ((hashint4(i + 7) & 255))::int AS x2
FROM generate_series(1, 100000) i;
ALTER TABLE af_big ADD COLUMN y float8;
UPDATE af_big SET y = 3 - 2 * x1 + 0.01 * x2 + ((hashint4(id + 11) & 255) / 256.0 - 0.5);
VACUUM ANALYZE af_big;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE af_serial AS
SELECT buypower.linreg_values(y, x1, x2) AS l, buypower.logreg_values(y > 2.5, x1, x2) AS g FROM af_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT buypower.linreg_values(y, x1, x2) FROM af_big;
CREATE TEMP TABLE af_parallel AS
SELECT buypower.linreg_values(y, x1, x2) AS l, buypower.logreg_values(y > 2.5, x1, x2) AS g FROM af_big;
SELECT (SELECT max(abs(s.estimate - p.estimate) / abs(s.estimate))
          FROM buypower.summary(a.l) s JOIN buypower.summary(b.l) p USING (term)) < 1e-9 AS linreg_same,
       (SELECT max(abs(s.estimate - p.estimate) / abs(s.estimate))
          FROM buypower.summary(a.g) s JOIN buypower.summary(b.g) p USING (term)) < 1e-9 AS logreg_same
FROM af_serial a, af_parallel b;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;

-- bad input: the same errors as arrays give, and argument errors of their own
SELECT buypower.linreg_values(y, x1, 'NaN'::float8) FROM af;
SELECT buypower.linreg_values(y, x1, 'Infinity'::numeric) FROM af;
SELECT buypower.linreg_values(y, x1, x2, '{"impute": "error"}') FROM af;
SELECT buypower.linreg_values('Infinity'::float8, x1) FROM af;
SELECT buypower.logreg_values(y, x1) FROM af;
SELECT buypower.linreg_values(y, x1, b) FROM af;
SELECT buypower.linreg_values(y, x1, ARRAY[x2]) FROM af;
SELECT buypower.linreg_values(y, c) FROM af;
SELECT buypower.linreg_values(y, x1, c, x2) FROM af;
SELECT buypower.linreg_values(y, x1, 'abc', x2) FROM af;
SELECT buypower.linreg_values(y, x1, 'north', '{}') FROM af;
SELECT buypower.linreg_values(y, x1, 'not json') FROM af;
SELECT buypower.linreg_values(y, x1, '{"l3": 1}') FROM af;
SELECT buypower.linreg_values(y, x1, '{}'::jsonb, x2) FROM af;
SELECT buypower.linreg_values(y) FROM af;
SELECT buypower.gbdt_values(y, x1, 'Infinity'::float8) FROM af;
SELECT buypower.forest_values(b, x1, c, x2) FROM af;
SELECT buypower.gbdt_values(b, x1, x2, '{"trees": 0}') FROM af;
-- options that arrive as text would be a constant category: refused
SELECT buypower.linreg_values(DISTINCT y, x1, x2, c, '{"l2": 1}') FROM af;
WITH o AS (SELECT '{"l2": 1}'::text AS opts)
SELECT buypower.linreg_values(y, x1, x2, opts) FROM af, o;
-- options alone are not a feature
SELECT buypower.linreg_values(y, '{}'::jsonb) FROM af;
-- no VARIADIC array
SELECT buypower.linreg_values(y, VARIADIC ARRAY[x1, x2]) FROM af;
-- an untyped NULL before any text is a missing number, as in predict_values
SELECT buypower.linreg_values(y, x1, NULL, x3)::text
       = buypower.linreg(y, ARRAY[x1, NULL, x3])::text AS null_is_missing FROM af;
-- so is an untyped NULL in the last place (options are never NULL literals)
SELECT buypower.linreg_values(y, x1, NULL)::text = buypower.linreg(y, ARRAY[x1, NULL])::text AS trailing_null FROM af;
-- a group whose targets are all NULL gives NULL, as the array form does,
-- even when its options would not fit the features
SELECT buypower.linreg_values(y, x1, x2, '{"names": ["a"]}') IS NULL AS all_skipped,
       buypower.linreg(y, ARRAY[x1, x2], '{"names": ["a"]}') IS NULL AS array_form
FROM af WHERE y IS NULL;
-- domains count as their base types; character(n) drops trailing blanks as its cast to text does
CREATE DOMAIN af_money AS numeric CHECK (VALUE >= -100);
CREATE DOMAIN af_label AS text;
CREATE DOMAIN af_opts AS jsonb;
SELECT buypower.linreg_values(y, x1, x3::af_money, c::af_label, '{"l2": 1}'::af_opts)::text
       = buypower.linreg(y, ARRAY[x1, x3], ARRAY[c], '{"l2": 1}')::text AS domains_ok,
       buypower.linreg_values(y, x1, region::char(8))::text
       = buypower.linreg(y, ARRAY[x1], ARRAY[region::char(8)], '{}')::text AS bpchar_ok
FROM af;
SELECT count(*) FILTER (WHERE buypower.predict_values(m, x1, region::char(8))
                        IS DISTINCT FROM buypower.predict(m, ARRAY[x1], ARRAY[region::text])) AS differ
FROM af, (SELECT buypower.linreg_values(y, x1, region::char(8)) AS m FROM af) t;
DROP DOMAIN af_money, af_label, af_opts;
-- a NULL options argument means the defaults
SELECT buypower.linreg_values(y, x1, NULL::jsonb)::text = buypower.linreg(y, ARRAY[x1])::text AS defaults FROM af;

-- predict(model, ARRAY[e1, ..., en]) is planned as predict_values(model,
-- e1, ..., en): the elements are passed as arguments and the array is not
-- built per row.  Scores, NULL handling and errors must be exactly those of
-- the same values passed as an array.
CREATE TABLE pv AS
SELECT i AS id, sin(i)::float8 AS x1, cos(i * 0.3)::float8 AS x2, ((i * 7) % 13)::float8 AS x3,
       (i % 5)::text AS c
FROM generate_series(1, 2000) i;
ALTER TABLE pv ADD COLUMN y float8, ADD COLUMN b boolean, ADD COLUMN xs float8[];
UPDATE pv SET y = 1 + 2 * x1 - 0.5 * x2 + 0.1 * x3 + 0.3 * sin(id * 17),
              b = x1 + 0.2 * x3 + sin(id * 5) > 1.0;
-- some NULLs for imputation
UPDATE pv SET x2 = NULL WHERE id % 17 = 0;
UPDATE pv SET xs = ARRAY[x1, x2, x3];
CREATE TABLE pv_models AS
SELECT 'linreg' AS kind, buypower.linreg(y, ARRAY[x1, x2, x3]) AS m FROM pv
UNION ALL SELECT 'ridge_iqr', buypower.linreg(y, ARRAY[x1, x2, x3], '{"l2": 0.5, "clip": "iqr", "impute": "median"}') FROM pv
UNION ALL SELECT 'logreg', buypower.logreg(b, ARRAY[x1, x2, x3]) FROM pv
UNION ALL SELECT 'gbdt', buypower.gbdt(y, ARRAY[x1, x2, x3], '{"trees": 5, "max_depth": 3}') FROM pv
UNION ALL SELECT 'forest', buypower.forest(b, ARRAY[x1, x2, x3], '{"trees": 5, "max_depth": 3}') FROM pv;

-- the plan calls predict_values with the columns; an array column is left alone
EXPLAIN (VERBOSE, COSTS OFF)
SELECT buypower.predict(m.m, ARRAY[x1, x2, x3 + 1]) FROM pv, pv_models m;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT buypower.predict(m.m, xs) FROM pv, pv_models m;
-- multidimensional arrays are not rewritten (and fail as before)
EXPLAIN (VERBOSE, COSTS OFF)
SELECT buypower.predict(m.m, ARRAY[[x1, x2, x3]]) FROM pv, pv_models m;
SELECT buypower.predict(m.m, ARRAY[[x1, x2, x3]]) FROM pv, pv_models m LIMIT 1;
-- elements of other types are cast to float8 inside the ARRAY first
EXPLAIN (VERBOSE, COSTS OFF)
SELECT buypower.predict(m.m, ARRAY[x1, id, 2]) FROM pv, pv_models m;

-- every model kind, rows with NULLs included: the same bits either way
SELECT m.kind, count(*) AS rows, count(*) FILTER (WHERE x2 IS NULL) AS null_rows,
       count(*) FILTER (WHERE buypower.predict(m.m, ARRAY[x1, x2, x3])
                              IS DISTINCT FROM buypower.predict(m.m, xs)) AS differ,
       count(*) FILTER (WHERE buypower.predict_values(m.m, x1, x2, x3)
                              IS DISTINCT FROM buypower.predict(m.m, xs)) AS differ_direct
  FROM pv, pv_models m GROUP BY m.kind ORDER BY m.kind;

-- a view keeps the call as written; the rewrite happens when it is planned
CREATE VIEW pv_scores AS
SELECT id, buypower.predict(m.m, ARRAY[x1, x2, x3]) AS score FROM pv, pv_models m WHERE m.kind = 'linreg';
SELECT pg_get_viewdef('pv_scores'::regclass) LIKE '%buypower.predict(m.m, ARRAY[pv.x1, pv.x2, pv.x3])%' AS stored_as_written;
SELECT count(*) AS rows, sum(score) = (SELECT sum(buypower.predict(m.m, xs)) FROM pv, pv_models m WHERE m.kind = 'linreg') AS same_sum
  FROM pv_scores;

-- each element is evaluated once per row
CREATE SEQUENCE pv_seq;
SELECT count(*) AS rows, count(s) AS scored
  FROM (SELECT buypower.predict(m.m, ARRAY[nextval('pv_seq')::float8, x2, x3]) AS s FROM pv, pv_models m
         WHERE m.kind = 'linreg' ORDER BY id) t;
SELECT last_value FROM pv_seq;

-- parameters: prepared statements (custom and generic plans) and PL/pgSQL
PREPARE pv_prep(float8, float8, float8) AS
SELECT buypower.predict(m.m, ARRAY[$1, $2, $3]) FROM pv_models m WHERE kind = 'logreg';
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE pv_prep(0.5, NULL, 3);
EXECUTE pv_prep(0.5, NULL, 3) \gset
SELECT :predict = buypower.predict(m, '{0.5,NULL,3}'::float8[]) AS generic_same FROM pv_models WHERE kind = 'logreg';
RESET plan_cache_mode;
CREATE FUNCTION pv_score(m buypower.model, a float8, b float8, c float8) RETURNS float8
LANGUAGE plpgsql AS $$ BEGIN RETURN buypower.predict(m, ARRAY[a, b, c]); END $$;
SELECT count(*) FILTER (WHERE pv_score(m.m, x1, x2, x3) IS DISTINCT FROM buypower.predict(m.m, xs)) AS plpgsql_differ
  FROM pv, pv_models m;
-- a parallel plan
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT count(*) FILTER (WHERE buypower.predict((SELECT m FROM pv_models WHERE kind = 'linreg'), ARRAY[x1, x2, x3])
                              IS DISTINCT FROM buypower.predict((SELECT m FROM pv_models WHERE kind = 'linreg'), xs)) FROM pv;
SELECT count(*) FILTER (WHERE buypower.predict((SELECT m FROM pv_models WHERE kind = 'linreg'), ARRAY[x1, x2, x3])
                              IS DISTINCT FROM buypower.predict((SELECT m FROM pv_models WHERE kind = 'linreg'), xs))
       AS parallel_differ FROM pv;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- errors are those of the array path
CREATE TABLE pv_lin AS SELECT m FROM pv_models WHERE kind = 'linreg';
SELECT buypower.predict(m, ARRAY[x1, x2]) FROM pv, pv_lin WHERE id = 1;
SELECT buypower.predict(m, ARRAY[x1, x2, x3, x3]) FROM pv, pv_lin WHERE id = 1;
SELECT buypower.predict(m, ARRAY[x1, 'NaN', x3]) FROM pv, pv_lin WHERE id = 1;
SELECT buypower.predict(m, ARRAY[x1, '-Infinity', x3]) FROM pv, pv_lin WHERE id = 1;
SELECT buypower.predict(m, ARRAY[x1 + 1.7e308, x2, x3]) FROM pv, pv_lin WHERE id = 1;
CREATE TABLE pv_strict AS SELECT buypower.linreg(y, ARRAY[x1, x3], '{"impute": "error"}') AS m FROM pv;
SELECT buypower.predict(m, ARRAY[x1, NULL]) FROM pv, pv_strict WHERE id = 1;
SELECT buypower.predict(NULL::buypower.model, ARRAY[x1, x2, x3]) IS NULL AS null_model FROM pv WHERE id = 1;
-- a model with categorical features still needs the text[] argument
CREATE TABLE pv_cat AS SELECT buypower.linreg(y, ARRAY[x1, x3], ARRAY[c], '{}') AS m FROM pv;
SELECT buypower.predict(m, ARRAY[x1, x3]) FROM pv, pv_cat WHERE id = 1;
-- more elements than a function takes arguments (100 with the model): not
-- rewritten, so the model's own error, not "cannot pass more than 100 arguments"
\set many 'ARRAY[x1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100]'
SELECT buypower.predict(m, :many) FROM pv, pv_lin WHERE id = 1;

-- categorical features: predict(model, ARRAY[...], ARRAY[...]) becomes
-- predict_values(model, numbers..., texts...); NULL, varchar and categories
-- never seen in training score as with arrays
ALTER TABLE pv ADD COLUMN c2 varchar, ADD COLUMN cs text[];
UPDATE pv SET c2 = CASE WHEN id % 13 = 0 THEN NULL ELSE 'k' || (id % 4) END;
UPDATE pv SET cs = ARRAY[c, c2];
CREATE TABLE pv_cat_models AS
SELECT 'linreg' AS kind, buypower.linreg(y, ARRAY[x1, x2, x3], ARRAY[c, c2], '{}') AS m FROM pv WHERE id <= 1500
UNION ALL SELECT 'logreg', buypower.logreg(b, ARRAY[x1, x2, x3], ARRAY[c, c2], '{"l2": 1}') FROM pv WHERE id <= 1500
UNION ALL SELECT 'gbdt', buypower.gbdt(y, ARRAY[x1, x2, x3], ARRAY[c, c2], '{"trees": 5, "max_depth": 3}') FROM pv WHERE id <= 1500;
-- rows scored below include categories unseen in training
UPDATE pv SET c = 'new' || id, cs[1] = 'new' || id WHERE id > 1990;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT buypower.predict(m.m, ARRAY[x1, x2, x3], ARRAY[c, c2]) FROM pv, pv_cat_models m;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT buypower.predict(m.m, ARRAY[x1, x2, x3], cs) FROM pv, pv_cat_models m;
SELECT m.kind, count(*) AS rows,
       count(*) FILTER (WHERE c2 IS NULL OR c LIKE 'new%') AS null_or_unseen,
       count(*) FILTER (WHERE buypower.predict(m.m, ARRAY[x1, x2, x3], ARRAY[c, c2])
                              IS DISTINCT FROM buypower.predict(m.m, xs, cs)) AS differ,
       count(*) FILTER (WHERE buypower.predict_values(m.m, x1, x2, x3, c, c2)
                              IS DISTINCT FROM buypower.predict(m.m, xs, cs)) AS differ_direct
  FROM pv, pv_cat_models m GROUP BY m.kind ORDER BY m.kind;
-- wrong counts: the errors of the array path
SELECT buypower.predict(m, ARRAY[x1, x2, x3], ARRAY[c]) FROM pv, pv_cat_models WHERE id = 1 AND kind = 'linreg';
SELECT buypower.predict(m, ARRAY[x1, x2], ARRAY[c, c2]) FROM pv, pv_cat_models WHERE id = 1 AND kind = 'linreg';
SELECT buypower.predict(m, ARRAY[x1, x2, x3], ARRAY[c, c2, c]) FROM pv, pv_cat_models WHERE id = 1 AND kind = 'gbdt';
SELECT buypower.predict(m, ARRAY[x1, x2, x3], ARRAY[c]) FROM pv, pv_lin WHERE id = 1;

-- predict_values called directly
SELECT buypower.predict_values(m, 0.5::float8, NULL, 3::float8) = buypower.predict(m, ARRAY[0.5, NULL, 3]::float8[]) AS same FROM pv_lin;
SELECT buypower.predict_values(m, 0.5, 1, 2, 'k1', NULL) = buypower.predict(m, ARRAY[0.5, 1, 2]::float8[], ARRAY['k1', NULL])
  AS same_null_category FROM pv_cat_models WHERE kind = 'linreg';
-- quoted literals are text, so categorical
SELECT buypower.predict_values(m, 0.5, 1, 2, 'k1', 'a') = buypower.predict(m, ARRAY[0.5, 1, 2]::float8[], ARRAY['k1', 'a'])
  AS same_literals FROM pv_cat_models WHERE kind = 'linreg';
SELECT buypower.predict_values(m, '0.5', 1, 1) FROM pv_lin;
SELECT buypower.predict_values(m, 0.5, 'a', 1) FROM pv_lin;
SELECT buypower.predict_values(m, 0.5, 1, 1, true) FROM pv_lin;
-- character(n) is a category, without its trailing blanks
SELECT buypower.predict_values(m, 0.5, 1, 2, 'k1'::char(5), 'a  '::char(3)) = buypower.predict(m, ARRAY[0.5, 1, 2]::float8[], ARRAY['k1', 'a'])
  AS same_bpchar FROM pv_cat_models WHERE kind = 'linreg';
SELECT buypower.predict_values(m, 'a', 'b') FROM pv_lin;
SELECT buypower.predict_values(m, 1, 2, 3, 'a') FROM pv_lin;
-- integers, float4 and numerics are converted as their casts to float8 are
SELECT buypower.predict_values(m, 0.1, 7::int2, 3::int8) = buypower.predict(m, ARRAY[0.1, 7, 3]::float8[]) AS same_numeric,
       buypower.predict_values(m, 0.25::float4, 7, 3) = buypower.predict(m, ARRAY[0.25, 7, 3]::float8[]) AS same_float4
  FROM pv_lin;
SELECT buypower.predict_values(m, 'NaN'::numeric, 1, 1) FROM pv_lin;
SELECT buypower.predict_values(m, VARIADIC ARRAY[0.5, 1, 3]::float8[]) = buypower.predict(m, ARRAY[0.5, 1, 3]::float8[]) AS same_variadic FROM pv_lin;
SELECT buypower.predict_values(m, VARIADIC NULL::float8[]) IS NULL AS null_array FROM pv_lin;
SELECT buypower.predict_values(NULL, 1.0, 2.0, 3.0) IS NULL AS null_model;
SELECT buypower.predict_values(m, 1.0, 2.0, 'x'::text) FROM pv_lin;
SELECT buypower.predict_values(m, 1.0, 2.0, true) FROM pv_lin;
SELECT buypower.predict_values(m, VARIADIC ARRAY[1, 2, 3]) FROM pv_lin;
SELECT buypower.predict_values(m, 1.0, 2.0) FROM pv_lin;
SELECT buypower.predict_values(m) FROM pv_lin;

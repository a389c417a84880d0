-- The training aggregates' planner support: linreg(y, ARRAY[x1, ..., xn]
-- [, ARRAY[c1, ..., ck]] [, options]) and the logreg, gbdt and forest
-- calls like it are planned as their argument forms (linreg_values ...),
-- so the arrays are not built per row.  The model must be the bytes the
-- arrays give (buypower.rewrite_arrays = off runs the arrays), the errors
-- the same, and whatever the rewrite cannot take must run as before.
CREATE TABLE ts AS
SELECT i AS id, sin(i)::float8 AS x1, cos(i * 0.3)::float8 AS x2, ((i * 7) % 13)::int AS x3,
       (i % 5)::text AS c, (ARRAY['north', 'south', 'east'])[1 + i % 3] AS region
FROM generate_series(1, 3000) i;
ALTER TABLE ts ADD COLUMN y float8, ADD COLUMN b boolean, ADD COLUMN xs float8[];
UPDATE ts SET y = 1 + 2 * x1 - 0.5 * x2 + 0.1 * x3 + 0.3 * sin(id * 17) + (id % 5) * 0.2,
              b = x1 + 0.2 * x3 + sin(id * 5) + (id % 5) * 0.3 > 1.5;
UPDATE ts SET x2 = NULL WHERE id % 17 = 0;
UPDATE ts SET c = NULL WHERE id % 23 = 0;
UPDATE ts SET y = NULL, b = NULL WHERE id % 101 = 0;
UPDATE ts SET xs = ARRAY[x1, x2, x3];

-- the first call of the session: planned as the argument form
EXPLAIN (VERBOSE, COSTS OFF) SELECT buypower.logreg(b, ARRAY[x1, x2, x3]) FROM ts;
-- every learner and form: options, integer columns, categories
EXPLAIN (VERBOSE, COSTS OFF)
SELECT buypower.linreg(y, ARRAY[x1, x2, x3], '{"l2": 1}'), buypower.logreg(b::int::float8, ARRAY[x1, x3]),
       buypower.logreg(b, ARRAY[x1, x2], ARRAY[c, region], '{}'),
       buypower.gbdt(y, ARRAY[x1]), buypower.forest(b, ARRAY[x2, x3], ARRAY[c], '{"trees": 3}')
FROM ts;
-- the same call in HAVING, a FILTER, GROUP BY, and a parallel plan
EXPLAIN (VERBOSE, COSTS OFF)
SELECT region, buypower.linreg(y, ARRAY[x1, x2]) FILTER (WHERE id > 10) FROM ts GROUP BY region
HAVING buypower.linreg(y, ARRAY[x1, x2]) FILTER (WHERE id > 10) IS NOT NULL;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET buypower.parallel_training = on;
EXPLAIN (VERBOSE, COSTS OFF) SELECT buypower.logreg(b, ARRAY[x1, x2, x3]) FROM ts;
-- by default the rows of logreg, gbdt and forest are not sent from
-- workers (their partial plans cost too much); linreg's small state is
RESET buypower.parallel_training;
EXPLAIN (COSTS OFF) SELECT buypower.logreg(b, ARRAY[x1, x2, x3]) FROM ts;
EXPLAIN (COSTS OFF) SELECT buypower.gbdt(b, ARRAY[x1, x2, x3]) FROM ts;
EXPLAIN (COSTS OFF) SELECT buypower.forest(b, ARRAY[x1, x2, x3]) FROM ts;
EXPLAIN (COSTS OFF) SELECT buypower.linreg(y, ARRAY[x1, x2, x3]) FROM ts;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- left alone: an array column, ORDER BY or DISTINCT inside the call, a
-- window, a multidimensional array, more elements than a call takes, the
-- setting off
EXPLAIN (VERBOSE, COSTS OFF) SELECT buypower.linreg(y, xs) FROM ts;
EXPLAIN (VERBOSE, COSTS OFF) SELECT buypower.linreg(y, ARRAY[x1, x2] ORDER BY id) FROM ts;
EXPLAIN (VERBOSE, COSTS OFF) SELECT buypower.linreg(DISTINCT y, ARRAY[x1, x2]) FROM ts;
EXPLAIN (VERBOSE, COSTS OFF) SELECT buypower.linreg(y, ARRAY[x1, x2]) OVER () FROM ts;
EXPLAIN (VERBOSE, COSTS OFF) SELECT buypower.linreg(y, ARRAY[[x1, x2]]) FROM ts;
-- a call takes 100 arguments with the state: 98 features fit, 99 do not
CREATE FUNCTION ts_plan(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  plan text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q LOOP
    plan := plan || line || E'\n';
  END LOOP;
  RETURN plan;
END $$;
SELECT n, ts_plan(format('SELECT buypower.linreg(y, ARRAY[%s]) FROM ts',
                         (SELECT string_agg(format('x1 * %s', k), ', ') FROM generate_series(1, n) k)))
          LIKE '%linreg_values%' AS rewritten
FROM (VALUES (98), (99)) v(n);
SET buypower.rewrite_arrays = off;
EXPLAIN (VERBOSE, COSTS OFF) SELECT buypower.logreg(b, ARRAY[x1, x2, x3]) FROM ts;
RESET buypower.rewrite_arrays;

-- the same model bytes as the arrays give, for every learner and form
CREATE FUNCTION ts_fits() RETURNS TABLE (kind text, m buypower.model) LANGUAGE sql AS $$
SELECT 'linreg', buypower.linreg(y, ARRAY[x1, x2, x3]) FROM ts
UNION ALL SELECT 'ridge+prep', buypower.linreg(y, ARRAY[x1, x2, x3], '{"l2": 0.5, "clip": "iqr", "scale": "robust"}') FROM ts
UNION ALL SELECT 'linreg categorical', buypower.linreg(y, ARRAY[x1, x2, x3], ARRAY[c, region], '{}') FROM ts
UNION ALL SELECT 'logreg', buypower.logreg(b, ARRAY[x1, x2, x3]) FROM ts
UNION ALL SELECT 'logreg 0/1', buypower.logreg(b::int::float8, ARRAY[x1, x2, x3], '{"l2": 1, "class_weight": "balanced"}') FROM ts
UNION ALL SELECT 'logreg categorical', buypower.logreg(b, ARRAY[x1, x2, x3], ARRAY[c, region], '{"missing_indicators": true}') FROM ts
UNION ALL SELECT 'gbdt', buypower.gbdt(y, ARRAY[x1, x2, x3], '{"trees": 5, "max_depth": 3}') FROM ts
UNION ALL SELECT 'gbdt categorical', buypower.gbdt(b, ARRAY[x1, x2, x3], ARRAY[c, region], '{"trees": 5, "max_depth": 3}') FROM ts
UNION ALL SELECT 'forest', buypower.forest(b, ARRAY[x1, x2, x3], '{"trees": 5}') FROM ts
UNION ALL SELECT 'forest categorical', buypower.forest(y, ARRAY[x1, x2, x3], ARRAY[c, region], '{"trees": 5, "max_depth": 4}') FROM ts
$$;
CREATE TEMP TABLE ts_rewritten AS SELECT * FROM ts_fits();
SET buypower.rewrite_arrays = off;
CREATE TEMP TABLE ts_arrays AS SELECT * FROM ts_fits();
RESET buypower.rewrite_arrays;
SELECT kind, r.m::text = a.m::text AS same_model, (r.m::jsonb->'stats'->>'n')::int AS n
FROM ts_rewritten r JOIN ts_arrays a USING (kind) ORDER BY kind;
-- the array column is never rewritten
SELECT buypower.logreg(b, ARRAY[x1, x2, x3])::text = buypower.logreg(b, xs)::text AS same_as_column FROM ts;
-- GROUP BY with the same call in HAVING
SELECT count(*) AS groups, bool_and(r = a) AS same_models
FROM (SELECT region, buypower.logreg(b, ARRAY[x1, x2, x3])::text AS r, buypower.logreg(b, xs)::text AS a
        FROM ts GROUP BY region HAVING buypower.logreg(b, ARRAY[x1, x2, x3]) IS NOT NULL) t;
-- a prepared statement's generic plan
SET plan_cache_mode = force_generic_plan;
PREPARE ts_fit(float8) AS SELECT buypower.linreg(y, ARRAY[x1 * $1, x2])::text AS m FROM ts;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE ts_fit(2);
CREATE TEMP TABLE ts_prep1 AS EXECUTE ts_fit(2);
CREATE TEMP TABLE ts_prep2 AS EXECUTE ts_fit(2);
SELECT a.m = b.m AS same_twice, a.m = (SELECT buypower.linreg(y, ARRAY[x1 * 2, x2])::text FROM ts) AS same_model
FROM ts_prep1 a, ts_prep2 b;
DEALLOCATE ts_fit;
RESET plan_cache_mode;
-- a view keeps the call as written; its plan uses the argument form
CREATE VIEW ts_view AS SELECT buypower.logreg(b, ARRAY[x1, x2]) AS m FROM ts;
SELECT pg_get_viewdef('ts_view') LIKE '%buypower.logreg(ts.b, ARRAY[ts.x1, ts.x2])%' AS stored_as_written,
       ts_plan('SELECT * FROM ts_view') LIKE '%logreg_values(ts.b, ts.x1, ts.x2)%' AS planned_as_arguments;

-- the same errors: a non-finite element, a non-finite target, bad options,
-- a bad label, and NULLs inside the arrays are missing values
SELECT buypower.logreg(b, ARRAY[x1, 'NaN']) FROM ts;
SELECT buypower.linreg('Infinity'::float8, ARRAY[x1]) FROM ts;
SELECT buypower.forest(b, ARRAY[x1, 'Infinity']) FROM ts;
SELECT buypower.logreg(y, ARRAY[x1]) FROM ts;
SELECT buypower.linreg(y, ARRAY[x1], '{"l3": 1}') FROM ts;
SELECT buypower.linreg(y, ARRAY[x1, x2], '{"impute": "error"}') FROM ts;
SET buypower.rewrite_arrays = off;
SELECT buypower.logreg(b, ARRAY[x1, 'NaN']) FROM ts;
SELECT buypower.linreg('Infinity'::float8, ARRAY[x1]) FROM ts;
SELECT buypower.forest(b, ARRAY[x1, 'Infinity']) FROM ts;
SELECT buypower.logreg(y, ARRAY[x1]) FROM ts;
SELECT buypower.linreg(y, ARRAY[x1], '{"l3": 1}') FROM ts;
SELECT buypower.linreg(y, ARRAY[x1, x2], '{"impute": "error"}') FROM ts;
RESET buypower.rewrite_arrays;
SELECT buypower.linreg(y, ARRAY[x1, NULL, x2])::text
       = (SELECT buypower.linreg(y, a) FROM (SELECT y, ARRAY[x1, NULL, x2] AS a FROM ts OFFSET 0) s)::text
       AS null_element_same
FROM ts;
-- empty input gives NULL either way
SELECT buypower.logreg(b, ARRAY[x1]) IS NULL AS empty FROM ts WHERE false;

-- a caller without EXECUTE on the argument form gets the array form
CREATE ROLE ts_user;
GRANT SELECT ON ts TO ts_user;
GRANT USAGE ON SCHEMA buypower TO ts_user;
REVOKE EXECUTE ON FUNCTION buypower.logreg_values(boolean, "any") FROM PUBLIC;
SET ROLE ts_user;
SELECT ts_plan('SELECT buypower.logreg(b, ARRAY[x1, x2]) FROM ts') LIKE '%logreg(b, ARRAY[x1, x2])%' AS array_form,
       (SELECT buypower.logreg(b, ARRAY[x1, x2])::text FROM ts)
       = (SELECT buypower.logreg(b, xs[1:2])::text FROM ts) AS same_model;
RESET ROLE;
GRANT EXECUTE ON FUNCTION buypower.logreg_values(boolean, "any") TO PUBLIC;
REVOKE SELECT ON ts FROM ts_user;
REVOKE USAGE ON SCHEMA buypower FROM ts_user;
DROP ROLE ts_user;

-- an aggregate of the user's sharing the transition state: neither call is
-- rewritten (the state is computed once, for both)
CREATE AGGREGATE ts_logreg(boolean, float8[]) (
    SFUNC = buypower.logreg_accum, STYPE = internal, FINALFUNC = buypower.logreg_final,
    COMBINEFUNC = buypower.logreg_combine,
    SERIALFUNC = buypower.logreg_serialize, DESERIALFUNC = buypower.logreg_deserialize);
EXPLAIN (VERBOSE, COSTS OFF) SELECT buypower.logreg(b, ARRAY[x1, x2]), ts_logreg(b, ARRAY[x1, x2]) FROM ts;
SELECT buypower.logreg(b, ARRAY[x1, x2])::text = ts_logreg(b, ARRAY[x1, x2])::text AS same_model FROM ts;
DROP AGGREGATE ts_logreg(boolean, float8[]);
DROP VIEW ts_view;

-- a call inside an ORDER BY, DISTINCT or window ordering expression stays
-- as it is (the planner has copied those expressions before the rewrite)
EXPLAIN (VERBOSE, COSTS OFF)
SELECT region, buypower.linreg(y, ARRAY[x1, x2]) AS m, buypower.linreg(y, ARRAY[x1, x3]) AS m2 FROM ts GROUP BY region
ORDER BY (buypower.linreg(y, ARRAY[x1, x2])::jsonb->'stats'->>'r2')::float8;
SELECT region, round((m::jsonb->'stats'->>'r2')::numeric, 6) AS r2
FROM (SELECT region, buypower.linreg(y, ARRAY[x1, x2]) AS m FROM ts GROUP BY region
      ORDER BY (buypower.linreg(y, ARRAY[x1, x2])::jsonb->'stats'->>'r2')::float8) t;
SELECT DISTINCT buypower.linreg(y, ARRAY[x1, x2])::text = buypower.linreg(y, xs[1:2])::text AS same
FROM ts GROUP BY region;
SELECT region, rank() OVER (ORDER BY buypower.linreg(y, ARRAY[x1, x2])::text) > 0 AS ranked
FROM ts GROUP BY region ORDER BY region;

-- a role without USAGE on the schema, reading a view over the aggregate
CREATE ROLE ts_reader;
CREATE VIEW ts_fit_view AS
SELECT buypower.logreg(b, ARRAY[x1, x2])::text AS m, buypower.logreg(b, xs[1:2])::text AS a FROM ts;
GRANT SELECT ON ts_fit_view TO ts_reader;
SET ROLE ts_reader;
SELECT m = a AS same_model FROM ts_fit_view;
RESET ROLE;
DROP VIEW ts_fit_view;
DROP ROLE ts_reader;
DROP FUNCTION ts_plan(text), ts_fits();
DROP TABLE ts;

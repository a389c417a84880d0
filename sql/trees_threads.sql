-- gbdt and forest with and without the helper thread ("threads": 1 or 2):
-- the same model bytes, serial or parallel plan (doc/trees.md, Threads).
-- 150,000 rows, so nodes of 32768 rows or more are summed in two halves, and
-- the root's histogram and partition are big enough for the helper thread when
-- "threads" is 2 (RunHalves in src/learn_trees.c: at least 100,000 row-steps).
CREATE TABLE thr AS
SELECT i AS id,
       ((hashint4(i) & 65535) / 65536.0)::float8 AS x1,
       ((hashint4(i + 1000003) & 65535) / 65536.0)::float8 AS x2,
       CASE WHEN hashint4(i + 3000017) & 7 = 0 THEN NULL
            ELSE ((hashint4(i + 2000003) & 1023) / 1024.0)::float8 END AS x3
FROM generate_series(1, 150000) i;
ALTER TABLE thr ADD COLUMN y float8, ADD COLUMN c boolean;
UPDATE thr SET y = 4 * x1 * (x2 > 0.5)::int + coalesce(x3, 0.5) + ((hashint4(id + 7) & 255) / 256.0 - 0.5) * 0.2,
               c = (x1 - 0.5) * (x2 - 0.5) + ((hashint4(id + 9) & 255) / 2560.0 - 0.05) > 0;
VACUUM ANALYZE thr;

CREATE TABLE thr_fits (fit text, threads text, plan text, m buypower.model);
SET max_parallel_workers_per_gather = 0;
INSERT INTO thr_fits
SELECT fit, t.threads, 'serial', CASE fit
         WHEN 'gbdt_cls' THEN (SELECT buypower.gbdt(c, ARRAY[x1, x2, x3], ('{"trees": 15, "max_depth": 4' || t.opt || '}')::jsonb) FROM thr)
         WHEN 'gbdt_reg_sub' THEN (SELECT buypower.gbdt(y, ARRAY[x1, x2, x3], ('{"trees": 15, "subsample": 0.8, "seed": 3' || t.opt || '}')::jsonb) FROM thr)
         WHEN 'forest_cls' THEN (SELECT buypower.forest(c, ARRAY[x1, x2, x3], ('{"trees": 5, "max_depth": 6, "seed": 5' || t.opt || '}')::jsonb) FROM thr)
       END
  FROM unnest(ARRAY['gbdt_cls', 'gbdt_reg_sub', 'forest_cls']) fit,
       (VALUES ('1', ', "threads": 1'), ('2', ', "threads": 2'), ('default', '')) t(threads, opt);

SET parallel_setup_cost = 0;
-- the workers' rows travel to the leader: let the planner choose that
SET buypower.parallel_training = on;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT buypower.gbdt(c, ARRAY[x1, x2, x3], '{"threads": 2}') FROM thr;
INSERT INTO thr_fits
SELECT 'gbdt_cls', '2', 'parallel', buypower.gbdt(c, ARRAY[x1, x2, x3], '{"trees": 15, "max_depth": 4, "threads": 2}') FROM thr;
INSERT INTO thr_fits
SELECT 'gbdt_cls', '1', 'parallel', buypower.gbdt(c, ARRAY[x1, x2, x3], '{"trees": 15, "max_depth": 4, "threads": 1}') FROM thr;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
RESET buypower.parallel_training;

-- every fit: one set of model bytes across threads and plans; real models
SELECT fit, count(*) AS models,
       count(DISTINCT md5(buypower.model_send(m)::text)) AS distinct_bytes,
       min((m::jsonb->'stats'->>'trees')::int) AS trees
  FROM thr_fits GROUP BY fit ORDER BY fit;

-- and they are good models: held-out rows are not needed, the signal is strong
SELECT f.fit, buypower.auc(c, buypower.predict(f.m, ARRAY[x1, x2, x3])) > 0.9 AS auc_high
  FROM thr, thr_fits f WHERE f.fit IN ('gbdt_cls', 'forest_cls') AND f.threads = '2' AND f.plan = 'serial'
 GROUP BY f.fit ORDER BY f.fit;
SELECT sqrt(avg((buypower.predict(f.m, ARRAY[x1, x2, x3]) - y) ^ 2)) < 0.2 AS rmse_small
  FROM thr, thr_fits f WHERE f.fit = 'gbdt_reg_sub' AND f.threads = '1';

-- the option is validated
SELECT buypower.gbdt(c, ARRAY[x1], '{"threads": 0}') FROM thr WHERE id < 10;
SELECT buypower.gbdt(c, ARRAY[x1], '{"threads": 3}') FROM thr WHERE id < 10;
SELECT buypower.forest(y, ARRAY[x1], '{"threads": 1.5}') FROM thr WHERE id < 10;
SELECT buypower.forest(y, ARRAY[x1], '{"threads": "2"}') FROM thr WHERE id < 10;

-- the final function frees the raw rows once binned, unless the state must
-- stay whole: a window (a running frame adds rows after each call) gives
-- the same models as plain aggregates, and a rescanned hashed aggregate
-- (inner side of a nested loop) finalizes the same states again and gets
-- the same model each time
CREATE TEMP TABLE thr_plain AS
SELECT id % 2 AS g, buypower.model_send(buypower.gbdt(c, ARRAY[x1, x2, x3], '{"trees": 5}')) AS b
  FROM thr WHERE id <= 3000 GROUP BY id % 2;
SELECT (SELECT buypower.model_send(buypower.forest(y, ARRAY[x1, x2, x3], '{"trees": 5, "seed": 3}')) FROM thr WHERE id <= 400) =
       (SELECT DISTINCT buypower.model_send(buypower.forest(y, ARRAY[x1, x2, x3], '{"trees": 5, "seed": 3}') OVER ())
          FROM thr WHERE id <= 400) AS window_same_bytes;
SELECT id, buypower.model_send(m) =
           (SELECT buypower.model_send(buypower.forest(y, ARRAY[x1, x2, x3], '{"trees": 3, "seed": 3}')) FROM thr t WHERE t.id <= w.id)
           AS running_same_bytes
  FROM (SELECT id, buypower.forest(y, ARRAY[x1, x2, x3], '{"trees": 3, "seed": 3}') OVER (ORDER BY greatest(id, 100)) AS m
          FROM thr WHERE id <= 300) w
 WHERE id IN (100, 200, 300) ORDER BY id;
BEGIN;
SET LOCAL enable_hashjoin = off;
SET LOCAL enable_mergejoin = off;
SET LOCAL enable_material = off;
SET LOCAL enable_sort = off;
SET LOCAL max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF)
SELECT o.k, buypower.model_send(a.m) = (SELECT b FROM thr_plain WHERE g = o.k) AS same_model
  FROM (VALUES (0), (1), (0), (1)) o(k)
  LEFT JOIN (SELECT id % 2 AS g, buypower.gbdt(c, ARRAY[x1, x2, x3], '{"trees": 5}') AS m
               FROM thr WHERE id <= 3000 GROUP BY id % 2) a ON a.g = o.k;
SELECT o.k, buypower.model_send(a.m) = (SELECT b FROM thr_plain WHERE g = o.k) AS same_model
  FROM (VALUES (0), (1), (0), (1)) o(k)
  LEFT JOIN (SELECT id % 2 AS g, buypower.gbdt(c, ARRAY[x1, x2, x3], '{"trees": 5}') AS m
               FROM thr WHERE id <= 3000 GROUP BY id % 2) a ON a.g = o.k;
COMMIT;

DROP TABLE thr_fits, thr;

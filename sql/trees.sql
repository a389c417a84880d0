-- gbdt and forest: fit, predict, JSON round trip, importance, NULLs,
-- determinism serial vs parallel (doc/trees.md)
SET extra_float_digits = 0;

-- synthetic data with an interaction: y depends on x1 * (x2 > 0.5)
CREATE TABLE syn AS
SELECT i AS id,
       ((hashint4(i) & 65535) / 65536.0)::float8 AS x1,
       ((hashint4(i + 1000003) & 65535) / 65536.0)::float8 AS x2,
       ((hashint4(i + 2000003) & 65535) / 65536.0)::float8 AS x3
FROM generate_series(1, 20000) i;
ALTER TABLE syn ADD COLUMN y float8, ADD COLUMN c boolean;
UPDATE syn SET y = 4 * x1 * (x2 > 0.5)::int + x3 + ((hashint4(id + 7) & 255) / 256.0 - 0.5) * 0.2,
               c = (x1 - 0.5) * (x2 - 0.5) + ((hashint4(id + 9) & 255) / 2560.0 - 0.05) > 0;
VACUUM ANALYZE syn;

-- regression: fits the interaction far better than a linear model
CREATE TABLE fits AS
SELECT 'gbdt_reg' AS fit, buypower.gbdt(y, ARRAY[x1, x2, x3], '{"trees": 50, "max_depth": 4, "learning_rate": 0.3}') AS m
  FROM syn WHERE id % 5 <> 0;
INSERT INTO fits SELECT 'lin_reg', buypower.linreg(y, ARRAY[x1, x2, x3]) FROM syn WHERE id % 5 <> 0;
INSERT INTO fits SELECT 'gbdt_cls', buypower.gbdt(c, ARRAY[x1, x2, x3], '{"trees": 50, "max_depth": 3}')
  FROM syn WHERE id % 5 <> 0;
INSERT INTO fits SELECT 'forest_reg', buypower.forest(y, ARRAY[x1, x2, x3], '{"trees": 30, "seed": 7}')
  FROM syn WHERE id % 5 <> 0;
INSERT INTO fits SELECT 'forest_cls', buypower.forest(c, ARRAY[x1, x2, x3], '{"trees": 30, "seed": 7, "max_depth": 8}')
  FROM syn WHERE id % 5 <> 0;

SELECT fit, m::jsonb->>'algorithm' AS algorithm, m::jsonb->>'objective' AS objective,
       (m::jsonb->'stats'->>'n')::int AS n, (m::jsonb->'stats'->>'trees')::int AS trees,
       jsonb_array_length(m::jsonb->'trees') AS tree_count
  FROM fits WHERE fit <> 'lin_reg' ORDER BY fit;

-- held-out RMSE: trees well below linear, and below 0.15 (noise sd 0.058)
SELECT f.fit, sqrt(avg((buypower.predict(f.m, ARRAY[x1, x2, x3]) - y) ^ 2)) < 0.15 AS rmse_small,
       sqrt(avg((buypower.predict(f.m, ARRAY[x1, x2, x3]) - y) ^ 2)) <
       0.5 * sqrt(avg((buypower.predict(l.m, ARRAY[x1, x2, x3]) - y) ^ 2)) AS beats_linear
  FROM syn, fits f, fits l WHERE syn.id % 5 = 0 AND f.fit IN ('gbdt_reg', 'forest_reg') AND l.fit = 'lin_reg'
  GROUP BY f.fit ORDER BY f.fit;

-- classification: probabilities in (0, 1), held-out AUC near the noise limit
-- on a target linear models cannot rank at all
SELECT f.fit, min(p) > 0 AND max(p) < 1 AS in_range, buypower.auc(c, p) > 0.92 AS auc_high
  FROM (SELECT f.fit, syn.c, buypower.predict(f.m, ARRAY[x1, x2, x3]) AS p
          FROM syn, fits f WHERE syn.id % 5 = 0 AND f.fit IN ('gbdt_cls', 'forest_cls')) f
  GROUP BY f.fit ORDER BY f.fit;
SELECT buypower.auc(c, buypower.predict(m, ARRAY[x1, x2, x3])) < 0.6 AS linear_cannot
  FROM syn, (SELECT buypower.logreg(c, ARRAY[x1, x2, x3]) AS m FROM syn WHERE id % 5 <> 0) l
 WHERE id % 5 = 0;

-- text round trip reproduces the model; binary COPY round trip too
SELECT fit, m::text::buypower.model::text = m::text AS text_round_trip,
       buypower.model_send(m::text::buypower.model) = buypower.model_send(m) AS bytes_same
  FROM fits WHERE fit <> 'lin_reg' ORDER BY fit;
COPY (SELECT fit, m FROM fits ORDER BY fit) TO '/tmp/buypower_trees_models.bin' (FORMAT binary);
CREATE TABLE fits_copy (LIKE fits);
COPY fits_copy FROM '/tmp/buypower_trees_models.bin' (FORMAT binary);
SELECT count(*) AS same FROM fits f JOIN fits_copy c USING (fit) WHERE f.m::text = c.m::text;

-- JSON shows the trees: a stump on x1 < 0.3 reads as one split and two leaves
SELECT jsonb_pretty(m::jsonb - 'stats')
  FROM (SELECT buypower.gbdt(x1 < 0.3, ARRAY[x1], '{"trees": 1, "max_depth": 1, "learning_rate": 1, "bins": 16}') AS m
          FROM syn) s;

-- the model is scored from the text form, identically
WITH f AS MATERIALIZED (SELECT fit, m, m::text::buypower.model AS m2 FROM fits WHERE fit <> 'lin_reg')
SELECT count(*) FILTER (WHERE buypower.predict(f.m, ARRAY[x1, x2, x3]) =
                              buypower.predict(f.m2, ARRAY[x1, x2, x3])) = count(*) AS same_scores
  FROM syn, f WHERE syn.id <= 500;

-- importance: x1 and x2 carry the interaction; splits count the split nodes
SELECT feature, gain > 0 AS has_gain, splits > 0 AS has_splits, cover > 0 AS has_cover
  FROM buypower.importance((SELECT m FROM fits WHERE fit = 'gbdt_reg')) ORDER BY feature;
SELECT (SELECT sum(splits) FROM buypower.importance(m)) =
       (SELECT count(*) FROM jsonb_array_elements(m::jsonb->'trees') t, jsonb_array_elements(t) n
         WHERE n ? 'split') AS splits_match,
       (SELECT feature FROM buypower.importance(m) ORDER BY gain DESC LIMIT 1) AS top
  FROM fits WHERE fit = 'gbdt_reg';
SELECT feature FROM buypower.importance((SELECT buypower.gbdt(y, ARRAY[x1, x2, x3],
       '{"trees": 5, "names": ["spend", "recency", "noise"]}') FROM syn)) ORDER BY feature;

-- NULL features are missing values: a default direction is learned.
-- x2 is NULL exactly when it would be > 0.5, so missing must go with the high side.
CREATE TABLE synn AS SELECT id, x1, CASE WHEN x2 > 0.5 THEN NULL ELSE x2 END AS x2, x3, y FROM syn;
SELECT sqrt(avg((buypower.predict(m, ARRAY[x1, x2, x3]) - y) ^ 2)) < 0.15 AS rmse_small_with_nulls,
       count(*) FILTER (WHERE x2 IS NULL) > 1000 AS many_nulls
  FROM synn, (SELECT buypower.gbdt(y, ARRAY[x1, x2, x3], '{"trees": 50, "max_depth": 4}') AS m
                FROM synn WHERE id % 5 <> 0) f
 WHERE id % 5 = 0;
-- a feature NULL in every row is never split on; rows with a NULL array are skipped
SELECT (m::jsonb->'stats'->>'n_skipped')::int AS skipped, splits
  FROM (SELECT buypower.gbdt(y, CASE WHEN id % 10 = 0 THEN NULL ELSE ARRAY[x1, NULL] END,
                             '{"trees": 3}') AS m FROM syn) s,
       buypower.importance(m) i WHERE i.feature = 'x2';

-- options: leaf-wise growth respects max_leaves; depth-wise respects max_depth
SELECT max(jsonb_array_length(t)) AS max_nodes
  FROM (SELECT buypower.gbdt(y, ARRAY[x1, x2, x3], '{"trees": 5, "growth": "leafwise", "max_leaves": 7}') AS m
          FROM syn) s, jsonb_array_elements(m::jsonb->'trees') t;
SELECT max(jsonb_array_length(t)) AS max_nodes
  FROM (SELECT buypower.gbdt(y, ARRAY[x1, x2, x3], '{"trees": 5, "max_depth": 2}') AS m
          FROM syn) s, jsonb_array_elements(m::jsonb->'trees') t;
-- min_rows_in_leaf: no leaf smaller than that (cover of a squared-error split = its rows)
-- (one tree: each leaf is one predicted value)
SELECT count(*) AS leaves, min(rows) >= 3000 AS min_rows_ok
  FROM (SELECT buypower.predict(m, ARRAY[x1, x2, x3]) AS v, count(*) AS rows
          FROM syn, (SELECT buypower.gbdt(y, ARRAY[x1, x2, x3], '{"trees": 1, "min_rows_in_leaf": 3000}') AS m FROM syn) f
         GROUP BY 1) l;
SELECT max(jsonb_array_length(t)) <= 7 AS at_most_4_leaves
  FROM (SELECT buypower.gbdt(y, ARRAY[x1, x2, x3], '{"trees": 2, "max_depth": 10, "min_rows_in_leaf": 5000}') AS m FROM syn) s,
       jsonb_array_elements(m::jsonb->'trees') t;

-- early stopping on a validation share: stops before 2000 trees, keeps the best
SELECT (m::jsonb->'stats'->>'trees')::int < 2000 AS stopped_early,
       (m::jsonb->'stats'->>'trees')::int = (m::jsonb->'stats'->>'best_iteration')::int AS kept_best,
       (m::jsonb->'stats'->>'validation_rows')::int BETWEEN 3500 AND 4500 AS about_20_percent,
       (m::jsonb->'stats'->>'validation_loss')::float8 < 0.15 AS valid_rmse_small
  FROM (SELECT buypower.gbdt(y, ARRAY[x1, x2, x3], '{"trees": 2000, "learning_rate": 0.5,
          "validation_fraction": 0.2, "early_stopping_rounds": 5}') AS m FROM syn) s;

-- subsampling and seeds: same seed same bytes, other seed other trees
SELECT a = b AS same_seed_same_model, a <> c AS other_seed_other_model
  FROM (SELECT buypower.gbdt(y, ARRAY[x1, x2, x3], '{"trees": 5, "subsample": 0.5, "colsample": 0.67, "seed": 1}')::text AS a,
               buypower.gbdt(y, ARRAY[x1, x2, x3], '{"trees": 5, "subsample": 0.5, "colsample": 0.67, "seed": 1}')::text AS b,
               buypower.gbdt(y, ARRAY[x1, x2, x3], '{"trees": 5, "subsample": 0.5, "colsample": 0.67, "seed": 2}')::text AS c
          FROM syn) s;

-- forest: out-of-bag error is reported and sensible
SELECT fit, (m::jsonb->'stats'->>'oob_rows')::int > 15000 AS oob_rows,
       CASE fit WHEN 'forest_reg' THEN (m::jsonb->'stats'->>'oob_error')::float8 < 0.2
                ELSE (m::jsonb->'stats'->>'oob_error')::float8 < 0.2 END AS oob_error_small
  FROM fits WHERE fit LIKE 'forest%' ORDER BY fit;

-- row order does not matter: a shuffled copy gives the same bytes
CREATE TABLE syn_shuffled AS SELECT * FROM syn ORDER BY hashint4(id * 7 + 3);
SELECT (SELECT buypower.gbdt(y, ARRAY[x1, x2, x3], '{"trees": 10, "subsample": 0.7, "seed": 3}')::text FROM syn) =
       (SELECT buypower.gbdt(y, ARRAY[x1, x2, x3], '{"trees": 10, "subsample": 0.7, "seed": 3}')::text FROM syn_shuffled)
       AS order_independent;

-- parallel plans give the same model bytes as serial ones
CREATE TABLE syn5 AS SELECT s.* FROM syn s, generate_series(1, 5) k;
VACUUM ANALYZE syn5;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE trees_ser AS
SELECT buypower.gbdt(c, ARRAY[x1, x2, CASE WHEN id % 7 = 0 THEN NULL ELSE x3 END], '{"trees": 10, "subsample": 0.8, "seed": 5}') AS g,
       buypower.forest(y, ARRAY[x1, x2, x3], '{"trees": 5, "seed": 5}') AS f FROM syn5;
SET parallel_setup_cost = 0;
-- the workers' rows travel to the leader: let the planner choose that
SET buypower.parallel_training = on;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT buypower.gbdt(c, ARRAY[x1, x2, x3]) FROM syn5;
CREATE TABLE trees_par AS
SELECT buypower.gbdt(c, ARRAY[x1, x2, CASE WHEN id % 7 = 0 THEN NULL ELSE x3 END], '{"trees": 10, "subsample": 0.8, "seed": 5}') AS g,
       buypower.forest(y, ARRAY[x1, x2, x3], '{"trees": 5, "seed": 5}') AS f FROM syn5;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
SELECT buypower.model_send(s.g) = buypower.model_send(p.g) AS gbdt_same_bytes,
       buypower.model_send(s.f) = buypower.model_send(p.f) AS forest_same_bytes,
       (p.g::jsonb->'stats'->>'n')::int AS n
  FROM trees_ser s, trees_par p;

-- a 500-tree depth-6 model stays under one megabyte
SELECT pg_column_size(m) < 1048576 AS under_1mb, jsonb_array_length(m::jsonb->'trees') AS trees
  FROM (SELECT buypower.gbdt(y, ARRAY[x1, x2, x3], '{"trees": 500, "max_depth": 6, "learning_rate": 0.01, "bins": 64}') AS m
          FROM syn) s;

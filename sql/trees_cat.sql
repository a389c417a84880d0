-- gbdt and forest with categorical features: levels, LightGBM-style
-- partition splits, unseen and NULL values, determinism, JSON (doc/trees.md)
SET extra_float_digits = 0;

-- the signal is only in cat (30 levels): half of them (by a hash of the
-- level) are positive, with 10% label noise; x1 and cat2 are noise
CREATE TABLE tcat AS
SELECT i AS id,
       ((hashint4(i) & 65535) / 65536.0)::float8 AS x1,
       'c' || ((hashint4(i + 17) & 1023) % 30) AS cat,
       CASE WHEN i % 17 = 0 THEN NULL ELSE 'k' || (i % 3) END AS cat2
FROM generate_series(1, 8000) i;
ALTER TABLE tcat ADD COLUMN c boolean, ADD COLUMN y float8;
UPDATE tcat SET c = ((hashint4(substr(cat, 2)::int) & 1) = 1) <> ((hashint4(id + 99) & 1023) < 102),
                y = (hashint4(substr(cat, 2)::int) & 7) + ((hashint4(id + 5) & 255) / 256.0 - 0.5);
VACUUM ANALYZE tcat;

CREATE TABLE cfits AS
SELECT 'gbdt_cls' AS fit, buypower.gbdt(c, ARRAY[x1], ARRAY[cat, cat2], '{"trees": 30, "max_depth": 3}') AS m
  FROM tcat WHERE id % 5 <> 0;
INSERT INTO cfits SELECT 'forest_cls', buypower.forest(c, ARRAY[x1], ARRAY[cat, cat2], '{"trees": 30, "seed": 7, "max_depth": 6}')
  FROM tcat WHERE id % 5 <> 0;
INSERT INTO cfits SELECT 'gbdt_reg', buypower.gbdt(y, ARRAY[x1], ARRAY[cat, cat2], NULL)
  FROM tcat WHERE id % 5 <> 0;
-- every feature at every split: with the default third, the two noise
-- features take most splits of this 3-feature table
INSERT INTO cfits SELECT 'forest_reg', buypower.forest(y, ARRAY[x1], ARRAY[cat, cat2], '{"trees": 20, "seed": 7, "max_features": 1}')
  FROM tcat WHERE id % 5 <> 0;
-- few trees: one categorical split isolates half of the 30 levels; with the
-- level as a number (an arbitrary order) a tree needs many threshold splits
INSERT INTO cfits SELECT 'gbdt5_cat', buypower.gbdt(c, ARRAY[x1], ARRAY[cat, cat2], '{"trees": 5, "max_depth": 3}')
  FROM tcat WHERE id % 5 <> 0;
INSERT INTO cfits SELECT 'gbdt_numeric', buypower.gbdt(c, ARRAY[x1, substr(cat, 2)::float8], '{"trees": 5, "max_depth": 3}')
  FROM tcat WHERE id % 5 <> 0;

-- held-out: the noise caps AUC near 0.9; the categorical model gets there
SELECT f.fit,
       round(buypower.auc(t.c, buypower.predict(f.m, ARRAY[t.x1], ARRAY[t.cat, t.cat2]))::numeric, 2) >= 0.88 AS auc_high
  FROM cfits f, tcat t WHERE f.fit LIKE '%cls' AND t.id % 5 = 0 GROUP BY f.fit ORDER BY f.fit;
SELECT buypower.auc(t.c, buypower.predict(g.m, ARRAY[t.x1], ARRAY[t.cat, t.cat2])) >
       buypower.auc(t.c, buypower.predict(n.m, ARRAY[t.x1, substr(t.cat, 2)::float8])) + 0.02 AS beats_numeric_coding
  FROM cfits g, cfits n, tcat t WHERE g.fit = 'gbdt5_cat' AND n.fit = 'gbdt_numeric' AND t.id % 5 = 0;
SELECT f.fit, buypower.rmse(t.y, buypower.predict(f.m, ARRAY[t.x1], ARRAY[t.cat, t.cat2])) < 0.35 AS rmse_small
  FROM cfits f, tcat t WHERE f.fit LIKE '%reg' AND t.id % 5 = 0 GROUP BY f.fit ORDER BY f.fit;

-- the model: levels by frequency, "other" only when max_categories is hit
SELECT fit, m::jsonb->'categorical'->'numeric' AS numeric,
       jsonb_array_length(m::jsonb->'categorical'->'levels'->0) AS levels_cat,
       m::jsonb->'categorical'->'levels'->1 AS levels_cat2,
       m::jsonb->'categorical'->'other' AS other
  FROM cfits WHERE fit <> 'gbdt_numeric' ORDER BY fit;
-- features: x1 (numeric), x2 (cat), x3 (cat2); cat carries the signal
SELECT feature, splits > 0 AS used FROM buypower.importance((SELECT m FROM cfits WHERE fit = 'gbdt_cls'));
SELECT feature AS most_gain FROM buypower.importance((SELECT m FROM cfits WHERE fit = 'gbdt_cls')) ORDER BY gain DESC LIMIT 1;

-- unseen values, NULLs: a score, never an error; an unseen value and NULL
-- each score like some row, deterministically
SELECT round(buypower.predict(m, ARRAY[0.5], ARRAY['never seen', 'k1'])::numeric, 6) =
       round(buypower.predict(m, ARRAY[0.5], ARRAY['never seen either', 'k1'])::numeric, 6) AS unseen_alike,
       buypower.predict(m, ARRAY[0.5], ARRAY[NULL, NULL]) BETWEEN 0 AND 1 AS null_ok,
       buypower.predict(m, ARRAY[NULL]::float8[], ARRAY['c3', NULL]) BETWEEN 0 AND 1 AS all_null_ok
  FROM cfits WHERE fit = 'gbdt_cls';

-- max_categories: the rest become "other", and an unseen value scores as "other"
CREATE TABLE cother AS
SELECT buypower.gbdt(c, ARRAY[x1], ARRAY[cat], '{"trees": 20, "max_depth": 3, "max_categories": 10}') AS m
  FROM tcat WHERE id % 5 <> 0;
SELECT jsonb_array_length(m::jsonb->'categorical'->'levels'->0) AS levels, m::jsonb->'categorical'->'other' AS other,
       buypower.predict(m, ARRAY[0.5], ARRAY['never seen']) =
       buypower.predict(m, ARRAY[0.5], ARRAY[(SELECT cat FROM tcat GROUP BY cat ORDER BY count(*), cat LIMIT 1)]) AS unseen_is_other
  FROM cother;

-- JSON round trip: same bytes, same scores
SELECT fit, buypower.model_send(m::text::buypower.model) = buypower.model_send(m) AS same_bytes
  FROM cfits ORDER BY fit;

-- serial, shuffled and parallel plans give the same bytes
CREATE TABLE tcat5 AS SELECT t.* FROM tcat t, generate_series(1, 3) k ORDER BY hashint4(t.id + k);
VACUUM ANALYZE tcat5;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE cser AS
SELECT buypower.gbdt(c, ARRAY[x1], ARRAY[cat, cat2], '{"trees": 10, "subsample": 0.8, "seed": 5}') AS g,
       buypower.forest(y, ARRAY[x1], ARRAY[cat2, cat], '{"trees": 5, "seed": 5}') AS f FROM tcat5;
CREATE TABLE cshuf AS
SELECT buypower.gbdt(c, ARRAY[x1], ARRAY[cat, cat2], '{"trees": 10, "subsample": 0.8, "seed": 5}') AS g
  FROM (SELECT * FROM tcat5 ORDER BY id DESC) s;
SET parallel_setup_cost = 0;
-- the workers' rows travel to the leader: let the planner choose that
SET buypower.parallel_training = on;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT buypower.gbdt(c, ARRAY[x1], ARRAY[cat], NULL) FROM tcat5;
CREATE TABLE cpar AS
SELECT buypower.gbdt(c, ARRAY[x1], ARRAY[cat, cat2], '{"trees": 10, "subsample": 0.8, "seed": 5}') AS g,
       buypower.forest(y, ARRAY[x1], ARRAY[cat2, cat], '{"trees": 5, "seed": 5}') AS f FROM tcat5;
RESET parallel_setup_cost;
RESET buypower.parallel_training;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
SELECT buypower.model_send(s.g) = buypower.model_send(p.g) AS gbdt_same_bytes,
       buypower.model_send(s.f) = buypower.model_send(p.f) AS forest_same_bytes,
       buypower.model_send(s.g) = buypower.model_send(h.g) AS shuffled_same_bytes
  FROM cser s, cpar p, cshuf h;

-- errors: slot counts at scoring and in training
SELECT buypower.predict(m, ARRAY[0.5], ARRAY['c1', 'k1', 'extra']) FROM cfits WHERE fit = 'gbdt_cls';
SELECT buypower.predict(m, ARRAY[0.5], ARRAY['c1']) FROM cfits WHERE fit = 'gbdt_cls';
SELECT buypower.predict(m, ARRAY[0.5]) FROM cfits WHERE fit = 'gbdt_cls';
SELECT buypower.predict(m, ARRAY[0.5, 0.5], ARRAY['c1', 'k1']) FROM cfits WHERE fit = 'gbdt_cls';
SELECT buypower.predict(m, ARRAY[0.5, 0.5], ARRAY['c1']) FROM cfits WHERE fit = 'gbdt_numeric';
SELECT buypower.gbdt(c, ARRAY[x1], CASE WHEN id = 5 THEN ARRAY[cat] ELSE ARRAY[cat, cat2] END, NULL) FROM tcat;
SELECT buypower.gbdt(c, ARRAY[x1], ARRAY[[cat]], NULL) FROM tcat;
SELECT buypower.gbdt(c, ARRAY[x1], ARRAY[cat], '{"max_categories": 0}') FROM tcat;
SELECT buypower.gbdt(c, ARRAY[x1], ARRAY[cat], '{"max_categories": 255}') FROM tcat;
SELECT buypower.forest(c, ARRAY[x1], ARRAY[cat], '{"cat_smooth": -1}') FROM tcat;
SELECT buypower.gbdt(c, ARRAY[x1], ARRAY[cat], '{"names": ["a", "b", "c"]}') FROM tcat;
-- only categorical features, and a categorical slot that is always NULL
SELECT (buypower.gbdt(c, ARRAY[]::float8[], ARRAY[cat, NULL], '{"trees": 5}')::jsonb->'categorical') AS cats FROM tcat;

-- hostile JSON: tiny hand-written models
SELECT '{"format": 1, "algorithm": "gbdt", "nfeatures": 1, "categorical": {"numeric": 0, "levels": [["a", "b"]], "other": [false]}, "objective": "identity", "base_score": 0, "trees": [[{"split": 0, "categories": ["b"], "other": false, "missing": "left", "left": 1}, {"leaf": 1}, {"leaf": 2}]], "stats": {"n": 2}}'::buypower.model::jsonb->'trees';
SELECT buypower.predict('{"format": 1, "algorithm": "gbdt", "nfeatures": 1, "categorical": {"numeric": 0, "levels": [["a", "b"]], "other": [false]}, "objective": "identity", "base_score": 0, "trees": [[{"split": 0, "categories": ["b"], "other": false, "missing": "left", "left": 1}, {"leaf": 1}, {"leaf": 2}]], "stats": {"n": 2}}', ARRAY[]::float8[], ARRAY[v]) AS score, v
  FROM unnest(ARRAY['a', 'b', 'z', NULL]) v;
SELECT '{"format": 1, "algorithm": "gbdt", "nfeatures": 1, "categorical": {"numeric": 0, "levels": [["a", "b"]], "other": [false]}, "objective": "identity", "base_score": 0, "trees": [[{"split": 0, "categories": ["c"], "other": false, "missing": "left", "left": 1}, {"leaf": 1}, {"leaf": 2}]], "stats": {"n": 2}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "gbdt", "nfeatures": 1, "categorical": {"numeric": 0, "levels": [["a", "b"]], "other": [false]}, "objective": "identity", "base_score": 0, "trees": [[{"split": 0, "categories": ["a"], "other": true, "missing": "left", "left": 1}, {"leaf": 1}, {"leaf": 2}]], "stats": {"n": 2}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "gbdt", "nfeatures": 1, "categorical": {"numeric": 0, "levels": [["a", "a"]], "other": [false]}, "objective": "identity", "base_score": 0, "trees": [[{"leaf": 1}]], "stats": {"n": 2}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "gbdt", "nfeatures": 2, "categorical": {"numeric": 0, "levels": [["a"]], "other": [false]}, "objective": "identity", "base_score": 0, "trees": [[{"leaf": 1}]], "stats": {"n": 2}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "gbdt", "nfeatures": 2, "categorical": {"numeric": 1, "levels": [["a"]], "other": [false]}, "objective": "identity", "base_score": 0, "trees": [[{"split": 0, "categories": ["a"], "other": false, "missing": "left", "left": 1}, {"leaf": 1}, {"leaf": 2}]], "stats": {"n": 2}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "gbdt", "nfeatures": 2, "categorical": {"numeric": 1, "levels": [["a"]], "other": [false]}, "objective": "identity", "base_score": 0, "trees": [[{"split": 1, "threshold": 0.5, "left": 1, "missing": "left"}, {"leaf": 1}, {"leaf": 2}]], "stats": {"n": 2}}'::buypower.model;

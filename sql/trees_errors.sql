-- gbdt, forest, importance: bad input gets a clear error, never a crash
CREATE TABLE te AS
SELECT i, ((hashint4(i) & 65535) / 65536.0)::float8 AS x1, (i % 7)::float8 AS x2,
       i % 3 = 0 AS c, (i % 10)::float8 AS y
FROM generate_series(1, 2000) i;

-- one class, constant features, all-NULL features
SELECT buypower.gbdt(true, ARRAY[x1, x2]) FROM te;
SELECT buypower.forest(false, ARRAY[x1, x2]) FROM te;
SELECT buypower.gbdt(c, ARRAY[NULL, NULL]::float8[]) FROM te;
SELECT buypower.gbdt(c, ARRAY[x1, x2], '{"validation_fraction": 0.5}') FROM te WHERE i = 1;
-- too many features, ragged rows, empty and 2-D arrays
SELECT buypower.gbdt(c, array_fill(1.0::float8, ARRAY[1001])) FROM te WHERE i = 1;
SELECT buypower.gbdt(c, CASE WHEN i = 5 THEN ARRAY[x1] ELSE ARRAY[x1, x2] END) FROM te;
SELECT buypower.gbdt(c, '{}'::float8[]) FROM te;
SELECT buypower.forest(y, ARRAY[[x1, x2]]) FROM te;
-- non-finite values (NULL is the way to say missing)
SELECT buypower.gbdt(y, ARRAY[x1, 'NaN']) FROM te;
SELECT buypower.gbdt('Infinity'::float8, ARRAY[x1, x2]) FROM te;
SELECT buypower.forest(y, ARRAY[x1, '-Infinity']) FROM te;

-- options out of range
SELECT buypower.gbdt(c, ARRAY[x1, x2], '{"trees": 0}') FROM te;
SELECT buypower.gbdt(c, ARRAY[x1, x2], '{"max_depth": 1000}') FROM te;
SELECT buypower.forest(c, ARRAY[x1, x2], '{"max_depth": 0}') FROM te;
SELECT buypower.gbdt(c, ARRAY[x1, x2], '{"learning_rate": 0}') FROM te;
SELECT buypower.gbdt(c, ARRAY[x1, x2], '{"subsample": 1.5}') FROM te;
SELECT buypower.gbdt(c, ARRAY[x1, x2], '{"bins": 256}') FROM te;
SELECT buypower.gbdt(c, ARRAY[x1, x2], '{"l2": -1}') FROM te;
SELECT buypower.gbdt(c, ARRAY[x1, x2], '{"trees": 2.5}') FROM te;
SELECT buypower.gbdt(c, ARRAY[x1, x2], '{"growth": "sideways"}') FROM te;
SELECT buypower.gbdt(c, ARRAY[x1, x2], '{"early_stopping_rounds": 5}') FROM te;
SELECT buypower.gbdt(c, ARRAY[x1, x2], '{"validation_fraction": 0.9}') FROM te;
SELECT buypower.gbdt(c, ARRAY[x1, x2], '{"max_features": 0.5}') FROM te;
SELECT buypower.forest(c, ARRAY[x1, x2], '{"learning_rate": 0.1}') FROM te;
SELECT buypower.forest(c, ARRAY[x1, x2], '{"max_features": 0}') FROM te;
SELECT buypower.gbdt(c, ARRAY[x1, x2], '{"names": ["a"]}') FROM te;
SELECT buypower.gbdt(c, ARRAY[x1, x2], '[1]') FROM te;

-- the memory cap
SET buypower.max_training_memory = '1MB';
SELECT buypower.gbdt(c, ARRAY[x1, x2]) FROM te, generate_series(1, 10) k;
-- a small group fits: rows are counted by the blocks they take, which
-- start at 16 kB (a first block of 1 MB made this fail)
SELECT buypower.gbdt(c, ARRAY[x1, x2], '{"trees": 2}') IS NOT NULL AS trained FROM te;
RESET buypower.max_training_memory;

-- no rows: NULL; scoring with the wrong width or a NaN
SELECT buypower.gbdt(c, ARRAY[x1, x2]) IS NULL AS no_rows FROM te WHERE false;
CREATE TABLE tm AS SELECT buypower.gbdt(c, ARRAY[x1, x2], '{"trees": 3, "max_depth": 2}') AS m FROM te;
SELECT buypower.predict(m, ARRAY[1.0]) FROM tm;
SELECT buypower.predict(m, ARRAY[1.0, 'NaN']) FROM tm;
SELECT buypower.predict(m, ARRAY[NULL, NULL]::float8[]) BETWEEN 0 AND 1 AS null_row_scores FROM tm;
-- linear-only and tree-only functions
SELECT * FROM buypower.summary((SELECT m FROM tm));
SELECT * FROM buypower.importance((SELECT buypower.linreg(y, ARRAY[x1, x2]) FROM te));

-- hostile models: each is rejected by the model input checks
CREATE FUNCTION pg_temp.tree_model(trees text) RETURNS buypower.model
LANGUAGE sql AS $$
  SELECT format('{"format": 1, "algorithm": "gbdt", "nfeatures": 2, "objective": "logistic",
                  "base_score": 0, "trees": %s, "stats": {"n": 10}}', trees)::buypower.model
$$;
-- a well-formed one first
SELECT round(buypower.predict(pg_temp.tree_model(
  '[[{"split": 0, "threshold": 0.5, "left": 1, "missing": "left"}, {"leaf": 1}, {"leaf": -1}]]'),
  ARRAY[0.2, 0]::float8[])::numeric, 4) AS p;
-- cycle: a child pointing back to the root, and to itself
SELECT pg_temp.tree_model('[[{"split": 0, "threshold": 0.5, "left": 1, "missing": "left"},
  {"split": 0, "threshold": 0.5, "left": 0, "missing": "left"}, {"leaf": -1}]]');
SELECT pg_temp.tree_model('[[{"split": 0, "threshold": 0.5, "left": 0, "missing": "left"}, {"leaf": 1}]]');
-- child indexes out of range
SELECT pg_temp.tree_model('[[{"split": 0, "threshold": 0.5, "left": 2, "missing": "left"}, {"leaf": 1}, {"leaf": -1}]]');
SELECT pg_temp.tree_model('[[{"split": 0, "threshold": 0.5, "left": 2147483647, "missing": "left"}, {"leaf": 1}]]');
SELECT pg_temp.tree_model('[[{"split": 0, "threshold": 0.5, "left": -1, "missing": "left"}, {"leaf": 1}]]');
-- two parents for one node, and an unreachable node
SELECT pg_temp.tree_model('[[{"split": 0, "threshold": 0.5, "left": 1, "missing": "left"},
  {"split": 1, "threshold": 0.5, "left": 3, "missing": "left"},
  {"split": 1, "threshold": 0.5, "left": 3, "missing": "left"}, {"leaf": 1}, {"leaf": -1}]]');
SELECT pg_temp.tree_model('[[{"leaf": 1}, {"leaf": 2}]]');
-- NaN and infinite thresholds or leaves, a feature the model lacks
SELECT pg_temp.tree_model('[[{"split": 0, "threshold": "NaN", "left": 1, "missing": "left"}, {"leaf": 1}, {"leaf": -1}]]');
SELECT pg_temp.tree_model('[[{"split": 0, "threshold": null, "left": 1, "missing": "left"}, {"leaf": 1}, {"leaf": -1}]]');
SELECT pg_temp.tree_model('[[{"leaf": "Infinity"}]]');
SELECT pg_temp.tree_model('[[{"split": 2, "threshold": 0.5, "left": 1, "missing": "left"}, {"leaf": 1}, {"leaf": -1}]]');
-- malformed nodes and trees
SELECT pg_temp.tree_model('[[{"split": 0, "threshold": 0.5, "left": 1}, {"leaf": 1}, {"leaf": -1}]]');
SELECT pg_temp.tree_model('[[{"leaf": 1, "split": 0}]]');
SELECT pg_temp.tree_model('[[{"split": 0, "threshold": 0.5, "left": 1, "missing": "up"}, {"leaf": 1}, {"leaf": -1}]]');
SELECT pg_temp.tree_model('[[]]');
SELECT pg_temp.tree_model('[]');
SELECT pg_temp.tree_model('[1]');
SELECT pg_temp.tree_model('{"a": 1}');
SELECT '{"format": 1, "algorithm": "forest", "nfeatures": 2, "objective": "probit", "base_score": 0,
         "trees": [[{"leaf": 1}]], "stats": {}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "forest", "nfeatures": 2, "objective": "identity",
         "trees": [[{"leaf": 1}]], "stats": {}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "gbdt", "nfeatures": 2, "objective": "identity", "base_score": 0,
         "coefficients": [1, 2, 3], "trees": [[{"leaf": 1}]], "stats": {}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "gbdt", "nfeatures": 2, "objective": "identity", "base_score": 0,
         "trees": [[{"leaf": 1}]], "importance": {"gain": [1], "splits": [1], "cover": [1]}, "stats": {}}'::buypower.model;
-- statistics are read by the same code as linear models': unknown names,
-- non-numbers and a non-object are errors; null and "Infinity" are values
SELECT '{"format": 1, "algorithm": "gbdt", "nfeatures": 2, "objective": "identity", "base_score": 0,
         "trees": [[{"leaf": 1}]], "stats": {"wow": 1}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "gbdt", "nfeatures": 2, "objective": "identity", "base_score": 0,
         "trees": [[{"leaf": 1}]], "stats": {"n": "ten"}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "gbdt", "nfeatures": 2, "objective": "identity", "base_score": 0,
         "trees": [[{"leaf": 1}]], "stats": [1]}'::buypower.model;
SELECT ('{"format": 1, "algorithm": "gbdt", "nfeatures": 2, "objective": "identity", "base_score": 0,
         "trees": [[{"leaf": 1}]], "stats": {"r2": null, "n": 10, "sigma": "Infinity"}}'::buypower.model)::jsonb -> 'stats' AS stats;

-- buypower.linreg and buypower.predict: every bad input gets a clear error
CREATE TABLE e AS SELECT i, i::float8 AS x, (2 * i + 1)::float8 AS y FROM generate_series(1, 20) i;

-- feature arrays of different lengths in one group
SELECT buypower.linreg(y, CASE WHEN i = 10 THEN ARRAY[x, x] ELSE ARRAY[x] END) FROM e;
-- multidimensional arrays
SELECT buypower.linreg(y, ARRAY[[x, x], [x, x]]) FROM e;
-- NULL inside the feature array: an error with "impute": "error" (the 0.1.0
-- behaviour; the default is now mean imputation, see sql/prep.sql)
SELECT buypower.linreg(y, ARRAY[x, CASE WHEN i = 3 THEN NULL ELSE x END], '{"impute": "error"}') FROM e;
-- NaN and infinity
SELECT buypower.linreg('NaN'::float8, ARRAY[x]) FROM e;
SELECT buypower.linreg(y, ARRAY[x, 'Infinity'::float8]) FROM e;
SELECT buypower.linreg(y, ARRAY['-Infinity'::float8]) FROM e;
-- more features than the documented limit (1000)
SELECT buypower.linreg(y, array_fill(x, ARRAY[1001])) FROM e;
-- overflow: finite inputs whose squares are infinite
SELECT buypower.linreg(y, ARRAY[x * 1e300]) FROM e;
-- options
SELECT buypower.linreg(y, ARRAY[x], '[]') FROM e;
SELECT buypower.linreg(y, ARRAY[x], '{"lambda": 1}') FROM e;
SELECT buypower.linreg(y, ARRAY[x], '{"l2": -1}') FROM e;
SELECT buypower.linreg(y, ARRAY[x], '{"l2": "big"}') FROM e;
SELECT buypower.linreg(y, ARRAY[x], '{"intercept": "yes"}') FROM e;
SELECT buypower.linreg(y, ARRAY[x], '{"names": ["a", "b"]}') FROM e;
SELECT buypower.linreg(y, ARRAY[x], '{"names": [1]}') FROM e;
SELECT buypower.linreg(y, ARRAY[x], '{"names": [""]}') FROM e;
SELECT buypower.linreg(y, ARRAY[x], '{"names": "a"}') FROM e;
SELECT buypower.linreg(y, ARRAY[x], '{"max_iter": 5}') FROM e;
-- a NULL options argument means the defaults
SELECT buypower.linreg(y, ARRAY[x], NULL) IS NOT NULL AS ok FROM e;

-- predict
CREATE TABLE em AS SELECT buypower.linreg(y, ARRAY[x]) AS m FROM e;
SELECT buypower.predict(m, ARRAY[1, 2]) FROM em;
SELECT buypower.predict(m, ARRAY[]::float8[]) FROM em;
SELECT buypower.predict(m, ARRAY[[1]]) FROM em;
SELECT buypower.predict(m, ARRAY[NULL]::float8[]) FROM em;
SELECT buypower.predict(m, ARRAY['NaN']::float8[]) FROM em;
SELECT buypower.predict(m, ARRAY[1e308]) FROM em;
-- STRICT: NULL in, NULL out
SELECT buypower.predict(m, NULL) IS NULL AS null_features, buypower.predict(NULL, ARRAY[1]) IS NULL AS null_model FROM em;
-- the server is still here and the stored model is intact
SELECT buypower.predict(m, ARRAY[3]) AS three FROM em;

-- preprocessing: bad input gives clear errors (or documented handling),
-- one case per line
SET extra_float_digits = 0;
CREATE TABLE pe AS
SELECT i, (i % 7)::float8 AS x, (i * 0.5)::float8 AS y, (i % 3 = 0) AS b,
       CASE i % 3 WHEN 0 THEN 'a' WHEN 1 THEN 'b' ELSE 'c' END AS c
FROM generate_series(1, 60) i;
CREATE TABLE pem AS
SELECT buypower.linreg(y, ARRAY[x], ARRAY[c], '{}') AS cat,
       buypower.linreg(y, ARRAY[x]) AS plain,
       buypower.linreg(y, ARRAY[x], '{"impute": "error", "scale": "standard"}') AS strict
FROM pe;

-- scoring with the wrong number of categorical or numeric features
SELECT buypower.predict(cat, ARRAY[1], ARRAY['a', 'b']) FROM pem;
SELECT buypower.predict(cat, ARRAY[1], ARRAY[]::text[]) FROM pem;
SELECT buypower.predict(cat, ARRAY[1]) FROM pem;
SELECT buypower.predict(cat, ARRAY[1, 2], ARRAY['a']) FROM pem;
SELECT buypower.predict(plain, ARRAY[1], ARRAY['a']) FROM pem;
SELECT buypower.predict(cat, ARRAY[1], ARRAY[['a']]) FROM pem;
-- an empty categorical array is fine for a model without categories
SELECT buypower.predict(plain, ARRAY[1], ARRAY[]::text[]) = buypower.predict(plain, ARRAY[1]) AS same FROM pem;
-- text where numbers are expected, numbers where text is expected
SELECT buypower.predict(cat, ARRAY['a'], ARRAY['a']) FROM pem;
SELECT buypower.predict(cat, ARRAY['a']::text[], ARRAY['a']) FROM pem;
SELECT buypower.linreg(y, ARRAY[c], ARRAY[c], '{}') FROM pe;
SELECT buypower.linreg(y, ARRAY[x], ARRAY[x], '{}') FROM pe;
-- NULL where "impute" is "error", in training and scoring
SELECT buypower.predict(strict, ARRAY[NULL]::float8[]) FROM pem;
SELECT buypower.linreg(y, ARRAY[CASE WHEN i = 5 THEN NULL ELSE x END], '{"impute": ["error"]}') FROM pe;
-- non-finite values are still errors
SELECT buypower.predict(cat, ARRAY['NaN']::float8[], ARRAY['a']) FROM pem;
SELECT buypower.linreg(y, ARRAY['Infinity']::float8[], ARRAY[c], '{}') FROM pe;

-- widths that change between rows
SELECT buypower.linreg(y, ARRAY[x], CASE WHEN i = 9 THEN ARRAY[c, c] ELSE ARRAY[c] END, '{}') FROM pe;
SELECT buypower.linreg(y, ARRAY[x], ARRAY[[c]], '{}') FROM pe;
SELECT buypower.linreg(y, ARRAY[x], array_fill('a'::text, ARRAY[101]), '{}') FROM pe;

-- bad options
SELECT buypower.linreg(y, ARRAY[x], '{"impute": "mode"}') FROM pe;
SELECT buypower.linreg(y, ARRAY[x], '{"impute": ["mean", "zero"]}') FROM pe;
SELECT buypower.linreg(y, ARRAY[x], '{"impute": []}') FROM pe;
SELECT buypower.linreg(y, ARRAY[x], '{"impute": 0}') FROM pe;
SELECT buypower.linreg(y, ARRAY[x], '{"scale": "minmax"}') FROM pe;
SELECT buypower.linreg(y, ARRAY[x], '{"clip": true}') FROM pe;
SELECT buypower.linreg(y, ARRAY[x], '{"clip_k": 0}') FROM pe;
SELECT buypower.linreg(y, ARRAY[x], '{"clip_k": "big"}') FROM pe;
SELECT buypower.linreg(y, ARRAY[x], '{"missing_indicators": "yes"}') FROM pe;
SELECT buypower.linreg(y, ARRAY[x], ARRAY[c], '{"max_categories": 0}') FROM pe;
SELECT buypower.linreg(y, ARRAY[x], ARRAY[c], '{"max_categories": 1001}') FROM pe;
SELECT buypower.linreg(y, ARRAY[x], ARRAY[c], '{"max_categories": 2.5}') FROM pe;
SELECT buypower.linreg(y, ARRAY[x], ARRAY[c], '{"names": ["x"]}') FROM pe;

-- all-NULL column: imputed as 0 (NOTICE), so constant: linreg gives it a
-- null coefficient, unpenalised logreg refuses it, penalised logreg fits
SELECT term, estimate IS NULL AS aliased
FROM buypower.summary((SELECT buypower.linreg(y, ARRAY[x, NULL]) FROM pe));
SELECT buypower.logreg(b, ARRAY[x, NULL], '{"scale": "none"}') FROM pe;
SELECT (buypower.logreg(b, ARRAY[x, NULL], '{"l2": 1}')::jsonb ->> 'converged')::boolean AS converged FROM pe;
-- constant column under standard scaling: centred, not scaled (scale 1)
SELECT m::jsonb #> '{preprocessing,features,1,scale}' AS scale,
       m::jsonb #> '{preprocessing,features,1,center}' AS center
FROM (SELECT buypower.linreg(y, ARRAY[x, 4], '{"scale": "standard"}') AS m FROM pe) s;
-- a categorical column with one value has no column left (its reference)
SELECT term FROM buypower.summary((SELECT buypower.linreg(y, ARRAY[x], ARRAY['k'], '{}') FROM pe));
-- an all-NULL categorical column is one NULL level, also the reference
SELECT term FROM buypower.summary((SELECT buypower.linreg(y, ARRAY[x], ARRAY[NULL::text], '{}') FROM pe));

-- the design has at most 1000 columns
SELECT buypower.linreg(i::float8, ARRAY[i::float8], ARRAY[i::text, (i + 1)::text], '{"max_categories": 1000}')
FROM generate_series(1, 1200) i;
-- at most 100000 distinct values are counted per categorical feature
SELECT buypower.linreg(i::float8, ARRAY[1::float8], ARRAY[i::text], '{}')
FROM generate_series(1, 100001) i;
-- buffered rows are bounded by buypower.max_training_memory
SET buypower.max_training_memory = '1MB';
SELECT buypower.linreg(i::float8, ARRAY[i::float8, 1], ARRAY['a'], '{}') FROM generate_series(1, 50000) i;
-- and so are the categorical values seen: 2,000 rows take 48 kB, but their
-- 2,000 distinct 1,000-character values take 2 MB
SELECT buypower.linreg(i::float8, ARRAY[1::float8], ARRAY[repeat(i::text, 1000 / length(i::text) + 1)], '{}')
FROM generate_series(1, 2000) i;
-- the same rows with short values fit
SELECT buypower.linreg(i::float8, ARRAY[(i * i % 13)::float8], ARRAY[(i % 7)::text], '{}') IS NOT NULL AS fits
FROM generate_series(1, 2000) i;
RESET buypower.max_training_memory;

-- model text with bad preprocessing is rejected
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "preprocessing": {"numeric": 1, "categorical": 0, "scale": "standard", "clip": "none", "clip_k": 0, "missing_indicators": false, "categories_as": "onehot", "features": [{"impute": "mean", "fill": 1, "lower": "-Infinity", "upper": "Infinity", "center": 0, "scale": 0, "indicator": false, "missing": 0, "clipped": 0}], "categories": []}, "coefficients": [1, 2], "stats": {"n": 3}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "preprocessing": {"numeric": 1, "categorical": 0, "scale": "standard", "clip": "none", "clip_k": 0, "missing_indicators": false, "categories_as": "onehot", "features": [{"impute": "mean", "fill": 1, "lower": 5, "upper": 2, "center": 0, "scale": 1, "indicator": false, "missing": 0, "clipped": 0}], "categories": []}, "coefficients": [1, 2], "stats": {"n": 3}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 2, "preprocessing": {"numeric": 1, "categorical": 1, "scale": "none", "clip": "none", "clip_k": 0, "missing_indicators": false, "categories_as": "onehot", "features": [{"impute": "mean", "fill": 1, "lower": "-Infinity", "upper": "Infinity", "center": 0, "scale": 1, "indicator": false, "missing": 0, "clipped": 0}], "categories": [{"levels": ["a", "a"], "null_level": false, "other_level": false, "reference": 0, "folded": 0}]}, "coefficients": [1, 2, 3], "stats": {"n": 3}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 2, "preprocessing": {"numeric": 1, "categorical": 1, "scale": "none", "clip": "none", "clip_k": 0, "missing_indicators": false, "categories_as": "onehot", "features": [{"impute": "mean", "fill": 1, "lower": "-Infinity", "upper": "Infinity", "center": 0, "scale": 1, "indicator": false, "missing": 0, "clipped": 0}], "categories": [{"levels": ["a", "b"], "null_level": false, "other_level": false, "reference": 2, "folded": 0}]}, "coefficients": [1, 2, 3], "stats": {"n": 3}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "preprocessing": {"numeric": 2, "categorical": 0, "scale": "none", "clip": "none", "clip_k": 0, "missing_indicators": false, "categories_as": "onehot", "features": [], "categories": []}, "coefficients": [1, 2], "stats": {"n": 3}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "preprocessing": {"numeric": 1, "categorical": 0, "scale": "none", "clip": "none", "clip_k": 0, "missing_indicators": false, "categories_as": "onehot", "features": [{"impute": "sometimes"}], "categories": []}, "coefficients": [1, 2], "stats": {"n": 3}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "preprocessing": [], "coefficients": [1, 2], "stats": {"n": 3}}'::buypower.model;
-- ... and a valid one is accepted and applied: NULL -> fill 1, then (1 - 0.5) / 2
SELECT buypower.predict('{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 2, "preprocessing": {"numeric": 1, "categorical": 1, "scale": "standard", "clip": "none", "clip_k": 0, "missing_indicators": false, "categories_as": "onehot", "features": [{"impute": "mean", "fill": 1, "lower": "-Infinity", "upper": "Infinity", "center": 0.5, "scale": 2, "indicator": false, "missing": 0, "clipped": 0}], "categories": [{"levels": ["a", "b"], "null_level": false, "other_level": false, "reference": 0, "folded": 0}]}, "coefficients": [1, 2, 3], "stats": {"n": 3}}'::buypower.model,
       ARRAY[NULL]::float8[], ARRAY['b']) AS score;

-- level-number encoding (for learners that set ordinal_categories): the
-- slot's design column is the level index; unseen values with no "other"
-- level are -1
SELECT v, buypower.predict('{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 2, "preprocessing": {"numeric": 1, "categorical": 1, "scale": "none", "clip": "none", "clip_k": 0, "missing_indicators": false, "categories_as": "levels", "features": [{"impute": "zero", "fill": 0, "lower": "-Infinity", "upper": "Infinity", "center": 0, "scale": 1, "indicator": false, "missing": 0, "clipped": 0}], "categories": [{"levels": ["a", "b"], "null_level": true, "other_level": false, "reference": -1, "folded": 0}]}, "coefficients": [1, 2, 10], "stats": {"n": 3}}'::buypower.model,
       ARRAY[0]::float8[], ARRAY[v]) AS score
FROM (VALUES ('a'), ('b'), (NULL), ('zzz')) t(v);

DROP TABLE pem, pe;

-- an array longer than the model's, with NULLs in it, is a wrong count,
-- not something copied into room for the model's features (it was: a
-- server crash, in scoring and in training)
SELECT buypower.predict(m, (SELECT array_agg(CASE WHEN i % 2 = 0 THEN NULL ELSE i END)::float8[]
                              FROM generate_series(1, 1000) i))
FROM (SELECT buypower.linreg(g::float8, ARRAY[g::float8, (g * g)::float8], '{"scale": "standard"}') AS m
        FROM generate_series(1, 50) g) t, generate_series(1, 3);
SELECT buypower.linreg(y, xs)
FROM (SELECT 1.0::float8 AS y, ARRAY[1.0, 2.0]::float8[] AS xs
      UNION ALL
      SELECT 2.0, (SELECT array_agg(CASE WHEN i % 2 = 0 THEN NULL ELSE i END)::float8[]
                     FROM generate_series(1, 1000) i)
        FROM generate_series(1, 3)) t;

-- a categorical slot with one level (constant) has no design column: as a
-- window aggregate, logreg gives the plain aggregate's model (it was an
-- internal error, "cannot switch to compact rows")
CREATE TABLE pe_one AS SELECT i, sin(i) AS x, sin(i * 3) > 0 AS l FROM generate_series(1, 3000) i;
SELECT (SELECT buypower.logreg(l, ARRAY[x], ARRAY['a'], '{}')::text FROM pe_one)
       = (SELECT DISTINCT m::text FROM (SELECT buypower.logreg(l, ARRAY[x], ARRAY['a'], '{}') OVER () AS m FROM pe_one) t)
       AS window_same;
DROP TABLE pe_one;

-- a kept level literally called "(other)" does not share its term with the
-- folded levels' "(other)" term
SELECT term FROM buypower.summary((
  SELECT buypower.logreg(i % 2 = 0, ARRAY[sin(i)], ARRAY[CASE WHEN i % 3 = 0 THEN '(other)' ELSE (i % 7)::text END],
                         '{"max_categories": 3}')
  FROM generate_series(1, 3000) i));

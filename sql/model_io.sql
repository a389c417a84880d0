-- buypower.model: text, JSON and binary round trips
CREATE TABLE io_train AS
SELECT i, sin(i)::float8 AS x1, cos(i * 0.7)::float8 AS x2, (i % 5)::float8 AS x3,
       (1 / 3.0 + sin(i) * 1e-7 + cos(i * 0.7) * 12345.678 + (i % 5) * pi())::float8
         + 1e-3 * sin(i * 13) AS y
FROM generate_series(1, 500) i;

CREATE TABLE io_models (id int, m buypower.model);
INSERT INTO io_models
SELECT 1, buypower.linreg(y, ARRAY[x1, x2, x3]) FROM io_train
UNION ALL SELECT 2, buypower.linreg(y, ARRAY[x1, x2, x3], '{"l2": 0.5, "names": ["a", "b\"q", "ünï"]}') FROM io_train
UNION ALL SELECT 3, buypower.linreg(y, ARRAY[x1, x1, x3], '{"intercept": false}') FROM io_train
UNION ALL SELECT 4, buypower.linreg(2 * x1, ARRAY[x1]) FROM io_train;

-- text out -> in reproduces the same text and the same bytes,
-- whatever extra_float_digits says
SET extra_float_digits = -15;
SELECT id, m::text::buypower.model::text = m::text AS text_same,
       buypower.model_send(m::text::buypower.model) = buypower.model_send(m) AS bytes_same
FROM (SELECT id, m FROM io_models) s ORDER BY id;
SET extra_float_digits = 0;
SELECT id, m::text::buypower.model::text = m::text AS text_same FROM io_models ORDER BY id;
SET extra_float_digits = 3;
SELECT id, m::text::buypower.model::text = m::text AS text_same FROM io_models ORDER BY id;
RESET extra_float_digits;

-- the text is JSON with a fixed key order; BI tools read it as jsonb
SELECT id, jsonb_typeof(m::jsonb) AS type,
       (SELECT array_agg(k) FROM jsonb_object_keys(m::jsonb) k) AS keys
FROM io_models ORDER BY id;
SELECT m::jsonb->'names' AS names FROM io_models WHERE id = 2;
SELECT jsonb_array_length(m::jsonb->'coefficients') AS ncoef,
       m::jsonb->'coefficients'->0 AS no_intercept,
       m::jsonb->'coefficients'->2 AS aliased
FROM io_models WHERE id = 3;

-- a hand-written model scores as written
SELECT buypower.predict('{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 2,
  "coefficients": [1.5, 2, -0.25], "stats": {}}'::buypower.model, ARRAY[10, 4]) AS score;
-- stats, std_errors and names are optional; "null" and "Infinity" are accepted there
SELECT '{"format": 1, "algorithm": "linreg", "intercept": false, "nfeatures": 1,
  "coefficients": [0, 2], "std_errors": [null, "Infinity"], "stats": {"r2": null, "n": 3}}'::buypower.model;

-- binary COPY out and in
COPY (SELECT id, m FROM io_models ORDER BY id) TO '/tmp/buypower_io_models.bin' (FORMAT binary);
CREATE TABLE io_copy (id int, m buypower.model);
COPY io_copy FROM '/tmp/buypower_io_models.bin' (FORMAT binary);
SELECT a.id, a.m::text = b.m::text AS same
FROM io_models a JOIN io_copy b USING (id) ORDER BY a.id;
-- text COPY too
COPY (SELECT id, m FROM io_models ORDER BY id) TO '/tmp/buypower_io_models.txt';
TRUNCATE io_copy;
COPY io_copy FROM '/tmp/buypower_io_models.txt';
SELECT a.id, a.m::text = b.m::text AS same
FROM io_models a JOIN io_copy b USING (id) ORDER BY a.id;

-- models are stored compressed or TOASTed and still score
ALTER TABLE io_models ALTER COLUMN m SET STORAGE external;
INSERT INTO io_models SELECT 5, m FROM io_models WHERE id = 1;
SELECT buypower.predict(a.m, ARRAY[1, 2, 3]) = buypower.predict(b.m, ARRAY[1, 2, 3]) AS same_score
FROM io_models a, io_models b WHERE a.id = 1 AND b.id = 5;

-- Newton passes over more than 65,536 rows go in rounds, each cut into two
-- halves that run at once when the helper thread is free (src/worker.c):
-- the model must not depend on "threads", and the halves must add up to
-- the whole.
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE lt_base AS
SELECT i, x, ((hashint8(i * 4) & 65535) / 65536.0)::float8 <
             1 / (1 + exp(-(0.5 + x[1] - 2 * x[2] + 0.7 * x[3]))) AS label
FROM (SELECT i, ARRAY[((hashint8(i * 4 + 1) & 65535) / 65536.0)::float8 * 4 - 2,
                      ((hashint8(i * 4 + 2) & 65535) / 65536.0)::float8 * 2 - 1,
                      ((hashint8(i * 4 + 3) & 65535) / 65536.0)::float8] AS x
      FROM generate_series(1, 1000) i) s;
-- every row 100 times: 100,000 rows, two rounds of halves
CREATE TEMP TABLE lt_rep AS SELECT b.* FROM generate_series(1, 100) r, lt_base b;
CREATE TEMP TABLE lt_models AS
SELECT 'base' AS fit, buypower.logreg(label, x) AS m FROM lt_base
UNION ALL SELECT 'rep default', buypower.logreg(label, x) FROM lt_rep
UNION ALL SELECT 'rep threads 1', buypower.logreg(label, x, '{"threads": 1}') FROM lt_rep
UNION ALL SELECT 'rep threads 2', buypower.logreg(label, x, '{"threads": 2}') FROM lt_rep
UNION ALL SELECT 'edge threads 1', buypower.logreg(label, x, '{"threads": 1}') FROM (SELECT * FROM lt_rep LIMIT 65537) e
UNION ALL SELECT 'edge threads 2', buypower.logreg(label, x, '{"threads": 2}') FROM (SELECT * FROM lt_rep LIMIT 65537) e;
-- the same bytes whatever the threads
SELECT count(DISTINCT buypower.model_send(m)) AS distinct_models
FROM lt_models WHERE fit LIKE 'rep%';
SELECT count(DISTINCT buypower.model_send(m)) AS distinct_models
FROM lt_models WHERE fit LIKE 'edge%';
-- 100 copies of every row: the same maximum, standard errors / 10
SELECT b.term,
       abs(r.estimate - b.estimate) <= 1e-9 * abs(b.estimate) AS same_estimate,
       abs(r.std_error * 10 - b.std_error) <= 1e-9 * b.std_error AS se_over_10
FROM buypower.summary((SELECT m FROM lt_models WHERE fit = 'base')) b
JOIN buypower.summary((SELECT m FROM lt_models WHERE fit = 'rep default')) r USING (term)
ORDER BY b.term;
SELECT (m::jsonb #>> '{stats,n}')::int AS n,
       (m::jsonb ->> 'converged') AS converged
FROM lt_models WHERE fit IN ('rep default', 'edge threads 2') ORDER BY fit;
-- bad values
SELECT buypower.logreg(label, x, '{"threads": 3}') FROM lt_base;
SELECT buypower.logreg(label, x, '{"threads": 1.5}') FROM lt_base;
SELECT buypower.logreg(label, x, '{"threads": "2"}') FROM lt_base;
-- rows past buypower.max_training_memory: the error comes while the
-- helper thread may still be faulting in the last block, and the session
-- goes on
SET buypower.max_training_memory = '20MB';
SELECT buypower.logreg(i % 3 = 0, ARRAY[i, i * 2.0, sqrt(i)]) FROM generate_series(1, 1000000) i;
RESET buypower.max_training_memory;
SELECT (buypower.logreg(label, x)::jsonb ->> 'converged') AS converged FROM lt_base;
-- From 200,000 rows on, the warm start is taken from the first 200,000
-- rows as soon as the scan has stored them, and the first full pass at it
-- runs on the helper thread during the scan (learn_logreg.c, "pipe"):
-- still the same bytes whatever the threads, and the same maximum.
CREATE TEMP TABLE lt_rep3 AS
SELECT r, b.* FROM generate_series(1, 300) r, lt_base b ORDER BY r, i;
CREATE TEMP TABLE lt_models3 AS
SELECT 'plain' AS fit, buypower.logreg(label, x) AS m FROM lt_rep3
UNION ALL SELECT 'plain threads 1', buypower.logreg(label, x, '{"threads": 1}') FROM lt_rep3
UNION ALL SELECT 'plain threads 2', buypower.logreg(label, x, '{"threads": 2}') FROM lt_rep3
UNION ALL SELECT 'l2 threads 1', buypower.logreg(label, x, '{"l2": 5, "threads": 1}') FROM lt_rep3
UNION ALL SELECT 'l2 threads 2', buypower.logreg(label, x, '{"l2": 5}') FROM lt_rep3
UNION ALL SELECT 'balanced threads 1', buypower.logreg(label, x, '{"class_weight": "balanced", "threads": 1}') FROM lt_rep3
UNION ALL SELECT 'balanced threads 2', buypower.logreg(label, x, '{"class_weight": "balanced"}') FROM lt_rep3
UNION ALL SELECT 'weights threads 1', buypower.logreg(label, x, '{"class_weight": {"0": 1, "1": 3}, "threads": 1}') FROM lt_rep3
UNION ALL SELECT 'weights threads 2', buypower.logreg(label, x, '{"class_weight": {"0": 1, "1": 3}}') FROM lt_rep3
-- a NULL feature in the 1,000 rows of copy 7: the rows without one reach
-- the learner during the scan, the others are imputed and added in the
-- final function
UNION ALL SELECT 'nulls threads 1', buypower.logreg(label, CASE WHEN r = 7 THEN ARRAY[x[1], NULL, x[3]] ELSE x END, '{"threads": 1}') FROM lt_rep3
UNION ALL SELECT 'nulls threads 2', buypower.logreg(label, CASE WHEN r = 7 THEN ARRAY[x[1], NULL, x[3]] ELSE x END) FROM lt_rep3
UNION ALL SELECT 'values threads 1', buypower.logreg_values(label, x[1], x[2], x[3], '{"threads": 1}'::jsonb) FROM lt_rep3
UNION ALL SELECT 'values threads 2', buypower.logreg_values(label, x[1], x[2], x[3]) FROM lt_rep3;
SELECT regexp_replace(fit, '( threads [12])?$', '') AS options,
       count(DISTINCT buypower.model_send(m)) AS distinct_models, count(*) AS fits
FROM lt_models3 GROUP BY 1 ORDER BY 1;
-- the argument form and the array form fit the same rows the same way
SELECT count(DISTINCT buypower.model_send(m)) AS distinct_models
FROM lt_models3 WHERE fit IN ('plain', 'values threads 2');
-- 300 copies of every row: the same maximum, standard errors / sqrt(300)
SELECT b.term,
       abs(r.estimate - b.estimate) <= 1e-9 * abs(b.estimate) AS same_estimate,
       abs(r.std_error * sqrt(300) - b.std_error) <= 1e-9 * b.std_error AS se_over_sqrt300
FROM buypower.summary((SELECT m FROM lt_models WHERE fit = 'base')) b
JOIN buypower.summary((SELECT m FROM lt_models3 WHERE fit = 'plain')) r USING (term)
ORDER BY b.term;
-- a window whose final function runs after 150,000 rows, before the warm
-- start is taken, and again after all 300,000: the second model is the
-- plain aggregate's over the same rows in the same order
-- (the input comes sorted on the window's key, so the window keeps its
-- order)
SELECT count(DISTINCT buypower.model_send(m)) AS distinct_models
FROM (SELECT DISTINCT ON (half) half, m
      FROM (SELECT half, buypower.logreg(label, x) OVER (ORDER BY half) AS m
            FROM (SELECT *, r > 150 AS half FROM lt_rep3 ORDER BY half, r, i) o) w
      WHERE half
      UNION ALL
      SELECT true, buypower.logreg(label, x ORDER BY r, i) FROM lt_rep3) both_fits;
-- 2,100,000 rows in a shuffled order (so that the first rows are a fair
-- sample): at 2,031,616 the warm start takes one Newton step on the rows so
-- far (from the helper's pass, or its own with threads 1), and the helper
-- starts over there; still the same bytes, the same maximum
CREATE TEMP TABLE lt_rep21 AS
SELECT c, b.* FROM generate_series(1, 2100) c, lt_base b ORDER BY hashint8(c * 1000 + i);
CREATE TEMP TABLE lt_models21 AS
SELECT 'threads 2' AS fit, buypower.logreg(label, x) AS m FROM lt_rep21
UNION ALL SELECT 'threads 1', buypower.logreg(label, x, '{"threads": 1}') FROM lt_rep21;
SELECT count(DISTINCT buypower.model_send(m)) AS distinct_models FROM lt_models21;
SELECT b.term,
       abs(r.estimate - b.estimate) <= 1e-9 * abs(b.estimate) AS same_estimate,
       abs(r.std_error * sqrt(2100) - b.std_error) <= 1e-9 * b.std_error AS se_over_sqrt2100
FROM buypower.summary((SELECT m FROM lt_models WHERE fit = 'base')) b
JOIN buypower.summary((SELECT m FROM lt_models21 WHERE fit = 'threads 2')) r USING (term)
ORDER BY b.term;
DROP TABLE lt_rep21;
-- 40 features: the helper's steps are smaller than a half (4,096 rows), so
-- it can stop inside a round, where the final function takes both halves on
CREATE TEMP TABLE lt_wide AS
SELECT i, x, ((hashint8(i * 3) & 65535) / 65536.0)::float8 <
             1 / (1 + exp(-(x[1] - x[2] + 0.3 * x[40]))) AS label
FROM (SELECT i, array_agg(((hashint8(i * 64 + j) & 65535) / 65536.0)::float8 * 2 - 1 ORDER BY j) AS x
      FROM generate_series(1, 5000) i, generate_series(1, 40) j GROUP BY i) s;
CREATE TEMP TABLE lt_wide50 AS SELECT r, w.* FROM generate_series(1, 50) r, lt_wide w ORDER BY r, i;
SELECT count(DISTINCT buypower.model_send(m)) AS distinct_models
FROM (SELECT buypower.logreg(label, x) AS m FROM lt_wide50
      UNION ALL SELECT buypower.logreg(label, x, '{"threads": 1}') FROM lt_wide50) t;
-- an ERROR in the scan after the helper started on the first pass, and a
-- cancel there (the scan sleeps at the last 1,000 rows, past 200,000):
-- the session goes on, and so does the helper's next pass
SELECT buypower.logreg(CASE WHEN r = 250 AND i = 1 THEN 2 ELSE label::int END, x) FROM lt_rep3;
SET statement_timeout = '1s';
SELECT buypower.logreg(label, x) FROM lt_rep3 WHERE r < 300 OR pg_sleep(10) IS NOT NULL;
RESET statement_timeout;
SELECT count(DISTINCT buypower.model_send(m)) AS distinct_models
FROM (SELECT buypower.logreg(label, x) AS m FROM lt_rep3
      UNION ALL SELECT m FROM lt_models3 WHERE fit = 'plain') again;

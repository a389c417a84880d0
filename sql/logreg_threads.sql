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

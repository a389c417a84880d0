-- Past 65,536 rows a linreg state folds its rows into R in batches on the
-- helper thread while the scan goes on (src/learn_linreg.c, LinregAccum):
-- the same blocks in the same order, so the model must not depend on
-- "threads", whatever the group sizes or where the final function stops.
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE lr_rows AS
SELECT i, i % 3 AS g,
       ARRAY[((hashint8(i * 4 + 1) & 65535) / 65536.0)::float8 * 4 - 2,
             ((hashint8(i * 4 + 2) & 65535) / 65536.0)::float8 * 2 - 1,
             ((hashint8(i * 4 + 3) & 65535) / 65536.0)::float8] AS x,
       ((hashint8(i * 4) & 65535) / 65536.0)::float8 AS e
FROM generate_series(1, 250000) i;
-- one model per setting, the same bytes across settings
SELECT count(DISTINCT m) AS distinct_models
FROM (SELECT buypower.model_send(buypower.linreg(3 + x[1] - 2 * x[2] + e, x, format('{"threads": %s}', t)::jsonb)) AS m
      FROM lr_rows, (VALUES (1), (2)) v(t) GROUP BY t) s;
-- groups of 83,333 rows (each state pipes), interleaved by hash aggregation
SELECT g, count(DISTINCT m) AS distinct_models
FROM (SELECT g, t, buypower.model_send(buypower.linreg(3 + x[1] - 2 * x[2] + e, x, format('{"threads": %s}', t)::jsonb)) AS m
      FROM lr_rows, (VALUES (1), (2)) v(t) GROUP BY g, t) s
GROUP BY g ORDER BY g;
-- a running fit (window aggregate): the final function runs after every
-- row, mid-batch, and the state goes on
SET client_min_messages = warning;	-- the first rows' fits alias features
SELECT count(*) AS fits, bool_and(m1 = m2) AS same
FROM (SELECT i,
             buypower.model_send(buypower.linreg(3 + x[1] - 2 * x[2] + e, x, '{"threads": 1}') OVER w) AS m1,
             buypower.model_send(buypower.linreg(3 + x[1] - 2 * x[2] + e, x, '{"threads": 2}') OVER w) AS m2
      FROM lr_rows WINDOW w AS (ORDER BY i ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) s
WHERE i % 50000 = 0;
RESET client_min_messages;
-- and the fit itself is right: the coefficients used to build y
SELECT term, round(estimate::numeric, 2) AS estimate
FROM buypower.summary((SELECT buypower.linreg(3 + x[1] - 2 * x[2] + e, x) FROM lr_rows));
SELECT buypower.linreg(e, x, '{"threads": 0}') FROM lr_rows;

-- Parallel aggregation: workers' partial states are serialized, merged in
-- the leader and must give the serial model.
CREATE TABLE par AS
SELECT i AS id,
       ((hashint4(i) & 65535) / 65536.0)::float8 AS x1,
       ((hashint4(i + 1000003) & 65535) / 65536.0)::float8 AS x2,
       (1000 + (hashint4(i + 2000003) & 1023))::float8 AS x3,
       i % 4 AS grp
FROM generate_series(1, 200000) i;
ALTER TABLE par ADD COLUMN y float8;
UPDATE par SET y = 3 - 2 * x1 + 0.5 * x2 + 0.01 * x3 + ((hashint4(id + 7) & 255) / 256.0 - 0.5);
VACUUM ANALYZE par;

CREATE FUNCTION pg_temp.max_rel_diff(a buypower.model, b buypower.model) RETURNS float8
LANGUAGE sql AS $$
  SELECT max(abs(x.estimate - y.estimate) / greatest(abs(x.estimate), 1e-300))
  FROM buypower.summary(a) x JOIN buypower.summary(b) y USING (term)
$$;

SET max_parallel_workers_per_gather = 0;
CREATE TABLE serial AS SELECT buypower.linreg(y, ARRAY[x1, x2, x3]) AS m FROM par;
CREATE TABLE serial_g AS SELECT grp, buypower.linreg(y, ARRAY[x1, x2, x3]) AS m FROM par GROUP BY grp;

SET parallel_setup_cost = 0;
-- the workers' rows travel to the leader: let the planner choose that
SET buypower.parallel_training = on;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SET max_parallel_workers_per_gather = 2;

EXPLAIN (COSTS OFF) SELECT buypower.linreg(y, ARRAY[x1, x2, x3]) FROM par;
CREATE TABLE parallel AS SELECT buypower.linreg(y, ARRAY[x1, x2, x3]) AS m FROM par;
SELECT pg_temp.max_rel_diff(s.m, p.m) < 1e-9 AS same_model,
       (s.m::jsonb->'stats'->>'n') = (p.m::jsonb->'stats'->>'n') AS same_n,
       abs((s.m::jsonb->'stats'->>'r2')::float8 - (p.m::jsonb->'stats'->>'r2')::float8) < 1e-12 AS same_r2
FROM serial s, parallel p;

-- with options and skipped rows, through workers
SELECT (m::jsonb->'stats'->>'n_skipped')::int AS skipped, m::jsonb->'names' AS names,
       (m::jsonb->'stats'->>'l2')::float8 AS l2
FROM (SELECT buypower.linreg(CASE WHEN id % 100 = 0 THEN NULL ELSE y END, ARRAY[x1, x2, x3],
                             '{"l2": 2, "names": ["a", "b", "c"]}') AS m FROM par) s;

-- grouped partial aggregation
EXPLAIN (COSTS OFF) SELECT grp, buypower.linreg(y, ARRAY[x1, x2, x3]) FROM par GROUP BY grp;
SELECT g.grp, pg_temp.max_rel_diff(g.m, s.m) < 1e-9 AS same_model
FROM (SELECT grp, buypower.linreg(y, ARRAY[x1, x2, x3]) AS m FROM par GROUP BY grp) g
JOIN serial_g s USING (grp) ORDER BY 1;

-- partitionwise aggregation merges states built on very different data
-- (different shifts, one partition with a single row, one empty)
RESET parallel_leader_participation;
CREATE TABLE part (id int, y float8, x1 float8, x2 float8) PARTITION BY RANGE (id);
CREATE TABLE part_a PARTITION OF part FOR VALUES FROM (0) TO (1000);
CREATE TABLE part_b PARTITION OF part FOR VALUES FROM (1000) TO (2000);
CREATE TABLE part_c PARTITION OF part FOR VALUES FROM (2000) TO (3000);
CREATE TABLE part_d PARTITION OF part FOR VALUES FROM (3000) TO (4000);
INSERT INTO part
SELECT i, 1 + 2 * x1 - 3 * x2 + sin(i) * 0.01, x1, x2
FROM (SELECT i, CASE WHEN i < 1000 THEN 1e6 + i ELSE i * 0.001 END AS x1,
             cos(i)::float8 * CASE WHEN i < 1000 THEN 1e-3 ELSE 1e3 END AS x2
      FROM generate_series(0, 2000) i) s;
ANALYZE part;
SET enable_partitionwise_aggregate = on;
EXPLAIN (COSTS OFF) SELECT buypower.linreg(y, ARRAY[x1, x2]) FROM part;
SELECT pg_temp.max_rel_diff(
         (SELECT buypower.linreg(y, ARRAY[x1, x2]) FROM part),
         (SELECT buypower.linreg(y, ARRAY[x1, x2] ORDER BY id) FROM part)) < 1e-9 AS same_model;
RESET ALL;
-- each partial state reads its options from its own first row: options that
-- differ between partitions (or parallel workers) are an error at the merge,
-- not states built differently merged anyway (that crashed the server)
CREATE TABLE pw (part int, x float8, y float8) PARTITION BY LIST (part);
CREATE TABLE pw1 PARTITION OF pw FOR VALUES IN (1);
CREATE TABLE pw2 PARTITION OF pw FOR VALUES IN (2);
INSERT INTO pw SELECT 1 + i % 2, i, 2 * i + sin(i) FROM generate_series(1, 4000) i;
ANALYZE pw;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;
-- partial states of logreg and gbdt hold rows: allow their partial plans
SET buypower.parallel_training = on;
EXPLAIN (COSTS OFF)
SELECT buypower.linreg(y, ARRAY[x], CASE part WHEN 1 THEN '{}'::jsonb ELSE '{"impute": "zero"}'::jsonb END) FROM pw;
SELECT buypower.linreg(y, ARRAY[x], CASE part WHEN 1 THEN '{}'::jsonb ELSE '{"impute": "zero"}'::jsonb END) FROM pw;
SELECT buypower.linreg(y, ARRAY[x], CASE part WHEN 2 THEN '{}'::jsonb ELSE '{"impute": "zero"}'::jsonb END) FROM pw;
SELECT buypower.logreg(y > 4000, ARRAY[x], CASE part WHEN 1 THEN '{"l2": 1}'::jsonb ELSE '{"l2": 2}'::jsonb END) FROM pw;
SELECT buypower.gbdt(y, ARRAY[x], CASE part WHEN 1 THEN '{"trees": 2}'::jsonb ELSE '{"trees": 3}'::jsonb END) FROM pw;
-- the same options everywhere merge as before
SELECT (SELECT max(abs(a.estimate - b.estimate) / greatest(abs(b.estimate), 1))
          FROM buypower.summary(p.m) a JOIN buypower.summary(u.m) b USING (term)) < 1e-9 AS same_model
FROM (SELECT buypower.linreg(y, ARRAY[x], '{"impute": "zero"}') AS m FROM pw) p,
     (SELECT buypower.linreg(y, ARRAY[x], '{"impute": "zero"}') AS m
        FROM (SELECT * FROM pw1 UNION ALL SELECT * FROM pw2) t) u;
RESET enable_partitionwise_aggregate;
RESET max_parallel_workers_per_gather;
RESET buypower.parallel_training;
DROP TABLE pw;

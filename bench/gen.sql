-- Deterministic benchmark data: no random(); every value is a function of id.
-- Usage: psql -v n=1000000 -f bench/gen.sql
--   u(id, k) = (hashint8(id * 16 + k) & 1048575) / 2^20, uniform on [0, 1) (20 bits)
--   x_k      = (2 u(id, k) - 1) * k, k = 1..10        (so x_k is uniform on [-k, k))
--   y        = 1 +0.5 * x1 -1 * x2 +1.5 * x3 -2 * x4 +0.25 * x5 +0.75 * x6 -0.5 * x7 +1.25 * x8 -1.5 * x9 +2 * x10
--              + (u(id,11) + u(id,12) + u(id,13) - 1.5)   (noise, sd 0.5)
--   label    = u(id,14) < 1 / (1 + exp(-s)),
--              s = -0.5 +1 * x1 / 1 -1 * x2 / 2 +0.5 * x3 / 3 -0.5 * x4 / 4 +2 * x5 / 5 +0.3 * x7 / 7 +1 * x8 / 8 -2 * x9 / 9 +0.25 * x10 / 10
DROP TABLE IF EXISTS bench_rows;
CREATE TABLE bench_rows (id bigint, x1 float8, x2 float8, x3 float8, x4 float8, x5 float8, x6 float8, x7 float8, x8 float8, x9 float8, x10 float8, y float8, label boolean);
INSERT INTO bench_rows
SELECT id, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10,
       1 +0.5 * x1 -1 * x2 +1.5 * x3 -2 * x4 +0.25 * x5 +0.75 * x6 -0.5 * x7 +1.25 * x8 -1.5 * x9 +2 * x10
         + (e11 + e12 + e13 - 1.5) AS y,
       e14 < 1 / (1 + exp(-(-0.5 +1 * x1 / 1 -1 * x2 / 2 +0.5 * x3 / 3 -0.5 * x4 / 4 +2 * x5 / 5 +0.3 * x7 / 7 +1 * x8 / 8 -2 * x9 / 9 +0.25 * x10 / 10))) AS label
FROM (
SELECT g.id,
       ((hashint8(g.id * 16 + 1) & 1048575)::float8 / 1048576 * 2 - 1) * 1 AS x1,
       ((hashint8(g.id * 16 + 2) & 1048575)::float8 / 1048576 * 2 - 1) * 2 AS x2,
       ((hashint8(g.id * 16 + 3) & 1048575)::float8 / 1048576 * 2 - 1) * 3 AS x3,
       ((hashint8(g.id * 16 + 4) & 1048575)::float8 / 1048576 * 2 - 1) * 4 AS x4,
       ((hashint8(g.id * 16 + 5) & 1048575)::float8 / 1048576 * 2 - 1) * 5 AS x5,
       ((hashint8(g.id * 16 + 6) & 1048575)::float8 / 1048576 * 2 - 1) * 6 AS x6,
       ((hashint8(g.id * 16 + 7) & 1048575)::float8 / 1048576 * 2 - 1) * 7 AS x7,
       ((hashint8(g.id * 16 + 8) & 1048575)::float8 / 1048576 * 2 - 1) * 8 AS x8,
       ((hashint8(g.id * 16 + 9) & 1048575)::float8 / 1048576 * 2 - 1) * 9 AS x9,
       ((hashint8(g.id * 16 + 10) & 1048575)::float8 / 1048576 * 2 - 1) * 10 AS x10,
       (hashint8(g.id * 16 + 11) & 1048575)::float8 / 1048576 AS e11,
       (hashint8(g.id * 16 + 12) & 1048575)::float8 / 1048576 AS e12,
       (hashint8(g.id * 16 + 13) & 1048575)::float8 / 1048576 AS e13,
       (hashint8(g.id * 16 + 14) & 1048575)::float8 / 1048576 AS e14
FROM generate_series(1::bigint, :n::bigint) AS g(id)
) s;
COMMENT ON TABLE bench_rows IS :'tag';
VACUUM ANALYZE bench_rows;

-- bench/prep_gen.sql: data for bench/prep.sh (psql -v n=ROWS -v tag=TAG)
--
-- bench_prep_rows(id, x1..x13 float8, xn1 = x1 with 1 % NULLs, c1..c3 text
-- with 4, 6 and 8 levels of unequal frequency, y float8, label boolean),
-- deterministic, no random(): u(id, k) = (hashint8(id*32 + k) & 1048575) / 2^20,
-- x_k = (2 u(id, k) - 1) k, c_j from u(id, 14 + j) squared (skewed levels),
-- y linear in x1..x3 plus uniform noise, label logistic in x1, x2.
DROP TABLE IF EXISTS bench_prep_rows;
CREATE TABLE bench_prep_rows AS
SELECT id,
       (2 * ((hashint8(id * 32 + 1) & 1048575) / 1048576.0)::float8 - 1) * 1 AS x1,
       (2 * ((hashint8(id * 32 + 2) & 1048575) / 1048576.0)::float8 - 1) * 2 AS x2,
       (2 * ((hashint8(id * 32 + 3) & 1048575) / 1048576.0)::float8 - 1) * 3 AS x3,
       (2 * ((hashint8(id * 32 + 4) & 1048575) / 1048576.0)::float8 - 1) * 4 AS x4,
       (2 * ((hashint8(id * 32 + 5) & 1048575) / 1048576.0)::float8 - 1) * 5 AS x5,
       (2 * ((hashint8(id * 32 + 6) & 1048575) / 1048576.0)::float8 - 1) * 6 AS x6,
       (2 * ((hashint8(id * 32 + 7) & 1048575) / 1048576.0)::float8 - 1) * 7 AS x7,
       (2 * ((hashint8(id * 32 + 8) & 1048575) / 1048576.0)::float8 - 1) * 8 AS x8,
       (2 * ((hashint8(id * 32 + 9) & 1048575) / 1048576.0)::float8 - 1) * 9 AS x9,
       (2 * ((hashint8(id * 32 + 10) & 1048575) / 1048576.0)::float8 - 1) * 10 AS x10,
       (2 * ((hashint8(id * 32 + 11) & 1048575) / 1048576.0)::float8 - 1) * 11 AS x11,
       (2 * ((hashint8(id * 32 + 12) & 1048575) / 1048576.0)::float8 - 1) * 12 AS x12,
       (2 * ((hashint8(id * 32 + 13) & 1048575) / 1048576.0)::float8 - 1) * 13 AS x13,
       CASE WHEN ((hashint8(id * 32 + 14) & 1048575) / 1048576.0)::float8 < 0.01 THEN NULL ELSE 2 * ((hashint8(id * 32 + 1) & 1048575) / 1048576.0)::float8 - 1 END AS xn1,
       'c' || floor(4 * ((hashint8(id * 32 + 15) & 1048575) / 1048576.0)::float8 ^ 2)::int AS c1,
       'r' || floor(6 * ((hashint8(id * 32 + 16) & 1048575) / 1048576.0)::float8 ^ 2)::int AS c2,
       's' || floor(8 * ((hashint8(id * 32 + 17) & 1048575) / 1048576.0)::float8 ^ 2)::int AS c3,
       ((hashint8(id * 32 + 1) & 1048575) / 1048576.0)::float8 + 0.5 * ((hashint8(id * 32 + 2) & 1048575) / 1048576.0)::float8 - 0.25 * ((hashint8(id * 32 + 3) & 1048575) / 1048576.0)::float8 + ((hashint8(id * 32 + 18) & 1048575) / 1048576.0)::float8 + ((hashint8(id * 32 + 19) & 1048575) / 1048576.0)::float8 AS y,
       ((hashint8(id * 32 + 20) & 1048575) / 1048576.0)::float8 < 1 / (1 + exp(-(2 * ((hashint8(id * 32 + 1) & 1048575) / 1048576.0)::float8 - 1 + 0.5 * (2 * ((hashint8(id * 32 + 2) & 1048575) / 1048576.0)::float8 - 1)))) AS label
FROM generate_series(1, :n) id;
VACUUM ANALYZE bench_prep_rows;
COMMENT ON TABLE bench_prep_rows IS :'tag';

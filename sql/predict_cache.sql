-- predict keeps up to 8 decoded models per call site: scoring with a model
-- picked per row (one model per category) must give what each model gives
-- alone, also when more models than cache entries alternate row by row.
CREATE TABLE pc AS
SELECT i AS id, i % 11 AS g,
       sin(i)::float8 AS x1, cos(i * 0.3)::float8 AS x2, ((i * 7) % 13)::float8 AS x3
FROM generate_series(1, 3300) i;
ALTER TABLE pc ADD COLUMN y float8;
UPDATE pc SET y = g + (g % 3 + 1) * x1 - 0.5 * g * x2 + 0.1 * x3 + 0.01 * sin(id * 17);
CREATE TABLE pc_models AS
SELECT g, buypower.linreg(y, ARRAY[x1, x2, x3]) AS m,
       buypower.gbdt(y, ARRAY[x1, x2, x3], '{"trees": 3, "max_depth": 3}') AS t
FROM pc GROUP BY g;

-- 11 linear models alternating every row (ordered by id, so g changes each
-- row): predict equals the dot product with the model's own coefficients
SELECT count(*) AS rows,
       max(abs(buypower.predict(m.m, ARRAY[x1, x2, x3]) -
               ((m.m::jsonb->'coefficients'->>0)::float8 + (m.m::jsonb->'coefficients'->>1)::float8 * x1 +
                (m.m::jsonb->'coefficients'->>2)::float8 * x2 + (m.m::jsonb->'coefficients'->>3)::float8 * x3)))
         < 1e-9 AS linear_ok
  FROM (SELECT * FROM pc ORDER BY id) p JOIN pc_models m USING (g);

-- trees and linear models mixed, alternating: same scores as one model at a time
CREATE TABLE pc_one AS
SELECT p.id, buypower.predict(m.t, ARRAY[x1, x2, x3]) AS st, buypower.predict(m.m, ARRAY[x1, x2, x3]) AS sm
  FROM pc p JOIN pc_models m USING (g) ORDER BY g, id;
SELECT count(*) AS rows, bool_and(a.st = b.st AND a.sm = b.sm) AS same_scores
  FROM pc_one a
  JOIN (SELECT p.id, buypower.predict(m.t, ARRAY[x1, x2, x3]) AS st, buypower.predict(m.m, ARRAY[x1, x2, x3]) AS sm
          FROM (SELECT * FROM pc ORDER BY id) p JOIN pc_models m USING (g)) b USING (id);

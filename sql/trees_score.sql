-- predict on tree models (trees_model.c walks a scoring layout built from
-- the stored nodes, several trees side by side: binned rows on 4-byte
-- nodes when the model allows, else thresholds; a separate walk for rows
-- with missing values and for categorical splits).  Every score must
-- equal, to the bit, a walk of the model's JSON text done here in SQL:
-- gbdt and forest, numeric and categorical, rows with and without NULLs,
-- tree counts that do not fill a group of trees, trees of uneven depth.
SET extra_float_digits = 0;

-- NULLs in x1 (every 7th row) and x3 (every 11th), in cat (every 13th);
-- unseen levels only when scoring
CREATE TABLE tsr AS
SELECT i AS id,
       CASE WHEN i % 7 = 0 THEN NULL ELSE ((hashint4(i) & 65535) / 65536.0)::float8 END AS x1,
       ((hashint4(i + 1) & 65535) / 32768.0 - 1)::float8 AS x2,
       CASE WHEN i % 11 = 0 THEN NULL ELSE (hashint4(i + 2) & 15)::float8 END AS x3,
       CASE WHEN i % 13 = 0 THEN NULL ELSE 'c' || ((hashint4(i + 3) & 1023) % 9) END AS cat,
       'k' || (i % 3) AS cat2
FROM generate_series(1, 3000) i;
ALTER TABLE tsr ADD COLUMN y float8, ADD COLUMN b boolean;
UPDATE tsr SET y = coalesce(x1, 0.3) * 2 - x2 * coalesce(x3, 4) / 8 +
                   coalesce(length(cat) + ascii(substr(cat, 2)) % 5, 2) * 0.3 + (id % 3) * 0.1 +
                   ((hashint4(id + 9) & 255) / 256.0 - 0.5) * 0.2;
UPDATE tsr SET b = y > (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY y) FROM tsr);

-- 21, 13, 10, 9, 3 trees: full groups of 8 and a partial one, or only one
CREATE TABLE tsm (fit text, m buypower.model, categorical boolean);
INSERT INTO tsm SELECT 'gbdt_cls', buypower.gbdt(b, ARRAY[x1, x2, x3], '{"trees": 21, "max_depth": 4}'), false FROM tsr;
INSERT INTO tsm SELECT 'gbdt_leafwise', buypower.gbdt(y, ARRAY[x1, x2, x3], '{"trees": 13, "growth": "leafwise", "max_leaves": 9}'), false FROM tsr;
INSERT INTO tsm SELECT 'forest_reg', buypower.forest(y, ARRAY[x1, x2, x3], '{"trees": 10, "seed": 3, "max_depth": 5}'), false FROM tsr;
INSERT INTO tsm SELECT 'gbdt_cat_reg', buypower.gbdt(y, ARRAY[x1, x2, x3], ARRAY[cat, cat2], '{"trees": 13, "max_depth": 3}'), true FROM tsr;
INSERT INTO tsm SELECT 'forest_cat_cls', buypower.forest(b, ARRAY[x1, x2, x3], ARRAY[cat, cat2], '{"trees": 9, "seed": 5, "max_depth": 6}'), true FROM tsr;
INSERT INTO tsm SELECT 'gbdt_cat_other', buypower.gbdt(y, ARRAY[x1, x2, x3], ARRAY[cat, cat2], '{"trees": 3, "max_categories": 4}'), true FROM tsr;

-- a model written as JSON: 11 trees of depths 0 to 9 (a single leaf,
-- chains, a full tree), so a group of 8 trees mixes depths and the last
-- group has 3 trees; missing values go left and right
INSERT INTO tsm
SELECT 'json_depths', jsonb_build_object(
  'format', 1, 'algorithm', 'gbdt', 'nfeatures', 3, 'objective', 'identity',
  'base_score', 0.25, 'stats', '{}'::jsonb,
  'trees', jsonb_agg(tree ORDER BY k))::text::buypower.model, false
FROM (
  -- a chain of depth d: split 2j has a leaf at 2j + 1 and the next split
  -- (or the last leaf) at 2j + 2
  SELECT k, jsonb_agg(node ORDER BY pos) AS tree
    FROM (SELECT k, 9 - (k % 4) AS d FROM generate_series(0, 10) k WHERE k NOT IN (3, 7)) t,
         LATERAL (
           SELECT 2 * j AS pos,
                  jsonb_build_object('split', (k + j) % 3, 'threshold', ((j * 37 + k * 11) % 17) / 16.0 - 0.3,
                                     'left', 2 * j + 1, 'missing', CASE WHEN (j + k) % 2 = 0 THEN 'left' ELSE 'right' END) AS node
             FROM generate_series(0, d - 1) j
           UNION ALL
           SELECT 2 * j + 1, jsonb_build_object('leaf', (j * 7 + k) % 13 / 8.0 - 0.7)
             FROM generate_series(0, d - 1) j
           UNION ALL
           SELECT 2 * d, jsonb_build_object('leaf', k / 4.0)) n
   GROUP BY k
  UNION ALL
  -- tree 3: a single leaf
  SELECT 3, jsonb_build_array(jsonb_build_object('leaf', -1.5))
  UNION ALL
  -- tree 7: full, depth 2
  SELECT 7, '[{"split": 1, "threshold": 0.0, "left": 1, "missing": "left"},
              {"split": 0, "threshold": 0.5, "left": 3, "missing": "right"},
              {"split": 2, "threshold": 7.5, "left": 5, "missing": "left"},
              {"leaf": 0.125}, {"leaf": -0.375}, {"leaf": 0.5}, {"leaf": 1.0}]'::jsonb
) trees;
SELECT (SELECT array_agg(jsonb_array_length(t) ORDER BY k) FROM jsonb_array_elements(m::jsonb->'trees') WITH ORDINALITY a(t, k)) AS sizes
  FROM tsm WHERE fit = 'json_depths';
-- 60 full trees of depth 3 with 300 distinct thresholds on x1: more than
-- the binned walk takes (254 per feature), so NULL-free rows take the
-- other one
INSERT INTO tsm
SELECT 'json_thresholds', jsonb_build_object(
  'format', 1, 'algorithm', 'gbdt', 'nfeatures', 3, 'objective', 'logistic',
  'base_score', -0.1, 'stats', '{}'::jsonb,
  'trees', jsonb_agg(tree ORDER BY t))::text::buypower.model, false
FROM (SELECT t, jsonb_agg(CASE
               WHEN i >= 7 THEN jsonb_build_object('leaf', ((t * 8 + i - 7) % 11) / 10.0 - 0.5)
               WHEN i = 1 THEN jsonb_build_object('split', 1, 'threshold', (t % 10) / 5.0 - 1, 'left', 3,
                                                  'missing', CASE WHEN t % 2 = 0 THEN 'left' ELSE 'right' END)
               WHEN i = 2 THEN jsonb_build_object('split', 2, 'threshold', t % 16 + 0.5, 'left', 5,
                                                  'missing', CASE WHEN t % 3 = 0 THEN 'left' ELSE 'right' END)
               ELSE jsonb_build_object('split', 0, 'threshold', (t * 7 + i) / 420.0, 'left', 2 * i + 1,
                                       'missing', CASE WHEN (t + i) % 2 = 0 THEN 'left' ELSE 'right' END)
             END ORDER BY i) AS tree
        FROM generate_series(0, 59) t, generate_series(0, 14) i
       GROUP BY t) trees;

-- the models use what the walks must handle: NULLs sent left and right,
-- categorical splits, an unseen level going by "other"
ALTER TABLE tsm ADD COLUMN j jsonb, ADD COLUMN logistic boolean, ADD COLUMN base float8, ADD COLUMN scale float8;
UPDATE tsm SET j = m::jsonb;
UPDATE tsm SET logistic = j->>'objective' = 'logistic', base = (j->>'base_score')::float8,
               scale = CASE WHEN j->>'algorithm' = 'forest' THEN 1::float8 / jsonb_array_length(j->'trees')::float8
                            ELSE 1::float8 END;
-- the nodes, and for a categorical split its slot's levels and "other"
CREATE TABLE tsn AS
SELECT f.fit, t.k::int AS k, (n.i - 1)::int AS i, (n.node->>'leaf')::float8 AS leaf,
       (n.node->>'split')::int AS split, (n.node->>'threshold')::float8 AS threshold,
       (n.node->>'left')::int AS lft, n.node->>'missing' = 'left' AS missing_left,
       n.node->'categories' AS categories, (n.node->>'other')::boolean AS other,
       (n.node->>'split')::int - (f.j->'categorical'->>'numeric')::int + 1 AS slot,
       f.j->'categorical'->'levels'->((n.node->>'split')::int - (f.j->'categorical'->>'numeric')::int) AS slot_levels,
       (f.j->'categorical'->'other'->>((n.node->>'split')::int - (f.j->'categorical'->>'numeric')::int))::boolean AS slot_other
  FROM tsm f, jsonb_array_elements(f.j->'trees') WITH ORDINALITY t(tree, k),
       jsonb_array_elements(t.tree) WITH ORDINALITY n(node, i);
ANALYZE tsn;
SELECT fit, bool_or(missing_left) AS some_missing_left, bool_or(NOT missing_left) AS some_missing_right,
       bool_or(categories IS NOT NULL) AS categorical_splits, count(DISTINCT k) AS trees
  FROM tsn GROUP BY fit ORDER BY fit;
SELECT (j->'categorical'->'other'->>0)::boolean AS cat_has_other FROM tsm WHERE fit = 'gbdt_cat_other';
SELECT fit, max(n) AS most_thresholds_of_a_feature
  FROM (SELECT fit, split, count(DISTINCT threshold) AS n FROM tsn WHERE lft IS NOT NULL AND categories IS NULL GROUP BY fit, split) s
 GROUP BY fit ORDER BY fit;

-- scoring rows: a third of the training rows, an unseen level, all NULL,
CREATE TABLE tsq AS
SELECT id, x1, x2, x3, cat, cat2 FROM tsr WHERE id % 3 = 0
UNION ALL SELECT 10001, 0.5, 0.1, 3, 'never seen', 'k1'
UNION ALL SELECT 10002, NULL, NULL, NULL, NULL, NULL
UNION ALL SELECT 10003, 0.9, -0.9, 14, 'c4', 'unseen'
-- and values equal to a threshold (which goes left), on both NULL-free walks
UNION ALL
SELECT 20000 + row_number() OVER (ORDER BY split, threshold),
       CASE WHEN split = 0 THEN threshold ELSE 0.5 END,
       CASE WHEN split = 1 THEN threshold ELSE 0.1 END,
       CASE WHEN split = 2 THEN threshold ELSE 3 END, 'c1', 'k1'
  FROM (SELECT DISTINCT split, threshold FROM tsn
         WHERE fit IN ('gbdt_cls', 'json_thresholds') AND lft IS NOT NULL AND categories IS NULL) t;
ANALYZE tsq;

-- The reference walk, from the JSON alone: from node 0 of each tree follow
-- "left" (value <= threshold, or "missing" for NULL; a categorical split
-- sends the levels in "categories" left, an unseen value by "other" when
-- its feature has an "other" level, otherwise right) to a leaf; add the
-- leaves in tree order; base_score + sum (gbdt) or + (1 / trees) * sum
-- (forest); then the logistic link as trees.h writes it.
CREATE TABLE tsref AS
WITH RECURSIVE walk(fit, id, k, i) AS (
  SELECT t.fit, q.id, t.k, 0 FROM (SELECT DISTINCT fit, k FROM tsn) t, tsq q
  UNION ALL
  SELECT w.fit, w.id, w.k,
         n.lft + CASE WHEN CASE
           WHEN n.categories IS NULL THEN
             coalesce((ARRAY[q.x1, q.x2, q.x3])[n.split + 1] <= n.threshold, n.missing_left)
           WHEN (ARRAY[q.cat, q.cat2])[n.slot] IS NULL THEN n.missing_left
           WHEN n.slot_levels ? (ARRAY[q.cat, q.cat2])[n.slot] THEN n.categories ? (ARRAY[q.cat, q.cat2])[n.slot]
           ELSE n.slot_other AND n.other
         END THEN 0 ELSE 1 END
    FROM walk w
    JOIN tsn n ON n.fit = w.fit AND n.k = w.k AND n.i = w.i
    JOIN tsq q ON q.id = w.id
   WHERE n.leaf IS NULL
)
SELECT w.fit, w.id, sum(n.leaf ORDER BY w.k) AS s
  FROM walk w JOIN tsn n ON n.fit = w.fit AND n.k = w.k AND n.i = w.i
 WHERE n.leaf IS NOT NULL
 GROUP BY w.fit, w.id;

SELECT f.fit,
       count(*) FILTER (WHERE q.x1 IS NULL OR q.x2 IS NULL OR q.x3 IS NULL) AS rows_with_null,
       count(*) FILTER (WHERE q.x1 IS NOT NULL AND q.x2 IS NOT NULL AND q.x3 IS NOT NULL) AS rows_without,
       count(*) FILTER (WHERE s.p = CASE WHEN f.logistic
                                         THEN CASE WHEN e.eta >= 0 THEN 1::float8 / (1::float8 + exp(-e.eta))
                                                   ELSE exp(e.eta) / (1::float8 + exp(e.eta)) END
                                         ELSE e.eta END) AS same,
       count(DISTINCT s.p) > 10 AS varied
  FROM tsm f
  JOIN tsref r ON r.fit = f.fit
  JOIN tsq q ON q.id = r.id
  CROSS JOIN LATERAL (SELECT f.base + f.scale * r.s AS eta) e
  CROSS JOIN LATERAL (
    SELECT CASE WHEN f.categorical
                THEN buypower.predict(f.m, ARRAY[q.x1, q.x2, q.x3], ARRAY[q.cat, q.cat2])
                ELSE buypower.predict(f.m, ARRAY[q.x1, q.x2, q.x3]) END AS p) s
 GROUP BY f.fit ORDER BY f.fit;

DROP TABLE tsr, tsm, tsn, tsq, tsref;

-- Load the NIST StRD linear least-squares datasets (run from the repository
-- root) and fit each with buypower.linreg.  Leaves temp tables nist_raw,
-- cert, cert_stats, spec (design and required digits), fits (one model per
-- dataset) and terms (LRE of each coefficient and standard error), and the
-- function pg_temp.lre.  Used by sql/nist.sql and bench/nist_lre.sql.
CREATE TEMP TABLE nist_raw (dataset text, y float8, x float8[]);
CREATE TEMP TABLE csv1 (y float8, x float8);
CREATE TEMP TABLE csv6 (y float8, x1 float8, x2 float8, x3 float8, x4 float8, x5 float8, x6 float8);

\copy csv1 FROM 'test/data/nist/Norris.csv' CSV HEADER
INSERT INTO nist_raw SELECT 'Norris', y, ARRAY[x] FROM csv1; TRUNCATE csv1;
\copy csv1 FROM 'test/data/nist/Pontius.csv' CSV HEADER
INSERT INTO nist_raw SELECT 'Pontius', y, ARRAY[x] FROM csv1; TRUNCATE csv1;
\copy csv1 FROM 'test/data/nist/NoInt1.csv' CSV HEADER
INSERT INTO nist_raw SELECT 'NoInt1', y, ARRAY[x] FROM csv1; TRUNCATE csv1;
\copy csv1 FROM 'test/data/nist/NoInt2.csv' CSV HEADER
INSERT INTO nist_raw SELECT 'NoInt2', y, ARRAY[x] FROM csv1; TRUNCATE csv1;
\copy csv1 FROM 'test/data/nist/Filip.csv' CSV HEADER
INSERT INTO nist_raw SELECT 'Filip', y, ARRAY[x] FROM csv1; TRUNCATE csv1;
\copy csv1 FROM 'test/data/nist/Wampler1.csv' CSV HEADER
INSERT INTO nist_raw SELECT 'Wampler1', y, ARRAY[x] FROM csv1; TRUNCATE csv1;
\copy csv1 FROM 'test/data/nist/Wampler2.csv' CSV HEADER
INSERT INTO nist_raw SELECT 'Wampler2', y, ARRAY[x] FROM csv1; TRUNCATE csv1;
\copy csv1 FROM 'test/data/nist/Wampler3.csv' CSV HEADER
INSERT INTO nist_raw SELECT 'Wampler3', y, ARRAY[x] FROM csv1; TRUNCATE csv1;
\copy csv1 FROM 'test/data/nist/Wampler4.csv' CSV HEADER
INSERT INTO nist_raw SELECT 'Wampler4', y, ARRAY[x] FROM csv1; TRUNCATE csv1;
\copy csv1 FROM 'test/data/nist/Wampler5.csv' CSV HEADER
INSERT INTO nist_raw SELECT 'Wampler5', y, ARRAY[x] FROM csv1; TRUNCATE csv1;
\copy csv6 FROM 'test/data/nist/Longley.csv' CSV HEADER
INSERT INTO nist_raw SELECT 'Longley', y, ARRAY[x1, x2, x3, x4, x5, x6] FROM csv6;

CREATE TEMP TABLE cert (dataset text, term text, estimate float8, std_error float8);
\copy cert FROM 'test/data/nist/certified.csv' CSV HEADER
CREATE TEMP TABLE cert_stats (dataset text, residual_sd float8, r_squared float8, df_resid int);
\copy cert_stats FROM 'test/data/nist/certified_stats.csv' CSV HEADER

-- the design: polynomial files use raw powers x, x^2, ..., x^k
CREATE TEMP TABLE spec (dataset text, degree int, intercept bool, floor float8);
INSERT INTO spec VALUES
  ('Norris', 1, true, 12), ('Pontius', 2, true, 11), ('NoInt1', 1, false, 14),
  ('NoInt2', 1, false, 14), ('Filip', 10, true, 6.5), ('Longley', 0, true, 11),
  ('Wampler1', 5, true, 9), ('Wampler2', 5, true, 12), ('Wampler3', 5, true, 9),
  ('Wampler4', 5, true, 7.5), ('Wampler5', 5, true, 5.5);

CREATE FUNCTION pg_temp.design(x float8[], degree int) RETURNS float8[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN degree = 0 THEN x
         ELSE ARRAY(SELECT power(x[1], i) FROM generate_series(1, degree) i) END
$$;

CREATE FUNCTION pg_temp.lre(est float8, cert float8) RETURNS float8
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN est = cert THEN 15
              WHEN cert = 0 THEN least(15, -log(abs(est)))
              ELSE greatest(0, least(15, -log(abs(est - cert) / abs(cert)))) END
$$;

CREATE TEMP TABLE fits AS
SELECT s.dataset, s.floor,
       buypower.linreg(r.y, pg_temp.design(r.x, s.degree),
                       jsonb_build_object('intercept', s.intercept)) AS m
FROM nist_raw r JOIN spec s USING (dataset)
GROUP BY s.dataset, s.floor;

-- coefficients and standard errors, term by term (B0 is the intercept)
CREATE TEMP TABLE terms AS
SELECT f.dataset, f.floor, c.term,
       pg_temp.lre(t.estimate, c.estimate) AS coef_lre,
       pg_temp.lre(t.std_error, c.std_error) AS se_lre
FROM fits f
CROSS JOIN LATERAL (SELECT row_number() OVER () AS k, * FROM buypower.summary(f.m)) t
JOIN cert c ON c.dataset = f.dataset
  AND c.term = 'B' || (t.k - CASE WHEN f.dataset LIKE 'NoInt%' THEN 0 ELSE 1 END);


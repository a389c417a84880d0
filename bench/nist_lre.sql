-- bench/nist_lre.sql: the digits (LRE, log relative error) buypower.linreg
-- reaches on each NIST StRD linear least-squares dataset, as printed in the
-- README.  Same fits as sql/nist.sql.  Run from the repository root:
--   psql -X -q -f bench/nist_lre.sql
SET extra_float_digits = 0;
\i test/data/nist/fit.sql

SELECT t.dataset, f.floor AS required,
       round(min(t.coef_lre)::numeric, 1) AS coefficients,
       round(min(t.se_lre)::numeric, 1) AS std_errors,
       round(pg_temp.lre((f.m::jsonb->'stats'->>'sigma')::float8, c.residual_sd)::numeric, 1) AS residual_sd,
       round(pg_temp.lre((f.m::jsonb->'stats'->>'r2')::float8, c.r_squared)::numeric, 1) AS r2
FROM terms t JOIN fits f USING (dataset) JOIN cert_stats c USING (dataset)
GROUP BY t.dataset, f.floor, f.m::text, f.m::jsonb, c.residual_sd, c.r_squared
ORDER BY t.dataset;

-- Accuracy on the NIST StRD linear least-squares datasets.
--
-- LRE (log relative error) = -log10(|estimate - certified| / |certified|),
-- about the number of correct significant digits (capped at 15; where the
-- certified value is 0, -log10|estimate|).  The floors are what Householder
-- QR on centred, scaled columns reaches in double precision (see the NIST
-- README in the shared data); buypower must match or beat them.
SET extra_float_digits = 0;

\i test/data/nist/fit.sql

SELECT dataset, count(*) FROM nist_raw GROUP BY 1 ORDER BY 1;

SELECT dataset, count(*) AS terms,
       min(coef_lre) >= floor AS coef_ok,
       min(se_lre) >= floor AS se_ok
FROM terms GROUP BY dataset, floor ORDER BY dataset;

-- residual standard deviation, R^2 and residual degrees of freedom
SELECT f.dataset,
       pg_temp.lre((f.m::jsonb->'stats'->>'sigma')::float8, c.residual_sd) >= f.floor AS sigma_ok,
       pg_temp.lre((f.m::jsonb->'stats'->>'r2')::float8, c.r_squared) >= f.floor AS r2_ok,
       (f.m::jsonb->'stats'->>'df_residual')::int = c.df_resid AS df_ok
FROM fits f JOIN cert_stats c USING (dataset) ORDER BY 1;

-- Filip is the hard one (numpy's default lstsq and the normal equations
-- get 0 digits): at least 7 here
SELECT min(coef_lre) >= 7 AS filip_7_digits FROM terms WHERE dataset = 'Filip';

-- one feature: the same line as the built-in regr_slope / regr_intercept.
-- Norris's intercept (-0.26) is a thousand times smaller than its y values
-- (up to 800), so its own relative error is that much larger than the
-- line's: compare the two lines where the data are, relative to max |y|.
-- Both intercepts are also held to the certified value (12 digits).
SELECT abs(s.estimate - b.slope) / abs(b.slope) < 1e-12 AS slope_ok,
       (SELECT max(abs((i.estimate + s.estimate * r.x[1]) - (b.icpt + b.slope * r.x[1])))
        FROM nist_raw r WHERE r.dataset = 'Norris') / b.ymax < 1e-14 AS same_line,
       pg_temp.lre(i.estimate, c.certified) >= 12 AS intercept_12_digits,
       pg_temp.lre(b.icpt, c.certified) >= 12 AS regr_intercept_12_digits
FROM (SELECT buypower.linreg(y, x) AS m, regr_slope(y, x[1]) AS slope,
             regr_intercept(y, x[1]) AS icpt, max(abs(y)) AS ymax
      FROM nist_raw WHERE dataset = 'Norris') b
CROSS JOIN LATERAL (SELECT estimate FROM buypower.summary(b.m) WHERE term = 'x1') s
CROSS JOIN LATERAL (SELECT estimate FROM buypower.summary(b.m) WHERE term = '(Intercept)') i
CROSS JOIN LATERAL (SELECT estimate AS certified FROM cert WHERE dataset = 'Norris' AND term = 'B0') c;

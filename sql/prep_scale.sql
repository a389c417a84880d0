-- preprocessing: scaling (standard, robust; the default for penalised fits),
-- clipping (iqr, zscore) and their order with imputation, each checked
-- against the same learner on a design transformed by hand in SQL.
SET extra_float_digits = 0;

CREATE TABLE ps AS
SELECT i,
       (20 + abs(hashint4(i)) % 50)::float8 AS age,
       CASE WHEN i % 17 = 0 THEN NULL
            WHEN i % 97 = 0 THEN 250000.0 + i     -- wholesale buyers
            ELSE (abs(hashint4(i + 3)) % 5000) * 1.5 END::float8 AS spend,
       CASE WHEN i % 4 = 0 THEN 'north' WHEN i % 4 = 1 THEN 'south' ELSE 'east' END AS region
FROM generate_series(1, 800) i;
ALTER TABLE ps ADD COLUMN y float8;
UPDATE ps SET y = 10 + 0.3 * age + 0.002 * least(coalesce(spend, 3000), 8000) + 2 * sin(i);
ALTER TABLE ps ADD COLUMN b boolean;
UPDATE ps SET b = (y + 4 * sin(i * 5) > 27);

-- parameters by hand: observed-value statistics, then fences, then the
-- statistics of the imputed and clipped values
CREATE TABLE pstat AS
SELECT avg(age) AS age_mean, stddev_pop(age) AS age_sd,
       avg(spend) AS spend_mean, stddev_pop(spend) AS spend_sd, stddev_samp(spend) AS spend_sd1,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY spend) AS spend_med,
       percentile_cont(0.25) WITHIN GROUP (ORDER BY spend) AS spend_q1,
       percentile_cont(0.75) WITHIN GROUP (ORDER BY spend) AS spend_q3,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY age) AS age_med,
       percentile_cont(0.25) WITHIN GROUP (ORDER BY age) AS age_q1,
       percentile_cont(0.75) WITHIN GROUP (ORDER BY age) AS age_q3
FROM ps;
CREATE VIEW ps_imp AS
SELECT i, y, b, region, age, coalesce(spend, (SELECT spend_mean FROM pstat)) AS spend FROM ps;
CREATE TABLE pstat2 AS SELECT avg(spend) AS m, stddev_pop(spend) AS sd FROM ps_imp;

-- 1. standard scaling does not change an unpenalised fit: on the original
-- scale the coefficients are those of the unscaled fit; as fitted, they are
-- those of a fit on columns standardised by hand
CREATE TABLE f1 AS
SELECT buypower.linreg(y, ARRAY[age, spend], '{"scale": "standard"}') AS scaled,
       buypower.linreg(y, ARRAY[age, spend]) AS plain
FROM ps;
SELECT a.term, abs(a.estimate - b.estimate) < 1e-9 * (1 + abs(b.estimate)) AS same_estimate,
       abs(a.std_error - b.std_error) < 1e-9 * b.std_error AS same_se, a.std_error IS NULL AS se_null
FROM f1, buypower.summary(f1.scaled) a JOIN buypower.summary(f1.plain) b USING (term);
SELECT bool_and(abs(a.estimate - b.estimate) < 1e-9 * (1 + abs(b.estimate))) AS standardized_as_by_hand
FROM f1, buypower.summary(f1.scaled, 'standardized') a
JOIN buypower.summary((SELECT buypower.linreg(y, ARRAY[(age - age_mean) / age_sd, (spend - m) / sd],
                              '{"names": ["x1", "x2"]}') FROM ps_imp, pstat, pstat2)) b USING (term);
SELECT abs((scaled::jsonb #>> '{preprocessing,features,0,center}')::float8 / age_mean - 1) < 1e-14 AS center_is_mean,
       abs((scaled::jsonb #>> '{preprocessing,features,0,scale}')::float8 / age_sd - 1) < 1e-12 AS scale_is_sd,
       abs((scaled::jsonb #>> '{preprocessing,features,1,scale}')::float8 / sd - 1) < 1e-12 AS sd_after_imputation
FROM f1, pstat, pstat2;

-- 2. penalised fits standardise by default (the penalty does not depend on
-- units), as a ridge fit on columns standardised by hand; "scale": "none"
-- turns it off
SELECT bool_and(abs(a.estimate - b.estimate) < 1e-9 * (1 + abs(b.estimate))) AS ridge_default_standard
FROM buypower.summary((SELECT buypower.linreg(y, ARRAY[age, spend], '{"l2": 50}') FROM ps), 'standardized') a
JOIN buypower.summary((SELECT buypower.linreg(y, ARRAY[(age - age_mean) / age_sd, (spend - m) / sd],
                              '{"l2": 50, "scale": "none", "names": ["x1", "x2"]}') FROM ps_imp, pstat, pstat2)) b USING (term);
SELECT (SELECT buypower.linreg(y, ARRAY[age, spend], '{"l2": 50, "scale": "none"}') FROM ps)::jsonb
       #>> '{preprocessing,scale}' AS scale_none;
SELECT bool_and(abs(a.estimate - b.estimate) < 1e-7 * (1 + abs(b.estimate))) AS logreg_l2_default_standard
FROM buypower.summary((SELECT buypower.logreg(b, ARRAY[age, spend], '{"l2": 2}') FROM ps), 'standardized') a
JOIN buypower.summary((SELECT buypower.logreg(b, ARRAY[(age - age_mean) / age_sd, (spend - m) / sd],
                              '{"l2": 2, "scale": "none", "names": ["x1", "x2"]}') FROM ps_imp, pstat, pstat2)) b USING (term);

-- 3. robust scaling: median and interquartile range (of imputed values)
CREATE TABLE rstat AS
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY coalesce(spend, 0)) AS med,
       percentile_cont(0.25) WITHIN GROUP (ORDER BY coalesce(spend, 0)) AS q1,
       percentile_cont(0.75) WITHIN GROUP (ORDER BY coalesce(spend, 0)) AS q3
FROM ps;
SELECT bool_and(abs(a.estimate - b.estimate) < 1e-9 * (1 + abs(b.estimate))) AS robust_as_by_hand
FROM buypower.summary((SELECT buypower.linreg(y, ARRAY[age, spend], '{"scale": "robust", "impute": "zero"}') FROM ps), 'standardized') a
JOIN buypower.summary((SELECT buypower.linreg(y, ARRAY[(age - age_med) / (age_q3 - age_q1),
                              (coalesce(spend, 0) - med) / (q3 - q1)], '{"names": ["x1", "x2"]}')
                       FROM ps, pstat, rstat)) b USING (term);

-- 4. clipping: box-plot fences from the observed values, the number of
-- clipped values, and the fit on values clipped by hand
CREATE TABLE f4 AS
SELECT buypower.linreg(y, ARRAY[age, spend], '{"clip": "iqr"}') AS iqr,
       buypower.linreg(y, ARRAY[age, spend], '{"clip": "zscore", "clip_k": 2}') AS z
FROM ps;
SELECT abs((iqr::jsonb #>> '{preprocessing,features,1,upper}')::float8 - (spend_q3 + 1.5 * (spend_q3 - spend_q1))) < 1e-9 AS iqr_upper,
       abs((iqr::jsonb #>> '{preprocessing,features,1,lower}')::float8 - (spend_q1 - 1.5 * (spend_q3 - spend_q1))) < 1e-9 AS iqr_lower,
       (iqr::jsonb #>> '{preprocessing,features,1,clipped}')::int =
         (SELECT count(*) FROM ps WHERE spend > spend_q3 + 1.5 * (spend_q3 - spend_q1)) AS clipped_count,
       iqr::jsonb #> '{preprocessing,features,1,clipped}' AS clipped,
       iqr::jsonb #> '{stats,n_clipped}' AS n_clipped,
       abs((z::jsonb #>> '{preprocessing,features,1,upper}')::float8 - (spend_mean + 2 * spend_sd1)) < 1e-9 AS zscore_upper
FROM f4, pstat;
SELECT bool_and(abs(a.estimate - b.estimate) < 1e-9 * (1 + abs(b.estimate))) AS clipped_as_by_hand
FROM f4, buypower.summary(f4.iqr) a
JOIN buypower.summary((SELECT buypower.linreg(y, ARRAY[age,
        least(greatest(spend, spend_q1 - 1.5 * (spend_q3 - spend_q1)), spend_q3 + 1.5 * (spend_q3 - spend_q1))],
        '{"names": ["x1", "x2"]}') FROM ps_imp, pstat)) b USING (term);

-- 5. everything at once, in order impute (median), clip, scale, on logreg
-- with a categorical feature; scoring reproduces the fit's log-likelihood
CREATE TABLE f5 AS
SELECT buypower.logreg(b, ARRAY[age, spend], ARRAY[region],
        '{"impute": "median", "clip": "iqr", "scale": "standard", "missing_indicators": true}') AS m
FROM ps;
SELECT term FROM f5, buypower.summary(f5.m);
SELECT abs(sum(CASE WHEN b THEN ln(p) ELSE ln(1 - p) END)
           / (SELECT (m::jsonb #>> '{stats,log_likelihood}')::float8 FROM f5) - 1) < 1e-12 AS loglik_reproduced
FROM (SELECT b, buypower.predict(m, ARRAY[age, spend], ARRAY[region]) AS p FROM ps, f5) s;
SELECT abs((m::jsonb #>> '{preprocessing,features,1,fill}')::float8 - spend_med) < 1e-9 AS fill_is_median
FROM f5, pstat;

-- the original-scale summary names its scale; a bad scale name is an error
SELECT count(*) FROM buypower.summary((SELECT iqr FROM f4), 'original');
SELECT count(*) FROM buypower.summary((SELECT iqr FROM f4), 'z');

DROP TABLE f1, f4, f5;
DROP VIEW ps_imp;
DROP TABLE pstat, pstat2, rstat, ps;

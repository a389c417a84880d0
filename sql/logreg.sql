-- logreg: agreement with statsmodels Logit and scikit-learn LogisticRegression
-- on the UCI online shoppers data (test/data/README), options, separation,
-- non-convergence, GROUP BY, parallel plans, text round trip, scoring.
SET extra_float_digits = 0;

CREATE TABLE shoppers (
    administrative float8, administrative_duration float8, informational float8,
    informational_duration float8, product_related float8, product_related_duration float8,
    bounce_rates float8, exit_rates float8, page_values float8, special_day float8,
    month text, operating_systems int, browser int, region int, traffic_type int,
    visitor_type text, weekend boolean, revenue boolean);
\copy shoppers FROM 'test/data/online_shoppers_intention.csv' CSV HEADER
-- design: the 10 numeric columns unscaled, Weekend and ReturningVisitor as 0/1
CREATE VIEW shoppers_x AS
SELECT revenue, weekend, ARRAY[administrative, administrative_duration, informational,
       informational_duration, product_related, product_related_duration, bounce_rates,
       exit_rates, page_values, special_day, weekend::int,
       (visitor_type = 'Returning_Visitor')::int]::float8[] AS x
  FROM shoppers;
SELECT count(*), count(*) FILTER (WHERE revenue) AS positive FROM shoppers;

-- statsmodels 0.13.5 Logit(method='newton', tol=1e-14): coefficient, SE
-- scikit-learn 1.2.1 LogisticRegression(solver='newton-cg', tol=1e-14,
-- max_iter=100000), C = 1 / l2; term 0 is the intercept (except l2_1_noint)
CREATE TEMP TABLE ref_logit (term int, coef float8, se float8);
INSERT INTO ref_logit VALUES
    (0, -1.8512679596933546, 0.09035209246871496),
    (1, 0.004698370322364671, 0.010906392799114704),
    (2, -0.00016101818487456945, 0.00019530012136417295),
    (3, 0.026804139502769327, 0.026563981282611348),
    (4, 4.664100260072788e-05, 0.00022184447793623452),
    (5, 0.00364796503994462, 0.0011495496597415617),
    (6, 5.958775970838311e-05, 2.778214655619289e-05),
    (7, -3.0074419225204263, 3.103917002386469),
    (8, -15.165692143070943, 2.341037311659984),
    (9, 0.07992345483347917, 0.0023448979961494896),
    (10, -0.8835875939188734, 0.21560092508447123),
    (11, 0.13733881526491265, 0.06995473007844595),
    (12, -0.33606201687170156, 0.08349496475501049);
CREATE TEMP TABLE ref_sklearn (fit text, term int, coef float8);
INSERT INTO ref_sklearn VALUES
    ('l2_1', 0, -2.0868283460065564),
    ('l2_1', 1, 0.013944646424786754),
    ('l2_1', 2, -0.00013372227092692384),
    ('l2_1', 3, 0.02612820375437577),
    ('l2_1', 4, 4.3067058853598345e-05),
    ('l2_1', 5, 0.0047249049207128005),
    ('l2_1', 6, 5.0504475066729834e-05),
    ('l2_1', 7, -3.1787556488227344),
    ('l2_1', 8, -5.031414720780658),
    ('l2_1', 9, 0.08273033778730475),
    ('l2_1', 10, -0.930724323567933),
    ('l2_1', 11, 0.15703997346111662),
    ('l2_1', 12, -0.46685118617852395),
    ('l2_100', 0, -2.4648745457507055),
    ('l2_100', 1, 0.025899572623065414),
    ('l2_100', 2, -8.998005611623819e-05),
    ('l2_100', 3, 0.024914302157728326),
    ('l2_100', 4, 2.6405972612887407e-05),
    ('l2_100', 5, 0.005274100986577323),
    ('l2_100', 6, 4.852512332429897e-05),
    ('l2_100', 7, -0.10905723097272048),
    ('l2_100', 8, -0.13518781242430167),
    ('l2_100', 9, 0.08625346133536455),
    ('l2_100', 10, -0.2356760849626964),
    ('l2_100', 11, 0.1307260914913292),
    ('l2_100', 12, -0.36713401057035844),
    ('l2_1_noint', 0, -0.057838935907840644),
    ('l2_1_noint', 1, -0.00039205292313896023),
    ('l2_1_noint', 2, 0.027217374690128037),
    ('l2_1_noint', 3, 0.0002646152801346974),
    ('l2_1_noint', 4, 0.003150412945866779),
    ('l2_1_noint', 5, 6.394412480862875e-05),
    ('l2_1_noint', 6, -2.773938304219492),
    ('l2_1_noint', 7, -11.593322844755141),
    ('l2_1_noint', 8, 0.0736123707869965),
    ('l2_1_noint', 9, -1.3242662574976147),
    ('l2_1_noint', 10, -0.4125469060870217),
    ('l2_1_noint', 11, -1.8748684784210434),
    ('balanced', 0, -0.6385030415521333),
    ('balanced', 1, 0.01850396466723665),
    ('balanced', 2, -0.0001331021941171731),
    ('balanced', 3, 0.05788882354225305),
    ('balanced', 4, -1.420262931337814e-05),
    ('balanced', 5, 0.004911889104308253),
    ('balanced', 6, 8.639091492311968e-05),
    ('balanced', 7, -3.3610154096497293),
    ('balanced', 8, -10.735736330029223),
    ('balanced', 9, 0.11443968087542859),
    ('balanced', 10, -1.1793810019311144),
    ('balanced', 11, 0.1614280236085956),
    ('balanced', 12, -0.38007972956123887),
    ('balanced_l2_1', 0, -0.7794429917847595),
    ('balanced_l2_1', 1, 0.02360272054698593),
    ('balanced_l2_1', 2, -0.00011688661462025688),
    ('balanced_l2_1', 3, 0.058150607236505295),
    ('balanced_l2_1', 4, -1.4984467282734995e-05),
    ('balanced_l2_1', 5, 0.005732045561078642),
    ('balanced_l2_1', 6, 8.243549855611922e-05),
    ('balanced_l2_1', 7, -3.631393479457787),
    ('balanced_l2_1', 8, -5.375247811220702),
    ('balanced_l2_1', 9, 0.11693611971104402),
    ('balanced_l2_1', 10, -1.1880056772610705),
    ('balanced_l2_1', 11, 0.17344345194523603),
    ('balanced_l2_1', 12, -0.45581417113203493),
    ('given', 0, -1.0881069740307465),
    ('given', 1, 0.012983668510885069),
    ('given', 2, -0.00012040811796318995),
    ('given', 3, 0.04594762015419494),
    ('given', 4, 2.2322841632378588e-05),
    ('given', 5, 0.004372454890571656),
    ('given', 6, 7.797921747343808e-05),
    ('given', 7, -3.1797067617010524),
    ('given', 8, -12.170314208184648),
    ('given', 9, 0.10198459274768928),
    ('given', 10, -1.0592706234117601),
    ('given', 11, 0.15020835341071218),
    ('given', 12, -0.3448993446825695);

CREATE TEMP TABLE fits AS
SELECT 'mle' AS fit, buypower.logreg(revenue, x) AS m FROM shoppers_x
UNION ALL
SELECT 'l2_1', buypower.logreg(revenue, x, '{"l2": 1, "scale": "none"}') FROM shoppers_x
UNION ALL
SELECT 'l2_100', buypower.logreg(revenue, x, '{"l2": 100, "scale": "none"}') FROM shoppers_x
UNION ALL
SELECT 'l2_1_noint', buypower.logreg(revenue, x, '{"l2": 1, "intercept": false, "scale": "none"}') FROM shoppers_x
UNION ALL
SELECT 'balanced', buypower.logreg(revenue, x, '{"class_weight": "balanced"}') FROM shoppers_x
UNION ALL
SELECT 'balanced_l2_1', buypower.logreg(revenue, x, '{"class_weight": "balanced", "l2": 1, "scale": "none"}') FROM shoppers_x
UNION ALL
SELECT 'given', buypower.logreg(revenue, x, '{"class_weight": {"0": 1, "1": 3}}') FROM shoppers_x;

CREATE FUNCTION coef(m buypower.model, i int) RETURNS float8
    LANGUAGE sql IMMUTABLE AS $$ SELECT (m::jsonb -> 'coefficients' ->> i)::float8 $$;
CREATE FUNCTION se(m buypower.model, i int) RETURNS float8
    LANGUAGE sql IMMUTABLE AS $$ SELECT (m::jsonb -> 'std_errors' ->> i)::float8 $$;
CREATE FUNCTION stat(m buypower.model, k text) RETURNS float8
    LANGUAGE sql IMMUTABLE AS $$ SELECT (m::jsonb -> 'stats' ->> k)::float8 $$;

-- maximum likelihood vs statsmodels: coefficients and SEs to 1e-6 relative
SELECT count(*) AS terms,
       max(abs(coef(m, term) - r.coef) / abs(r.coef)) < 1e-6 AS coef_ok,
       max(abs(se(m, term) - r.se) / r.se) < 1e-6 AS se_ok
  FROM fits, ref_logit r WHERE fit = 'mle';
SELECT (m::jsonb ->> 'converged')::boolean AS converged,
       abs(stat(m, 'log_likelihood') - (-3699.8565544833218)) / 3699.8565544833218 < 1e-10 AS loglik_ok,
       abs(stat(m, 'null_deviance') - 2 * 5312.398063050472) / 10624.8 < 1e-10 AS null_dev_ok,
       abs(stat(m, 'deviance') + 2 * stat(m, 'log_likelihood')) < 1e-9 AS deviance_ok,
       abs(stat(m, 'aic') - (2 * 3699.8565544833218 + 2 * 13)) < 1e-6 AS aic_ok,
       abs(stat(m, 'bic') - (2 * 3699.8565544833218 + 13 * ln(12330))) < 1e-6 AS bic_ok,
       stat(m, 'df_residual') AS df_residual, stat(m, 'n') AS n,
       stat(m, 'iterations') BETWEEN 3 AND 15 AS iterations_ok
  FROM fits WHERE fit = 'mle';

-- z statistics and normal p-values
SELECT term, round(estimate::numeric, 6) AS estimate, round(statistic::numeric, 3) AS z,
       round(p_value::numeric, 4) AS p_value
  FROM buypower.summary((SELECT buypower.logreg(revenue, x, '{"names": ["Administrative",
       "Administrative_Duration", "Informational", "Informational_Duration", "ProductRelated",
       "ProductRelated_Duration", "BounceRates", "ExitRates", "PageValues", "SpecialDay",
       "Weekend", "ReturningVisitor"]}') FROM shoppers_x));

-- penalised and weighted fits vs scikit-learn to 1e-5 relative
SELECT r.fit, count(*) AS terms,
       max(abs(coef(f.m, r.term + (r.fit = 'l2_1_noint')::int) - r.coef) / abs(r.coef)) < 1e-5 AS coef_ok
  FROM ref_sklearn r JOIN fits f USING (fit) GROUP BY r.fit ORDER BY r.fit;
SELECT fit, (m::jsonb ->> 'converged')::boolean AS converged, m::jsonb ? 'std_errors' AS has_se,
       (m::jsonb ->> 'intercept')::boolean AS intercept, coef(m, 0) = 0 AS coef0_zero,
       stat(m, 'l2') AS l2, round(stat(m, 'positive_weight')::numeric, 6) AS w1,
       round(stat(m, 'negative_weight')::numeric, 6) AS w0
  FROM fits ORDER BY fit;

-- a numeric 0/1 label gives the same model as the boolean one
SELECT buypower.logreg(revenue::int::float8, x)::text = buypower.logreg(revenue, x)::text AS same
  FROM shoppers_x;

-- scoring: probabilities in (0, 1); with an intercept the fitted
-- probabilities of an MLE sum to the number of positives
SELECT min(p) > 0 AND max(p) < 1 AS in_range,
       abs(sum(p) - count(*) FILTER (WHERE revenue)) < 1e-6 AS mean_matches
  FROM (SELECT revenue, buypower.predict((SELECT m FROM fits WHERE fit = 'mle'), x) AS p
          FROM shoppers_x) s;

-- text round trip
SELECT m::text::buypower.model::text = m::text AS text_round_trip FROM fits ORDER BY fit;

-- non-convergence: a notice, and the model says so
SELECT (m::jsonb ->> 'converged')::boolean AS converged, stat(m, 'iterations') AS iterations
  FROM (SELECT buypower.logreg(revenue, x, '{"max_iter": 2}') AS m FROM shoppers_x) s;

-- complete separation: a notice and a finite, not-converged model without SEs
SELECT (m::jsonb ->> 'converged')::boolean AS converged, m::jsonb ? 'std_errors' AS has_se,
       coef(m, 1) > 0 AS slope_positive
  FROM (SELECT buypower.logreg(i > 50, ARRAY[i]::float8[]) AS m
          FROM generate_series(1, 100) i) s;
-- quasi-complete separation: x1 = 1 only on positive rows
SELECT (m::jsonb ->> 'converged')::boolean AS converged, coef(m, 1) > 5 AS runs_off
  FROM (SELECT buypower.logreg(i % 3 = 0, ARRAY[(i % 3 = 0 AND i <= 30)::int, i % 7]::float8[]) AS m
          FROM generate_series(1, 300) i) s;
-- with a penalty the separable fit converges
SELECT (m::jsonb ->> 'converged')::boolean AS converged, round(coef(m, 1)::numeric, 4) AS slope
  FROM (SELECT buypower.logreg(i > 50, ARRAY[i / 100.0]::float8[], '{"l2": 1, "scale": "none"}') AS m
          FROM generate_series(1, 100) i) s;

-- GROUP BY: each group's model matches the fit on that group alone
CREATE TEMP TABLE by_weekend AS
SELECT weekend, buypower.logreg(revenue, x[1:10] || x[12:12]) AS m FROM shoppers_x GROUP BY weekend;
SELECT g.weekend, (g.m::jsonb ->> 'converged')::boolean AS converged,
       (SELECT max(abs(coef(g.m, i) - coef(a.m, i)) / abs(coef(a.m, i))) < 1e-9
          FROM generate_series(0, 11) i) AS same
  FROM by_weekend g,
       LATERAL (SELECT buypower.logreg(revenue, x[1:10] || x[12:12]) AS m
                  FROM shoppers_x s WHERE s.weekend = g.weekend) a
 ORDER BY g.weekend;

-- a larger input (300,000 rows) takes the subsample warm start; the
-- result still satisfies the optimality conditions on all rows
CREATE TABLE big AS
SELECT i, x, (x[1] - 2 * x[2] + x[3] * x[4] + 0.5 * ((i * 7919) % 1000) / 1000.0 > 0.6) AS y
  FROM (SELECT i, ARRAY[(i % 1000) / 1000.0, ((i * 37) % 1009) / 1009.0,
               ((i * 101) % 997) / 997.0, ((i * 13) % 991) / 991.0 - 0.5]::float8[] AS x
          FROM generate_series(1::bigint, 300000) i) s;
CREATE TEMP TABLE big_fit AS SELECT buypower.logreg(y, x) AS m FROM big;
SELECT (m::jsonb ->> 'converged')::boolean AS converged, stat(m, 'n') AS n
  FROM big_fit;
SELECT abs(sum(buypower.predict(m, x)) - count(*) FILTER (WHERE y)) / count(*) < 1e-9 AS intercept_foc,
       abs(sum((buypower.predict(m, x) - y::int) * x[1])) / count(*) < 1e-9 AS slope1_foc
  FROM big, big_fit;

-- parallel: workers collect rows, the leader solves; same model as serial
SET parallel_setup_cost = 0;
-- the workers' rows travel to the leader: let the planner choose that
SET buypower.parallel_training = on;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT buypower.logreg(revenue, x) FROM shoppers_x;
SELECT (SELECT max(abs(coef(p.m, i) - coef(f.m, i)) / abs(coef(f.m, i)))
          FROM generate_series(0, 12) i) < 1e-9 AS same_coef,
       (SELECT max(abs(se(p.m, i) - se(f.m, i)) / se(f.m, i))
          FROM generate_series(0, 12) i) < 1e-9 AS same_se,
       stat(p.m, 'n') AS n
  FROM (SELECT buypower.logreg(revenue, x) AS m FROM shoppers_x) p, fits f
 WHERE f.fit = 'mle';
EXPLAIN (COSTS OFF) SELECT buypower.logreg(y, x) FROM big;
SELECT (SELECT max(abs(coef(p.m, i) - coef(b.m, i)) / abs(coef(b.m, i)))
          FROM generate_series(0, 4) i) < 1e-9 AS same_big
  FROM (SELECT buypower.logreg(y, x) AS m FROM big) p, big_fit b;
RESET parallel_setup_cost;
RESET buypower.parallel_training;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;

DROP TABLE big;
DROP VIEW shoppers_x;
DROP TABLE shoppers;

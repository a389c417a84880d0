-- preprocessing: categorical features (vocabulary, one-hot with a reference
-- level, NULL level, "other"), imputation, missing indicators; every fit is
-- checked against the same learner on a design built by hand in SQL.
SET extra_float_digits = 0;

CREATE TABLE pt AS
SELECT i,
       ((abs(hashint4(i)) % 1000) / 100.0)::float8 AS x1,
       CASE WHEN i % 13 = 0 THEN NULL ELSE ((abs(hashint4(i + 7)) % 1000) / 50.0)::float8 END AS x2,
       CASE WHEN i % 10 < 5 THEN 'Beijing' WHEN i % 10 < 8 THEN 'Shanghai'
            WHEN i % 10 = 8 THEN 'Shenzhen' WHEN i % 20 = 9 THEN NULL ELSE 'Xi''an' END AS city,
       CASE WHEN i % 3 = 0 THEN 'web' ELSE 'app' END AS channel
FROM generate_series(1, 600) i;
ALTER TABLE pt ADD COLUMN y float8;
UPDATE pt SET y = 2 + 1.5 * x1 - 0.7 * coalesce(x2, 10)
    + CASE city WHEN 'Shanghai' THEN 3 WHEN 'Shenzhen' THEN -2 WHEN 'Xi''an' THEN 1 ELSE 0 END
    + CASE WHEN city IS NULL THEN 5 ELSE 0 END + CASE channel WHEN 'web' THEN 0.5 ELSE 0 END
    + sin(i);
ALTER TABLE pt ADD COLUMN b boolean;
UPDATE pt SET b = (y + 3 * sin(i * 7) > 8);

-- the design by hand: mean-imputed x2, then dummies for every level but the
-- most frequent (Beijing, app), in frequency order, NULL level last
CREATE VIEW pt_manual AS
SELECT i, y, b, ARRAY[x1, coalesce(x2, (SELECT avg(x2) FROM pt)),
       coalesce(city = 'Shanghai', false)::int, coalesce(city = 'Shenzhen', false)::int,
       coalesce(city = 'Xi''an', false)::int, (city IS NULL)::int, (channel = 'web')::int]::float8[] AS x
FROM pt;

CREATE TABLE fits AS
SELECT 'cat' AS fit, buypower.linreg(y, ARRAY[x1, x2], ARRAY[city, channel],
        '{"names": ["x1", "x2", "city", "channel"]}') AS m FROM pt
UNION ALL
SELECT 'manual', buypower.linreg(y, x, '{"names": ["x1", "x2", "city=Shanghai", "city=Shenzhen",
        "city=Xi''an", "city IS NULL", "channel=web"]}') FROM pt_manual;

-- terms, in design order: numeric, then each slot's non-reference levels
SELECT term, round(estimate::numeric, 4) AS estimate
FROM buypower.summary((SELECT m FROM fits WHERE fit = 'cat'));

-- the same fit as by hand, coefficient by coefficient and standard error
SELECT count(*) AS terms,
       bool_and(abs(a.estimate - b.estimate) < 1e-9 * (1 + abs(b.estimate))) AS same_estimates,
       bool_and(abs(a.std_error - b.std_error) < 1e-9 * (1 + abs(b.std_error))) AS same_std_errors
FROM buypower.summary((SELECT m FROM fits WHERE fit = 'cat')) a
JOIN buypower.summary((SELECT m FROM fits WHERE fit = 'manual')) b USING (term);

-- what the model learned, as JSON
SELECT jsonb_pretty(m::jsonb -> 'preprocessing' -> 'categories') AS categories,
       abs((m::jsonb #> '{preprocessing,features,1,fill}')::float8 / (SELECT avg(x2) FROM pt) - 1) < 1e-14 AS fill_is_mean,
       m::jsonb #> '{preprocessing,features,1,missing}' AS x2_missing,
       m::jsonb #> '{stats,n_imputed}' AS n_imputed
FROM fits WHERE fit = 'cat';

-- scoring: same as the hand-built design for every training row
SELECT max(abs(buypower.predict(c.m, ARRAY[x1, x2], ARRAY[city, channel])
               - buypower.predict(h.m, pm.x))) < 1e-9 AS same_scores
FROM pt JOIN pt_manual pm USING (i), fits c, fits h
WHERE c.fit = 'cat' AND h.fit = 'manual';

-- scoring a training row gives the training-time fit: the residual sum of
-- squares from predict is the model's rss
SELECT abs(sum((y - buypower.predict(m, ARRAY[x1, x2], ARRAY[city, channel])) ^ 2)
           / (SELECT (m::jsonb #>> '{stats,rss}')::float8 FROM fits WHERE fit = 'cat') - 1) < 1e-10 AS rss_reproduced
FROM pt, fits WHERE fit = 'cat';

-- a value never seen in training, with no "other" level, scores as the
-- reference level; a NULL numeric feature is imputed with the training mean
SELECT buypower.predict(m, ARRAY[1, 2], ARRAY['Paris', 'app']) = buypower.predict(m, ARRAY[1, 2], ARRAY['Beijing', 'app']) AS unseen_is_reference,
       buypower.predict(m, ARRAY[1, NULL], ARRAY['Shanghai', NULL]) =
       buypower.predict(m, ARRAY[1, (m::jsonb #>> '{preprocessing,features,1,fill}')::float8],
                        ARRAY['Shanghai', 'app']) AS null_imputed_null_unseen
FROM fits WHERE fit = 'cat';

-- max_categories: the rest folds into "other", where unseen values go too
CREATE TABLE fit_other AS
SELECT buypower.linreg(y, ARRAY[x1, x2], ARRAY[city], '{"max_categories": 2}') AS m FROM pt;
SELECT term FROM buypower.summary((SELECT m FROM fit_other));
SELECT m::jsonb #> '{preprocessing,categories,0}' AS slot,
       buypower.predict(m, ARRAY[1, 2], ARRAY['Paris']) = buypower.predict(m, ARRAY[1, 2], ARRAY['Shenzhen']) AS unseen_is_other,
       buypower.predict(m, ARRAY[1, 2], ARRAY['Xi''an']) = buypower.predict(m, ARRAY[1, 2], ARRAY['Shenzhen']) AS folded_together
FROM fit_other;

-- penalised fits keep every level (no reference)
SELECT count(*) FILTER (WHERE term LIKE 'c1%') AS city_terms
FROM buypower.summary((SELECT buypower.linreg(y, ARRAY[x1, x2], ARRAY[city], '{"l2": 1}') FROM pt));

-- logreg on categories: the same fit as on the hand-built design
SELECT bool_and(abs(a.estimate - b.estimate) < 1e-7 * (1 + abs(b.estimate))) AS logreg_same
FROM buypower.summary((SELECT buypower.logreg(b, ARRAY[x1, x2], ARRAY[city, channel], NULL) FROM pt)) a
JOIN buypower.summary((SELECT buypower.logreg(b, x, '{"names": ["x1", "x2", "c1=Shanghai", "c1=Shenzhen",
        "c1=Xi''an", "c1 IS NULL", "c2=web"]}') FROM pt_manual)) b USING (term);

-- imputation methods against coalesce() by hand
SELECT method, abs(a.estimate - b.estimate) < 1e-9 * (1 + abs(b.estimate)) AS same
FROM (VALUES ('median', (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x2) FROM pt)),
             ('zero', 0)) v(method, fill),
     LATERAL (SELECT term, estimate FROM buypower.summary((SELECT buypower.linreg(y, ARRAY[x1, x2],
              jsonb_build_object('impute', method)) FROM pt))) a
     JOIN LATERAL (SELECT term, estimate FROM buypower.summary((SELECT buypower.linreg(y,
              ARRAY[x1, coalesce(x2, v.fill)]) FROM pt))) b USING (term)
ORDER BY method, term;

-- per-feature methods and missing indicators
SELECT term, round(estimate::numeric, 4) AS estimate
FROM buypower.summary((SELECT buypower.linreg(y, ARRAY[x1, x2],
       '{"impute": ["error", "zero"], "missing_indicators": true}') FROM pt));
SELECT bool_and(abs(a.estimate - b.estimate) < 1e-9 * (1 + abs(b.estimate))) AS indicators_same
FROM buypower.summary((SELECT buypower.linreg(y, ARRAY[x1, x2],
       '{"impute": "zero", "missing_indicators": true}') FROM pt)) a
JOIN buypower.summary((SELECT buypower.linreg(y, ARRAY[x1, coalesce(x2, 0), (x2 IS NULL)::int],
       '{"names": ["x1", "x2", "missing(x2)"]}') FROM pt)) b USING (term);

-- rows whose categorical array is NULL are skipped and counted
SELECT m::jsonb #> '{stats,n}' AS n, m::jsonb #> '{stats,n_skipped}' AS skipped
FROM (SELECT buypower.linreg(y, ARRAY[x1], CASE WHEN i % 100 = 0 THEN NULL ELSE ARRAY[city] END, '{}') AS m FROM pt) s;

-- a different model on every row (the model cache misses each time) scores
-- as each model does alone
SELECT bool_and(buypower.predict(CASE WHEN i % 2 = 0 THEN c.m ELSE o.m END, ARRAY[x1, x2], ARRAY[city])
                = CASE WHEN i % 2 = 0 THEN s1 ELSE s2 END) AS alternating_models
FROM (SELECT i, x1, x2, city,
             buypower.predict((SELECT m FROM fit_other), ARRAY[x1, x2], ARRAY[city]) AS s2,
             buypower.predict((SELECT buypower.linreg(y, ARRAY[x1, x2], ARRAY[city], '{}') FROM pt), ARRAY[x1, x2], ARRAY[city]) AS s1
      FROM pt) t,
     (SELECT buypower.linreg(y, ARRAY[x1, x2], ARRAY[city], '{}') AS m FROM pt) c, fit_other o;

-- a model in the 0.1.0 format (the same without "preprocessing") scores
-- complete rows identically and still rejects NULL elements
CREATE TABLE old_new AS
SELECT m, (m::jsonb - 'preprocessing')::text::buypower.model AS o
FROM (SELECT buypower.linreg(y, ARRAY[x1, x2]) AS m FROM pt) s;
SELECT m::jsonb ? 'preprocessing' AS new_has_prep, o::jsonb ? 'preprocessing' AS old_has_prep,
       (SELECT bool_and(buypower.predict(o, ARRAY[x1, x2]) = buypower.predict(m, ARRAY[x1, x2]))
        FROM pt WHERE x2 IS NOT NULL) AS same_scores
FROM old_new;
SELECT buypower.predict(o, ARRAY[1, NULL]) FROM old_new;
DROP TABLE old_new;

-- text round trip keeps every byte and every score
SELECT bool_and(m::text::buypower.model::text = m::text) AS text_round_trip,
       bool_and(buypower.model_send(m::text::buypower.model) = buypower.model_send(m)) AS same_bytes
FROM fits;
SELECT bool_and(buypower.predict(m::text::buypower.model, ARRAY[x1, x2], ARRAY[city, channel])
                = buypower.predict(m, ARRAY[x1, x2], ARRAY[city, channel])) AS same_scores_after_round_trip
FROM pt, fits WHERE fit = 'cat';

-- parallel workers learn the same vocabulary and imputation as serial
CREATE TABLE ptbig AS SELECT p.* FROM pt p, generate_series(1, 40) g;
ANALYZE ptbig;
CREATE TABLE serial_fit AS
SELECT buypower.logreg(b, ARRAY[x1, x2], ARRAY[city, channel], '{"max_categories": 3}') AS m FROM ptbig;
CREATE TABLE serial_stream AS
SELECT buypower.linreg(y, ARRAY[x1, x2]) AS m FROM ptbig;
SET parallel_setup_cost = 0;
-- the workers' rows travel to the leader: let the planner choose that
SET buypower.parallel_training = on;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT buypower.logreg(b, ARRAY[x1, x2], ARRAY[city, channel], '{"max_categories": 3}') FROM ptbig;
SELECT p.m::jsonb #> '{preprocessing,categories}' = s.m::jsonb #> '{preprocessing,categories}' AS same_vocabulary,
       abs((p.m::jsonb #>> '{preprocessing,features,1,fill}')::float8
           - (s.m::jsonb #>> '{preprocessing,features,1,fill}')::float8) < 1e-12 AS same_fill,
       p.m::jsonb #> '{stats,n}' = s.m::jsonb #> '{stats,n}' AS same_n
FROM (SELECT buypower.logreg(b, ARRAY[x1, x2], ARRAY[city, channel], '{"max_categories": 3}') AS m FROM ptbig) p,
     serial_fit s;
-- streaming linreg with mean imputation: rows without NULLs fitted at once,
-- rows with NULLs kept until the means are known, in workers and leader
EXPLAIN (COSTS OFF) SELECT buypower.linreg(y, ARRAY[x1, x2]) FROM ptbig;
SELECT bool_and(abs(a.estimate - b.estimate) < 1e-9 * (1 + abs(b.estimate))) AS stream_same,
       (SELECT m::jsonb #> '{stats,n_imputed}' FROM serial_stream) AS n_imputed
FROM buypower.summary((SELECT buypower.linreg(y, ARRAY[x1, x2]) FROM ptbig)) a
JOIN buypower.summary((SELECT m FROM serial_stream)) b USING (term);
-- the fill value pools the kept rows' sums with the means the QR holds for
-- the streamed rows: the mean of all observed values, serial and parallel
SELECT bool_and(abs((m::jsonb #>> '{preprocessing,features,1,fill}')::float8
                    / (SELECT avg(x2) FROM ptbig) - 1) < 1e-13) AS stream_fill_is_mean,
       count(*) AS fits
FROM (SELECT m FROM serial_stream
      UNION ALL SELECT buypower.linreg(y, ARRAY[x1, x2]) FROM ptbig) f;
RESET parallel_setup_cost;
RESET buypower.parallel_training;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;

DROP TABLE ptbig, serial_fit, serial_stream, fit_other, fits;
DROP VIEW pt_manual;
DROP TABLE pt;

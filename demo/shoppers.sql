-- demo/shoppers.sql: the same pipeline on real data.
--
--   bash demo/run shoppers        (or: psql -f demo/shoppers.sql, from the repository root)
--
-- Data: UCI Online Shoppers Purchasing Intention (C. O. Sakar, S. O. Polat,
-- M. Katircioglu, Y. Kastro, Neural Computing and Applications 31, 2019;
-- https://archive.ics.uci.edu/dataset/468, CC BY 4.0), 12,330 sessions of an
-- online shop over a year, 15.5% ending in a purchase (Revenue).  The file is
-- test/data/online_shoppers_intention.csv, unchanged.
--
-- The task is session conversion (CVR): one logistic model per visitor type
-- with GROUP BY, the small "Other" type falling back to a global model;
-- scores, fixed tiers from the training score distribution, and the held-out
-- evaluation (AUC, precision / recall / F1, lift, calibration) as views.
\set QUIET on
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS buypower;
DROP SCHEMA IF EXISTS shoppers CASCADE;
CREATE SCHEMA shoppers;

CREATE TABLE shoppers.raw (
  administrative int, administrative_duration float8, informational int, informational_duration float8,
  product_related int, product_related_duration float8, bounce_rates float8, exit_rates float8,
  page_values float8, special_day float8, month text, operating_systems int, browser int, region int,
  traffic_type int, visitor_type text, weekend boolean, revenue boolean);
\copy shoppers.raw FROM 'test/data/online_shoppers_intention.csv' CSV HEADER

-- sessions carry no id: number them in file order, which is stable
CREATE TABLE shoppers.sessions AS
SELECT row_number() OVER () AS session_id, r.* FROM shoppers.raw r;
ALTER TABLE shoppers.sessions ADD PRIMARY KEY (session_id);

-- 11 numeric features (page values on a log scale) and 5 categorical ones,
-- one-hot encoded by the learners' text[] forms (doc/preprocessing.md)
CREATE VIEW shoppers.features AS
SELECT session_id, visitor_type, revenue, buypower.holdout(session_id, 0.25) AS held_out,
       ARRAY[administrative, administrative_duration / 60, informational, informational_duration / 60,
             product_related, product_related_duration / 60, bounce_rates * 100, exit_rates * 100,
             ln(1 + page_values), special_day, weekend::int]::float8[] AS x,
       ARRAY[month, operating_systems::text, browser::text, region::text, traffic_type::text] AS cats
FROM shoppers.sessions;

-- models: one per visitor type with enough sessions, and a global fallback '*'
CREATE TABLE shoppers.models AS
WITH eligible AS (
  SELECT visitor_type FROM shoppers.features WHERE NOT held_out
  GROUP BY 1 HAVING count(*) >= 500 AND count(*) FILTER (WHERE revenue) >= 50
), fit AS (
  SELECT f.visitor_type AS segment, buypower.logreg(f.revenue, f.x, f.cats, '{"l2": 1}') AS m
  FROM shoppers.features f JOIN eligible USING (visitor_type) WHERE NOT f.held_out GROUP BY 1
  UNION ALL
  SELECT '*', buypower.logreg(f.revenue, f.x, f.cats, '{"l2": 1}') FROM shoppers.features f WHERE NOT f.held_out
)
SELECT fit.segment, buypower.score_distribution(fit.m, buypower.predict(fit.m, f.x, f.cats)) AS model, count(*) AS train_rows
FROM fit JOIN shoppers.features f ON fit.segment IN (f.visitor_type, '*')
WHERE NOT f.held_out GROUP BY fit.segment;

-- scoring picks the segment's model by key, else '*'
CREATE MATERIALIZED VIEW shoppers.session_scores AS
SELECT f.session_id, f.visitor_type, coalesce(own.segment, '*') AS model_segment, sc.cvr,
       buypower.percentile(coalesce(own.model, g.model), sc.cvr) AS cvr_percentile,
       buypower.tier(coalesce(own.model, g.model), sc.cvr, '{0.5,0.9}') AS cvr_tier,
       f.revenue, f.held_out
FROM shoppers.features f
CROSS JOIN (SELECT model FROM shoppers.models WHERE segment = '*') g
LEFT JOIN shoppers.models own ON own.segment = f.visitor_type
CROSS JOIN LATERAL (SELECT buypower.predict(coalesce(own.model, g.model), f.x, f.cats) AS cvr) sc;
CREATE UNIQUE INDEX ON shoppers.session_scores (session_id);

CREATE VIEW shoppers.eval AS
SELECT coalesce(visitor_type, 'all') AS visitor_type,
       CASE WHEN grouping(visitor_type) = 0 THEN min(model_segment) END AS model,
       count(*) AS sessions, count(*) FILTER (WHERE revenue) AS purchases,
       buypower.auc(revenue, cvr) AS auc, buypower.precision(revenue, cvr, 0.5) AS precision,
       buypower.recall(revenue, cvr, 0.5) AS recall, buypower.f1(revenue, cvr, 0.5) AS f1,
       buypower.logloss(revenue, cvr) AS logloss
FROM shoppers.session_scores WHERE held_out
GROUP BY GROUPING SETS ((visitor_type), ());

CREATE VIEW shoppers.eval_lift AS
SELECT b.* FROM (SELECT buypower.lift(revenue, cvr) AS l FROM shoppers.session_scores WHERE held_out) x, unnest(x.l) b;
CREATE VIEW shoppers.eval_calibration AS
SELECT b.* FROM (SELECT buypower.calibration(revenue, cvr) AS c FROM shoppers.session_scores WHERE held_out) x,
     unnest(x.c) b;
RESET client_min_messages;
\set QUIET off

\qecho
\qecho '== UCI Online Shoppers: models by visitor type (train on 75% of sessions) =='
SELECT segment, train_rows, (model::jsonb->>'converged')::boolean AS converged,
       round((model::jsonb->'stats'->>'score_mean')::numeric, 3) AS mean_train_cvr
FROM shoppers.models ORDER BY train_rows DESC;

\qecho
\qecho '== held-out evaluation at threshold 0.5 (shoppers.eval) =='
SELECT visitor_type, model, sessions, purchases, round(auc::numeric, 3) AS auc, round(precision::numeric, 3) AS precision,
       round(recall::numeric, 3) AS recall, round(f1::numeric, 3) AS f1, round(logloss::numeric, 3) AS logloss
FROM shoppers.eval ORDER BY visitor_type = 'all', sessions DESC;

\qecho
\qecho '== decile lift (shoppers.eval_lift) =='
SELECT bucket AS decile, rows, positives, round(response_rate::numeric, 3) AS response_rate,
       round(lift::numeric, 2) AS lift, round(cumulative_gain::numeric, 3) AS cumulative_gain
FROM shoppers.eval_lift ORDER BY bucket;

\qecho
\qecho '== calibration (shoppers.eval_calibration) =='
SELECT bin, round(lower_bound::numeric, 1) AS from_p, round(upper_bound::numeric, 1) AS to_p, rows,
       round(mean_predicted::numeric, 3) AS mean_predicted, round(observed_rate::numeric, 3) AS observed_rate
FROM shoppers.eval_calibration WHERE rows > 0 ORDER BY bin;

\qecho
\qecho '== tiers on held-out sessions: purchase rate by tier =='
SELECT cvr_tier, count(*) AS sessions, round(avg(revenue::int)::numeric, 3) AS purchase_rate
FROM shoppers.session_scores WHERE held_out GROUP BY 1 ORDER BY 3 DESC;

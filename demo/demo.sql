-- buypower demo: purchasing power, trained and scored where the data lives.
--
-- Runs on an embedded, deterministic sample shop (demo/sample_shop.sql):
-- users, their last-90-day behaviour, and what they spent in the next 90
-- days.  Train on 80% of users, check on the held-out 20%, store the model,
-- score every user in a materialized view, refresh it after new orders.
\set QUIET on
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS buypower;
\i demo/sample_shop.sql
\set QUIET off
\echo
\echo '== the sample shop =='
SELECT count(*) AS users,
       round(avg(spend_next_90d)::numeric, 2) AS avg_spend_next_90d,
       round(100.0 * avg((orders_90d > 1)::int), 1) AS pct_repeat_buyers
FROM demo.users;

\echo
\echo '== 1. train a purchasing-power model on 80% of users (held out by key hash) =='
CREATE TABLE demo.spend_model AS
SELECT buypower.linreg(spend_next_90d,
                       ARRAY[recency_days, orders_90d, spend_90d, views_30d, cart_adds_30d],
                       '{"names": ["recency_days", "orders_90d", "spend_90d", "views_30d", "cart_adds_30d"]}') AS m
FROM demo.users
WHERE NOT buypower.holdout(user_id, 0.2);

SELECT term, round(estimate::numeric, 4) AS estimate, round(std_error::numeric, 4) AS std_error,
       round(statistic::numeric, 1) AS t, p_value < 0.001 AS "p<0.001"
FROM buypower.summary((SELECT m FROM demo.spend_model));

SELECT (m::jsonb->'stats'->>'n')::int AS rows_used,
       round((m::jsonb->'stats'->>'r2')::numeric, 4) AS r2,
       round((m::jsonb->'stats'->>'sigma')::numeric, 2) AS residual_se
FROM demo.spend_model;

\echo
\echo '== 2. check it on the held-out 20% =='
SELECT buypower.regression_report(u.spend_next_90d,
         buypower.predict(s.m, ARRAY[u.recency_days, u.orders_90d, u.spend_90d, u.views_30d, u.cart_adds_30d]))
       AS held_out
FROM demo.users u CROSS JOIN demo.spend_model s
WHERE buypower.holdout(u.user_id, 0.2);

\echo
\echo '== 3. score every user in a materialized view, with tiers =='
CREATE MATERIALIZED VIEW demo.user_spend AS
SELECT u.user_id,
       buypower.predict(s.m, ARRAY[u.recency_days, u.orders_90d, u.spend_90d, u.views_30d, u.cart_adds_30d])
         AS predicted_spend
FROM demo.users u CROSS JOIN demo.spend_model s;
CREATE UNIQUE INDEX ON demo.user_spend (user_id);

CREATE VIEW demo.user_tiers AS
SELECT user_id, round(predicted_spend::numeric, 2) AS predicted_spend,
       CASE WHEN r >= 0.9 THEN 'high' WHEN r >= 0.5 THEN 'mid' ELSE 'low' END AS tier
FROM (SELECT *, percent_rank() OVER (ORDER BY predicted_spend) AS r FROM demo.user_spend) s;

SELECT tier, count(*) AS users, round(avg(predicted_spend), 2) AS avg_predicted,
       round(avg(u.spend_next_90d)::numeric, 2) AS avg_actual
FROM demo.user_tiers t JOIN demo.users u USING (user_id)
GROUP BY tier ORDER BY avg_predicted DESC;

\echo
\echo '== top 10 users by predicted spend in the next 90 days =='
SELECT user_id, predicted_spend, tier FROM demo.user_tiers ORDER BY predicted_spend DESC, user_id LIMIT 10;

\echo
\echo '== 4. new orders arrive; the nightly refresh picks them up =='
UPDATE demo.users SET orders_90d = orders_90d + 3, spend_90d = spend_90d + 450, recency_days = 1
WHERE user_id IN (17, 42);
REFRESH MATERIALIZED VIEW CONCURRENTLY demo.user_spend;
SELECT user_id, predicted_spend, tier FROM demo.user_tiers WHERE user_id IN (17, 42) ORDER BY user_id;

\echo
\echo '== the stored model is a value of type buypower.model, readable as JSON =='
SELECT m::text AS model FROM demo.spend_model;

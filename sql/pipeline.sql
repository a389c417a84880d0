-- the main job end to end (demo/shop.sql + demo/pipeline.sql) at a small size,
-- with its results asserted
\set QUIET on
\set ECHO none
\set shop_users 3000
\i demo/shop.sql
SELECT md5(string_agg(o::text, ',' ORDER BY order_id)) AS orders_md5 FROM shop.orders o \gset
SELECT md5(string_agg(e::text, ',' ORDER BY e::text)) AS events_md5 FROM shop.events e \gset
\i demo/shop.sql
\i demo/pipeline.sql
\set ECHO all
\set QUIET off
SET extra_float_digits = 0;

-- the data has the planted shape: most buyers order once, a loyal minority often
SELECT (SELECT count(*) FROM shop.users) AS users,
       (SELECT avg((n = 1)::int) > 0.5 FROM (SELECT count(*) AS n FROM shop.orders GROUP BY user_id) x) AS most_buy_once,
       (SELECT avg(n) > 8 FROM (SELECT count(*) AS n FROM shop.orders JOIN shop.user_truth USING (user_id)
                                WHERE segment = 'loyal' GROUP BY user_id) x) AS loyal_reorder;

-- the generator is deterministic: generated twice (above), same seed, same data
SELECT (SELECT md5(string_agg(o::text, ',' ORDER BY order_id)) FROM shop.orders o) = :'orders_md5' AS same_orders,
       (SELECT md5(string_agg(e::text, ',' ORDER BY e::text)) FROM shop.events e) = :'events_md5' AS same_events;

-- models: a spend model, a global CVR model, per-category models for the big
-- categories, and the tiny luxury category without a model of its own
SELECT model_name, category, bool_or(active) AS active FROM shop.models
WHERE category IN ('*', 'grocery', 'luxury') GROUP BY 1, 2 ORDER BY 1, 2;
-- spend candidates: linreg always, gbdt when this buypower has it; one is active
SELECT bool_and(algorithm IN ('linreg', 'gbdt')) AS known_algorithms, count(*) FILTER (WHERE active) AS active
FROM shop.models WHERE model_name = 'spend';
SELECT count(*) >= 2 AS several_category_models FROM shop.models WHERE model_name = 'cvr' AND category <> '*' AND active;

-- held-out quality above stated floors: CVR AUC >= 0.75, spend R2 >= 0.15
SELECT auc >= 0.75 AS auc_above_floor, precision > 0.5 AS precision_ok, recall > 0.3 AS recall_ok
FROM shop.eval_cvr WHERE category = 'all';
SELECT r2 >= 0.15 AS r2_above_floor FROM shop.eval_spend;
-- decile lift: the top decile responds at least 3x the average; calibration: no bin off by more than 0.3
SELECT lift >= 3 AS top_decile_lift FROM shop.eval_cvr_lift WHERE bucket = 1;
SELECT bool_and(abs(mean_predicted - observed_rate) < 0.3) AS calibrated FROM shop.eval_cvr_calibration WHERE rows >= 20;

-- the planted loyal segment lands in the top spend tier; others mostly do not
SELECT t.segment = 'loyal' AS loyal, avg((s.spend_tier = 'high')::int) > 0.9 AS mostly_high,
       avg((s.spend_tier = 'high')::int) < 0.3 AS rarely_high
FROM shop.user_scores s JOIN shop.user_truth t USING (user_id)
GROUP BY 1 ORDER BY 1;
-- and in the top CVR tier of their favourite category
SELECT avg((c.cvr_tier = 'high')::int) > 0.7 AS loyal_high_cvr
FROM shop.user_category_scores c JOIN shop.user_truth t USING (user_id)
WHERE t.segment = 'loyal' AND c.category = t.favourite_category;

-- scoring picks the category's model by key, else the global one
SELECT bool_and(c.model_category = CASE WHEN m.category IS NULL THEN '*' ELSE c.category END) AS model_by_key,
       count(*) FILTER (WHERE c.model_category = '*') > 0 AS some_fallback,
       count(*) FILTER (WHERE c.model_category <> '*') > 0 AS some_own
FROM shop.user_category_scores c
LEFT JOIN shop.models m ON m.model_name = 'cvr' AND m.category = c.category AND m.active;
SELECT bool_and(abs(c.cvr - buypower.predict(m.model, f.x, f.cats)) = 0) AS scored_with_that_model
FROM shop.user_category_scores c JOIN shop.pair_features_now f USING (user_id, category)
JOIN shop.models m ON m.model_name = 'cvr' AND m.category = c.model_category AND m.active;

-- refresh: new orders move those users' scores and nobody else's; tiers of
-- unchanged scores stay put
CREATE TEMP TABLE before AS SELECT * FROM shop.user_scores;
INSERT INTO shop.orders SELECT 90000000 + u, u, '2026-06-30 12:00+00', 'home', 800, 0, false FROM unnest(ARRAY[3, 4]) u;
CALL shop.nightly();
SELECT string_agg(user_id::text, ',' ORDER BY user_id) AS changed
FROM shop.user_scores s JOIN before b USING (user_id) WHERE s.predicted_spend <> b.predicted_spend;
SELECT bool_and(s.spend_tier = b.spend_tier AND s.spend_percentile = b.spend_percentile) AS unchanged_tiers_stay
FROM shop.user_scores s JOIN before b USING (user_id) WHERE user_id NOT IN (3, 4);
SELECT count(*) FILTER (WHERE b.spend_tier = 'high') AS high_before, count(*) FILTER (WHERE s.spend_tier = 'high') AS high_after
FROM shop.user_scores s JOIN before b USING (user_id) WHERE user_id IN (3, 4);

-- tiers do not drift with the population: 300 new big spenders arrive; every
-- existing user keeps their tier, where a percent_rank() tier over tonight's
-- population would move some of them
CREATE TEMP TABLE before2 AS
SELECT user_id, spend_tier, percent_rank() OVER (ORDER BY predicted_spend) AS pr FROM shop.user_scores;
INSERT INTO shop.users SELECT 100000 + i, 30, 'f', 'Shanghai', date '2026-01-01', 'organic' FROM generate_series(1, 300) i;
INSERT INTO shop.orders
SELECT 95000000 + i * 10 + k, 100000 + i, timestamptz '2026-06-01 00:00+00' + k * interval '3 days', 'home', 500, 0, false
FROM generate_series(1, 300) i, generate_series(1, 5) k;
CALL shop.nightly();
SELECT (SELECT count(*) FROM shop.user_scores) AS scored_now, count(*) AS existing_users,
       bool_and(s.spend_tier = b.spend_tier) AS fixed_tiers_stay,
       count(*) FILTER (WHERE (s.pr >= 0.9) <> (b.pr >= 0.9)) > 0 AS population_tiers_would_move
FROM (SELECT *, percent_rank() OVER (ORDER BY predicted_spend) AS pr FROM shop.user_scores) s
JOIN before2 b USING (user_id);
DELETE FROM shop.orders WHERE user_id > 100000;
DELETE FROM shop.users WHERE user_id > 100000;

-- retraining: a model that fails validation is not activated; the previous one keeps scoring
UPDATE shop.settings SET auc_floor = 1.01, r2_floor = 1.01;
CALL shop.retrain();
SELECT version, count(*) FILTER (WHERE active) AS active_models FROM shop.models GROUP BY 1 ORDER BY 1;
UPDATE shop.settings SET auc_floor = 0.65, r2_floor = 0.2;
CALL shop.retrain();
SELECT version, count(*) FILTER (WHERE active) > 0 AS has_active FROM shop.models GROUP BY 1 ORDER BY 1;
SELECT count(*) AS one_active_each FROM (SELECT model_name, category FROM shop.models WHERE active
                                         GROUP BY 1, 2 HAVING count(*) > 1) x;
REFRESH MATERIALIZED VIEW CONCURRENTLY shop.user_scores;
SELECT DISTINCT model_version FROM shop.user_scores;

\set QUIET on
SET client_min_messages = warning;
DROP SCHEMA shop CASCADE;

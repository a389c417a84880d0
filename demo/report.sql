-- demo/report.sql: what the pipeline produced, as a marketing team reads it.
-- Every table here is a view in schema shop that a BI tool can query.
\pset footer off
\qecho
\qecho '== the shop =='
SELECT (SELECT count(*) FROM shop.users) AS users, (SELECT count(*) FROM shop.orders) AS orders,
       (SELECT count(*) FROM shop.events) AS events,
       (SELECT round(100.0 * avg((n = 1)::int), 1) FROM (SELECT count(*) AS n FROM shop.orders GROUP BY user_id) x)
         AS pct_buyers_ordering_once,
       (SELECT as_of FROM shop.settings) AS as_of, (SELECT horizon FROM shop.settings) AS horizon;

\qecho
\qecho '== models (shop.models): one version each; active = passed validation on held-out users =='
SELECT model_name, category, version, algorithm, train_rows, metric_name, round(holdout_metric::numeric, 3) AS holdout_metric, active
FROM shop.models ORDER BY model_name DESC, category, algorithm;

\qecho
\qecho '== purchasing power: spend in the next 90 days, held-out users (shop.eval_spend) =='
SELECT users, round(r2::numeric, 3) AS r2, round(rmse::numeric, 2) AS rmse, round(mae::numeric, 2) AS mae,
       round(mean_spend::numeric, 2) AS mean_spend
FROM shop.eval_spend;

\qecho
\qecho '== ... by tier (shop.eval_spend_tiers): tiers from the training score distribution =='
SELECT tier, users, round(avg_predicted::numeric, 2) AS avg_predicted, round(avg_actual::numeric, 2) AS avg_actual,
       round(100 * share_of_spend::numeric, 1) AS pct_of_spend
FROM shop.eval_spend_tiers ORDER BY avg_predicted DESC;

\qecho
\qecho '== repurchase CVR by category, held-out users, threshold from shop.settings (shop.eval_cvr) =='
SELECT category, model_category AS model, pairs, positives, round(auc::numeric, 3) AS auc,
       round(precision::numeric, 3) AS precision, round(recall::numeric, 3) AS recall, round(f1::numeric, 3) AS f1,
       round(mean_cvr::numeric, 3) AS mean_cvr, round(observed_rate::numeric, 3) AS observed_rate
FROM shop.eval_cvr ORDER BY category = 'all', pairs DESC;

\qecho
\qecho '== CVR decile lift (shop.eval_cvr_lift) =='
SELECT bucket AS decile, rows, positives, round(response_rate::numeric, 3) AS response_rate,
       round(lift::numeric, 2) AS lift, round(cumulative_gain::numeric, 3) AS cumulative_gain
FROM shop.eval_cvr_lift ORDER BY bucket;

\qecho
\qecho '== CVR calibration (shop.eval_cvr_calibration) =='
SELECT bin, round(lower_bound::numeric, 1) AS from_p, round(upper_bound::numeric, 1) AS to_p, rows,
       round(mean_predicted::numeric, 3) AS mean_predicted, round(observed_rate::numeric, 3) AS observed_rate
FROM shop.eval_cvr_calibration WHERE rows > 0 ORDER BY bin;

\qecho
\qecho '== published: shop.user_scores, top 10 by predicted spend =='
SELECT user_id, round(predicted_spend::numeric, 2) AS predicted_spend,
       round(spend_percentile::numeric, 4) AS percentile, spend_tier
FROM shop.user_scores ORDER BY predicted_spend DESC, user_id LIMIT 10;

\qecho
\qecho '== published: shop.user_category_scores, tiers per category =='
SELECT category, model_category AS model, count(*) AS users,
       count(*) FILTER (WHERE cvr_tier = 'high') AS high, count(*) FILTER (WHERE cvr_tier = 'mid') AS mid,
       count(*) FILTER (WHERE cvr_tier = 'low') AS low, count(*) FILTER (WHERE likely_repurchase) AS likely_repurchase
FROM shop.user_category_scores GROUP BY 1, 2 ORDER BY users DESC;

\qecho
\qecho '== the planted loyal segment (ground truth the models never saw) =='
SELECT t.segment, count(*) AS users, round(100.0 * avg((s.spend_tier = 'high')::int), 1) AS pct_high_spend_tier
FROM shop.user_scores s JOIN shop.user_truth t USING (user_id) GROUP BY 1 ORDER BY 3 DESC;

\qecho
\qecho '== new orders arrive; the nightly refresh (CALL shop.nightly()) moves their scores, not their tier rules =='
CREATE TEMP TABLE before AS SELECT user_id, predicted_spend, spend_tier FROM shop.user_scores WHERE user_id IN (17, 42);
INSERT INTO shop.orders (order_id, user_id, ordered_at, category, amount, discount, returned)
SELECT u * 1000 + 900 + k, u, timestamptz '2026-06-30 12:00+00' - k * interval '1 day', 'electronics', 450, 0, false
FROM unnest(ARRAY[17, 42]) u, generate_series(1, 3) k;
CALL shop.nightly();
SELECT b.user_id, round(b.predicted_spend::numeric, 2) AS before, b.spend_tier AS tier_before,
       round(s.predicted_spend::numeric, 2) AS after, s.spend_tier AS tier_after
FROM before b JOIN shop.user_scores s USING (user_id) ORDER BY user_id;
DELETE FROM shop.orders WHERE order_id % 1000 > 900;
CALL shop.nightly();

\qecho
\qecho '== schedule it with pg_cron (demo/cron.sql) =='
SELECT current_setting('shared_preload_libraries') LIKE '%pg_cron%'
       AND current_setting('cron.database_name', true) = current_database() AS have_cron \gset
\if :have_cron
\set QUIET on
\o /dev/null
\i demo/cron.sql
\o
\set QUIET off
SELECT jobname, schedule, command, database FROM cron.job WHERE jobname LIKE 'buypower-%' ORDER BY jobname;
\else
\qecho 'pg_cron is not preloaded in this database: see demo/cron.sql'
\endif

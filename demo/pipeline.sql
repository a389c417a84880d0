-- demo/pipeline.sql: the main job on schema shop (made by demo/shop.sql).
--
-- From raw users, orders and events to published, tiered scores:
--   1. features and leakage-safe labels, with buypower.rfm / rfm_by_category /
--      event_counts / spend_label / repurchase_label, as materialized views
--   2. a models table with versions and an active flag; shop.retrain() trains
--      a purchasing-power model (linreg, spend in the next 90 days) and
--      repurchase models (logreg, per category with GROUP BY, plus a global
--      fallback '*'), validates each on held-out users and activates it only
--      if it passes: the previous version keeps scoring until then
--   3. shop.user_scores and shop.user_category_scores: scores, percentiles and
--      tiers (fixed by each model's training score distribution), with
--      unique indexes so REFRESH MATERIALIZED VIEW CONCURRENTLY works
--   4. shop.nightly(): refresh features and scores (pg_cron calls it)
--   5. evaluation views: shop.eval_spend, shop.eval_cvr, shop.eval_cvr_lift,
--      shop.eval_cvr_calibration, shop.eval_spend_tiers
--
-- To run it on your own data, point the feature functions at your tables
-- (they take a regclass and column names) and keep the rest.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS buypower;

-- what the job is configured with; the nightly job would move as_of forward
CREATE TABLE shop.settings (
  as_of timestamptz NOT NULL,           -- features see everything before this
  horizon interval NOT NULL,            -- labels: spend / repurchase within this after a cutoff
  holdout float8 NOT NULL,              -- share of users held out for validation
  min_category_rows int NOT NULL,       -- smaller categories use the global model '*'
  min_category_positives int NOT NULL,
  cvr_threshold float8 NOT NULL,        -- CVR at or above: "will repurchase"
  tier_cutoffs float8[] NOT NULL,       -- percentiles between low | mid | high
  auc_floor float8 NOT NULL,            -- a new CVR model must reach this held-out AUC
  r2_floor float8 NOT NULL,             -- a new spend model must reach this held-out R2
  gbdt_options jsonb NOT NULL           -- for the gbdt spend candidate (doc/trees.md)
);
INSERT INTO shop.settings VALUES
  ('2026-07-01 00:00+00', '90 days', 0.2, 400, 40, 0.3, '{0.5,0.9}', 0.65, 0.2, '{}');

-- 1. features and labels -------------------------------------------------

-- per user, from everything before cutoff; x is the model's feature vector
CREATE FUNCTION shop.user_features(cutoff timestamptz)
RETURNS TABLE (user_id bigint, recency_days float8, frequency float8, monetary float8, monetary_90d float8,
               avg_order float8, views_30d float8, cart_adds_30d float8, favourites_90d float8,
               tenure_days float8, age float8, city text, channel text, x float8[], cats text[])
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT *, ARRAY[recency_days, frequency, monetary, monetary_90d, avg_order, views_30d, cart_adds_30d,
                  favourites_90d, tenure_days, age], ARRAY[city, channel]
  FROM (
    SELECT u.user_id,
           coalesce(r.recency_days, t.tenure_days) AS recency_days,   -- never bought: silent since signup
           coalesce(r.frequency, 0)::float8 AS frequency, coalesce(r.monetary, 0) AS monetary,
           coalesce(r90.monetary, 0) AS monetary_90d, coalesce(r.avg_order, 0) AS avg_order,
           coalesce(e.views, 0)::float8 AS views_30d, coalesce(e.cart_adds, 0)::float8 AS cart_adds_30d,
           coalesce(fv.favourites, 0)::float8 AS favourites_90d, t.tenure_days, u.age::float8 AS age,
           u.city, u.channel
    FROM shop.users u
    CROSS JOIN LATERAL (SELECT extract(epoch FROM cutoff - (u.signup_date::timestamp AT TIME ZONE 'UTC'))::float8
                               / 86400 AS tenure_days) t
    LEFT JOIN buypower.rfm('shop.orders', cutoff) r USING (user_id)
    LEFT JOIN buypower.rfm('shop.orders', cutoff, interval '90 days') r90 USING (user_id)
    LEFT JOIN (SELECT ec.user_id, sum(ec.event_count) FILTER (WHERE ec.event_type = 'view') AS views,
                      sum(ec.event_count) FILTER (WHERE ec.event_type = 'cart_add') AS cart_adds
               FROM buypower.event_counts('shop.events', cutoff, interval '30 days') ec GROUP BY 1) e USING (user_id)
    LEFT JOIN (SELECT ec.user_id, sum(ec.event_count) AS favourites
               FROM buypower.event_counts('shop.events', cutoff, interval '90 days') ec
               WHERE ec.event_type = 'favourite' GROUP BY 1) fv USING (user_id)
    WHERE (u.signup_date::timestamp AT TIME ZONE 'UTC') < cutoff
  ) f
$$;

-- per user and category the user bought before cutoff
CREATE FUNCTION shop.pair_features(cutoff timestamptz)
RETURNS TABLE (user_id bigint, category text, cat_recency_days float8, cat_frequency float8,
               cat_monetary float8, cat_views_30d float8, cat_cart_adds_30d float8, cat_favourites_90d float8,
               user_recency_days float8, user_frequency float8, user_monetary float8, city text, channel text,
               x float8[], cats text[])
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT *, ARRAY[cat_recency_days, cat_frequency, cat_monetary, cat_views_30d, cat_cart_adds_30d,
                  cat_favourites_90d, user_recency_days, user_frequency, user_monetary], ARRAY[city, channel]
  FROM (
    SELECT c.user_id, c.category, c.recency_days AS cat_recency_days, c.frequency::float8 AS cat_frequency,
           c.monetary AS cat_monetary,
           coalesce(e.views, 0)::float8 AS cat_views_30d, coalesce(e.cart_adds, 0)::float8 AS cat_cart_adds_30d,
           coalesce(fv.favourites, 0)::float8 AS cat_favourites_90d,
           r.recency_days AS user_recency_days, r.frequency::float8 AS user_frequency, r.monetary AS user_monetary,
           u.city, u.channel
    FROM buypower.rfm_by_category('shop.orders', cutoff) c
    JOIN buypower.rfm('shop.orders', cutoff) r USING (user_id)
    JOIN shop.users u USING (user_id)
    LEFT JOIN (SELECT ec.user_id, ec.category, sum(ec.event_count) FILTER (WHERE ec.event_type = 'view') AS views,
                      sum(ec.event_count) FILTER (WHERE ec.event_type = 'cart_add') AS cart_adds
               FROM buypower.event_counts('shop.events', cutoff, interval '30 days', category_col => 'category') ec
               GROUP BY 1, 2) e USING (user_id, category)
    LEFT JOIN (SELECT ec.user_id, ec.category, sum(ec.event_count) AS favourites
               FROM buypower.event_counts('shop.events', cutoff, interval '90 days', category_col => 'category') ec
               WHERE ec.event_type = 'favourite' GROUP BY 1, 2) fv USING (user_id, category)
  ) f
$$;

-- training rows: features at as_of - horizon, labels from the horizon after it
CREATE MATERIALIZED VIEW shop.spend_training AS
SELECT f.*, coalesce(l.spend, 0) AS spend_next, buypower.holdout(f.user_id, s.holdout) AS held_out
FROM shop.settings s
CROSS JOIN LATERAL shop.user_features(s.as_of - s.horizon) f
LEFT JOIN LATERAL buypower.spend_label('shop.orders', s.as_of - s.horizon, s.horizon) l USING (user_id);
CREATE UNIQUE INDEX ON shop.spend_training (user_id);

CREATE MATERIALIZED VIEW shop.repurchase_training AS
SELECT f.*, l.bought_again, buypower.holdout(f.user_id, s.holdout) AS held_out
FROM shop.settings s
CROSS JOIN LATERAL shop.pair_features(s.as_of - s.horizon) f
JOIN LATERAL buypower.repurchase_label('shop.orders', s.as_of - s.horizon, s.horizon) l USING (user_id, category);
CREATE UNIQUE INDEX ON shop.repurchase_training (user_id, category);

-- scoring rows: features at as_of
CREATE MATERIALIZED VIEW shop.user_features_now AS
SELECT f.* FROM shop.settings s CROSS JOIN LATERAL shop.user_features(s.as_of) f;
CREATE UNIQUE INDEX ON shop.user_features_now (user_id);

CREATE MATERIALIZED VIEW shop.pair_features_now AS
SELECT f.* FROM shop.settings s CROSS JOIN LATERAL shop.pair_features(s.as_of) f;
CREATE UNIQUE INDEX ON shop.pair_features_now (user_id, category);

-- 2. models: versions, validation, activation -----------------------------

CREATE TABLE shop.models (
  model_name text NOT NULL,             -- 'spend' or 'cvr'
  category text NOT NULL,               -- a category, or '*' for the global (fallback) model
  version int NOT NULL,
  algorithm text NOT NULL,              -- 'linreg', 'logreg', 'gbdt': candidates compete per version
  trained_at timestamptz NOT NULL DEFAULT now(),
  train_rows bigint NOT NULL,
  metric_name text NOT NULL,            -- 'r2' or 'auc', on held-out users
  holdout_metric float8,
  active boolean NOT NULL DEFAULT false,
  model buypower.model NOT NULL,
  PRIMARY KEY (model_name, category, version, algorithm)
);
CREATE UNIQUE INDEX models_one_active ON shop.models (model_name, category) WHERE active;

-- score a row with a stored model: gbdt models take the numeric features
-- only, the linear ones numeric and categorical (inlined into each query)
CREATE FUNCTION shop.predict(algorithm text, model buypower.model, x float8[], cats text[]) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE algorithm WHEN 'gbdt' THEN buypower.predict(model, x) ELSE buypower.predict(model, x, cats) END
$$;

-- Train a new version of every model, validate it on held-out users and
-- activate what passes.  A model that fails keeps its previous version
-- active; a category without an active model of its own scores with '*'.
-- Where several algorithms are candidates (spend: linreg and, if this
-- buypower has it, gbdt), the best held-out one that passes is activated.
CREATE PROCEDURE shop.retrain()
LANGUAGE plpgsql AS $$
DECLARE
  s shop.settings;
  v int;
BEGIN
  SELECT * INTO STRICT s FROM shop.settings;
  REFRESH MATERIALIZED VIEW CONCURRENTLY shop.spend_training;
  REFRESH MATERIALIZED VIEW CONCURRENTLY shop.repurchase_training;
  SELECT coalesce(max(version), 0) + 1 INTO v FROM shop.models;

  -- purchasing power: spend in the next horizon, one linear model
  INSERT INTO shop.models (model_name, category, version, algorithm, train_rows, metric_name, holdout_metric, model)
  WITH fit AS (
    SELECT buypower.linreg(t.spend_next, t.x, t.cats, '{"names": ["recency_days", "frequency", "monetary",
             "monetary_90d", "avg_order", "views_30d", "cart_adds_30d", "favourites_90d", "tenure_days", "age", "city", "channel"]}') AS m
    FROM shop.spend_training t WHERE NOT t.held_out
  ), dist AS (        -- attach the training score distribution: fixed tiers
    SELECT buypower.score_distribution(fit.m, buypower.predict(fit.m, t.x, t.cats)) AS m, count(*) AS n
    FROM fit, shop.spend_training t WHERE NOT t.held_out
  )
  SELECT 'spend', '*', v, 'linreg', dist.n, 'r2',
         (SELECT buypower.r2(t.spend_next, buypower.predict(dist.m, t.x, t.cats)) FROM shop.spend_training t WHERE t.held_out),
         dist.m
  FROM dist;

  -- ... and gradient-boosted trees on the numeric features, when available
  IF to_regprocedure('buypower.gbdt(double precision, double precision[], jsonb)') IS NOT NULL THEN
    INSERT INTO shop.models (model_name, category, version, algorithm, train_rows, metric_name, holdout_metric, model)
    WITH fit AS (
      SELECT buypower.gbdt(t.spend_next, t.x, s.gbdt_options) AS m
      FROM shop.spend_training t WHERE NOT t.held_out
    ), dist AS (
      SELECT buypower.score_distribution(fit.m, buypower.predict(fit.m, t.x)) AS m, count(*) AS n
      FROM fit, shop.spend_training t WHERE NOT t.held_out
    )
    SELECT 'spend', '*', v, 'gbdt', dist.n, 'r2',
           (SELECT buypower.r2(t.spend_next, buypower.predict(dist.m, t.x)) FROM shop.spend_training t WHERE t.held_out),
           dist.m
    FROM dist;
  END IF;

  -- repurchase: one model per category large enough, and a global one
  INSERT INTO shop.models (model_name, category, version, algorithm, train_rows, metric_name, holdout_metric, model)
  WITH eligible AS (   -- decide first: an aggregate runs on every group, HAVING or not
    SELECT t.category FROM shop.repurchase_training t WHERE NOT t.held_out
    GROUP BY t.category
    HAVING count(*) >= s.min_category_rows
       AND count(*) FILTER (WHERE t.bought_again) >= s.min_category_positives
       AND count(*) FILTER (WHERE NOT t.bought_again) >= s.min_category_positives
  ), fit AS (          -- a small ridge penalty: a category may have a constant feature
    SELECT t.category, buypower.logreg(t.bought_again, t.x, t.cats, '{"l2": 1}') AS m
    FROM shop.repurchase_training t JOIN eligible USING (category) WHERE NOT t.held_out
    GROUP BY t.category
    UNION ALL
    SELECT '*', buypower.logreg(t.bought_again, t.x, t.cats, '{"l2": 1}')
    FROM shop.repurchase_training t WHERE NOT t.held_out
  ), dist AS (
    SELECT fit.category, buypower.score_distribution(fit.m, buypower.predict(fit.m, t.x, t.cats)) AS m, count(*) AS n
    FROM fit JOIN shop.repurchase_training t ON fit.category IN (t.category, '*')
    WHERE NOT t.held_out
    GROUP BY fit.category
  )
  SELECT 'cvr', d.category, v, 'logreg', d.n, 'auc',
         (SELECT buypower.auc(t.bought_again, buypower.predict(d.m, t.x, t.cats))
          FROM shop.repurchase_training t WHERE t.held_out AND d.category IN (t.category, '*')),
         d.m
  FROM dist d;

  -- activate the best candidate that passes; deactivate first so the
  -- one-active index holds
  CREATE TEMP TABLE passed ON COMMIT DROP AS
  SELECT DISTINCT ON (model_name, category) model_name, category, algorithm FROM shop.models
  WHERE version = v
    AND holdout_metric >= CASE metric_name WHEN 'r2' THEN s.r2_floor ELSE s.auc_floor END
  ORDER BY model_name, category, holdout_metric DESC, algorithm;
  UPDATE shop.models m SET active = false
  FROM passed p WHERE m.active AND (m.model_name, m.category) = (p.model_name, p.category);
  UPDATE shop.models m SET active = true
  FROM passed p WHERE m.version = v AND (m.model_name, m.category, m.algorithm) = (p.model_name, p.category, p.algorithm);
  DROP TABLE passed;
END
$$;

CALL shop.retrain();

-- 3. published scores and tiers -----------------------------------------

CREATE MATERIALIZED VIEW shop.user_scores AS
SELECT f.user_id, sc.predicted_spend,
       buypower.percentile(m.model, sc.predicted_spend) AS spend_percentile,
       buypower.tier(m.model, sc.predicted_spend, s.tier_cutoffs) AS spend_tier,
       m.version AS model_version, m.algorithm
FROM shop.user_features_now f
JOIN shop.models m ON m.model_name = 'spend' AND m.category = '*' AND m.active
CROSS JOIN shop.settings s
CROSS JOIN LATERAL (SELECT shop.predict(m.algorithm, m.model, f.x, f.cats) AS predicted_spend) sc;
CREATE UNIQUE INDEX ON shop.user_scores (user_id);

-- the category's own model if it has an active one, else the global '*'
CREATE VIEW shop.cvr_models AS
SELECT c.category, coalesce(own.category, '*') AS model_category,
       coalesce(own.version, g.version) AS model_version, coalesce(own.algorithm, g.algorithm) AS algorithm,
       coalesce(own.model, g.model) AS model
FROM (SELECT DISTINCT category FROM shop.pair_features_now
      UNION SELECT DISTINCT category FROM shop.repurchase_training) c
CROSS JOIN (SELECT version, algorithm, model FROM shop.models WHERE model_name = 'cvr' AND category = '*' AND active) g
LEFT JOIN shop.models own ON own.model_name = 'cvr' AND own.category = c.category AND own.active;

CREATE MATERIALIZED VIEW shop.user_category_scores AS
SELECT f.user_id, f.category, sc.cvr,
       buypower.percentile(cm.model, sc.cvr) AS cvr_percentile,
       buypower.tier(cm.model, sc.cvr, s.tier_cutoffs) AS cvr_tier,
       sc.cvr >= s.cvr_threshold AS likely_repurchase,
       cm.model_category, cm.model_version
FROM shop.pair_features_now f
JOIN shop.cvr_models cm USING (category)
CROSS JOIN shop.settings s
CROSS JOIN LATERAL (SELECT shop.predict(cm.algorithm, cm.model, f.x, f.cats) AS cvr) sc;
CREATE UNIQUE INDEX ON shop.user_category_scores (user_id, category);

-- 4. the nightly refresh (scheduled with pg_cron, see demo/cron.sql) ------

CREATE PROCEDURE shop.nightly()
LANGUAGE plpgsql AS $$
BEGIN
  -- in production: UPDATE shop.settings SET as_of = date_trunc('day', now());
  REFRESH MATERIALIZED VIEW CONCURRENTLY shop.user_features_now;
  REFRESH MATERIALIZED VIEW CONCURRENTLY shop.pair_features_now;
  REFRESH MATERIALIZED VIEW CONCURRENTLY shop.user_scores;
  REFRESH MATERIALIZED VIEW CONCURRENTLY shop.user_category_scores;
END
$$;

-- 5. evaluation on held-out users, with the active models ----------------

CREATE VIEW shop.spend_holdout_scores AS
SELECT t.user_id, t.spend_next, shop.predict(m.algorithm, m.model, t.x, t.cats) AS predicted_spend, m.model
FROM shop.spend_training t
JOIN shop.models m ON m.model_name = 'spend' AND m.category = '*' AND m.active
WHERE t.held_out;

CREATE VIEW shop.eval_spend AS
SELECT count(*) AS users, buypower.r2(spend_next, predicted_spend) AS r2,
       buypower.rmse(spend_next, predicted_spend) AS rmse, buypower.mae(spend_next, predicted_spend) AS mae,
       avg(spend_next) AS mean_spend
FROM shop.spend_holdout_scores;

CREATE VIEW shop.eval_spend_tiers AS
SELECT buypower.tier(model, predicted_spend, s.tier_cutoffs) AS tier, count(*) AS users,
       avg(predicted_spend) AS avg_predicted, avg(spend_next) AS avg_actual,
       sum(spend_next) / nullif((SELECT sum(spend_next) FROM shop.spend_holdout_scores), 0) AS share_of_spend
FROM shop.spend_holdout_scores CROSS JOIN shop.settings s
GROUP BY 1;

CREATE VIEW shop.cvr_holdout_scores AS
SELECT t.user_id, t.category, t.bought_again, cm.model_category, shop.predict(cm.algorithm, cm.model, t.x, t.cats) AS cvr
FROM shop.repurchase_training t JOIN shop.cvr_models cm USING (category)
WHERE t.held_out;

CREATE VIEW shop.eval_cvr AS
SELECT coalesce(category, 'all') AS category,
       CASE WHEN grouping(category) = 0 THEN min(model_category) END AS model_category, count(*) AS pairs,
       count(*) FILTER (WHERE bought_again) AS positives,
       buypower.auc(bought_again, cvr) AS auc,
       buypower.precision(bought_again, cvr, s.cvr_threshold) AS precision,
       buypower.recall(bought_again, cvr, s.cvr_threshold) AS recall,
       buypower.f1(bought_again, cvr, s.cvr_threshold) AS f1,
       buypower.logloss(bought_again, cvr) AS logloss,
       avg(cvr) AS mean_cvr, avg(bought_again::int) AS observed_rate
FROM shop.cvr_holdout_scores CROSS JOIN shop.settings s
GROUP BY GROUPING SETS ((category, s.cvr_threshold), (s.cvr_threshold));

CREATE VIEW shop.eval_cvr_lift AS
SELECT b.* FROM (SELECT buypower.lift(bought_again, cvr) AS l FROM shop.cvr_holdout_scores) x,
     unnest(x.l) b;

CREATE VIEW shop.eval_cvr_calibration AS
SELECT b.* FROM (SELECT buypower.calibration(bought_again, cvr) AS c FROM shop.cvr_holdout_scores) x,
     unnest(x.c) b;

RESET client_min_messages;

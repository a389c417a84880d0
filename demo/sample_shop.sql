-- Embedded sample shop for the demo: deterministic (hash-based, no random()),
-- sized by the psql variable demo_users (default 20000).
--
-- Behaviour over the last 90 days drives spend over the next 90: loyal
-- repeat buyers (about 15%) order often and spend more; most users bought
-- once; spend is heavy-tailed (log-normal-like order values).
\if :{?demo_users}
\else
\set demo_users 20000
\endif
DROP SCHEMA IF EXISTS demo CASCADE;
CREATE SCHEMA demo;

-- uniform in [0, 1) from a key and a stream number
CREATE FUNCTION demo.u(k bigint, stream int) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT ((hashint8(k * 64 + stream) & 16777215) / 16777216.0)::float8 $$;

CREATE TABLE demo.users AS
WITH base AS (
  SELECT i AS user_id,
         demo.u(i, 1) < 0.15 AS loyal,
         demo.u(i, 2) AS a, demo.u(i, 3) AS b, demo.u(i, 4) AS c, demo.u(i, 5) AS d
  FROM generate_series(1, :demo_users) i
), behaviour AS (
  SELECT user_id, loyal,
         CASE WHEN loyal THEN 1 + floor(a * 20) ELSE 5 + floor(a * 85) END AS recency_days,
         CASE WHEN loyal THEN 2 + floor(b * 6) ELSE 1 + floor(b * b * 2) END AS orders_90d,
         exp(3.2 + 0.9 * (c - 0.5) * 2) AS avg_order_value,
         floor(5 + 60 * d * (CASE WHEN loyal THEN 2 ELSE 1 END)) AS views_30d
  FROM base
)
SELECT user_id, loyal,
       recency_days::float8 AS recency_days,
       orders_90d::float8 AS orders_90d,
       round((orders_90d * avg_order_value)::numeric, 2)::float8 AS spend_90d,
       views_30d::float8 AS views_30d,
       floor(views_30d * 0.1 * (1 + demo.u(user_id, 6)))::float8 AS cart_adds_30d,
       greatest(0, round((
         0.9 * orders_90d * avg_order_value * (CASE WHEN loyal THEN 1.3 ELSE 0.5 END)
         - 0.8 * recency_days + 0.4 * views_30d
         + 40 * (demo.u(user_id, 7) - 0.5) * (1 + orders_90d)
       )::numeric, 2))::float8 AS spend_next_90d
FROM behaviour;
ALTER TABLE demo.users ADD PRIMARY KEY (user_id);
ANALYZE demo.users;

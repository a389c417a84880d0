-- demo/shop.sql: a deterministic, realistic e-commerce data set in schema shop.
--
--   psql -v shop_users=30000 -v shop_seed=1 -f demo/shop.sql
--
-- Same seed and size, same bytes: every random draw is a seeded hash of a key
-- (hashint8extended), never random(), and every timestamp is computed in UTC,
-- so the TimeZone setting does not matter either.
--
-- Tables (what a shop has):
--   shop.users   (user_id, age, gender, city, signup_date, channel)
--   shop.orders  (order_id, user_id, ordered_at, category, amount, discount, returned)
--   shop.events  (user_id, occurred_at, event_type, category)  view | cart_add | favourite
-- and the ground truth the generator planted, for tests and the demo only:
--   shop.user_truth (user_id, segment, wealth, favourite_category)
--
-- What is planted: orders from 2025-01-01 to 2026-06-30 with seasonality (11/11
-- and December peaks, the 6/18 festival, a February dip) and 3% monthly
-- growth; about 20% of users never order, half order once, a fifth order 2-4
-- times, and a loyal 8% reorders about once a month, mostly in one favourite
-- category, with more browsing, favourites and higher spend.  Order values
-- are log-normal (heavy-tailed) per category times a log-normal per-user
-- wealth (1.3x in the three tier-1 cities); 35% of orders carry a discount; returns depend on the category.
-- Every order is preceded by views and usually a cart add in its category;
-- everyone also browses at random.
\if :{?shop_users}
\else
\set shop_users 30000
\endif
\if :{?shop_seed}
\else
\set shop_seed 1
\endif
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS shop CASCADE;
RESET client_min_messages;
CREATE SCHEMA shop;

-- uniform in [0, 1) from a seed, a key and a stream number
CREATE FUNCTION shop.u(seed int, k bigint, stream int) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT ((hashint8extended(k, seed::bigint * 4096 + stream) & 4503599627370495) / 4503599627370496.0)::float8 $$;

-- standard normal (Box-Muller on two streams)
CREATE FUNCTION shop.z(seed int, k bigint, stream int) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT sqrt(-2 * ln(1 - shop.u(seed, k, stream))) * cos(2 * pi() * shop.u(seed, k, stream + 1)) $$;

CREATE TABLE shop.categories (category text PRIMARY KEY, weight float8, cum_lo float8, cum_hi float8,
                              base_amount float8, sigma float8, return_rate float8);
INSERT INTO shop.categories (category, weight, base_amount, sigma, return_rate) VALUES
  ('grocery', 0.25, 18, 0.35, 0.01), ('fashion', 0.20, 45, 0.50, 0.15), ('beauty', 0.15, 30, 0.40, 0.04),
  ('home', 0.12, 60, 0.60, 0.05), ('electronics', 0.10, 150, 0.80, 0.06), ('baby', 0.08, 35, 0.40, 0.03),
  ('books', 0.05, 15, 0.30, 0.02), ('sports', 0.045, 55, 0.60, 0.06), ('luxury', 0.005, 600, 0.70, 0.08);
UPDATE shop.categories c SET cum_lo = s.lo, cum_hi = s.hi
FROM (SELECT category, coalesce(sum(weight) OVER w - weight, 0) / sum(weight) OVER () AS lo,
             sum(weight) OVER w / sum(weight) OVER () AS hi
      FROM shop.categories WINDOW w AS (ORDER BY weight DESC, category)) s
WHERE c.category = s.category;

-- months of order history with seasonal weights, as a cumulative distribution
CREATE TABLE shop.months AS
WITH m AS (
  SELECT g::date AS m_date, row_number() OVER (ORDER BY g) AS idx
  FROM generate_series(timestamp '2025-01-01', timestamp '2026-06-01', interval '1 month') g
), w AS (
  SELECT m_date, (1 + 0.03 * idx) * CASE extract(month FROM m_date)
           WHEN 11 THEN 1.7 WHEN 12 THEN 1.4 WHEN 6 THEN 1.3 WHEN 2 THEN 0.8 ELSE 1 END AS w
  FROM m
)
SELECT m_date::timestamp AT TIME ZONE 'UTC' AS m_start,
       (m_date + interval '1 month') AT TIME ZONE 'UTC' AS m_end,
       coalesce(sum(w) OVER (ORDER BY m_date) - w, 0) / sum(w) OVER () AS cum_lo,
       sum(w) OVER (ORDER BY m_date) / sum(w) OVER () AS cum_hi
FROM w;

CREATE TABLE shop.users AS
SELECT i::bigint AS user_id,
       (18 + floor(52 * power(shop.u(:shop_seed, i, 1), 1.6)))::int AS age,
       CASE WHEN shop.u(:shop_seed, i, 2) < 0.56 THEN 'f' WHEN shop.u(:shop_seed, i, 2) < 0.97 THEN 'm' ELSE 'x' END AS gender,
       (ARRAY['Shanghai', 'Beijing', 'Shenzhen', 'Guangzhou', 'Chengdu', 'Hangzhou', 'Wuhan', 'Xi''an', 'Nanjing', 'Suzhou'])
         [1 + floor(10 * power(shop.u(:shop_seed, i, 3), 1.8))::int] AS city,
       date '2023-01-01' + floor(1247 * power(shop.u(:shop_seed, i, 4), 0.7))::int AS signup_date,
       (ARRAY['organic', 'organic', 'organic', 'paid_search', 'paid_search', 'social', 'social', 'referral', 'app_store'])
         [1 + floor(9 * shop.u(:shop_seed, i, 5))::int] AS channel
FROM generate_series(1, :shop_users) i;
ALTER TABLE shop.users ADD PRIMARY KEY (user_id);

CREATE TABLE shop.user_truth AS
SELECT user_id,
       CASE WHEN s < 0.08 THEN 'loyal' WHEN s < 0.28 THEN 'dormant' WHEN s < 0.78 THEN 'one_time' ELSE 'occasional' END AS segment,
       exp(0.5 * shop.z(:shop_seed, user_id, 11)) * CASE WHEN s < 0.08 THEN 1.5 ELSE 1 END
         * CASE WHEN city IN ('Shanghai', 'Beijing', 'Shenzhen') THEN 1.3 ELSE 1 END AS wealth,
       (ARRAY['grocery', 'beauty', 'baby', 'fashion', 'home', 'grocery'])[1 + floor(6 * shop.u(:shop_seed, user_id, 13))::int]
         AS favourite_category
FROM (SELECT user_id, city, shop.u(:shop_seed, user_id, 10) AS s FROM shop.users) x;
ALTER TABLE shop.user_truth ADD PRIMARY KEY (user_id);

CREATE TABLE shop.orders AS
WITH active AS MATERIALIZED (
  -- a user orders from their signup month on; cum0 is where that month starts in the seasonal CDF
  SELECT u.user_id, t.segment, t.wealth, t.favourite_category,
         greatest(u.signup_date::timestamp AT TIME ZONE 'UTC', timestamptz '2025-01-01 00:00+00') AS start_at,
         coalesce((SELECT m.cum_lo FROM shop.months m
                   WHERE u.signup_date::timestamp AT TIME ZONE 'UTC' >= m.m_start
                     AND u.signup_date::timestamp AT TIME ZONE 'UTC' < m.m_end), 0) AS cum0
  FROM shop.users u JOIN shop.user_truth t USING (user_id)
), counted AS MATERIALIZED (
  SELECT *, CASE segment
              WHEN 'dormant' THEN 0
              WHEN 'one_time' THEN 1
              WHEN 'occasional' THEN 2 + floor(3 * shop.u(:shop_seed, user_id, 20))::int
              ELSE greatest(2, round(extract(epoch FROM timestamptz '2026-07-01 00:00+00' - start_at) / 86400 / 30.4
                                     * (0.8 + 0.8 * shop.u(:shop_seed, user_id, 20)))::int)
            END AS norders
  FROM active
), drawn AS MATERIALIZED (
  SELECT c.user_id, c.segment, c.wealth, c.start_at, c.user_id * 1000 + k AS okey,
         c.cum0 + (1 - c.cum0) * 0.999999 * shop.u(:shop_seed, c.user_id * 1000 + k, 21) AS tu,
         CASE WHEN c.segment = 'loyal' AND shop.u(:shop_seed, c.user_id * 1000 + k, 22) < 0.7
              THEN c.favourite_category END AS favourite_pick,
         shop.u(:shop_seed, c.user_id * 1000 + k, 30) AS cu
  FROM counted c, generate_series(1, c.norders) k
), placed AS MATERIALIZED (
  SELECT d.*, m.m_start, m.m_end,
         coalesce(d.favourite_pick, (SELECT c2.category FROM shop.categories c2
                                     WHERE d.cu >= c2.cum_lo AND d.cu < c2.cum_hi)) AS category,
         shop.z(:shop_seed, d.okey, 25) AS z
  FROM drawn d JOIN shop.months m ON d.tu >= m.cum_lo AND d.tu < m.cum_hi
)
SELECT p.okey AS order_id, p.user_id,
       greatest(p.start_at + interval '1 hour' * (1 + 20 * shop.u(:shop_seed, p.okey, 23)),
                p.m_start + (p.m_end - p.m_start) * shop.u(:shop_seed, p.okey, 24)) AS ordered_at,
       p.category,
       round((cat.base_amount * p.wealth * exp(cat.sigma * p.z))::numeric, 2) AS amount,
       CASE WHEN shop.u(:shop_seed, p.okey, 27) < 0.65 THEN 0::numeric
            ELSE round((cat.base_amount * p.wealth * exp(cat.sigma * p.z)
                        * (0.05 + 0.25 * shop.u(:shop_seed, p.okey, 28)))::numeric, 2) END AS discount,
       shop.u(:shop_seed, p.okey, 29) < cat.return_rate AS returned
FROM placed p JOIN shop.categories cat USING (category)
ORDER BY ordered_at, order_id;
ALTER TABLE shop.orders ADD PRIMARY KEY (order_id);
CREATE INDEX ON shop.orders (user_id, ordered_at);

-- behaviour: views, a cart add (80%) and sometimes a favourite in the week
-- before each order, plus random browsing (loyal users browse more)
CREATE TABLE shop.events AS
SELECT o.user_id, o.ordered_at - interval '7 days' * shop.u(:shop_seed, o.order_id * 64 + k, 40) AS occurred_at,
       'view'::text AS event_type, o.category
FROM shop.orders o, generate_series(1, 1 + floor(5 * shop.u(:shop_seed, o.order_id, 41))::int) k
UNION ALL
SELECT o.user_id, o.ordered_at - interval '2 days' * shop.u(:shop_seed, o.order_id, 43), 'cart_add', o.category
FROM shop.orders o WHERE shop.u(:shop_seed, o.order_id, 42) < 0.8
UNION ALL
SELECT o.user_id, o.ordered_at - interval '5 days' * shop.u(:shop_seed, o.order_id, 45), 'favourite', o.category
FROM shop.orders o JOIN shop.user_truth t USING (user_id)
WHERE shop.u(:shop_seed, o.order_id, 44) < CASE WHEN t.segment = 'loyal' THEN 0.5 ELSE 0.15 END
UNION ALL
SELECT u.user_id,
       greatest(u.signup_date::timestamp AT TIME ZONE 'UTC', timestamptz '2025-01-01 00:00+00')
         + (timestamptz '2026-07-01 00:00+00'
            - greatest(u.signup_date::timestamp AT TIME ZONE 'UTC', timestamptz '2025-01-01 00:00+00'))
           * shop.u(:shop_seed, u.user_id * 64 + k, 50),
       CASE WHEN shop.u(:shop_seed, u.user_id * 64 + k, 51) < 0.9 THEN 'view' ELSE 'cart_add' END,
       (SELECT c.category FROM shop.categories c
        WHERE shop.u(:shop_seed, u.user_id * 64 + k, 52) >= c.cum_lo AND shop.u(:shop_seed, u.user_id * 64 + k, 52) < c.cum_hi)
FROM shop.users u JOIN shop.user_truth t USING (user_id),
     generate_series(1, floor(CASE WHEN t.segment = 'loyal' THEN 30 ELSE 12 END * shop.u(:shop_seed, u.user_id, 53))::int) k;
CREATE INDEX ON shop.events (user_id, occurred_at);

ANALYZE shop.users, shop.user_truth, shop.orders, shop.events, shop.categories, shop.months;

-- feature and label functions: rfm, rfm_by_category, event_counts, spend_label, repurchase_label
SET extra_float_digits = 0;
CREATE TABLE ft_orders (user_id bigint, ordered_at timestamptz, category text, amount numeric);
INSERT INTO ft_orders VALUES
  (1, '2026-01-01 00:00+00', 'a', 10), (1, '2026-01-11 00:00+00', 'a', 30), (1, '2026-01-20 00:00+00', 'b', 5),
  (1, '2026-02-05 00:00+00', 'a', 7),   -- after the cutoff: label, never a feature
  (2, '2025-12-01 00:00+00', 'b', 100),
  (2, '2026-01-31 23:59:59+00', 'b', 1),-- the last second before the cutoff
  (2, '2026-02-01 00:00+00', 'a', 50),  -- exactly at the cutoff: label period
  (2, '2026-03-15 00:00+00', 'b', 60),  -- after cutoff + horizon: neither
  (3, '2026-02-10 00:00+00', 'a', 20),  -- only after the cutoff
  (NULL, '2026-01-05 00:00+00', 'a', 1);
CREATE TABLE ft_events (user_id bigint, occurred_at timestamptz, event_type text, category text);
INSERT INTO ft_events VALUES
  (1, '2026-01-30 00:00+00', 'view', 'a'), (1, '2026-01-29 00:00+00', 'view', 'a'), (1, '2026-01-29 06:00+00', 'view', 'b'),
  (1, '2026-01-20 00:00+00', 'cart_add', 'a'), (1, '2025-12-01 00:00+00', 'view', 'a'),
  (1, '2026-02-02 00:00+00', 'view', 'a'), (2, '2026-01-15 00:00+00', 'favourite', NULL);

SELECT * FROM buypower.rfm('ft_orders', '2026-02-01 00:00+00') ORDER BY user_id;
SELECT * FROM buypower.rfm('ft_orders', '2026-02-01 00:00+00', interval '30 days') ORDER BY user_id;
SELECT * FROM buypower.rfm_by_category('ft_orders', '2026-02-01 00:00+00') ORDER BY user_id, category;
SELECT * FROM buypower.event_counts('ft_events', '2026-02-01 00:00+00', interval '30 days') ORDER BY 1, 3;
SELECT * FROM buypower.event_counts('ft_events', '2026-02-01 00:00+00', interval '30 days', category_col => 'category')
ORDER BY 1, 2, 3;
SELECT * FROM buypower.spend_label('ft_orders', '2026-02-01 00:00+00', interval '30 days') ORDER BY user_id;
SELECT * FROM buypower.repurchase_label('ft_orders', '2026-02-01 00:00+00', interval '30 days') ORDER BY user_id, category;

-- leakage: changing orders at or after the cutoff changes labels, never features
CREATE TABLE ft_before AS SELECT * FROM buypower.rfm_by_category('ft_orders', '2026-02-01 00:00+00');
INSERT INTO ft_orders VALUES (1, '2026-02-01 00:00+00', 'b', 999), (2, '2026-02-20 00:00+00', 'b', 999);
SELECT count(*) AS changed_features
FROM (SELECT * FROM buypower.rfm_by_category('ft_orders', '2026-02-01 00:00+00')
      EXCEPT SELECT * FROM ft_before) x;
SELECT * FROM buypower.repurchase_label('ft_orders', '2026-02-01 00:00+00', interval '30 days') ORDER BY user_id, category;

-- other column names, a view, a date column, and names that need quoting
CREATE SCHEMA "ft Schema";
CREATE TABLE "ft Schema"."Orders; DROP TABLE ft_orders; --" ("Buyer Id" int, "when" date, "Cat""x" text, "€" float8);
INSERT INTO "ft Schema"."Orders; DROP TABLE ft_orders; --" VALUES (7, '2026-01-10', 'z', 3), (7, '2026-01-20', 'z', 4);
SELECT * FROM buypower.rfm_by_category('"ft Schema"."Orders; DROP TABLE ft_orders; --"', '2026-02-01 00:00+00',
  user_col => 'Buyer Id', time_col => 'when', amount_col => '€', category_col => 'Cat"x');
SELECT count(*) AS ft_orders_still_there FROM ft_orders;
CREATE VIEW ft_kept AS SELECT * FROM ft_orders WHERE amount < 500;
SELECT user_id, monetary FROM buypower.rfm('ft_kept', '2026-03-01 00:00+00') ORDER BY 1;

-- a function in the caller's schema that shadows a built-in is not called
CREATE FUNCTION public.count(anyelement) RETURNS bigint LANGUAGE sql AS 'SELECT 42::bigint';
CREATE FUNCTION public.max(timestamptz) RETURNS timestamptz LANGUAGE sql AS $$SELECT '2000-01-01'::timestamptz$$;
SET search_path = public, pg_catalog;
SELECT user_id, frequency FROM buypower.rfm('ft_orders', '2026-02-01 00:00+00') ORDER BY 1;
RESET search_path;
DROP FUNCTION public.count(anyelement);
DROP FUNCTION public.max(timestamptz);

-- errors
SELECT * FROM buypower.rfm('ft_orders', '2026-02-01', user_col => 'nope');
SELECT * FROM buypower.rfm('ft_orders', NULL);
SELECT * FROM buypower.rfm('no_such_table', '2026-02-01');
SELECT * FROM buypower.event_counts('ft_events', '2026-02-01', interval '-1 day');
SELECT * FROM buypower.spend_label('ft_orders', '2026-02-01', interval '0');
SELECT * FROM buypower.repurchase_label('ft_orders', '2026-02-01', interval '0');
SELECT * FROM buypower.rfm('ft_orders', '2026-02-01', user_col => 'user_id); DROP TABLE ft_orders; --');
SELECT count(*) AS ft_orders_still_there FROM ft_orders;
SELECT * FROM buypower.rfm('ft_orders', 'infinity');
SELECT * FROM buypower.event_counts('ft_events', '-infinity', interval '1 day');
SELECT * FROM buypower.repurchase_label('ft_orders', 'infinity', interval '1 day');

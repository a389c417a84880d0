
-- feature engineering and labels (doc/pipeline.md)
--
-- Each function reads the user's own table, named by a regclass (a view works:
-- pass one that filters returns or test users), with column names as
-- arguments.  Table and column names only ever reach SQL through regclass
-- output and format('%I'), and search_path is pinned, so a hostile name or a
-- shadowing object in the caller's schemas cannot change what runs.  The
-- functions run with the caller's privileges.
--
-- Leakage safety is by construction: features see rows with time < cutoff,
-- labels rows with cutoff <= time < cutoff + horizon.

CREATE FUNCTION buypower.rfm(orders regclass, cutoff timestamptz, lookback interval DEFAULT NULL,
    user_col name DEFAULT 'user_id', time_col name DEFAULT 'ordered_at', amount_col name DEFAULT 'amount')
RETURNS TABLE (user_id bigint, recency_days float8, frequency bigint, monetary float8,
               avg_order float8, first_order_days float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF orders IS NULL OR cutoff IS NULL OR user_col IS NULL OR time_col IS NULL OR amount_col IS NULL THEN
		RAISE EXCEPTION 'arguments of buypower.rfm other than lookback must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT isfinite(cutoff) THEN
		RAISE EXCEPTION 'cutoff must be finite, not %', cutoff
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY EXECUTE format(
		'SELECT %1$I::bigint, extract(epoch FROM $1 - max(%2$I::timestamptz))::float8 / 86400,'
		'       count(*), sum(%3$I)::float8, avg(%3$I)::float8,'
		'       extract(epoch FROM $1 - min(%2$I::timestamptz))::float8 / 86400'
		'  FROM %4$s'
		' WHERE %2$I::timestamptz < $1 AND ($2 IS NULL OR %2$I::timestamptz >= $1 - $2) AND %1$I IS NOT NULL'
		' GROUP BY 1',
		user_col, time_col, amount_col, orders)
	USING cutoff, lookback;
END
$$;
COMMENT ON FUNCTION buypower.rfm(regclass, timestamptz, interval, name, name, name) IS
	'recency (days since last order), frequency, monetary value per user from orders before cutoff (optionally only the last lookback)';

CREATE FUNCTION buypower.rfm_by_category(orders regclass, cutoff timestamptz, lookback interval DEFAULT NULL,
    user_col name DEFAULT 'user_id', time_col name DEFAULT 'ordered_at', amount_col name DEFAULT 'amount',
    category_col name DEFAULT 'category')
RETURNS TABLE (user_id bigint, category text, recency_days float8, frequency bigint, monetary float8,
               avg_order float8, first_order_days float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF orders IS NULL OR cutoff IS NULL OR user_col IS NULL OR time_col IS NULL OR amount_col IS NULL
	   OR category_col IS NULL THEN
		RAISE EXCEPTION 'arguments of buypower.rfm_by_category other than lookback must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT isfinite(cutoff) THEN
		RAISE EXCEPTION 'cutoff must be finite, not %', cutoff
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY EXECUTE format(
		'SELECT %1$I::bigint, %5$I::text, extract(epoch FROM $1 - max(%2$I::timestamptz))::float8 / 86400,'
		'       count(*), sum(%3$I)::float8, avg(%3$I)::float8,'
		'       extract(epoch FROM $1 - min(%2$I::timestamptz))::float8 / 86400'
		'  FROM %4$s'
		' WHERE %2$I::timestamptz < $1 AND ($2 IS NULL OR %2$I::timestamptz >= $1 - $2)'
		'   AND %1$I IS NOT NULL AND %5$I IS NOT NULL'
		' GROUP BY 1, 2',
		user_col, time_col, amount_col, orders, category_col)
	USING cutoff, lookback;
END
$$;
COMMENT ON FUNCTION buypower.rfm_by_category(regclass, timestamptz, interval, name, name, name, name) IS
	'recency, frequency, monetary value per user and category from orders before cutoff';

CREATE FUNCTION buypower.event_counts(events regclass, cutoff timestamptz, window_length interval,
    user_col name DEFAULT 'user_id', time_col name DEFAULT 'occurred_at', type_col name DEFAULT 'event_type',
    category_col name DEFAULT NULL)
RETURNS TABLE (user_id bigint, category text, event_type text, event_count bigint, active_days bigint,
               last_days float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF events IS NULL OR cutoff IS NULL OR window_length IS NULL OR user_col IS NULL OR time_col IS NULL
	   OR type_col IS NULL THEN
		RAISE EXCEPTION 'arguments of buypower.event_counts other than category_col must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF window_length <= interval '0' THEN
		RAISE EXCEPTION 'window_length must be positive'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF NOT isfinite(cutoff) THEN
		RAISE EXCEPTION 'cutoff must be finite, not %', cutoff
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY EXECUTE format(
		'SELECT %1$I::bigint, %5$s, %3$I::text, count(*),'
		'       count(DISTINCT date_trunc(''day'', %2$I::timestamptz, ''UTC'')),'
		'       extract(epoch FROM $1 - max(%2$I::timestamptz))::float8 / 86400'
		'  FROM %4$s'
		' WHERE %2$I::timestamptz < $1 AND %2$I::timestamptz >= $1 - $2 AND %1$I IS NOT NULL AND %3$I IS NOT NULL'
		' GROUP BY 1, 2, 3',
		user_col, time_col, type_col, events,
		CASE WHEN category_col IS NULL THEN 'NULL::text' ELSE format('%I::text', category_col) END)
	USING cutoff, window_length;
END
$$;
COMMENT ON FUNCTION buypower.event_counts(regclass, timestamptz, interval, name, name, name, name) IS
	'behaviour counts per user (and category, if category_col is given) and event type in the window before cutoff';

CREATE FUNCTION buypower.repurchase_label(orders regclass, cutoff timestamptz, horizon interval,
    user_col name DEFAULT 'user_id', time_col name DEFAULT 'ordered_at', category_col name DEFAULT 'category')
RETURNS TABLE (user_id bigint, category text, bought_again boolean, orders_after bigint)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF horizon <= interval '0' THEN
		RAISE EXCEPTION 'horizon must be positive'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF NOT isfinite(cutoff) THEN
		RAISE EXCEPTION 'cutoff must be finite, not %', cutoff
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY EXECUTE format(
		'SELECT %1$I::bigint, %3$I::text,'
		'       count(*) FILTER (WHERE %2$I::timestamptz >= $1) > 0,'
		'       count(*) FILTER (WHERE %2$I::timestamptz >= $1)'
		'  FROM %4$s'
		' WHERE %2$I::timestamptz < $1 + $2 AND %1$I IS NOT NULL AND %3$I IS NOT NULL'
		' GROUP BY 1, 2'
		' HAVING count(*) FILTER (WHERE %2$I::timestamptz < $1) > 0',
		user_col, time_col, category_col, orders)
	USING cutoff, horizon;
END
$$;
COMMENT ON FUNCTION buypower.repurchase_label(regclass, timestamptz, interval, name, name, name) IS
	'for each user and category bought before cutoff: whether the user bought that category again in [cutoff, cutoff + horizon)';

CREATE FUNCTION buypower.spend_label(orders regclass, cutoff timestamptz, horizon interval,
    user_col name DEFAULT 'user_id', time_col name DEFAULT 'ordered_at', amount_col name DEFAULT 'amount')
RETURNS TABLE (user_id bigint, spend float8, order_count bigint)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF horizon <= interval '0' THEN
		RAISE EXCEPTION 'horizon must be positive'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF NOT isfinite(cutoff) THEN
		RAISE EXCEPTION 'cutoff must be finite, not %', cutoff
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY EXECUTE format(
		'SELECT %1$I::bigint, sum(%3$I)::float8, count(*)'
		'  FROM %4$s'
		' WHERE %2$I::timestamptz >= $1 AND %2$I::timestamptz < $1 + $2 AND %1$I IS NOT NULL'
		' GROUP BY 1',
		user_col, time_col, amount_col, orders)
	USING cutoff, horizon;
END
$$;
COMMENT ON FUNCTION buypower.spend_label(regclass, timestamptz, interval, name, name, name) IS
	'spend and order count per user in [cutoff, cutoff + horizon); users without orders there have no row (left join, coalesce to 0)';

-- training score distributions: score_distribution, percentile, tier
SET extra_float_digits = 0;
CREATE TABLE pct_rows AS
SELECT i, (i % 97)::float8 + i / 10000.0 AS x, ((hashint8(i) % 1000) / 10.0)::float8 AS noise
FROM generate_series(1, 5000) i;
CREATE TABLE pct_model AS SELECT buypower.linreg(3 * x + noise, ARRAY[x]) AS m FROM pct_rows;
CREATE TABLE pct_dist AS
SELECT buypower.score_distribution(m, buypower.predict(m, ARRAY[x])) AS m FROM pct_rows, pct_model;

-- 1001 quantiles, min and max of the training scores, count and mean in the stats
SELECT jsonb_array_length(m::jsonb->'score_quantiles') AS points,
       (m::jsonb->'stats'->>'score_n')::int AS score_n,
       abs((m::jsonb->'stats'->>'score_mean')::float8 - (SELECT avg(buypower.predict(p.m, ARRAY[x])) FROM pct_rows, pct_model p)) < 1e-9 AS mean_ok,
       (m::jsonb->'score_quantiles'->>0)::float8 = (SELECT min(buypower.predict(p.m, ARRAY[x])) FROM pct_rows, pct_model p) AS min_ok,
       (m::jsonb->'score_quantiles'->>1000)::float8 = (SELECT max(buypower.predict(p.m, ARRAY[x])) FROM pct_rows, pct_model p) AS max_ok
FROM pct_dist;

-- the coefficients and other stats are unchanged
SELECT (d.m::jsonb - 'score_quantiles') #- '{stats,score_n}' #- '{stats,score_mean}' = p.m::jsonb AS rest_unchanged
FROM pct_dist d, pct_model p;

-- percentile is within 0.001 of percent_rank over the (distinct) training scores
SELECT max(abs(buypower.percentile(d.m, s) - pr)) <= 0.001 AS within_bound,
       max(abs(buypower.percentile(d.m, s) - pr)) > 0 AS not_exact
FROM (SELECT buypower.predict(m, ARRAY[x]) AS s, percent_rank() OVER (ORDER BY buypower.predict(m, ARRAY[x])) AS pr
      FROM pct_rows, pct_model) z, pct_dist d;

-- with at most 1001 rows the grid is the sorted scores: exact percent_rank
CREATE TABLE pct_small AS
SELECT buypower.score_distribution(m, buypower.predict(m, ARRAY[x])) AS m FROM pct_rows, pct_model WHERE i <= 800;
SELECT jsonb_array_length(m::jsonb->'score_quantiles') AS points FROM pct_small;
SELECT max(abs(buypower.percentile(d.m, s) - pr)) < 1e-12 AS exact
FROM (SELECT buypower.predict(m, ARRAY[x]) AS s, percent_rank() OVER (ORDER BY buypower.predict(m, ARRAY[x])) AS pr
      FROM pct_rows, pct_model WHERE i <= 800) z, pct_small d;

-- outside the range, ties, monotone
SELECT buypower.percentile(m, -1e300) AS below, buypower.percentile(m, 1e300) AS above,
       buypower.percentile(m, 'Infinity') AS inf, buypower.percentile(m, '-Infinity') AS ninf
FROM pct_dist;
SELECT bool_and(p1 <= p2) AS monotone
FROM (SELECT buypower.percentile(m, v) AS p1, buypower.percentile(m, v + 0.37) AS p2
      FROM pct_dist, generate_series(-50, 400) v) z;
CREATE TABLE pct_ties AS
SELECT buypower.score_distribution(p.m, (i % 4)::float8) AS m FROM pct_model p, generate_series(1, 20) i;
SELECT buypower.percentile(m, 0) AS p0, buypower.percentile(m, 1) AS p1, buypower.percentile(m, 1.5) AS p15,
       buypower.percentile(m, 3) AS p3
FROM pct_ties;
CREATE TABLE pct_one AS SELECT buypower.score_distribution(m, 5) AS m FROM pct_model;
SELECT buypower.percentile(m, 4), buypower.percentile(m, 5), buypower.percentile(m, 6) FROM pct_one;

-- tiers: default 50% / 90% cut-offs, and user-chosen ones
SELECT buypower.tier(m, s) AS tier, count(*)
FROM pct_dist, (SELECT buypower.predict(m, ARRAY[x]) AS s FROM pct_rows, pct_model) z
GROUP BY 1 ORDER BY 1;
SELECT buypower.tier(m, s, '{0.2,0.8,0.99}', '{d,c,b,a}') AS tier, count(*)
FROM pct_dist, (SELECT buypower.predict(m, ARRAY[x]) AS s FROM pct_rows, pct_model) z
GROUP BY 1 ORDER BY 1;

-- the same score gets the same tier whatever else is scored with it
SELECT count(DISTINCT buypower.tier(m, 150)) AS one_tier
FROM pct_dist, generate_series(1, 3) g;

-- attaching again replaces the distribution
SELECT jsonb_array_length(buypower.score_distribution(m, 1)::jsonb->'score_quantiles') AS points,
       (buypower.score_distribution(m, 1)::jsonb->'stats'->>'score_n')::int AS score_n
FROM pct_dist;

-- text and binary round trips keep the section
SELECT m::text::buypower.model::text = m::text AS text_round_trip FROM pct_dist;
SELECT buypower.model_send(m::text::buypower.model) = buypower.model_send(m) AS same_binary FROM pct_dist;

-- GROUP BY: one distribution per model
CREATE TABLE pct_groups AS
SELECT g, buypower.linreg(x * g + noise, ARRAY[x]) AS m FROM pct_rows, generate_series(1, 3) g GROUP BY g;
SELECT g.g, buypower.percentile(d, 0) < 0.5 AS low_zero
FROM pct_groups g JOIN LATERAL (
  SELECT buypower.score_distribution(g.m, buypower.predict(g.m, ARRAY[x])) AS d FROM pct_rows) z ON true
ORDER BY g.g;

-- parallel and partial aggregation give the same model as a serial run
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off; SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT buypower.score_distribution((SELECT m FROM pct_model), x) FROM pct_rows;
SELECT (SELECT buypower.score_distribution((SELECT m FROM pct_model), x)::text FROM pct_rows) =
       (SELECT buypower.score_distribution((SELECT m FROM pct_model), x ORDER BY i DESC)::text FROM pct_rows)
       AS parallel_matches;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET parallel_leader_participation; RESET max_parallel_workers_per_gather;

-- empty input and NULLs
SELECT buypower.score_distribution(m, NULL::float8) IS NULL AS empty FROM pct_model;
SELECT (buypower.score_distribution(m, s)::jsonb->'stats'->>'score_n')::int AS score_n
FROM pct_model, unnest(ARRAY[1, NULL, 2]::float8[]) s;

-- errors
SELECT buypower.percentile(m, 1) FROM pct_model;
SELECT buypower.tier(m, 1) FROM pct_model;
SELECT buypower.percentile(m, 'NaN') FROM pct_dist;
SELECT buypower.score_distribution(m, 'NaN') FROM pct_model;
SELECT buypower.score_distribution(m, 'Infinity') FROM pct_model;
SELECT buypower.score_distribution(g.m, 1) FROM pct_groups g;
SELECT buypower.tier(m, 1, '{0.9,0.5}', '{a,b,c}') FROM pct_dist;
SELECT buypower.tier(m, 1, '{0,0.5}', '{a,b,c}') FROM pct_dist;
SELECT buypower.tier(m, 1, '{0.5,1}', '{a,b,c}') FROM pct_dist;
SELECT buypower.tier(m, 1, '{0.5,NULL}', '{a,b,c}') FROM pct_dist;
SELECT buypower.tier(m, 1, '{0.5}', '{a,b,c}') FROM pct_dist;
SELECT buypower.tier(m, 1, '{0.5}', '{a,NULL}') FROM pct_dist;
SELECT buypower.tier(m, 1, '{{0.5}}', '{a,b}') FROM pct_dist;
SELECT buypower.tier(m, 1, '{}', '{all}') FROM pct_dist;

-- hostile model text: the section is checked
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 0, "coefficients": [1], "stats": {}, "score_quantiles": [2, 1]}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 0, "coefficients": [1], "stats": {}, "score_quantiles": []}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 0, "coefficients": [1], "stats": {}, "score_quantiles": [1, null]}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 0, "coefficients": [1], "stats": {}, "score_quantiles": [1, "Infinity"]}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 0, "coefficients": [1], "stats": {}, "score_quantiles": 3}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 0, "coefficients": [1], "stats": {"score_n": 3}, "score_quantiles": [1, 1, 2]}'::buypower.model;
SELECT buypower.tier('{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 0, "coefficients": [1], "stats": {}, "score_quantiles": [1, 1, 2]}', 1);

-- tier parses its cut-offs once per distinct pair: changing them row by row works
SELECT v, buypower.tier(m, 150, c, l) AS tier
FROM pct_dist, (VALUES (1, '{0.5}'::float8[], '{lo,hi}'::text[]), (2, '{0.99}', '{lo,hi}'), (3, '{0.99}', '{x,y}'),
                       (4, '{0.1,0.2}', '{a,b,c}'), (5, '{0.5}', '{lo,hi}')) t(v, c, l)
ORDER BY v;
SELECT v, buypower.tier(m, 150, c, l) AS tier
FROM pct_dist, (VALUES (1, '{0.5}'::float8[], '{lo,hi}'::text[]), (2, '{0.5,0.2}', '{a,b,c}')) t(v, c, l)
ORDER BY v;

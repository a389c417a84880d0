-- the worked example on real data (demo/shoppers.sql, UCI Online Shoppers), asserted
\set QUIET on
\set ECHO none
\o /dev/null
\i demo/shoppers.sql
\o
\set ECHO all
\set QUIET off
\pset footer on
SELECT count(*) AS sessions, count(*) FILTER (WHERE revenue) AS purchases FROM shoppers.sessions;
-- held-out AUC above 0.88 overall and per large visitor type; "Other" falls back to '*'
SELECT visitor_type, model, CASE WHEN visitor_type <> 'Other' THEN auc >= 0.88 END AS auc_above_floor
FROM shoppers.eval ORDER BY visitor_type;
-- tiers order the purchase rate: high > mid > low, on held-out sessions
SELECT bool_and(r_high > r_mid AND r_mid > r_low) AS tiers_ordered
FROM (SELECT avg(revenue::int) FILTER (WHERE cvr_tier = 'high') AS r_high,
             avg(revenue::int) FILTER (WHERE cvr_tier = 'mid') AS r_mid,
             avg(revenue::int) FILTER (WHERE cvr_tier = 'low') AS r_low
      FROM shoppers.session_scores WHERE held_out) x;
-- training-set tiers hold the chosen shares (50% / 40% / 10%) per model, within rounding
SELECT model_segment, bool_and(abs(share - expected) < 0.01) AS shares_ok
FROM (SELECT model_segment, cvr_tier, count(*)::float8 / sum(count(*)) OVER (PARTITION BY model_segment) AS share,
             CASE cvr_tier WHEN 'low' THEN 0.5 WHEN 'mid' THEN 0.4 ELSE 0.1 END AS expected
      FROM shoppers.session_scores s
      WHERE NOT held_out AND (model_segment = visitor_type)
      GROUP BY 1, 2) x
GROUP BY 1 ORDER BY 1;
\set QUIET on
SET client_min_messages = warning;
DROP SCHEMA shoppers CASCADE;

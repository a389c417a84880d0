-- evaluation metrics: agreement with scikit-learn 1.2, tables, NULLs, empty
-- input, GROUP BY and parallel plans.  Reference values come from
-- test/ref/metrics_refs.py, run on the same integer formulas.
SET extra_float_digits = 0;

-- data: c1 (uninformative scores, 1000 distinct values), c2 (informative,
-- ties), small (hand-checkable); r1 for regression
CREATE TABLE cls (dataset text, i int, label boolean, score float8);
INSERT INTO cls SELECT 'c1', i, (i * 7919) % 13 < 4, ((i * 104729) % 1000)::float8 / 1000
  FROM generate_series(1, 10000) i;
INSERT INTO cls SELECT 'c2', i, (i * 7919) % 13 < 4,
    ((i * 104729) % 1000 + CASE WHEN (i * 7919) % 13 < 4 THEN 300 ELSE 0 END)::float8 / 1300
  FROM generate_series(1, 10000) i;
INSERT INTO cls VALUES ('small', 1, true, 0.9), ('small', 2, true, 0.8), ('small', 3, false, 0.8),
  ('small', 4, true, 0.6), ('small', 5, false, 0.6), ('small', 6, false, 0.6),
  ('small', 7, true, 0.3), ('small', 8, false, 0.1);
CREATE TABLE reg AS SELECT i, ((i * 7919) % 1000)::float8 / 10 AS y,
    (((i * 7919) % 1000) * 9 + ((i * 104729) % 100) * 10)::float8 / 100 AS yhat
  FROM generate_series(1, 10000) i;

CREATE TABLE ref (dataset text, metric text, value float8);
\copy ref FROM 'test/data/ref/metrics_scalar.csv' WITH (FORMAT csv, HEADER)

-- every scalar metric, one row per (dataset, metric)
CREATE TABLE mine AS
SELECT dataset, m.metric, m.value
  FROM (SELECT dataset,
               buypower.auc(label, score) AS auc,
               buypower.logloss(label, score) AS logloss,
               buypower.brier(label, score) AS brier,
               buypower.accuracy(label, score) AS acc5,
               buypower.precision(label, score) AS prec5,
               buypower.recall(label, score) AS rec5,
               buypower.f1(label, score) AS f15,
               buypower.accuracy(label, score, 0.3) AS acc3,
               buypower.precision(label, score, 0.3) AS prec3,
               buypower.recall(label, score, 0.3) AS rec3,
               buypower.f1(label, score, 0.3) AS f13
          FROM cls GROUP BY dataset) s,
       LATERAL (VALUES ('auc', auc), ('logloss', logloss), ('brier', brier),
                       ('accuracy@0.5', acc5), ('precision@0.5', prec5),
                       ('recall@0.5', rec5), ('f1@0.5', f15),
                       ('accuracy@0.3', acc3), ('precision@0.3', prec3),
                       ('recall@0.3', rec3), ('f1@0.3', f13)) m(metric, value)
UNION ALL
SELECT 'r1', m.metric, m.value
  FROM (SELECT buypower.mse(y, yhat) AS mse, buypower.rmse(y, yhat) AS rmse,
               buypower.mae(y, yhat) AS mae, buypower.r2(y, yhat) AS r2,
               buypower.regression_report(y, yhat) AS rep
          FROM reg) s,
       LATERAL (VALUES ('mse', mse), ('rmse', rmse), ('mae', mae), ('r2', r2),
                       ('max_error', (rep->>'max_error')::float8),
                       ('mean_y', (rep->>'mean_y')::float8)) m(metric, value);

-- within 1e-12 relative of sklearn, every one
SELECT r.dataset, r.metric, round(r.value::numeric, 6) AS sklearn,
       abs(m.value - r.value) <= 1e-12 * abs(r.value) AS agrees
  FROM ref r LEFT JOIN mine m USING (dataset, metric)
 ORDER BY r.dataset, r.metric;

-- hand-checked small case: U = 4 + 3.5 + 2 + 1 = 10.5 of 4 * 4 pairs
SELECT buypower.auc(label, score) = 0.65625 AS auc_exact,
       buypower.accuracy(label, score) AS acc, buypower.precision(label, score) AS prec,
       buypower.recall(label, score) AS rec, round(buypower.f1(label, score)::numeric, 12) AS f1,
       round(buypower.brier(label, score)::numeric, 12) AS brier
  FROM cls WHERE dataset = 'small';

-- the reports agree with the single aggregates
SELECT key, CASE jsonb_typeof(value) WHEN 'number' THEN round(value::numeric, 12)::text ELSE value::text END
  FROM jsonb_each((SELECT buypower.classification_report(label, score, 0.6) FROM cls WHERE dataset = 'small'))
 ORDER BY key;
SELECT s.dataset,
       (rep->>'auc')::float8 = auc AS auc, (rep->>'logloss')::float8 = logloss AS logloss,
       (rep->>'brier')::float8 = brier AS brier, (rep->>'f1')::float8 = f1 AS f1,
       (rep->>'accuracy')::float8 = acc AS accuracy,
       (rep->>'tp')::int + (rep->>'fn')::int = (rep->>'positives')::int AS counts
  FROM (SELECT dataset, buypower.classification_report(label, score) AS rep,
               buypower.auc(label, score) AS auc, buypower.logloss(label, score) AS logloss,
               buypower.brier(label, score) AS brier, buypower.f1(label, score) AS f1,
               buypower.accuracy(label, score) AS acc
          FROM cls GROUP BY dataset) s
 ORDER BY 1;
SELECT key, round(value::numeric, 12)
  FROM jsonb_each((SELECT buypower.regression_report(y, yhat) FROM reg WHERE i <= 4)) ORDER BY key;
SELECT round(buypower.mse(y, yhat)::numeric, 12) AS mse, round(buypower.mae(y, yhat)::numeric, 12) AS mae,
       round(buypower.r2(y, yhat)::numeric, 12) AS r2
  FROM (VALUES (1.0, 1.5), (2.0, 2.0), (3.0, 2.0), (4.0, 4.5)) v(y, yhat);

-- scores outside [0, 1]: the report keeps ranking metrics, logloss/brier null
SELECT rep->'auc' AS auc, rep->'logloss' AS logloss, rep->'brier' AS brier, rep->'f1' AS f1
  FROM (SELECT buypower.classification_report(label, score * 10 - 5, 0) AS rep
          FROM cls WHERE dataset = 'small') s;
-- infinite scores rank fine
SELECT buypower.auc(label, CASE WHEN score > 0.85 THEN 'Infinity' WHEN score < 0.2 THEN '-Infinity' ELSE score END) = 0.65625
  FROM cls WHERE dataset = 'small';

-- lift tables: against the numpy reference, then a small one in full
CREATE TABLE ref_lift (dataset text, bucket int, rows bigint, positives bigint, response_rate float8,
  lift float8, cumulative_positives bigint, cumulative_gain float8, cumulative_lift float8);
\copy ref_lift FROM 'test/data/ref/metrics_lift.csv' WITH (FORMAT csv, HEADER)
CREATE FUNCTION close(a float8, b float8) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN (a IS NULL AND b IS NULL) OR abs(a - b) <= 1e-12 * abs(b);
SELECT r.dataset, count(*) AS buckets,
       bool_and(l.rows = r.rows AND l.positives = r.positives
                AND l.cumulative_positives = r.cumulative_positives) AS counts,
       bool_and(close(l.response_rate, r.response_rate) AND close(l.lift, r.lift)
                AND close(l.cumulative_gain, r.cumulative_gain)
                AND close(l.cumulative_lift, r.cumulative_lift)) AS rates
  FROM (SELECT dataset, (unnest(buypower.lift(label, score))).* FROM cls GROUP BY dataset) l
  JOIN ref_lift r USING (dataset, bucket)
 GROUP BY r.dataset ORDER BY 1;
SELECT bucket, rows, positives, min_score, max_score, response_rate, round(lift::numeric, 4) AS lift,
       cumulative_rows, cumulative_positives, cumulative_gain, round(cumulative_lift::numeric, 4) AS cumulative_lift
  FROM unnest((SELECT buypower.lift(label, score, 4) FROM cls WHERE dataset = 'small'));
-- ten buckets over eight rows: tie groups stay whole, empty buckets stay
SELECT bucket, rows, positives, min_score, max_score
  FROM unnest((SELECT buypower.lift(label, score) FROM cls WHERE dataset = 'small'));

-- calibration: sklearn's calibration_curve lists the non-empty bins
CREATE TABLE ref_cal (dataset text, k int, prob_true float8, prob_pred float8);
\copy ref_cal FROM 'test/data/ref/metrics_calibration.csv' WITH (FORMAT csv, HEADER)
SELECT r.dataset, count(*) AS bins,
       bool_and(close(c.observed_rate, r.prob_true) AND close(c.mean_predicted, r.prob_pred)) AS agrees
  FROM (SELECT dataset, row_number() OVER (PARTITION BY dataset ORDER BY bin) AS k, c.*
          FROM (SELECT dataset, buypower.calibration(label, score) AS cal FROM cls GROUP BY dataset) s,
               unnest(s.cal) c
         WHERE c.rows > 0) c
  FULL JOIN ref_cal r USING (dataset, k)
 GROUP BY r.dataset ORDER BY 1;
SELECT * FROM unnest((SELECT buypower.calibration(label, score, 4) FROM cls WHERE dataset = 'small'));

-- ROC curve: one point per distinct score after the (Infinity, 0, 0) origin
CREATE TABLE ref_roc (dataset text, threshold float8, fpr float8, tpr float8);
\copy ref_roc FROM 'test/data/ref/metrics_roc.csv' WITH (FORMAT csv, HEADER)
SELECT dataset, count(*) AS points,
       bool_and(close(p.fpr, r.fpr) AND close(p.tpr, r.tpr)) AS agrees
  FROM (SELECT dataset, (unnest(buypower.roc_curve(label, score))).* FROM cls GROUP BY dataset) p
  FULL JOIN ref_roc r USING (dataset, threshold)
 GROUP BY dataset ORDER BY 1;
SELECT * FROM unnest((SELECT buypower.roc_curve(label, score) FROM cls WHERE dataset = 'small'));

-- NULLs are skipped
SELECT buypower.auc(label, score) = (SELECT buypower.auc(label, score) FROM cls WHERE dataset = 'c2') AS auc,
       buypower.f1(label, score, 0.3) = (SELECT buypower.f1(label, score, 0.3) FROM cls WHERE dataset = 'c2') AS f1,
       buypower.logloss(label, score) = (SELECT buypower.logloss(label, score) FROM cls WHERE dataset = 'c2') AS logloss
  FROM (SELECT label, score FROM cls WHERE dataset = 'c2'
        UNION ALL SELECT NULL, 0.5 UNION ALL SELECT true, NULL UNION ALL SELECT NULL, NULL) s;
SELECT buypower.mse(y, yhat) AS mse, buypower.r2(y, yhat) AS r2
  FROM (VALUES (1.0, NULL), (NULL, 2.0), (1.0, 1.5), (3.0, 3.5)) v(y, yhat);

-- empty input and all-NULL input give NULL
SELECT buypower.mse(y, yhat), buypower.rmse(y, yhat), buypower.mae(y, yhat), buypower.r2(y, yhat),
       buypower.regression_report(y, yhat) FROM reg WHERE false;
SELECT buypower.auc(label, score), buypower.logloss(label, score), buypower.brier(label, score),
       buypower.accuracy(label, score), buypower.precision(label, score, 0.2),
       buypower.recall(label, score), buypower.f1(label, score),
       buypower.classification_report(label, score), buypower.lift(label, score),
       buypower.calibration(label, score), buypower.roc_curve(label, score)
  FROM cls WHERE false;
SELECT buypower.auc(l, s), buypower.f1(l, s) FROM (VALUES (NULL::boolean, NULL::float8)) v(l, s);

-- undefined values are NULL: one class (auc, roc, lift), zero division,
-- constant y (r2), single row (r2)
SELECT buypower.auc(label, score) AS auc, buypower.roc_curve(label, score) AS roc,
       buypower.recall(label, score) AS recall, buypower.f1(label, score) AS f1,
       buypower.precision(label, score) AS prec
  FROM cls WHERE dataset = 'small' AND NOT label;
SELECT bucket, rows, lift, cumulative_gain
  FROM unnest((SELECT buypower.lift(label, score, 2) FROM cls WHERE dataset = 'small' AND NOT label));
SELECT buypower.precision(label, score, 2) AS prec, buypower.f1(label, score, 2) AS f1,
       buypower.recall(label, score, 2) AS recall, buypower.accuracy(label, score, 2) AS acc
  FROM cls WHERE dataset = 'small';
SELECT buypower.r2(y, yhat) AS constant_y FROM (VALUES (2.0, 1.0), (2.0, 3.0)) v(y, yhat);
SELECT buypower.r2(y, yhat) AS one_row, buypower.mse(y, yhat) FROM (VALUES (2.0, 1.0)) v(y, yhat);
-- f1 is 0, not NULL, when precision and recall are both defined and 0
SELECT buypower.f1(l, s) FROM (VALUES (true, 0.1), (false, 0.9)) v(l, s);
-- threshold: predicted positive iff score >= threshold
SELECT buypower.recall(l, s, 0.5) AS at_half, buypower.recall(l, s, 0.50001) AS above
  FROM (VALUES (true, 0.5)) v(l, s);

-- the same state serves several aggregates of one query
SELECT buypower.auc(label, score) = 0.65625 AS auc,
       (SELECT count(*) FROM unnest(buypower.roc_curve(label, score))) AS roc_points
  FROM cls WHERE dataset = 'small';

-- parallel plans: partial aggregates are combined through serialize/deserialize
CREATE TABLE serial_res AS
SELECT buypower.auc(label, score) AS auc, buypower.logloss(label, score) AS logloss,
       buypower.brier(label, score) AS brier, buypower.f1(label, score, 0.3) AS f1,
       buypower.classification_report(label, score) AS rep,
       buypower.lift(label, score) AS lift, buypower.calibration(label, score) AS cal,
       buypower.roc_curve(label, score) AS roc
  FROM cls WHERE dataset <> 'small';
CREATE TABLE serial_reg AS SELECT buypower.regression_report(y, yhat) AS rep FROM reg;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT buypower.auc(label, score), buypower.lift(label, score) FROM cls WHERE dataset <> 'small';
EXPLAIN (COSTS OFF) SELECT buypower.regression_report(y, yhat) FROM reg;
SELECT p.auc = s.auc AS auc, close(p.logloss, s.logloss) AS logloss, close(p.brier, s.brier) AS brier,
       p.f1 = s.f1 AS f1, (p.rep - 'logloss' - 'brier') = (s.rep - 'logloss' - 'brier') AS report,
       p.lift = s.lift AS lift, p.roc = s.roc AS roc,
       (SELECT bool_and(a.rows = b.rows AND close(a.mean_predicted, b.mean_predicted))
          FROM unnest(p.cal) WITH ORDINALITY a JOIN unnest(s.cal) WITH ORDINALITY b USING (ordinality)) AS cal
  FROM (SELECT buypower.auc(label, score) AS auc, buypower.logloss(label, score) AS logloss,
               buypower.brier(label, score) AS brier, buypower.f1(label, score, 0.3) AS f1,
               buypower.classification_report(label, score) AS rep,
               buypower.lift(label, score) AS lift, buypower.calibration(label, score) AS cal,
               buypower.roc_curve(label, score) AS roc
          FROM cls WHERE dataset <> 'small') p, serial_res s;
SELECT (p.rep->>'n') = (s.rep->>'n') AS n,
       close((p.rep->>'mse')::float8, (s.rep->>'mse')::float8) AS mse,
       close((p.rep->>'r2')::float8, (s.rep->>'r2')::float8) AS r2,
       close((p.rep->>'mae')::float8, (s.rep->>'mae')::float8) AS mae,
       (p.rep->>'max_error') = (s.rep->>'max_error') AS max_error
  FROM (SELECT buypower.regression_report(y, yhat) AS rep FROM reg) p, serial_reg s;
-- GROUP BY in a parallel plan: groups split across workers merge exactly
EXPLAIN (COSTS OFF) SELECT dataset, buypower.auc(label, score) FROM cls GROUP BY dataset;
SELECT dataset, close(buypower.auc(label, score), r.value) AS auc
  FROM cls JOIN ref r USING (dataset) WHERE r.metric = 'auc' GROUP BY dataset, r.value ORDER BY 1;
RESET ALL;

-- evaluation metrics: every error, one bad input per statement
SET extra_float_digits = 0;
-- NaN scores and probabilities
SELECT buypower.auc(l, s) FROM (VALUES (true, 0.5::float8), (false, 'NaN')) v(l, s);
SELECT buypower.f1(l, s) FROM (VALUES (true, 'NaN'::float8)) v(l, s);
SELECT buypower.classification_report(l, s) FROM (VALUES (true, 'NaN'::float8)) v(l, s);
SELECT buypower.lift(l, s) FROM (VALUES (true, 'NaN'::float8)) v(l, s);
SELECT buypower.logloss(l, p) FROM (VALUES (true, 'NaN'::float8)) v(l, p);
SELECT buypower.brier(l, p) FROM (VALUES (true, 'NaN'::float8)) v(l, p);
-- probabilities outside [0, 1]
SELECT buypower.logloss(l, p) FROM (VALUES (true, 1.5::float8)) v(l, p);
SELECT buypower.logloss(l, p) FROM (VALUES (false, -0.25::float8)) v(l, p);
SELECT buypower.brier(l, p) FROM (VALUES (true, 'Infinity'::float8)) v(l, p);
SELECT buypower.calibration(l, p) FROM (VALUES (true, 1.0000001::float8)) v(l, p);
-- non-finite regression inputs
SELECT buypower.mse(y, yhat) FROM (VALUES ('NaN'::float8, 1.0::float8)) v(y, yhat);
SELECT buypower.r2(y, yhat) FROM (VALUES (1.0::float8, 'Infinity'::float8)) v(y, yhat);
SELECT buypower.regression_report(y, yhat) FROM (VALUES ('-Infinity'::float8, 1.0::float8)) v(y, yhat);
-- overflow of finite inputs
SELECT buypower.mse(y, yhat) FROM (VALUES (1e200::float8, -1e200::float8)) v(y, yhat);
SELECT buypower.mae(y, yhat) FROM (VALUES (1.7e308::float8, -1.7e308::float8)) v(y, yhat);
-- thresholds
SELECT buypower.precision(l, s, 'NaN') FROM (VALUES (true, 0.5::float8)) v(l, s);
SELECT buypower.recall(l, s, NULL) FROM (VALUES (true, 0.5::float8)) v(l, s);
SELECT buypower.accuracy(l, s, t) FROM (VALUES (true, 0.5::float8, 0.5::float8), (false, 0.2, 0.6)) v(l, s, t);
SELECT buypower.classification_report(l, s, t) FROM (VALUES (true, 0.5::float8, 0.5::float8), (false, 0.2, 0.6)) v(l, s, t);
-- bucket and bin counts
SELECT buypower.lift(l, s, 0) FROM (VALUES (true, 0.5::float8)) v(l, s);
SELECT buypower.lift(l, s, 10001) FROM (VALUES (true, 0.5::float8)) v(l, s);
SELECT buypower.lift(l, s, NULL) FROM (VALUES (true, 0.5::float8)) v(l, s);
SELECT buypower.lift(l, s, k) FROM (VALUES (true, 0.5::float8, 4), (false, 0.2, 5)) v(l, s, k);
SELECT buypower.calibration(l, p, -1) FROM (VALUES (true, 0.5::float8)) v(l, p);
-- memory: ranking metrics keep 16 bytes per row against max_training_memory
SET buypower.max_training_memory = '1MB';
SELECT buypower.auc(i % 3 = 0, i) FROM generate_series(1, 100000) i;
SELECT buypower.classification_report(true, i) FROM generate_series(1, 100000) i;
-- the threshold metrics keep no scores, so the limit does not apply
SELECT buypower.accuracy(i % 3 = 0, i, 50000) FROM generate_series(1, 100000) i;
RESET buypower.max_training_memory;

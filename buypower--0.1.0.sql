-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION buypower" to load this file. \quit

-- model type

CREATE TYPE buypower.model;

CREATE FUNCTION buypower.model_in(cstring) RETURNS buypower.model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION buypower.model_out(buypower.model) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION buypower.model_recv(internal) RETURNS buypower.model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION buypower.model_send(buypower.model) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE buypower.model (
    INPUT = buypower.model_in,
    OUTPUT = buypower.model_out,
    RECEIVE = buypower.model_recv,
    SEND = buypower.model_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE buypower.model IS
    'a trained buypower model; its text form is a JSON document';

-- BI tools read models as JSON: m::jsonb
CREATE CAST (buypower.model AS jsonb) WITH INOUT AS ASSIGNMENT;

-- linear and ridge regression

CREATE FUNCTION buypower.linreg_accum(internal, float8, float8[]) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.linreg_accum(internal, float8, float8[], jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.linreg_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.linreg_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION buypower.linreg_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION buypower.linreg_final(internal) RETURNS buypower.model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE buypower.linreg(target float8, features float8[]) (
    SFUNC = buypower.linreg_accum, STYPE = internal, SSPACE = 4096,
    FINALFUNC = buypower.linreg_final,
    COMBINEFUNC = buypower.linreg_combine,
    SERIALFUNC = buypower.linreg_serialize, DESERIALFUNC = buypower.linreg_deserialize,
    PARALLEL = SAFE
);
CREATE AGGREGATE buypower.linreg(target float8, features float8[], options jsonb) (
    SFUNC = buypower.linreg_accum, STYPE = internal, SSPACE = 4096,
    FINALFUNC = buypower.linreg_final,
    COMBINEFUNC = buypower.linreg_combine,
    SERIALFUNC = buypower.linreg_serialize, DESERIALFUNC = buypower.linreg_deserialize,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE buypower.linreg(float8, float8[]) IS
    'least-squares linear regression of target on features, by streaming QR';
COMMENT ON AGGREGATE buypower.linreg(float8, float8[], jsonb) IS
    'linear or ridge regression with options: intercept, l2, names';

-- logistic regression

CREATE FUNCTION buypower.logreg_accum(internal, boolean, float8[]) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.logreg_accum(internal, boolean, float8[], jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.logreg_accum(internal, float8, float8[]) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.logreg_accum(internal, float8, float8[], jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.logreg_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.logreg_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION buypower.logreg_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION buypower.logreg_final(internal) RETURNS buypower.model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- the state holds the training rows: SSPACE is a guess at a group's share
CREATE AGGREGATE buypower.logreg(label boolean, features float8[]) (
    SFUNC = buypower.logreg_accum, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.logreg_final,
    COMBINEFUNC = buypower.logreg_combine,
    SERIALFUNC = buypower.logreg_serialize, DESERIALFUNC = buypower.logreg_deserialize,
    PARALLEL = SAFE
);
CREATE AGGREGATE buypower.logreg(label boolean, features float8[], options jsonb) (
    SFUNC = buypower.logreg_accum, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.logreg_final,
    COMBINEFUNC = buypower.logreg_combine,
    SERIALFUNC = buypower.logreg_serialize, DESERIALFUNC = buypower.logreg_deserialize,
    PARALLEL = SAFE
);
CREATE AGGREGATE buypower.logreg(label float8, features float8[]) (
    SFUNC = buypower.logreg_accum, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.logreg_final,
    COMBINEFUNC = buypower.logreg_combine,
    SERIALFUNC = buypower.logreg_serialize, DESERIALFUNC = buypower.logreg_deserialize,
    PARALLEL = SAFE
);
CREATE AGGREGATE buypower.logreg(label float8, features float8[], options jsonb) (
    SFUNC = buypower.logreg_accum, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.logreg_final,
    COMBINEFUNC = buypower.logreg_combine,
    SERIALFUNC = buypower.logreg_serialize, DESERIALFUNC = buypower.logreg_deserialize,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE buypower.logreg(boolean, float8[]) IS
    'logistic regression of a boolean label on features, by Newton''s method';
COMMENT ON AGGREGATE buypower.logreg(boolean, float8[], jsonb) IS
    'logistic regression with options: intercept, l2, class_weight, max_iter, tol, names';
COMMENT ON AGGREGATE buypower.logreg(float8, float8[]) IS
    'logistic regression of a 0/1 label on features, by Newton''s method';
COMMENT ON AGGREGATE buypower.logreg(float8, float8[], jsonb) IS
    'logistic regression of a 0/1 label with options: intercept, l2, class_weight, max_iter, tol, names';
-- scoring and inspection

CREATE FUNCTION buypower.predict(model buypower.model, features float8[]) RETURNS float8
    AS 'MODULE_PATHNAME', 'model_predict' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.predict(buypower.model, float8[]) IS
    'score one row: the predicted value (linreg) or positive-class probability (logreg)';

CREATE FUNCTION buypower.summary(model buypower.model,
    OUT term text, OUT estimate float8, OUT std_error float8,
    OUT statistic float8, OUT p_value float8) RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'model_summary' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 11;
COMMENT ON FUNCTION buypower.summary(buypower.model) IS
    'coefficient table: estimate, standard error, t or z statistic and p-value per term';

-- evaluation metrics (src/metrics.c, src/metrics_tables.c)
--
-- Every metric is an aggregate with an internal, mergeable state and
-- combine/serialize/deserialize functions, so all run in parallel plans.
-- Rows where an argument is NULL are skipped; no rows give NULL.

-- result rows of the table aggregates

CREATE TYPE buypower.lift_bucket AS (
	bucket integer,
	rows bigint,
	positives bigint,
	min_score double precision,
	max_score double precision,
	response_rate double precision,
	lift double precision,
	cumulative_rows bigint,
	cumulative_positives bigint,
	cumulative_gain double precision,
	cumulative_lift double precision
);
COMMENT ON TYPE buypower.lift_bucket IS 'one score bucket of a lift/gain table (buypower.lift)';

CREATE TYPE buypower.calibration_bin AS (
	bin integer,
	lower_bound double precision,
	upper_bound double precision,
	rows bigint,
	mean_predicted double precision,
	observed_rate double precision
);
COMMENT ON TYPE buypower.calibration_bin IS 'one probability bin of a calibration table (buypower.calibration)';

CREATE TYPE buypower.roc_point AS (
	threshold double precision,
	fpr double precision,
	tpr double precision
);
COMMENT ON TYPE buypower.roc_point IS 'one point of a ROC curve (buypower.roc_curve)';

-- private functions: regression state

CREATE FUNCTION buypower.regression_accum(internal, double precision, double precision) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.regression_accum(internal, double precision, double precision) IS 'transition function of the regression metrics';
CREATE FUNCTION buypower.regression_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.regression_combine(internal, internal) IS 'combine function of the regression metrics';
CREATE FUNCTION buypower.regression_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.regression_serialize(internal) IS 'serialize function of the regression metrics';
CREATE FUNCTION buypower.regression_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.regression_deserialize(bytea, internal) IS 'deserialize function of the regression metrics';
CREATE FUNCTION buypower.mse_final(internal) RETURNS double precision
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.mse_final(internal) IS 'final function of buypower.mse';
CREATE FUNCTION buypower.rmse_final(internal) RETURNS double precision
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.rmse_final(internal) IS 'final function of buypower.rmse';
CREATE FUNCTION buypower.mae_final(internal) RETURNS double precision
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.mae_final(internal) IS 'final function of buypower.mae';
CREATE FUNCTION buypower.r2_final(internal) RETURNS double precision
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.r2_final(internal) IS 'final function of buypower.r2';
CREATE FUNCTION buypower.regression_report_final(internal) RETURNS jsonb
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.regression_report_final(internal) IS 'final function of buypower.regression_report';

-- private functions: classification state

CREATE FUNCTION buypower.auc_accum(internal, boolean, double precision) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.auc_accum(internal, boolean, double precision) IS 'transition function of buypower.auc and buypower.roc_curve';
CREATE FUNCTION buypower.probability_accum(internal, boolean, double precision) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.probability_accum(internal, boolean, double precision) IS 'transition function of buypower.logloss and buypower.brier';
CREATE FUNCTION buypower.confusion_accum(internal, boolean, double precision) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.confusion_accum(internal, boolean, double precision) IS 'transition function of the threshold metrics, threshold 0.5';
CREATE FUNCTION buypower.confusion_accum(internal, boolean, double precision, double precision) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.confusion_accum(internal, boolean, double precision, double precision) IS 'transition function of the threshold metrics';
CREATE FUNCTION buypower.classification_report_accum(internal, boolean, double precision) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.classification_report_accum(internal, boolean, double precision) IS 'transition function of buypower.classification_report, threshold 0.5';
CREATE FUNCTION buypower.classification_report_accum(internal, boolean, double precision, double precision) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.classification_report_accum(internal, boolean, double precision, double precision) IS 'transition function of buypower.classification_report';
CREATE FUNCTION buypower.lift_accum(internal, boolean, double precision) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.lift_accum(internal, boolean, double precision) IS 'transition function of buypower.lift, 10 buckets';
CREATE FUNCTION buypower.lift_accum(internal, boolean, double precision, integer) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.lift_accum(internal, boolean, double precision, integer) IS 'transition function of buypower.lift';
CREATE FUNCTION buypower.calibration_accum(internal, boolean, double precision) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.calibration_accum(internal, boolean, double precision) IS 'transition function of buypower.calibration, 10 bins';
CREATE FUNCTION buypower.calibration_accum(internal, boolean, double precision, integer) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.calibration_accum(internal, boolean, double precision, integer) IS 'transition function of buypower.calibration';
CREATE FUNCTION buypower.classification_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.classification_combine(internal, internal) IS 'combine function of the classification metrics';
CREATE FUNCTION buypower.classification_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.classification_serialize(internal) IS 'serialize function of the classification metrics';
CREATE FUNCTION buypower.classification_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.classification_deserialize(bytea, internal) IS 'deserialize function of the classification metrics';
CREATE FUNCTION buypower.auc_final(internal) RETURNS double precision
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.auc_final(internal) IS 'final function of buypower.auc';
CREATE FUNCTION buypower.logloss_final(internal) RETURNS double precision
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.logloss_final(internal) IS 'final function of buypower.logloss';
CREATE FUNCTION buypower.brier_final(internal) RETURNS double precision
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.brier_final(internal) IS 'final function of buypower.brier';
CREATE FUNCTION buypower.accuracy_final(internal) RETURNS double precision
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.accuracy_final(internal) IS 'final function of buypower.accuracy';
CREATE FUNCTION buypower.precision_final(internal) RETURNS double precision
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.precision_final(internal) IS 'final function of buypower.precision';
CREATE FUNCTION buypower.recall_final(internal) RETURNS double precision
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.recall_final(internal) IS 'final function of buypower.recall';
CREATE FUNCTION buypower.f1_final(internal) RETURNS double precision
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.f1_final(internal) IS 'final function of buypower.f1';
CREATE FUNCTION buypower.classification_report_final(internal) RETURNS jsonb
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.classification_report_final(internal) IS 'final function of buypower.classification_report';
CREATE FUNCTION buypower.lift_final(internal) RETURNS buypower.lift_bucket[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.lift_final(internal) IS 'final function of buypower.lift';
CREATE FUNCTION buypower.calibration_final(internal) RETURNS buypower.calibration_bin[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.calibration_final(internal) IS 'final function of buypower.calibration';
CREATE FUNCTION buypower.roc_curve_final(internal) RETURNS buypower.roc_point[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.roc_curve_final(internal) IS 'final function of buypower.roc_curve';

-- regression metrics

CREATE AGGREGATE buypower.mse(y double precision, yhat double precision) (
	SFUNC = buypower.regression_accum, STYPE = internal, SSPACE = 64,
	FINALFUNC = buypower.mse_final,
	COMBINEFUNC = buypower.regression_combine, SERIALFUNC = buypower.regression_serialize, DESERIALFUNC = buypower.regression_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.mse(y double precision, yhat double precision) IS 'mean squared error of predictions yhat of y';

CREATE AGGREGATE buypower.rmse(y double precision, yhat double precision) (
	SFUNC = buypower.regression_accum, STYPE = internal, SSPACE = 64,
	FINALFUNC = buypower.rmse_final,
	COMBINEFUNC = buypower.regression_combine, SERIALFUNC = buypower.regression_serialize, DESERIALFUNC = buypower.regression_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.rmse(y double precision, yhat double precision) IS 'root mean squared error of predictions yhat of y';

CREATE AGGREGATE buypower.mae(y double precision, yhat double precision) (
	SFUNC = buypower.regression_accum, STYPE = internal, SSPACE = 64,
	FINALFUNC = buypower.mae_final,
	COMBINEFUNC = buypower.regression_combine, SERIALFUNC = buypower.regression_serialize, DESERIALFUNC = buypower.regression_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.mae(y double precision, yhat double precision) IS 'mean absolute error of predictions yhat of y';

CREATE AGGREGATE buypower.r2(y double precision, yhat double precision) (
	SFUNC = buypower.regression_accum, STYPE = internal, SSPACE = 64,
	FINALFUNC = buypower.r2_final,
	COMBINEFUNC = buypower.regression_combine, SERIALFUNC = buypower.regression_serialize, DESERIALFUNC = buypower.regression_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.r2(y double precision, yhat double precision) IS 'coefficient of determination R^2 of predictions yhat of y; NULL if y is constant';

CREATE AGGREGATE buypower.regression_report(y double precision, yhat double precision) (
	SFUNC = buypower.regression_accum, STYPE = internal, SSPACE = 64,
	FINALFUNC = buypower.regression_report_final,
	COMBINEFUNC = buypower.regression_combine, SERIALFUNC = buypower.regression_serialize, DESERIALFUNC = buypower.regression_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.regression_report(y double precision, yhat double precision) IS 'jsonb with n, mean_y, mse, rmse, mae, max_error and r2 of predictions yhat of y';

-- classification metrics

CREATE AGGREGATE buypower.auc(label boolean, score double precision) (
	SFUNC = buypower.auc_accum, STYPE = internal, SSPACE = 8192,
	FINALFUNC = buypower.auc_final,
	COMBINEFUNC = buypower.classification_combine, SERIALFUNC = buypower.classification_serialize, DESERIALFUNC = buypower.classification_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.auc(label boolean, score double precision) IS 'area under the ROC curve, ties counting one half; NULL if a class is missing';

CREATE AGGREGATE buypower.logloss(label boolean, p double precision) (
	SFUNC = buypower.probability_accum, STYPE = internal, SSPACE = 64,
	FINALFUNC = buypower.logloss_final,
	COMBINEFUNC = buypower.classification_combine, SERIALFUNC = buypower.classification_serialize, DESERIALFUNC = buypower.classification_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.logloss(label boolean, p double precision) IS 'mean log loss of probabilities p clipped to [2^-52, 1 - 2^-52], as sklearn 1.2';

CREATE AGGREGATE buypower.brier(label boolean, p double precision) (
	SFUNC = buypower.probability_accum, STYPE = internal, SSPACE = 64,
	FINALFUNC = buypower.brier_final,
	COMBINEFUNC = buypower.classification_combine, SERIALFUNC = buypower.classification_serialize, DESERIALFUNC = buypower.classification_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.brier(label boolean, p double precision) IS 'Brier score: mean squared difference of probabilities p and labels';

CREATE AGGREGATE buypower.accuracy(label boolean, score double precision) (
	SFUNC = buypower.confusion_accum, STYPE = internal, SSPACE = 64,
	FINALFUNC = buypower.accuracy_final,
	COMBINEFUNC = buypower.classification_combine, SERIALFUNC = buypower.classification_serialize, DESERIALFUNC = buypower.classification_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.accuracy(label boolean, score double precision) IS 'share of rows classified correctly, predicting positive iff score >= 0.5';

CREATE AGGREGATE buypower.accuracy(label boolean, score double precision, threshold double precision) (
	SFUNC = buypower.confusion_accum, STYPE = internal, SSPACE = 64,
	FINALFUNC = buypower.accuracy_final,
	COMBINEFUNC = buypower.classification_combine, SERIALFUNC = buypower.classification_serialize, DESERIALFUNC = buypower.classification_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.accuracy(label boolean, score double precision, threshold double precision) IS 'share of rows classified correctly, predicting positive iff score >= threshold';

CREATE AGGREGATE buypower.precision(label boolean, score double precision) (
	SFUNC = buypower.confusion_accum, STYPE = internal, SSPACE = 64,
	FINALFUNC = buypower.precision_final,
	COMBINEFUNC = buypower.classification_combine, SERIALFUNC = buypower.classification_serialize, DESERIALFUNC = buypower.classification_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.precision(label boolean, score double precision) IS 'tp / (tp + fp); NULL if nothing is predicted positive, predicting positive iff score >= 0.5';

CREATE AGGREGATE buypower.precision(label boolean, score double precision, threshold double precision) (
	SFUNC = buypower.confusion_accum, STYPE = internal, SSPACE = 64,
	FINALFUNC = buypower.precision_final,
	COMBINEFUNC = buypower.classification_combine, SERIALFUNC = buypower.classification_serialize, DESERIALFUNC = buypower.classification_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.precision(label boolean, score double precision, threshold double precision) IS 'tp / (tp + fp); NULL if nothing is predicted positive, predicting positive iff score >= threshold';

CREATE AGGREGATE buypower.recall(label boolean, score double precision) (
	SFUNC = buypower.confusion_accum, STYPE = internal, SSPACE = 64,
	FINALFUNC = buypower.recall_final,
	COMBINEFUNC = buypower.classification_combine, SERIALFUNC = buypower.classification_serialize, DESERIALFUNC = buypower.classification_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.recall(label boolean, score double precision) IS 'tp / (tp + fn); NULL if there are no positives, predicting positive iff score >= 0.5';

CREATE AGGREGATE buypower.recall(label boolean, score double precision, threshold double precision) (
	SFUNC = buypower.confusion_accum, STYPE = internal, SSPACE = 64,
	FINALFUNC = buypower.recall_final,
	COMBINEFUNC = buypower.classification_combine, SERIALFUNC = buypower.classification_serialize, DESERIALFUNC = buypower.classification_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.recall(label boolean, score double precision, threshold double precision) IS 'tp / (tp + fn); NULL if there are no positives, predicting positive iff score >= threshold';

CREATE AGGREGATE buypower.f1(label boolean, score double precision) (
	SFUNC = buypower.confusion_accum, STYPE = internal, SSPACE = 64,
	FINALFUNC = buypower.f1_final,
	COMBINEFUNC = buypower.classification_combine, SERIALFUNC = buypower.classification_serialize, DESERIALFUNC = buypower.classification_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.f1(label boolean, score double precision) IS '2 tp / (2 tp + fp + fn); NULL if precision or recall is NULL, predicting positive iff score >= 0.5';

CREATE AGGREGATE buypower.f1(label boolean, score double precision, threshold double precision) (
	SFUNC = buypower.confusion_accum, STYPE = internal, SSPACE = 64,
	FINALFUNC = buypower.f1_final,
	COMBINEFUNC = buypower.classification_combine, SERIALFUNC = buypower.classification_serialize, DESERIALFUNC = buypower.classification_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.f1(label boolean, score double precision, threshold double precision) IS '2 tp / (2 tp + fp + fn); NULL if precision or recall is NULL, predicting positive iff score >= threshold';

CREATE AGGREGATE buypower.classification_report(label boolean, score double precision) (
	SFUNC = buypower.classification_report_accum, STYPE = internal, SSPACE = 8192,
	FINALFUNC = buypower.classification_report_final,
	COMBINEFUNC = buypower.classification_combine, SERIALFUNC = buypower.classification_serialize, DESERIALFUNC = buypower.classification_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.classification_report(label boolean, score double precision) IS 'jsonb with counts, confusion matrix, accuracy, precision, recall, f1, auc, logloss and brier at threshold 0.5';

CREATE AGGREGATE buypower.classification_report(label boolean, score double precision, threshold double precision) (
	SFUNC = buypower.classification_report_accum, STYPE = internal, SSPACE = 8192,
	FINALFUNC = buypower.classification_report_final,
	COMBINEFUNC = buypower.classification_combine, SERIALFUNC = buypower.classification_serialize, DESERIALFUNC = buypower.classification_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.classification_report(label boolean, score double precision, threshold double precision) IS 'jsonb with counts, confusion matrix, accuracy, precision, recall, f1, auc, logloss and brier at a threshold';

-- chartable tables: unnest the array into rows

CREATE AGGREGATE buypower.lift(label boolean, score double precision) (
	SFUNC = buypower.lift_accum, STYPE = internal, SSPACE = 8192,
	FINALFUNC = buypower.lift_final,
	COMBINEFUNC = buypower.classification_combine, SERIALFUNC = buypower.classification_serialize, DESERIALFUNC = buypower.classification_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.lift(label boolean, score double precision) IS 'decile lift/gain table (10 score buckets, highest scores first) as an array to unnest';

CREATE AGGREGATE buypower.lift(label boolean, score double precision, buckets integer) (
	SFUNC = buypower.lift_accum, STYPE = internal, SSPACE = 8192,
	FINALFUNC = buypower.lift_final,
	COMBINEFUNC = buypower.classification_combine, SERIALFUNC = buypower.classification_serialize, DESERIALFUNC = buypower.classification_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.lift(label boolean, score double precision, buckets integer) IS 'lift/gain table of equal-frequency score buckets, highest scores first, as an array to unnest';

CREATE AGGREGATE buypower.calibration(label boolean, p double precision) (
	SFUNC = buypower.calibration_accum, STYPE = internal, SSPACE = 8192,
	FINALFUNC = buypower.calibration_final,
	COMBINEFUNC = buypower.classification_combine, SERIALFUNC = buypower.classification_serialize, DESERIALFUNC = buypower.classification_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.calibration(label boolean, p double precision) IS 'calibration table of 10 equal-width probability bins as an array to unnest';

CREATE AGGREGATE buypower.calibration(label boolean, p double precision, bins integer) (
	SFUNC = buypower.calibration_accum, STYPE = internal, SSPACE = 8192,
	FINALFUNC = buypower.calibration_final,
	COMBINEFUNC = buypower.classification_combine, SERIALFUNC = buypower.classification_serialize, DESERIALFUNC = buypower.classification_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.calibration(label boolean, p double precision, bins integer) IS 'calibration table of equal-width probability bins as an array to unnest';

CREATE AGGREGATE buypower.roc_curve(label boolean, score double precision) (
	SFUNC = buypower.auc_accum, STYPE = internal, SSPACE = 8192,
	FINALFUNC = buypower.roc_curve_final,
	COMBINEFUNC = buypower.classification_combine, SERIALFUNC = buypower.classification_serialize, DESERIALFUNC = buypower.classification_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.roc_curve(label boolean, score double precision) IS 'ROC curve, one point per distinct score, as an array to unnest; NULL if a class is missing';
-- validation splits (src/split.c)

CREATE FUNCTION buypower.holdout(key anyelement, fraction double precision, seed integer DEFAULT 0) RETURNS boolean
	AS 'MODULE_PATHNAME', 'split_holdout' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.holdout(anyelement, double precision, integer) IS 'true for a deterministic share fraction of keys, chosen by a seeded hash of the key value';

CREATE FUNCTION buypower.fold(key anyelement, k integer, seed integer DEFAULT 0) RETURNS integer
	AS 'MODULE_PATHNAME', 'split_fold' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.fold(anyelement, integer, integer) IS 'deterministic fold 1..k of a key, from a seeded hash of the key value';

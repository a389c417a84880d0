-- scoring and inspection

CREATE FUNCTION buypower.predict(model buypower.model, features float8[]) RETURNS float8
    AS 'MODULE_PATHNAME', 'model_predict' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SUPPORT buypower.predict_support;
COMMENT ON FUNCTION buypower.predict(buypower.model, float8[]) IS
    'score one row: the predicted value (linreg) or positive-class probability (logreg)';

CREATE FUNCTION buypower.summary(model buypower.model,
    OUT term text, OUT estimate float8, OUT std_error float8,
    OUT statistic float8, OUT p_value float8) RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'model_summary' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 11;
COMMENT ON FUNCTION buypower.summary(buypower.model) IS
    'coefficient table: estimate, standard error, t or z statistic and p-value per term';


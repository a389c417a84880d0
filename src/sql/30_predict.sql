-- scoring and inspection

CREATE FUNCTION buypower.predict_values(model buypower.model, VARIADIC features "any") RETURNS float8
    AS 'MODULE_PATHNAME', 'model_predict_values' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION buypower.predict_values(buypower.model, "any") IS
    'score one row given as separate float8 arguments (NULL = missing); the planner turns predict(model, ARRAY[...]) into this';

CREATE FUNCTION buypower.predict_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'model_predict_support' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.predict_support(internal) IS
    'planner support for predict: scores ARRAY[...] arguments without building the array';

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


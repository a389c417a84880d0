-- predict(model, ARRAY[...] [, ARRAY[...]]) is planned as
-- predict_values(model, ...): the feature arrays are not built for every
-- scored row (predict.c)

CREATE FUNCTION buypower.predict_values(model buypower.model, VARIADIC features "any") RETURNS float8
    AS 'MODULE_PATHNAME', 'model_predict_values' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION buypower.predict_values(buypower.model, "any") IS
    'score one row given as separate arguments, numeric features then categorical ones (NULL = missing); the planner turns predict(model, ARRAY[...]) into this';

CREATE FUNCTION buypower.predict_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'model_predict_support' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.predict_support(internal) IS
    'planner support for predict: scores ARRAY[...] arguments without building the arrays';

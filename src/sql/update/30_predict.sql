-- predict(model, ARRAY[...]) is planned as predict_values(model, ...), so the
-- feature array is not built for every scored row

CREATE FUNCTION buypower.predict_values(model buypower.model, VARIADIC features "any") RETURNS float8
    AS 'MODULE_PATHNAME', 'model_predict_values' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION buypower.predict_values(buypower.model, "any") IS
    'score one row given as separate float8 arguments (NULL = missing); the planner turns predict(model, ARRAY[...]) into this';

CREATE FUNCTION buypower.predict_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'model_predict_support' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.predict_support(internal) IS
    'planner support for predict: scores ARRAY[...] arguments without building the array';

ALTER FUNCTION buypower.predict(buypower.model, float8[]) SUPPORT buypower.predict_support;

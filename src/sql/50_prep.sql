-- preprocessing and categorical features (src/prep.c, doc/preprocessing.md)
--
-- Every learner takes a second array of categorical features, text[], after
-- the numeric ones: (target, features float8[], categories text[] [, options]).
-- The transition functions are the learners' own; they tell the forms apart
-- by the argument types.

CREATE FUNCTION buypower.linreg_accum(internal, float8, float8[], text[], jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE buypower.linreg(target float8, features float8[], categories text[], options jsonb) (
    SFUNC = buypower.linreg_accum, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.linreg_final,
    COMBINEFUNC = buypower.linreg_combine,
    SERIALFUNC = buypower.linreg_serialize, DESERIALFUNC = buypower.linreg_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.linreg(float8, float8[], text[], jsonb) IS
    'linear or ridge regression on numeric and categorical features, with options';

CREATE FUNCTION buypower.logreg_accum(internal, boolean, float8[], text[], jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.logreg_accum(internal, float8, float8[], text[], jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE buypower.logreg(label boolean, features float8[], categories text[], options jsonb) (
    SFUNC = buypower.logreg_accum, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.logreg_final,
    COMBINEFUNC = buypower.logreg_combine,
    SERIALFUNC = buypower.logreg_serialize, DESERIALFUNC = buypower.logreg_deserialize,
    PARALLEL = SAFE
);
CREATE AGGREGATE buypower.logreg(label float8, features float8[], categories text[], options jsonb) (
    SFUNC = buypower.logreg_accum, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.logreg_final,
    COMBINEFUNC = buypower.logreg_combine,
    SERIALFUNC = buypower.logreg_serialize, DESERIALFUNC = buypower.logreg_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.logreg(boolean, float8[], text[], jsonb) IS
    'logistic regression of a boolean label on numeric and categorical features, with options';
COMMENT ON AGGREGATE buypower.logreg(float8, float8[], text[], jsonb) IS
    'logistic regression of a 0/1 label on numeric and categorical features, with options';

CREATE FUNCTION buypower.predict(model buypower.model, features float8[], categories text[]) RETURNS float8
    AS 'MODULE_PATHNAME', 'model_predict_categorical' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SUPPORT buypower.predict_support;
COMMENT ON FUNCTION buypower.predict(buypower.model, float8[], text[]) IS
    'score one row with numeric and categorical features, preprocessed as in training';

CREATE FUNCTION buypower.summary(model buypower.model, scale text,
    OUT term text, OUT estimate float8, OUT std_error float8,
    OUT statistic float8, OUT p_value float8) RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'model_summary' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 11;
COMMENT ON FUNCTION buypower.summary(buypower.model, text) IS
    'coefficient table on the ''original'' scale of the inputs (as summary(model)) or ''standardized'' (as fitted)';

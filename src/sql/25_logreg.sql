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

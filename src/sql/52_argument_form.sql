-- the training aggregates' argument form: features as separate arguments,
-- linreg_values(target, x1, ..., xn [, c1, ..., ck] [, options]), so no
-- array is built per row.  The same states, combine and final functions as
-- linreg(target, ARRAY[...]): a model is the same whichever form trained it.
-- Separate names, not overloads of linreg: an overload (float8, VARIADIC
-- "any") would make linreg(y, ARRAY[int columns]) ambiguous.

CREATE FUNCTION buypower.linreg_accum_values(internal, float8, VARIADIC "any") RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE buypower.linreg_values(target float8, VARIADIC features "any") (
    SFUNC = buypower.linreg_accum_values, STYPE = internal, SSPACE = 4096,
    FINALFUNC = buypower.linreg_final,
    COMBINEFUNC = buypower.linreg_combine,
    SERIALFUNC = buypower.linreg_serialize, DESERIALFUNC = buypower.linreg_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.linreg_values(float8, VARIADIC "any") IS
    'linear or ridge regression on features passed as arguments: numbers, then text categories, then jsonb options';

CREATE FUNCTION buypower.logreg_accum_values(internal, boolean, VARIADIC "any") RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.logreg_accum_values(internal, float8, VARIADIC "any") RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE buypower.logreg_values(label boolean, VARIADIC features "any") (
    SFUNC = buypower.logreg_accum_values, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.logreg_final,
    COMBINEFUNC = buypower.logreg_combine,
    SERIALFUNC = buypower.logreg_serialize, DESERIALFUNC = buypower.logreg_deserialize,
    PARALLEL = SAFE
);
CREATE AGGREGATE buypower.logreg_values(label float8, VARIADIC features "any") (
    SFUNC = buypower.logreg_accum_values, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.logreg_final,
    COMBINEFUNC = buypower.logreg_combine,
    SERIALFUNC = buypower.logreg_serialize, DESERIALFUNC = buypower.logreg_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.logreg_values(boolean, VARIADIC "any") IS
    'logistic regression of a boolean label on features passed as arguments: numbers, then text categories, then jsonb options';
COMMENT ON AGGREGATE buypower.logreg_values(float8, VARIADIC "any") IS
    'logistic regression of a 0/1 label on features passed as arguments: numbers, then text categories, then jsonb options';

CREATE FUNCTION buypower.gbdt_accum_values(internal, boolean, VARIADIC "any") RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.gbdt_accum_values(internal, float8, VARIADIC "any") RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE buypower.gbdt_values(target boolean, VARIADIC features "any") (
    SFUNC = buypower.gbdt_accum_values, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.gbdt_final,
    COMBINEFUNC = buypower.gbdt_combine,
    SERIALFUNC = buypower.gbdt_serialize, DESERIALFUNC = buypower.gbdt_deserialize,
    PARALLEL = SAFE
);
CREATE AGGREGATE buypower.gbdt_values(target float8, VARIADIC features "any") (
    SFUNC = buypower.gbdt_accum_values, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.gbdt_final,
    COMBINEFUNC = buypower.gbdt_combine,
    SERIALFUNC = buypower.gbdt_serialize, DESERIALFUNC = buypower.gbdt_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.gbdt_values(boolean, VARIADIC "any") IS
    'gradient-boosted trees (classification) on features passed as arguments: numbers, then text categories, then jsonb options';
COMMENT ON AGGREGATE buypower.gbdt_values(float8, VARIADIC "any") IS
    'gradient-boosted trees (regression) on features passed as arguments: numbers, then text categories, then jsonb options';

CREATE FUNCTION buypower.forest_accum_values(internal, boolean, VARIADIC "any") RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.forest_accum_values(internal, float8, VARIADIC "any") RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE buypower.forest_values(target boolean, VARIADIC features "any") (
    SFUNC = buypower.forest_accum_values, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.forest_final,
    COMBINEFUNC = buypower.forest_combine,
    SERIALFUNC = buypower.forest_serialize, DESERIALFUNC = buypower.forest_deserialize,
    PARALLEL = SAFE
);
CREATE AGGREGATE buypower.forest_values(target float8, VARIADIC features "any") (
    SFUNC = buypower.forest_accum_values, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.forest_final,
    COMBINEFUNC = buypower.forest_combine,
    SERIALFUNC = buypower.forest_serialize, DESERIALFUNC = buypower.forest_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.forest_values(boolean, VARIADIC "any") IS
    'random forest (classification) on features passed as arguments: numbers, then text categories, then jsonb options';
COMMENT ON AGGREGATE buypower.forest_values(float8, VARIADIC "any") IS
    'random forest (regression) on features passed as arguments: numbers, then text categories, then jsonb options';

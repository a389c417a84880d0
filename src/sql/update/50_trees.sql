-- tree ensembles: gradient boosting and random forests (src/learn_trees.c,
-- src/trees_model.c, doc/trees.md)

CREATE FUNCTION buypower.gbdt_accum(internal, boolean, float8[]) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.gbdt_accum(internal, boolean, float8[], jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.gbdt_accum(internal, float8, float8[]) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.gbdt_accum(internal, float8, float8[], jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.gbdt_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.gbdt_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION buypower.gbdt_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION buypower.gbdt_final(internal) RETURNS buypower.model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE buypower.gbdt(target boolean, features float8[]) (
    SFUNC = buypower.gbdt_accum, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.gbdt_final,
    COMBINEFUNC = buypower.gbdt_combine,
    SERIALFUNC = buypower.gbdt_serialize, DESERIALFUNC = buypower.gbdt_deserialize,
    PARALLEL = SAFE
);
CREATE AGGREGATE buypower.gbdt(target boolean, features float8[], options jsonb) (
    SFUNC = buypower.gbdt_accum, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.gbdt_final,
    COMBINEFUNC = buypower.gbdt_combine,
    SERIALFUNC = buypower.gbdt_serialize, DESERIALFUNC = buypower.gbdt_deserialize,
    PARALLEL = SAFE
);
CREATE AGGREGATE buypower.gbdt(target float8, features float8[]) (
    SFUNC = buypower.gbdt_accum, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.gbdt_final,
    COMBINEFUNC = buypower.gbdt_combine,
    SERIALFUNC = buypower.gbdt_serialize, DESERIALFUNC = buypower.gbdt_deserialize,
    PARALLEL = SAFE
);
CREATE AGGREGATE buypower.gbdt(target float8, features float8[], options jsonb) (
    SFUNC = buypower.gbdt_accum, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.gbdt_final,
    COMBINEFUNC = buypower.gbdt_combine,
    SERIALFUNC = buypower.gbdt_serialize, DESERIALFUNC = buypower.gbdt_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.gbdt(boolean, float8[]) IS
    'histogram gradient boosting (logistic objective, predict gives the probability)';
COMMENT ON AGGREGATE buypower.gbdt(boolean, float8[], jsonb) IS
    'histogram gradient boosting (logistic objective, predict gives the probability) with options (doc/trees.md)';
COMMENT ON AGGREGATE buypower.gbdt(float8, float8[]) IS
    'histogram gradient boosting (squared error)';
COMMENT ON AGGREGATE buypower.gbdt(float8, float8[], jsonb) IS
    'histogram gradient boosting (squared error) with options (doc/trees.md)';

CREATE FUNCTION buypower.forest_accum(internal, boolean, float8[]) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.forest_accum(internal, boolean, float8[], jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.forest_accum(internal, float8, float8[]) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.forest_accum(internal, float8, float8[], jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.forest_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.forest_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION buypower.forest_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION buypower.forest_final(internal) RETURNS buypower.model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE buypower.forest(target boolean, features float8[]) (
    SFUNC = buypower.forest_accum, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.forest_final,
    COMBINEFUNC = buypower.forest_combine,
    SERIALFUNC = buypower.forest_serialize, DESERIALFUNC = buypower.forest_deserialize,
    PARALLEL = SAFE
);
CREATE AGGREGATE buypower.forest(target boolean, features float8[], options jsonb) (
    SFUNC = buypower.forest_accum, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.forest_final,
    COMBINEFUNC = buypower.forest_combine,
    SERIALFUNC = buypower.forest_serialize, DESERIALFUNC = buypower.forest_deserialize,
    PARALLEL = SAFE
);
CREATE AGGREGATE buypower.forest(target float8, features float8[]) (
    SFUNC = buypower.forest_accum, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.forest_final,
    COMBINEFUNC = buypower.forest_combine,
    SERIALFUNC = buypower.forest_serialize, DESERIALFUNC = buypower.forest_deserialize,
    PARALLEL = SAFE
);
CREATE AGGREGATE buypower.forest(target float8, features float8[], options jsonb) (
    SFUNC = buypower.forest_accum, STYPE = internal, SSPACE = 1048576,
    FINALFUNC = buypower.forest_final,
    COMBINEFUNC = buypower.forest_combine,
    SERIALFUNC = buypower.forest_serialize, DESERIALFUNC = buypower.forest_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.forest(boolean, float8[]) IS
    'random forest (classification)';
COMMENT ON AGGREGATE buypower.forest(boolean, float8[], jsonb) IS
    'random forest (classification) with options (doc/trees.md)';
COMMENT ON AGGREGATE buypower.forest(float8, float8[]) IS
    'random forest (regression)';
COMMENT ON AGGREGATE buypower.forest(float8, float8[], jsonb) IS
    'random forest (regression) with options (doc/trees.md)';

CREATE FUNCTION buypower.importance(model buypower.model,
    OUT feature text, OUT gain float8, OUT splits bigint, OUT cover float8) RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'model_importance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION buypower.importance(buypower.model) IS
    'per feature of a gbdt or forest model: total split gain, number of splits, total cover (hessian) of its splits';

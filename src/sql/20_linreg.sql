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


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


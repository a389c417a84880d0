-- validation splits (src/split.c)

CREATE FUNCTION buypower.holdout(key anyelement, fraction double precision, seed integer DEFAULT 0) RETURNS boolean
	AS 'MODULE_PATHNAME', 'split_holdout' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.holdout(anyelement, double precision, integer) IS 'true for a deterministic share fraction of keys, chosen by a seeded hash of the key value';

CREATE FUNCTION buypower.fold(key anyelement, k integer, seed integer DEFAULT 0) RETURNS integer
	AS 'MODULE_PATHNAME', 'split_fold' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.fold(anyelement, integer, integer) IS 'deterministic fold 1..k of a key, from a seeded hash of the key value';


-- training score distributions, percentiles and tiers (src/percentile.c)

CREATE FUNCTION buypower.score_distribution_accum(internal, buypower.model, float8) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.score_distribution_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION buypower.score_distribution_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION buypower.score_distribution_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION buypower.score_distribution_final(internal) RETURNS buypower.model
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE buypower.score_distribution(model buypower.model, score float8) (
	SFUNC = buypower.score_distribution_accum, STYPE = internal, SSPACE = 65536,
	FINALFUNC = buypower.score_distribution_final,
	COMBINEFUNC = buypower.score_distribution_combine,
	SERIALFUNC = buypower.score_distribution_serialize, DESERIALFUNC = buypower.score_distribution_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE buypower.score_distribution(buypower.model, float8) IS
	'the model with the distribution of its training scores attached (1001 quantiles), for percentile and tier';

CREATE FUNCTION buypower.percentile(model buypower.model, score float8) RETURNS float8
	AS 'MODULE_PATHNAME', 'model_percentile' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.percentile(buypower.model, float8) IS
	'position of score in the model''s training score distribution, from 0 to 1; stable across refreshes';

CREATE FUNCTION buypower.tier(model buypower.model, score float8,
	cutoffs float8[] DEFAULT '{0.5,0.9}', labels text[] DEFAULT '{low,mid,high}') RETURNS text
	AS 'MODULE_PATHNAME', 'model_tier' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.tier(buypower.model, float8, float8[], text[]) IS
	'tier label of score: labels[k + 1] where k cut-offs are at or below its training percentile';

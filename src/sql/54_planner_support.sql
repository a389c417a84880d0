-- Planner support for the training aggregates (train_support.c).
-- The array forms are planned as the argument forms: the transition
-- functions' planner support rewrites linreg(y, ARRAY[x1, ..., xn] ...) and
-- the like into linreg_values(y, x1, ..., xn ...) when the arrays are written
-- as ARRAY[...], so the arrays are not built for every row (train_support.c).
CREATE FUNCTION buypower.training_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'training_array_support' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.training_support(internal) IS
    'planner support for the training aggregates: fits ARRAY[...] arguments without building the arrays';
ALTER FUNCTION buypower.linreg_accum(internal, float8, float8[]) SUPPORT buypower.training_support;
ALTER FUNCTION buypower.linreg_accum(internal, float8, float8[], jsonb) SUPPORT buypower.training_support;
ALTER FUNCTION buypower.linreg_accum(internal, float8, float8[], text[], jsonb) SUPPORT buypower.training_support;
ALTER FUNCTION buypower.logreg_accum(internal, boolean, float8[]) SUPPORT buypower.training_support;
ALTER FUNCTION buypower.logreg_accum(internal, boolean, float8[], jsonb) SUPPORT buypower.training_support;
ALTER FUNCTION buypower.logreg_accum(internal, boolean, float8[], text[], jsonb) SUPPORT buypower.training_support;
ALTER FUNCTION buypower.logreg_accum(internal, float8, float8[]) SUPPORT buypower.training_support;
ALTER FUNCTION buypower.logreg_accum(internal, float8, float8[], jsonb) SUPPORT buypower.training_support;
ALTER FUNCTION buypower.logreg_accum(internal, float8, float8[], text[], jsonb) SUPPORT buypower.training_support;
ALTER FUNCTION buypower.gbdt_accum(internal, boolean, float8[]) SUPPORT buypower.training_support;
ALTER FUNCTION buypower.gbdt_accum(internal, boolean, float8[], jsonb) SUPPORT buypower.training_support;
ALTER FUNCTION buypower.gbdt_accum(internal, boolean, float8[], text[], jsonb) SUPPORT buypower.training_support;
ALTER FUNCTION buypower.gbdt_accum(internal, float8, float8[]) SUPPORT buypower.training_support;
ALTER FUNCTION buypower.gbdt_accum(internal, float8, float8[], jsonb) SUPPORT buypower.training_support;
ALTER FUNCTION buypower.gbdt_accum(internal, float8, float8[], text[], jsonb) SUPPORT buypower.training_support;
ALTER FUNCTION buypower.forest_accum(internal, boolean, float8[]) SUPPORT buypower.training_support;
ALTER FUNCTION buypower.forest_accum(internal, boolean, float8[], jsonb) SUPPORT buypower.training_support;
ALTER FUNCTION buypower.forest_accum(internal, boolean, float8[], text[], jsonb) SUPPORT buypower.training_support;
ALTER FUNCTION buypower.forest_accum(internal, float8, float8[]) SUPPORT buypower.training_support;
ALTER FUNCTION buypower.forest_accum(internal, float8, float8[], jsonb) SUPPORT buypower.training_support;
ALTER FUNCTION buypower.forest_accum(internal, float8, float8[], text[], jsonb) SUPPORT buypower.training_support;

-- The learners that keep their rows (logreg, gbdt, forest) send them all to
-- the leader from a parallel worker, which on small machines is slower than
-- a serial plan: their serialize functions cost partial plans out of reach
-- unless buypower.parallel_training is on.
CREATE FUNCTION buypower.training_serialize_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'training_serialize_support' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION buypower.training_serialize_support(internal) IS
    'planner support for the row-keeping learners'' serialize functions: no parallel partial plans unless buypower.parallel_training';
ALTER FUNCTION buypower.logreg_serialize(internal) SUPPORT buypower.training_serialize_support;
ALTER FUNCTION buypower.gbdt_serialize(internal) SUPPORT buypower.training_serialize_support;
ALTER FUNCTION buypower.forest_serialize(internal) SUPPORT buypower.training_serialize_support;

/*-------------------------------------------------------------------------
 *
 * split.c
 *	  Deterministic validation splits: holdout() and fold().
 *
 * Both hash the key's value with its type's extended hash function (the
 * one hash partitioning uses), seeded with the caller's seed, so a key
 * lands in the same split on every run, every server and every plan.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/typcache.h"

#include "buypower.h"

/*
 * The key type's hash function, cached in fn_extra across calls.
 */
typedef struct SplitHashCache
{
	Oid			typid;
	FmgrInfo	hashfn;
} SplitHashCache;

/*
 * Return the seeded 64-bit hash of argument 0 (a key of any hashable type).
 */
static uint64
SplitHash(FunctionCallInfo fcinfo, int32 seed)
{
	SplitHashCache *cache = (SplitHashCache *) fcinfo->flinfo->fn_extra;
	Oid			typid = get_fn_expr_argtype(fcinfo->flinfo, 0);

	if (cache == NULL || cache->typid != typid)
	{
		TypeCacheEntry *typentry;

		typentry = lookup_type_cache(typid, TYPECACHE_HASH_EXTENDED_PROC_FINFO);
		if (!OidIsValid(typentry->hash_extended_proc))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("could not identify an extended hash function for type %s",
							format_type_be(typid)),
					 errhint("Use a key of a hashable type, such as an integer, text or uuid column.")));
		if (cache == NULL)
			cache = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt,
									   sizeof(SplitHashCache));
		fmgr_info_copy(&cache->hashfn, &typentry->hash_extended_proc_finfo,
					   fcinfo->flinfo->fn_mcxt);
		cache->typid = typid;
		fcinfo->flinfo->fn_extra = cache;
	}
	return DatumGetUInt64(FunctionCall2Coll(&cache->hashfn, PG_GET_COLLATION(),
											PG_GETARG_DATUM(0),
											Int64GetDatum((int64) seed)));
}

/*
 * Return the seed argument (argument 2), 0 if absent.
 */
static int32
GetSeed(FunctionCallInfo fcinfo)
{
	return PG_NARGS() > 2 ? PG_GETARG_INT32(2) : 0;
}

/*
 * Is the key in the holdout set?  The top 53 bits of the hash, read as a
 * uniform number u in [0, 1), select the key iff u < fraction; so
 * fraction 0 selects nothing, 1 everything, and a larger fraction with the
 * same seed selects a superset.
 */
PG_FUNCTION_INFO_V1(split_holdout);
Datum
split_holdout(PG_FUNCTION_ARGS)
{
	double		fraction = PG_GETARG_FLOAT8(1);
	double		u;

	if (isnan(fraction) || fraction < 0.0 || fraction > 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("fraction must be between 0 and 1, not %s",
						float8out_internal(fraction))));
	u = (double) (SplitHash(fcinfo, GetSeed(fcinfo)) >> 11) * (1.0 / 9007199254740992.0);
	PG_RETURN_BOOL(u < fraction);
}

/*
 * Return the key's fold, 1 .. k: the hash modulo k, plus one.  The modulo
 * bias is below k / 2^64, far under sampling noise.
 */
PG_FUNCTION_INFO_V1(split_fold);
Datum
split_fold(PG_FUNCTION_ARGS)
{
	int32		k = PG_GETARG_INT32(1);

	if (k < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of folds must be at least 2, not %d", k)));
	PG_RETURN_INT32((int32) (SplitHash(fcinfo, GetSeed(fcinfo)) % (uint64) k) + 1);
}

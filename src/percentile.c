/*-------------------------------------------------------------------------
 *
 * percentile.c
 *	  Training score distributions stored in models: percentiles and tiers
 *	  that stay put from one refresh to the next.
 *
 * A tier computed with percent_rank() over tonight's scores drifts: the same
 * user with the same score changes tier when other users change.  Instead,
 * the aggregate buypower.score_distribution(model, score) is run once over
 * the training rows, scored with the model, and returns the model with the
 * distribution of those scores attached (section MTAG_SCORE_QUANTILES, stats
 * score_n and score_mean).  buypower.percentile(model, score) then maps a
 * score to its position in that fixed distribution, and buypower.tier to a
 * label, identically on every refresh until the model is retrained.
 *
 * The section holds G = min(n, 1001) quantiles q_0 <= ... <= q_{G-1} of the
 * n training scores, q_i being the type-7 (linear interpolation, R's default)
 * quantile at i / (G - 1).  percentile() inverts that piecewise-linear
 * function; a score equal to a run of equal quantiles gets the middle of the
 * run, below q_0 it is 0 and above q_{G-1} it is 1.  For n <= 1001 the grid
 * is the sorted scores themselves, so a distinct training score gets exactly
 * its percent_rank(); for larger n the result is within 1 / (G - 1) = 0.001
 * of it (a score between two grid points is placed linearly between their
 * ranks, and the true rank lies in that same 0.001-wide interval).
 *
 * The aggregate keeps every score (8 bytes a row, under
 * buypower.max_training_memory), so it is exact and mergeable: combine
 * concatenates, and parallel plans and partial aggregation give the same
 * model as a serial run, bit for bit (the mean is summed after sorting).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/detoast.h"
#include "common/shortest_dec.h"
#include "catalog/pg_type.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "buypower.h"
#include "model.h"
#include "percentile.h"

#define DIST_GRID_POINTS	1001
#define DIST_STATE_FORMAT	1

typedef struct DistState
{
	Model	   *model;			/* detoasted copy of the group's model */
	char	   *raw;			/* the first row's datum as it arrived */
	Size		rawsize;
	int64		n;
	int64		cap;
	double	   *scores;
} DistState;

/*
 * Fetch the aggregate context or fail for a call outside an aggregate.
 */
static MemoryContext
DistAggContext(FunctionCallInfo fcinfo)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "aggregate function called in non-aggregate context");
	return aggcontext;
}

/*
 * Fail unless nrows scores fit in buypower.max_training_memory.
 */
static void
DistCheckMemory(int64 nrows)
{
	if (nrows > (int64) bp_max_training_memory * 1024 / (int64) (2 * sizeof(double)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("scores of " INT64_FORMAT " rows exceed buypower.max_training_memory (%d kB)",
						nrows, bp_max_training_memory),
				 errdetail("A score distribution keeps 8 bytes per row and needs as much again to sort them."),
				 errhint("Raise buypower.max_training_memory, or pass a sample of the training rows.")));
}

/*
 * Append n scores to the state, growing its array geometrically.
 */
static void
DistAppend(MemoryContext aggcontext, DistState *s, const double *v, int64 n)
{
	if (s->n + n > s->cap)
	{
		int64		newcap = Max(Max(s->cap * 2, 1024), s->n + n);

		DistCheckMemory(s->n + n);
		newcap = Min(newcap, (int64) bp_max_training_memory * 1024 / (int64) (2 * sizeof(double)));
		if (s->scores == NULL)
			s->scores = MemoryContextAllocHuge(aggcontext, newcap * sizeof(double));
		else
			s->scores = repalloc_huge(s->scores, newcap * sizeof(double));
		s->cap = newcap;
	}
	memcpy(s->scores + s->n, v, n * sizeof(double));
	s->n += n;
}

/*
 * Fail unless two models are the same value.
 */
static void
DistCheckSameModel(const Model *a, const Model *b)
{
	if (VARSIZE(a) != VARSIZE(b) || memcmp(a, b, VARSIZE(a)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("buypower.score_distribution needs the same model in every row of a group"),
				 errhint("Group by the model key, as in GROUP BY category.")));
}

/*
 * Create an empty state holding a copy of the model.
 */
static DistState *
DistCreate(MemoryContext aggcontext, const Model *m)
{
	DistState  *s = MemoryContextAllocZero(aggcontext, sizeof(DistState));

	s->model = MemoryContextAlloc(aggcontext, VARSIZE(m));
	memcpy(s->model, m, VARSIZE(m));
	return s;
}

PG_FUNCTION_INFO_V1(score_distribution_accum);
Datum
score_distribution_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = DistAggContext(fcinfo);
	DistState  *s = PG_ARGISNULL(0) ? NULL : (DistState *) PG_GETARG_POINTER(0);
	struct varlena *v;
	double		score;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(s);
	score = PG_GETARG_FLOAT8(2);
	if (!isfinite(score))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("score must be finite, not %s", float8out_internal(score))));

	/*
	 * The model is usually the same datum in every row (a stored TOAST
	 * pointer or the same inline bytes): compare those before detoasting.
	 */
	v = (struct varlena *) PG_GETARG_POINTER(1);
	if (s == NULL)
	{
		s = DistCreate(aggcontext, PG_GETARG_MODEL_P(1));
		if (!VARATT_IS_EXTERNAL(v) || VARATT_IS_EXTERNAL_ONDISK(v))
		{
			s->rawsize = VARSIZE_ANY(v);
			s->raw = MemoryContextAlloc(aggcontext, s->rawsize);
			memcpy(s->raw, v, s->rawsize);
		}
	}
	else if (!(s->raw && (!VARATT_IS_EXTERNAL(v) || VARATT_IS_EXTERNAL_ONDISK(v)) &&
			   VARSIZE_ANY(v) == s->rawsize && memcmp(v, s->raw, s->rawsize) == 0))
		DistCheckSameModel(s->model, PG_GETARG_MODEL_P(1));
	DistAppend(aggcontext, s, &score, 1);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(score_distribution_combine);
Datum
score_distribution_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = DistAggContext(fcinfo);
	DistState  *a = PG_ARGISNULL(0) ? NULL : (DistState *) PG_GETARG_POINTER(0);
	DistState  *b = PG_ARGISNULL(1) ? NULL : (DistState *) PG_GETARG_POINTER(1);

	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
		a = DistCreate(aggcontext, b->model);
	else
		DistCheckSameModel(a->model, b->model);
	if (b->n > 0)
		DistAppend(aggcontext, a, b->scores, b->n);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(score_distribution_serialize);
Datum
score_distribution_serialize(PG_FUNCTION_ARGS)
{
	DistState  *s = (DistState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int64		i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, DIST_STATE_FORMAT);
	pq_sendint32(&buf, VARSIZE(s->model));
	pq_sendbytes(&buf, (const char *) s->model, VARSIZE(s->model));
	pq_sendint64(&buf, s->n);
	for (i = 0; i < s->n; i++)
		pq_sendfloat8(&buf, s->scores[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Report a malformed serialized state.
 */
static void
pg_attribute_noreturn()
DistBadState(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid buypower.score_distribution state"),
			 errdetail_internal("%s", detail)));
}

PG_FUNCTION_INFO_V1(score_distribution_deserialize);
Datum
score_distribution_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcontext = DistAggContext(fcinfo);
	StringInfoData buf;
	DistState  *s;
	Model	   *m;
	int32		msize;
	int64		n,
				i;

	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	if (buf.len < 5 || pq_getmsgbyte(&buf) != DIST_STATE_FORMAT)
		DistBadState("The state is truncated or of an unknown format.");
	msize = pq_getmsgint(&buf, 4);
	if (msize < (int32) MODEL_HEADER_SIZE || msize > buf.len - buf.cursor - 8)
		DistBadState("The model length is out of range.");
	m = palloc(msize);
	memcpy(m, pq_getmsgbytes(&buf, msize), msize);
	if (VARSIZE(m) != (Size) msize)
		DistBadState("The model length is inconsistent.");
	ModelCheck(m, true, ERRCODE_INVALID_BINARY_REPRESENTATION);
	n = pq_getmsgint64(&buf);
	if (n < 0 || n != (buf.len - buf.cursor) / 8 || (buf.len - buf.cursor) % 8 != 0)
		DistBadState("The score count does not match the state's length.");
	DistCheckMemory(n);
	s = DistCreate(aggcontext, m);
	if (n > 0)
	{
		s->scores = MemoryContextAllocHuge(aggcontext, n * sizeof(double));
		s->cap = n;
	}
	for (i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		s->scores[i] = pq_getmsgfloat8(&buf);
		if (!isfinite(s->scores[i]))
			DistBadState("A score is not finite.");
	}
	s->n = n;
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(s);
}

static int
CompareDoubles(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

/*
 * Fill q[0..g-1] with type-7 quantiles of the sorted x[0..n-1].
 */
static void
DistGrid(const double *x, int64 n, double *q, int g)
{
	int			i;

	if (g == n)
	{
		memcpy(q, x, n * sizeof(double));
		return;
	}
	for (i = 0; i < g; i++)
	{
		/* h = (n - 1) i / (g - 1), split exactly into whole and fraction */
		int64		num = (n - 1) * (int64) i;
		int64		lo = num / (g - 1);
		double		frac = (double) (num % (g - 1)) / (g - 1);

		q[i] = (lo + 1 < n) ? x[lo] + frac * (x[lo + 1] - x[lo]) : x[lo];
		/* rounding must not break monotonicity */
		if (i > 0 && q[i] < q[i - 1])
			q[i] = q[i - 1];
	}
}

/*
 * Rebuild a model with its score-distribution section and statistics
 * replaced: every other section is copied unchanged.
 */
static Model *
DistAttach(const Model *m, const double *q, int g, int64 n, double mean)
{
	ModelBuilder b;
	Size		off = MODEL_HEADER_SIZE;
	int			i,
				k;

	ModelBuilderInit(&b, m->kind, m->flags, m->nfeatures);
	((Model *) b.buf.data)->version = m->version;
	for (i = 0; i < m->nsections; i++)
	{
		const ModelSection *sec = (const ModelSection *) ((const char *) m + off);
		const char *payload = (const char *) (sec + 1);
		Size		nbytes = (sec->elemtype == MODEL_ELEM_DOUBLE) ?
			sizeof(double) * (Size) sec->count : (Size) sec->count;

		off += sizeof(ModelSection) + MODEL_PAD8(nbytes);
		if (sec->tag == MTAG_SCORE_QUANTILES)
			continue;
		if (sec->tag == MTAG_STATS)
		{
			const double *st = (const double *) payload;
			double	   *ns = palloc(sizeof(double) * (sec->count + 4));
			int			nn = 0;
			bool		added = false;

			/* keep ids in increasing order, dropping this file's range */
			for (k = 0; k <= sec->count; k += 2)
			{
				if (!added && (k == sec->count || st[k] > MSTAT_SCORE_LAST))
				{
					ns[nn++] = MSTAT_SCORE_N;
					ns[nn++] = (double) n;
					ns[nn++] = MSTAT_SCORE_MEAN;
					ns[nn++] = mean;
					added = true;
				}
				if (k == sec->count)
					break;
				if (st[k] >= MSTAT_SCORE_N && st[k] <= MSTAT_SCORE_LAST)
					continue;
				ns[nn++] = st[k];
				ns[nn++] = st[k + 1];
			}
			ModelAddDoubles(&b, MTAG_STATS, ns, nn);
			continue;
		}
		if (sec->elemtype == MODEL_ELEM_DOUBLE)
			ModelAddDoubles(&b, sec->tag, (const double *) payload, sec->count);
		else
			ModelAddBytes(&b, sec->tag, payload, sec->count);
	}
	ModelAddDoubles(&b, MTAG_SCORE_QUANTILES, q, g);
	return ModelFinish(&b, ERRCODE_DATA_EXCEPTION);
}

PG_FUNCTION_INFO_V1(score_distribution_final);
Datum
score_distribution_final(PG_FUNCTION_ARGS)
{
	DistState  *s = PG_ARGISNULL(0) ? NULL : (DistState *) PG_GETARG_POINTER(0);
	double	   *sorted,
			   *q,
				sum = 0;
	int64		i;
	int			g;

	if (s == NULL || s->n == 0)
		PG_RETURN_NULL();
	/* sort a copy: the final function may run more than once per state */
	sorted = palloc_extended(s->n * sizeof(double), MCXT_ALLOC_HUGE);
	memcpy(sorted, s->scores, s->n * sizeof(double));
	qsort(sorted, s->n, sizeof(double), CompareDoubles);
	/* summed in sorted order, so the mean does not depend on row order */
	for (i = 0; i < s->n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		sum += sorted[i];
	}
	g = (int) Min(s->n, DIST_GRID_POINTS);
	q = palloc(g * sizeof(double));
	DistGrid(sorted, s->n, q, g);
	pfree(sorted);
	PG_RETURN_MODEL_P(DistAttach(s->model, q, g, s->n, sum / s->n));
}

/*
 * Check the score-distribution section for ModelCheck: NULL if it is sound,
 * else what is wrong.
 */
const char *
PercentileCheckSection(const ModelSection *sec, const double *q, bool full)
{
	int			i;

	if (sec->elemtype != MODEL_ELEM_DOUBLE || sec->count < 1 ||
		sec->count > MODEL_MAX_QUANTILES)
		return "The score-distribution section has the wrong length.";
	for (i = 0; full && i < sec->count; i++)
	{
		if (!isfinite(q[i]))
			return "A score quantile is not finite.";
		if (i > 0 && q[i] < q[i - 1])
			return "The score quantiles are not in increasing order.";
	}
	return NULL;
}

/*
 * Append the model's score quantiles as a JSON key, if it has them.
 */
void
PercentileAppendJson(StringInfo out, const Model *m)
{
	int			g,
				i;
	const double *q = ModelGetDoubles(m, MTAG_SCORE_QUANTILES, &g);
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];

	if (q == NULL)
		return;
	appendStringInfoString(out, ", \"score_quantiles\": [");
	for (i = 0; i < g; i++)
	{
		double_to_shortest_decimal_buf(q[i], buf);
		appendStringInfo(out, "%s%s", i > 0 ? ", " : "", buf);
	}
	appendStringInfoChar(out, ']');
}

/* ----------------------------------------------------------------
 * percentile and tier
 * ---------------------------------------------------------------- */

/*
 * A per-call-site cache of the model and its quantiles, as predict keeps
 * (ModelKey), so a scoring query detoasts the model once.
 */
typedef struct DistCache
{
	ModelKey	key;
	Model	   *model;
	const double *q;
	int			g;
	/* tier: the last cut-off and label arrays, as received and as parsed */
	char	   *cutraw;
	char	   *labraw;
	double	   *cuts;
	text	  **labels;
	int			ncut;
} DistCache;

static DistCache *
DistGetCache(FunctionCallInfo fcinfo)
{
	DistCache  *c = fcinfo->flinfo->fn_extra;
	struct varlena *v = (struct varlena *) PG_GETARG_POINTER(0);
	MemoryContext old;

	if (c == NULL)
		c = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(DistCache));
	if (ModelKeyMatches(&c->key, v))
		return c;

	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (c->model)
		pfree(c->model);
	if (c->key.raw)
		pfree(c->key.raw);
	c->model = NULL;
	c->model = ModelKeyLoad(&c->key, v);
	MemoryContextSwitchTo(old);
	c->q = ModelGetDoubles(c->model, MTAG_SCORE_QUANTILES, &c->g);
	if (c->q == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("model has no training score distribution"),
				 errhint("Attach one with buypower.score_distribution(model, score) over the training rows.")));
	c->key.valid = c->key.stable;
	return c;
}

/*
 * Position of score in the quantile grid q[0..g-1], as a fraction in [0, 1].
 */
static double
DistPercentile(const double *q, int g, double score)
{
	int			lo,
				hi,
				a,
				b;

	if (isnan(score))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("score must not be NaN")));
	if (score < q[0])
		return 0.0;
	if (score > q[g - 1])
		return 1.0;
	if (g == 1)
		return 0.5;

	/* a = first index with q[a] >= score */
	lo = 0, hi = g - 1;
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (q[mid] >= score)
			hi = mid;
		else
			lo = mid + 1;
	}
	a = lo;
	/* b = last index with q[b] <= score */
	lo = 0, hi = g - 1;
	while (lo < hi)
	{
		int			mid = lo + (hi - lo + 1) / 2;

		if (q[mid] <= score)
			lo = mid;
		else
			hi = mid - 1;
	}
	b = lo;
	if (a <= b)					/* score equals q[a..b]: the middle of the run */
		return (a + b) / 2.0 / (g - 1);
	/* q[b] < score < q[a], b = a - 1 */
	return (b + (score - q[b]) / (q[a] - q[b])) / (g - 1);
}

PG_FUNCTION_INFO_V1(model_percentile);
Datum
model_percentile(PG_FUNCTION_ARGS)
{
	DistCache  *c = DistGetCache(fcinfo);

	PG_RETURN_FLOAT8(DistPercentile(c->q, c->g, PG_GETARG_FLOAT8(1)));
}

/*
 * Reject tier cut-offs and labels that do not describe tiers.
 */
static void
TierCheck(ArrayType *cuts, ArrayType *labels, Datum **cutv, int *ncut,
		  Datum **labv, int *nlab)
{
	bool	   *nulls;
	int			i;

	if (ARR_NDIM(cuts) > 1 || ARR_NDIM(labels) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tier cut-offs and labels must be one-dimensional arrays")));
	deconstruct_array(cuts, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, cutv, &nulls, ncut);
	for (i = 0; i < *ncut; i++)
	{
		double		c = nulls[i] ? 0 : DatumGetFloat8((*cutv)[i]);

		if (nulls[i] || !(c > 0 && c < 1) || (i > 0 && c <= DatumGetFloat8((*cutv)[i - 1])))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("tier cut-offs must be increasing percentiles between 0 and 1"),
					 errdetail("Cut-off %d is %s.", i + 1,
							   nulls[i] ? "NULL" : float8out_internal(c))));
	}
	deconstruct_array(labels, TEXTOID, -1, false, TYPALIGN_INT, labv, &nulls, nlab);
	for (i = 0; i < *nlab; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("tier labels must not be NULL")));
	if (*nlab != *ncut + 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%d tier cut-offs need %d labels, not %d", *ncut, *ncut + 1, *nlab),
				 errhint("Labels go from the lowest tier to the highest.")));
}

/*
 * Return true if the array equals the copy kept in *raw; else replace the
 * copy (in fn_mcxt) and return false.
 */
static bool
TierSameArray(FunctionCallInfo fcinfo, ArrayType *a, char **raw)
{
	if (*raw && VARSIZE(*raw) == VARSIZE(a) && memcmp(*raw, a, VARSIZE(a)) == 0)
		return true;
	if (*raw)
		pfree(*raw);
	*raw = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, VARSIZE(a));
	memcpy(*raw, a, VARSIZE(a));
	return false;
}

/*
 * Check and parse the cut-offs and labels, once per distinct pair: a
 * scoring query passes the same constants on every row.
 */
static void
TierParse(FunctionCallInfo fcinfo, DistCache *c)
{
	ArrayType  *cuts = PG_GETARG_ARRAYTYPE_P(2);
	ArrayType  *labels = PG_GETARG_ARRAYTYPE_P(3);
	bool		same_cuts = TierSameArray(fcinfo, cuts, &c->cutraw);
	bool		same_labels = TierSameArray(fcinfo, labels, &c->labraw);
	Datum	   *cutv,
			   *labv;
	int			nlab,
				i;
	MemoryContext old;

	if (same_cuts && same_labels && c->cuts)
		return;
	/* drop the old parse first, so that a failed check leaves nothing stale */
	if (c->cuts)
	{
		pfree(c->cuts);
		for (i = 0; c->labels[i] != NULL; i++)
			pfree(c->labels[i]);
		pfree(c->labels);
		c->cuts = NULL;
		c->labels = NULL;
	}
	TierCheck(cuts, labels, &cutv, &c->ncut, &labv, &nlab);
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	c->cuts = palloc(sizeof(double) * (c->ncut + 1));
	c->labels = palloc0(sizeof(text *) * (nlab + 1));
	for (i = 0; i < c->ncut; i++)
		c->cuts[i] = DatumGetFloat8(cutv[i]);
	for (i = 0; i < nlab; i++)
		c->labels[i] = DatumGetTextPCopy(labv[i]);
	MemoryContextSwitchTo(old);
}

PG_FUNCTION_INFO_V1(model_tier);
Datum
model_tier(PG_FUNCTION_ARGS)
{
	DistCache  *c = DistGetCache(fcinfo);
	double		p = DistPercentile(c->q, c->g, PG_GETARG_FLOAT8(1));
	int			k = 0;

	TierParse(fcinfo, c);
	while (k < c->ncut && p >= c->cuts[k])
		k++;
	/* a copy: the cached label may be freed while the result is still in use */
	PG_RETURN_TEXT_P(DatumGetTextPCopy(PointerGetDatum(c->labels[k])));
}

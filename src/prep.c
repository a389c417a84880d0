/*-------------------------------------------------------------------------
 *
 * prep.c
 *	  Preprocessing learned in the training pass: options, the mergeable
 *	  training state, and the learning of a Prep at the end (see prep.h).
 *
 * Two ways to collect rows.
 *
 * Streaming: when there are no categorical features, no missing
 * indicators, no scaling, no clipping and no median imputation, a row
 * without NULLs needs nothing learned first and goes straight to the
 * learner (linreg folds it into its QR at once).  Only rows with a NULL
 * are buffered, to be imputed at the end with the mean of the observed
 * values, which is kept as a shifted sum (mergeable: see PrepMerge).
 *
 * Buffering: otherwise every row is kept (numeric values with NaN for
 * NULL, categories as vocabulary ids), in blocks bounded by
 * buypower.max_training_memory, and the parameters are computed exactly
 * at the end: means and standard deviations by two passes, quantiles
 * (median, quartiles) exactly by selection, type 7 interpolation as
 * numpy's default and scikit-learn's RobustScaler.  No sketch, so no
 * approximation error: the price is the buffer, 8 (1 + p + c) bytes a row.
 *
 * Order of operations per numeric feature: impute, clip, scale.  Clip
 * bounds come from the observed values; scaling parameters from the
 * imputed and clipped values of all rows (as a scikit-learn Pipeline of
 * SimpleImputer, clipping and StandardScaler/RobustScaler would fit them).
 *
 * Categorical vocabularies are exact counts (vocab.c), merged by adding
 * counts, so parallel and serial runs learn the same levels.
 *
 * Replay.  PrepFinish builds a fresh learner in a copy of the state, moves
 * the streamed part into it with the learner's merge, and feeds it every
 * buffered row through PrepApplyRow: the state itself is left unchanged,
 * so the final function may run more than once.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/tupmacs.h"
#include "catalog/pg_type.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "aggstate.h"
#include "prep.h"
#include "vecmath.h"
#include "worker.h"

#define PREP_IQR_K			1.5
#define PREP_ZSCORE_K		3.0
#define PREP_MAX_MAX_CATEGORIES 1000

static const char *const impute_names[] = {
	[PREP_IMPUTE_MEAN] = "mean",
	[PREP_IMPUTE_MEDIAN] = "median",
	[PREP_IMPUTE_ZERO] = "zero",
	[PREP_IMPUTE_ERROR] = "error",
};

/* ----------------------------------------------------------------
 * options
 * ---------------------------------------------------------------- */

/*
 * Fill in the defaults: mean imputation, default scaling, no clipping.
 */
void
PrepOptionsDefaults(PrepOptions *o)
{
	memset(o, 0, sizeof(*o));
	o->impute = PREP_IMPUTE_MEAN;
	o->scale = PREP_SCALE_DEFAULT;
	o->clip = PREP_CLIP_NONE;
	o->max_categories = PREP_DEFAULT_MAX_CATEGORIES;
}

/*
 * Is JSON value v the string s?
 */
static bool
JsonIs(JsonbValue *v, const char *s)
{
	return v->type == jbvString && v->val.string.len == strlen(s) &&
		strncmp(v->val.string.val, s, v->val.string.len) == 0;
}

/*
 * Read one imputation method name, 0 if it is none.
 */
static int
ImputeMethod(JsonbValue *v)
{
	int			i;

	for (i = 1; i < lengthof(impute_names); i++)
		if (JsonIs(v, impute_names[i]))
			return i;
	return 0;
}

/*
 * Read a JSON number.
 */
static double
JsonNumber(JsonbValue *v)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8,
											  NumericGetDatum(v->val.numeric)));
}

/*
 * Read "impute": one method, or an array with one method per numeric feature.
 */
static void
OptImpute(const char *learner, JsonbValue *v, PrepOptions *o)
{
	const char *expect = "\"mean\", \"median\", \"zero\", \"error\", or an array of these with one entry per numeric feature";
	JsonbContainer *c;
	int			i;

	if (v->type == jbvString)
	{
		if ((o->impute = ImputeMethod(v)) == 0)
			BpBadOption(learner, "impute", expect);
		return;
	}
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data) ||
		JsonContainerIsScalar(v->val.binary.data))
		BpBadOption(learner, "impute", expect);
	c = v->val.binary.data;
	o->nimpute = JsonContainerSize(c);
	if (o->nimpute < 1 || o->nimpute > BP_MAX_FEATURES)
		BpBadOption(learner, "impute", expect);
	for (i = 0; i < o->nimpute; i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(c, i);

		if ((o->impute_per[i] = ImputeMethod(e)) == 0)
			BpBadOption(learner, "impute", expect);
	}
}

/*
 * Apply one option key if it is a preprocessing option; false if not.
 */
bool
PrepParseOption(const char *learner, const char *key, JsonbValue *v,
				PrepOptions *o)
{
	double		x;

	if (strcmp(key, "impute") == 0)
		OptImpute(learner, v, o);
	else if (strcmp(key, "missing_indicators") == 0)
	{
		if (v->type != jbvBool)
			BpBadOption(learner, key, "true or false");
		o->missing_indicators = v->val.boolean;
	}
	else if (strcmp(key, "scale") == 0)
	{
		if (JsonIs(v, "none"))
			o->scale = PREP_SCALE_NONE;
		else if (JsonIs(v, "standard"))
			o->scale = PREP_SCALE_STANDARD;
		else if (JsonIs(v, "robust"))
			o->scale = PREP_SCALE_ROBUST;
		else
			BpBadOption(learner, key, "\"none\", \"standard\" or \"robust\"");
	}
	else if (strcmp(key, "clip") == 0)
	{
		if (JsonIs(v, "none"))
			o->clip = PREP_CLIP_NONE;
		else if (JsonIs(v, "iqr"))
			o->clip = PREP_CLIP_IQR;
		else if (JsonIs(v, "zscore"))
			o->clip = PREP_CLIP_ZSCORE;
		else
			BpBadOption(learner, key, "\"none\", \"iqr\" or \"zscore\"");
	}
	else if (strcmp(key, "clip_k") == 0)
	{
		x = v->type == jbvNumeric ? JsonNumber(v) : 0;
		if (!(x > 0) || isinf(x))
			BpBadOption(learner, key, "a finite number > 0");
		o->clip_k = x;
	}
	else if (strcmp(key, "max_categories") == 0)
	{
		x = v->type == jbvNumeric ? JsonNumber(v) : 0;
		if (x != floor(x) || x < 1 || x > PREP_MAX_MAX_CATEGORIES)
			BpBadOption(learner, key, psprintf("an integer from 1 to %d", PREP_MAX_MAX_CATEGORIES));
		o->max_categories = (int32) x;
	}
	else
		return false;
	return true;
}

/*
 * Write the options for a parallel worker's state.
 */
void
PrepOptionsSerialize(const PrepOptions *o, StringInfo buf)
{
	pq_sendbyte(buf, o->impute);
	pq_sendbyte(buf, o->missing_indicators);
	pq_sendbyte(buf, o->scale);
	pq_sendbyte(buf, o->clip);
	pq_sendfloat8(buf, o->clip_k);
	pq_sendint32(buf, o->max_categories);
	pq_sendint32(buf, o->nimpute);
	pq_sendbytes(buf, (const char *) o->impute_per, o->nimpute);
}

/*
 * Report a serialized state that does not hold together.
 */
static void
pg_attribute_noreturn()
PrepBadState(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid serialized preprocessing state")));
}

/*
 * Read what PrepOptionsSerialize wrote.
 */
void
PrepOptionsDeserialize(PrepOptions *o, StringInfo buf)
{
	int			i;

	if (buf->len - buf->cursor < 20)
		PrepBadState();
	o->impute = pq_getmsgbyte(buf);
	o->missing_indicators = pq_getmsgbyte(buf) != 0;
	o->scale = pq_getmsgbyte(buf);
	o->clip = pq_getmsgbyte(buf);
	o->clip_k = pq_getmsgfloat8(buf);
	o->max_categories = pq_getmsgint(buf, 4);
	o->nimpute = pq_getmsgint(buf, 4);
	if (o->nimpute < 0 || o->nimpute > BP_MAX_FEATURES ||
		o->nimpute > buf->len - buf->cursor ||
		o->impute < PREP_IMPUTE_MEAN || o->impute > PREP_IMPUTE_ERROR ||
		o->scale > PREP_SCALE_ROBUST || o->clip > PREP_CLIP_ZSCORE ||
		o->max_categories < 1 || o->max_categories > PREP_MAX_MAX_CATEGORIES)
		PrepBadState();
	pq_copymsgbytes(buf, (char *) o->impute_per, o->nimpute);
	for (i = 0; i < o->nimpute; i++)
		if (o->impute_per[i] < PREP_IMPUTE_MEAN || o->impute_per[i] > PREP_IMPUTE_ERROR)
			PrepBadState();
}

/*
 * Imputation method of numeric feature j.
 */
static inline int
ImputeOf(const PrepOptions *o, int j)
{
	return o->nimpute > 0 ? o->impute_per[j] : o->impute;
}

/* ----------------------------------------------------------------
 * training state
 * ---------------------------------------------------------------- */

/*
 * Create the preprocessing state on a group's first row (or when a
 * combine meets its first state), in the aggregate context, once the
 * widths are known.  In streaming mode the learner starts now too.
 */
void
PrepStart(BpAggState *s, int nnum, int ncat)
{
	PrepState  *ps = palloc0(sizeof(PrepState));
	PrepOptions *o = &s->opts.prep;
	int			j;

	if (s->opts.nnames > 0 && s->opts.nnames != nnum + ncat && ncat == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s option \"names\" has %d names, but there are %d features",
						s->ops->name, s->opts.nnames, nnum)));
	if (s->opts.nnames > 0 && s->opts.nnames != nnum + ncat)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s option \"names\" has %d names, but there are %d numeric and categorical features",
						s->ops->name, s->opts.nnames, nnum + ncat),
				 errhint("Name the numeric features first, then the categorical ones.")));
	if (o->nimpute > 0 && o->nimpute != nnum)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s option \"impute\" has %d entries, but there are %d numeric features",
						s->ops->name, o->nimpute, nnum)));
	ps->nnum = nnum;
	ps->ncat = ncat;
	ps->w = 1 + nnum + ncat;
	RowStoreInit(&ps->rows, ps->w, GetMemoryChunkContext(ps));
	ps->scale = o->scale;
	if (ps->scale == PREP_SCALE_DEFAULT)
		ps->scale = s->opts.l2 > 0 ? PREP_SCALE_STANDARD : PREP_SCALE_NONE;
	ps->buffer_all = ncat > 0 || o->missing_indicators ||
		(ps->scale != PREP_SCALE_NONE && ps->scale != PREP_SCALE_STANDARD) ||
		o->clip != PREP_CLIP_NONE;
	for (j = 0; j < nnum; j++)
	{
		ps->buffer_all |= ImputeOf(o, j) == PREP_IMPUTE_MEDIAN;
		ps->need_mean |= ImputeOf(o, j) == PREP_IMPUTE_MEAN;
	}

	/*
	 * Standard scaling alone streams when the learner can give the moments
	 * of what it has seen and move to the scaled design at the end (linreg,
	 * ridge's default): see PrepStreamStandard.
	 */
	if (ps->scale == PREP_SCALE_STANDARD)
	{
		bool		can = s->opts.intercept && nnum > 0 &&
			s->ops->moments != NULL && s->ops->rescale != NULL;

		if (!ps->buffer_all)
		{
			ps->stream_std = can;
			ps->buffer_all = !can;
		}
		else
			ps->late_std = can;
	}
	/* buffering: the observed counts and means are summed as rows arrive too */
	ps->need_mean |= ps->buffer_all && nnum > 0;

	/*
	 * Streaming with an intercept, a learner that can give its moments
	 * (linreg) knows the mean of every feature over the rows it was given,
	 * so only the kept rows need sums of their own: see LearnFeature.
	 */
	ps->mean_from_learner = ps->need_mean && !ps->buffer_all &&
		s->opts.intercept && s->ops->moments != NULL;
	if (ps->need_mean)
	{
		ps->nobs = palloc0(sizeof(int64) * nnum);
		ps->shift = palloc0(sizeof(double) * nnum);
		ps->sumdev = palloc0(sizeof(double) * nnum);
	}
	ps->vocab = palloc0(sizeof(Vocab *) * (ncat + 1));
	for (j = 0; j < ncat; j++)
		ps->vocab[j] = VocabCreate();
	ps->row = palloc(sizeof(double) * ps->w);
	ps->xbuf = palloc(sizeof(double) * (nnum + 1));
	s->prep = ps;
	if (!ps->buffer_all)
		BpStartLearner(s, nnum);
}

/*
 * Report that the buffered rows exceed buypower.max_training_memory.
 */
static void
pg_attribute_noreturn()
PrepTooMuchData(const BpAggState *s)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("%s training data exceeds buypower.max_training_memory (%d kB)",
					s->ops->name, bp_max_training_memory),
			 errdetail("Categorical features, scaling (except standard scaling for linreg), clipping, median imputation and missing indicators keep the training rows (and the categorical values seen) in memory until the end."),
			 errhint("Raise buypower.max_training_memory, or train on a sample of the table (TABLESAMPLE).")));
}

/*
 * Count a vocabulary's growth against buypower.max_training_memory, with
 * the buffered rows: a categorical column of long distinct values must hit
 * the limit, not the machine's memory.
 */
static void
PrepCountVocab(const BpAggState *s, PrepState *ps, Size grown)
{
	ps->vocab_bytes += grown;
	if (ps->rows.bytes + ps->vocab_bytes > (Size) bp_max_training_memory * 1024)
		PrepTooMuchData(s);
}

/*
 * Append nrows rows of ps->w doubles, copying them.
 */
static void
PrepAppendRows(const BpAggState *s, PrepState *ps, const double *rows, int64 nrows)
{
	Size		limit = (Size) bp_max_training_memory * 1024;

	if (!RowStoreAppend(&ps->rows, rows, nrows, limit - Min(limit, ps->vocab_bytes)))
		PrepTooMuchData(s);
}

/*
 * Count the elements of a categorical text[] (one-dimensional).
 */
int
PrepCountCategorical(ArrayType *cats)
{
	int			n;

	if (ARR_NDIM(cats) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("categorical feature array must be one-dimensional, not %d-dimensional",
						ARR_NDIM(cats))));
	n = ArrayGetNItems(ARR_NDIM(cats), ARR_DIMS(cats));
	if (n > PREP_MAX_CATEGORICAL)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("categorical feature array has %d elements, more than the limit of %d",
						n, PREP_MAX_CATEGORICAL)));
	return n;
}

/*
 * Point values[i], lens[i] at the bytes of each element of a text[] of
 * ncat elements; values[i] = NULL for a NULL element.  No copies.
 */
void
PrepCategoricalValues(ArrayType *cats, int ncat, const char **values, int *lens)
{
	char	   *p = ARR_DATA_PTR(cats);
	bits8	   *bitmap = ARR_NULLBITMAP(cats);
	int			i;

	for (i = 0; i < ncat; i++)
	{
		if (bitmap && (bitmap[i / 8] & (1 << (i % 8))) == 0)
		{
			values[i] = NULL;
			lens[i] = 0;
			continue;
		}
		values[i] = VARDATA_ANY(p);
		lens[i] = VARSIZE_ANY_EXHDR(p);
		p = att_addlength_pointer(p, -1, p);
		p = (char *) att_align_nominal(p, TYPALIGN_INT);
	}
}

/*
 * Add the rows counted once (nclean) to every feature's observed count, so
 * that nobs is complete: before nobs is merged, sent or read.
 */
static void
PrepSyncCounts(PrepState *ps)
{
	int			j;

	if (ps->nclean == 0)
		return;
	for (j = 0; j < ps->nnum; j++)
		ps->nobs[j] += ps->nclean;
	ps->nclean = 0;
}

/*
 * Two doubles side by side, an SSE2 register (see BpV4 in linalg.h).
 */
#if defined(__GNUC__)
#define PREP_V2 1
typedef double PrepV2 __attribute__((vector_size(16), aligned(8), may_alias));
#define LOADV2(p)		(*(const PrepV2 *) (p))
#define STOREV2(p, v)	(*(PrepV2 *) (p) = (v))
#endif

/*
 * Add a row without NULLs to the running sums, once every feature has its
 * shift (all_shifted): no branch per feature, counted once; through
 * restrict pointers, so the loop does not reload the state's fields after
 * every store; two features at a time in SSE2's vectors, lane by lane the
 * scalar operations, so the same sums in the same order.
 */
static inline void
PrepSumClean(PrepState *ps, const double *x)
{
	double	   *restrict sumdev = ps->sumdev;
	const double *restrict shift = ps->shift;
	const int	nnum = ps->nnum;
	int			j = 0;

#ifdef PREP_V2
	for (; j + 2 <= nnum; j += 2)
		STOREV2(sumdev + j, LOADV2(sumdev + j) + (LOADV2(x + j) - LOADV2(shift + j)));
#endif
	for (; j < nnum; j++)
		sumdev[j] += x[j] - shift[j];
	ps->nclean++;
}

/*
 * The short way of PrepAccum for a row without NULLs when PrepCleanRowOk
 * (the drivers' common row): the running sums if any, then on to the
 * learner.  Runs in the aggregate context.
 */
void
PrepAccumClean(BpAggState *s, double y, const double *x)
{
	PrepState  *ps = s->prep;

	Assert(PrepCleanRowOk(ps));
	if (ps->need_mean && !ps->mean_from_learner)
		PrepSumClean(ps, x);
	s->ops->accum(s, y, x);
	s->n++;
}

/*
 * Take one checked row: x has nnum values, NaN where the input was NULL
 * (hasnull says whether any is); cvalues[j] and clens[j] are the bytes of
 * categorical slot j (NULL for a NULL), unused without categorical slots.
 * Runs in the aggregate context.
 */
void
PrepAccum(BpAggState *s, double y, const double *x, bool hasnull,
		  const char *const *cvalues, const int *clens)
{
	PrepState  *ps = s->prep;
	double	   *row;
	int			j;

	if (hasnull)
		for (j = 0; j < ps->nnum; j++)
			if (isnan(x[j]) && ImputeOf(&s->opts.prep, j) == PREP_IMPUTE_ERROR)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("%s feature %d is null", s->ops->name, j + 1),
						 errdetail("The \"impute\" option for this feature is \"error\"."),
						 errhint("Choose \"mean\", \"median\" or \"zero\" imputation, or filter out rows with missing features.")));
	if (!ps->need_mean || (ps->mean_from_learner && !hasnull))
		;						/* no sums needed */
	else if (!hasnull && ps->all_shifted)
		PrepSumClean(ps, x);
	else
	{
		bool		all = true;

		for (j = 0; j < ps->nnum; j++)
		{
			if (isnan(x[j]))
			{
				all &= ps->nobs[j] > 0;
				continue;
			}
			if (ps->nobs[j]++ == 0)
				ps->shift[j] = x[j];
			ps->sumdev[j] += x[j] - ps->shift[j];
		}
		ps->all_shifted = all;
	}
	if (!ps->buffer_all && !hasnull)
	{
		s->ops->accum(s, y, x);
		s->n++;
		return;
	}
	/* straight into the buffer (an ERROR below discards the whole state) */
	{
		Size		limit = (Size) bp_max_training_memory * 1024;

		row = RowStoreNextRow(&ps->rows, limit - Min(limit, ps->vocab_bytes));
		if (row == NULL)
			PrepTooMuchData(s);
	}
	row[0] = y;
	memcpy(row + 1, x, sizeof(double) * ps->nnum);
	if (ps->ncat > 0)
	{
		for (j = 0; j < ps->ncat; j++)
		{
			if (cvalues[j] == NULL)
			{
				ps->vocab[j]->nnull++;
				row[1 + ps->nnum + j] = -1;
			}
			else
			{
				Vocab	   *v = ps->vocab[j];
				Size		before = v->bytes;

				row[1 + ps->nnum + j] = VocabAdd(v, cvalues[j], clens[j], 1, j + 1);
				if (v->bytes != before)
					PrepCountVocab(s, ps, v->bytes - before);
			}
		}
	}
}

/*
 * Fold src's preprocessing state into dst's (same widths, same options):
 * vocabularies by counts, buffered rows copied with their ids translated,
 * streaming sums moved to dst's shift.
 */
void
PrepMerge(BpAggState *dst, BpAggState *src)
{
	PrepState  *D = dst->prep;
	PrepState  *S = src->prep;
	int32	  **remap = palloc0(sizeof(int32 *) * (S->ncat + 1));
	RowBlock   *b;
	int			j;

	if (D->buffer_all != S->buffer_all)
		elog(ERROR, "cannot merge preprocessing states collected in different modes");
	for (j = 0; j < S->ncat; j++)
	{
		Size		before = D->vocab[j]->bytes;

		remap[j] = palloc(sizeof(int32) * (S->vocab[j]->n + 1));
		VocabMerge(D->vocab[j], S->vocab[j], remap[j], j + 1);
		PrepCountVocab(dst, D, D->vocab[j]->bytes - before);
	}
	PrepSyncCounts(D);
	PrepSyncCounts(S);
	if (D->need_mean)
		for (j = 0; j < D->nnum; j++)
		{
			if (S->nobs[j] == 0)
				continue;
			if (D->nobs[j] == 0)
				D->shift[j] = S->shift[j];
			D->sumdev[j] += S->sumdev[j] + (double) S->nobs[j] * (S->shift[j] - D->shift[j]);
			D->nobs[j] += S->nobs[j];
		}
	for (b = S->rows.head; b != NULL; b = b->next)
	{
		int64		r;

		CHECK_FOR_INTERRUPTS();
		if (S->ncat == 0)
		{
			PrepAppendRows(dst, D, b->data, b->nrows);
			continue;
		}
		for (r = 0; r < b->nrows; r++)
		{
			const double *row = b->data + r * S->w;

			memcpy(D->row, row, sizeof(double) * S->w);
			for (j = 0; j < S->ncat; j++)
			{
				double		id = row[1 + S->nnum + j];

				if (id >= 0)
					D->row[1 + S->nnum + j] = remap[j][(int32) id];
			}
			PrepAppendRows(dst, D, D->row, 1);
		}
	}
	for (j = 0; j < S->ncat; j++)
		pfree(remap[j]);
	pfree(remap);
}

/*
 * Write widths, mode, streaming sums, vocabularies, then the rows.
 */
void
PrepSerialize(BpAggState *s, StringInfo buf)
{
	PrepState  *ps = s->prep;
	RowBlock   *b;
	int			j;
	double		bytes = (double) buf->len + 8.0 * ps->w * (double) ps->rows.nrows;

	if (bytes > (double) (MaxAllocSize - VARHDRSZ - 1024))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s aggregate state of a parallel worker is too large to send to the leader",
						s->ops->name),
				 errhint("Run SET max_parallel_workers_per_gather = 0 before training.")));
	pq_sendint32(buf, ps->nnum);
	pq_sendint32(buf, ps->ncat);
	pq_sendbyte(buf, ps->buffer_all);
	pq_sendbyte(buf, ps->need_mean);
	PrepSyncCounts(ps);
	if (ps->need_mean)
		for (j = 0; j < ps->nnum; j++)
		{
			pq_sendint64(buf, ps->nobs[j]);
			pq_sendfloat8(buf, ps->shift[j]);
			pq_sendfloat8(buf, ps->sumdev[j]);
		}
	for (j = 0; j < ps->ncat; j++)
		VocabSerialize(ps->vocab[j], buf);
	pq_sendint64(buf, ps->rows.nrows);
	enlargeStringInfo(buf, (int) (8 * ps->w * ps->rows.nrows));
	for (b = ps->rows.head; b != NULL; b = b->next)
	{
		int64		i;

		for (i = 0; i < b->nrows * ps->w; i++)
		{
			union
			{
				double		d;
				uint64		u;
			}			v;

			v.d = b->data[i];
			pq_writeint64(buf, v.u);
		}
	}
}

/*
 * Read what PrepSerialize wrote into a state whose options are known,
 * checking every length and id before trusting it.
 */
void
PrepDeserialize(BpAggState *s, StringInfo buf)
{
	int			nnum,
				ncat,
				j;
	int64		nrows,
				r;
	PrepState  *ps;
	bool		buffer_all,
				need_mean;

	if (buf->len - buf->cursor < 10)
		PrepBadState();
	nnum = pq_getmsgint(buf, 4);
	ncat = pq_getmsgint(buf, 4);
	buffer_all = pq_getmsgbyte(buf) != 0;
	need_mean = pq_getmsgbyte(buf) != 0;
	if (nnum < 0 || nnum > BP_MAX_FEATURES || ncat < 0 || ncat > PREP_MAX_CATEGORICAL ||
		(s->opts.nnames > 0 && s->opts.nnames != nnum + ncat) ||
		(s->opts.prep.nimpute > 0 && s->opts.prep.nimpute != nnum))
		PrepBadState();
	PrepStart(s, nnum, ncat);
	ps = s->prep;
	if (ps->buffer_all != buffer_all || ps->need_mean != need_mean)
		PrepBadState();
	if (need_mean)
	{
		if (buf->len - buf->cursor < 24 * nnum)
			PrepBadState();
		for (j = 0; j < nnum; j++)
		{
			ps->nobs[j] = pq_getmsgint64(buf);
			ps->shift[j] = pq_getmsgfloat8(buf);
			ps->sumdev[j] = pq_getmsgfloat8(buf);
			if (ps->nobs[j] < 0)
				PrepBadState();
		}
	}
	for (j = 0; j < ncat; j++)
		ps->vocab[j] = VocabDeserialize(buf, j + 1);
	if (buf->len - buf->cursor < 8)
		PrepBadState();
	nrows = pq_getmsgint64(buf);
	if (nrows < 0 || (double) nrows * ps->w * 8.0 > (double) (buf->len - buf->cursor))
		PrepBadState();
	for (r = 0; r < nrows; r++)
	{
		for (j = 0; j < ps->w; j++)
		{
			uint64		u;

			memcpy(&u, buf->data + buf->cursor, 8);
			u = pg_ntoh64(u);
			memcpy(&ps->row[j], &u, 8);
			buf->cursor += 8;
		}
		for (j = 0; j < ncat; j++)
		{
			double		id = ps->row[1 + nnum + j];

			if (!(id >= -1 && id < ps->vocab[j]->n && id == floor(id)))
				PrepBadState();
		}
		PrepAppendRows(s, ps, ps->row, 1);
	}
}

/* ----------------------------------------------------------------
 * learning the parameters
 * ---------------------------------------------------------------- */

/*
 * Return the k-th smallest of v[0..n-1] (0-based), partially reordering
 * v: Hoare's selection with a median-of-three pivot, O(n) expected.
 * Calls nothing of PostgreSQL's: the BpWorkerFns PivotRun and SelectRun
 * use it.
 */
static double
SelectKth(double *v, int64 n, int64 k)
{
	int64		lo = 0,
				hi = n - 1;

	while (hi > lo)
	{
		int64		i = lo,
					j = hi,
					mid = lo + (hi - lo) / 2;
		double		a = v[lo],
					b = v[mid],
					c = v[hi],
					pivot = (a < b) ? ((b < c) ? b : (a < c ? c : a)) :
			((a < c) ? a : (b < c ? c : b));

		while (i <= j)
		{
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j)
			{
				double		t = v[i];

				v[i] = v[j];
				v[j] = t;
				i++;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return v[k];
}

/*
 * A value imputed (NaN: fill) and clipped to [lower, upper], as training
 * statistics, the replay and scoring all see it; written with selects, so
 * that loops over rows with NULLs or outliers at random do not mispredict.
 */
static inline double
ImputeClip(double v, double fill, double lower, double upper)
{
	v = isnan(v) ? fill : v;
	return v < lower ? lower : (v > upper ? upper : v);
}

/*
 * Value of numeric feature j in a buffered row as the statistics see it:
 * observed (NaN if missing) when f is NULL, else imputed and clipped by f.
 */
static inline double
RowValue(const double *row, int j, const PrepFeature *f)
{
	double		x = row[1 + j];

	if (f == NULL)
		return x;
	return ImputeClip(x, f->fill, f->lower, f->upper);
}

/*
 * Exact quantiles of buffered columns, a few passes over the rows in all.
 *
 * For every column j with nq[j] > 0 and its quantiles q[j][t] (type 7
 * interpolation between order statistics k and k + 1, as numpy's default
 * and PostgreSQL's percentile_cont), a systematic sample of about
 * PREP_SAMPLE rows gives two pivots that bracket rank k with a wide
 * margin.  One pass over the rows counts, per bracket, the values below
 * it and copies those inside it; the order statistics are then selected
 * among the copies.  A bracket that misses (possible only for adversarial
 * row orders) is redone by a selection on the whole column: the result is
 * exact either way.  f[j] NULL: observed values; else imputed + clipped.
 */
#define PREP_SAMPLE		32768
#define PREP_SIGMAS		6.0			/* bracket half-width, in sd of a rank */
#define PREP_SLACK		16			/* and this many sample ranks more */
#define PREP_MAXQ		3
#define PREP_CHUNK		256			/* rows per cache-resident chunk */
#define PREP_PAIR_MIN	8192		/* rows of a block worth the helper */
#define PREP_ROUND		32768		/* rows per half of a round of a pass */

typedef struct QBracket
{
	int64		k;				/* order statistic sought (and k + 1) */
	double		h;				/* its fractional rank */
	double		lo,
				hi;
	int64		below;			/* values below lo */
	int64		nw;				/* values inside [lo, hi] */
	int64		cap;			/* room for copies: cap + 2 doubles at w */
	double	   *w;
	/* the two halves of the pass: their counts, their part of w */
	int64		hbelow[2];
	int64		hnw[2];
	int64		hcap[2];		/* half 0: w[0..hcap[0]], half 1 after it */
} QBracket;

/*
 * Copy column j (observed values only, or all transformed) into a new array.
 */
static double *
GatherColumn(const PrepState *ps, int j, const PrepFeature *f, int64 *n)
{
	double	   *v = palloc_extended(sizeof(double) * (Size) (ps->rows.nrows + 1), MCXT_ALLOC_HUGE);
	RowBlock   *b;

	*n = 0;
	for (b = ps->rows.head; b != NULL; b = b->next)
		for (int64 r = 0; r < b->nrows; r++)
		{
			double		x = RowValue(b->data + r * ps->w, j, f);

			if (!isnan(x))
				v[(*n)++] = x;
		}
	return v;
}

/*
 * Rows r0..r1-1 of one block, as half h of the pass: for each bracket,
 * count the values below it and copy those inside it into the half's part
 * of w.  The brackets are narrow (a few per cent of the values fall
 * inside), so the copy is a branch that is rarely taken; past its room a
 * half's copies pile up in its spare last slot and hnw says so.  A NaN
 * (missing, f NULL) compares false both ways: neither below nor inside.
 * The rows go by in chunks small enough to stay in cache, each bracket
 * running down a chunk's column with its counters in registers.  A
 * BpWorkerFn (worker.h): plain arithmetic on the caller's arrays, nothing
 * of PostgreSQL's; the two halves write disjoint counters and parts of w.
 */
typedef struct BracketJob
{
	const PrepState *ps;
	const RowBlock *b;
	int64		r0,
				r1;
	int			h;
	const int  *nq;
	const PrepFeature *const *f;
	QBracket	(*qb)[PREP_MAXQ];
	bool		avx;			/* BracketAddAvx may run */
} BracketJob;

/*
 * v, hidden from the optimiser: a condition built from two comparisons
 * stays one test of a flag computed without branches (each comparison
 * alone is an unpredictable branch; their conjunction is rarely true).
 */
static inline int
Opaque(int v)
{
#ifdef __GNUC__
	__asm__("" : "+r"(v));
#endif
	return v;
}

/*
 * Bracket B's counters and copies for half h: the values below it are
 * counted, those inside it copied to the half's part of w (past its room,
 * into the spare last slot, and nw says so).
 */
typedef struct BracketHalf
{
	double		lo,
				hi;
	double	   *w;
	int64		cap;
	int64		nw;
	int64		below;
} BracketHalf;

static inline void
BracketHalfStart(BracketHalf *bh, const QBracket *B, int h)
{
	bh->lo = B->lo;
	bh->hi = B->hi;
	bh->w = B->w + (h == 0 ? 0 : B->hcap[0] + 1);
	bh->cap = B->hcap[h];
	bh->nw = B->hnw[h];
	bh->below = B->hbelow[h];
}

static inline void
BracketHalfEnd(const BracketHalf *bh, QBracket *B, int h)
{
	B->hnw[h] = bh->nw;
	B->hbelow[h] = bh->below;
}

static pg_attribute_always_inline void
BracketHalfCopy(BracketHalf *bh, double x)
{
	bh->w[bh->nw < bh->cap ? bh->nw : bh->cap] = x;
	bh->nw++;
}

/* value x, one at a time */
static pg_attribute_always_inline void
BracketHalfAdd(BracketHalf *bh, double x)
{
	bh->below += (x < bh->lo);
	if (unlikely(Opaque((x >= bh->lo) & (x <= bh->hi))))
		BracketHalfCopy(bh, x);
}

/*
 * Count and copy the values xs[0..n-1] for bracket B, as half h: four at a
 * time in vectors (vecmath.h), the copies in the scalar order, so the
 * counts and the copy array are the scalar loop's.
 */
static void
BracketAdd(QBracket *B, int h, const double *xs, int64 n)
{
	BracketHalf bh;
	const v4df	lov = {B->lo, B->lo, B->lo, B->lo};
	const v4df	hiv = {B->hi, B->hi, B->hi, B->hi};
	v4di		cnt = {0, 0, 0, 0};
	int64		r;

	BracketHalfStart(&bh, B, h);
	for (r = 0; r + 4 <= n; r += 4)
	{
		v4df		x;
		v4di		in;

		memcpy(&x, xs + r, sizeof(x));
		cnt -= (x < lov);		/* a true lane is -1 */
		in = (x >= lov) & (x <= hiv);
		if (unlikely((in[0] | in[1] | in[2] | in[3]) != 0))
			for (int k = 0; k < 4; k++)
				if (in[k])
					BracketHalfCopy(&bh, xs[r + k]);
	}
	bh.below += cnt[0] + cnt[1] + cnt[2] + cnt[3];
	for (; r < n; r++)
		BracketHalfAdd(&bh, xs[r]);
	BracketHalfEnd(&bh, B, h);
}

#ifdef BP_HAVE_AVX_PATH
/*
 * The same for AVX, with each comparison's sign bits taken as a 4-bit mask
 * (vmovmskpd): the count below is the mask's population, and the test for
 * a copy is one branch on the other mask, where the generic vectors'
 * lanes took several instructions per four values to extract.  The same
 * counts and the same copies in the same order as BracketAdd.
 */
__attribute__((target("avx")))
static void
BracketAddAvx(QBracket *B, int h, const double *xs, int64 n)
{
	static const uint8 pop4[16] = {0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4};
	BracketHalf bh;
	const v4df	lov = {B->lo, B->lo, B->lo, B->lo};
	const v4df	hiv = {B->hi, B->hi, B->hi, B->hi};
	int64		r;

	BracketHalfStart(&bh, B, h);
	for (r = 0; r + 4 <= n; r += 4)
	{
		v4df		x;
		int			in;

		memcpy(&x, xs + r, sizeof(x));
		bh.below += pop4[__builtin_ia32_movmskpd256((v4df) (x < lov))];
		in = __builtin_ia32_movmskpd256((v4df) ((x >= lov) & (x <= hiv)));
		if (unlikely(in != 0))
			for (int k = 0; k < 4; k++)
				if (in & (1 << k))
					BracketHalfCopy(&bh, xs[r + k]);
	}
	for (; r < n; r++)
		BracketHalfAdd(&bh, xs[r]);
	BracketHalfEnd(&bh, B, h);
}
#endif

static void
BracketRun(void *arg)
{
	const BracketJob *job = arg;
	const PrepState *ps = job->ps;
	const int  *nq = job->nq;
	const PrepFeature *const *f = job->f;
	int64		r0;
	int			j,
				t;

	for (r0 = job->r0; r0 < job->r1; r0 += PREP_CHUNK)
	{
		int64		rn = Min(PREP_CHUNK, job->r1 - r0);
		const double *chunk = job->b->data + r0 * ps->w;

		for (j = 0; j < ps->nnum; j++)
		{
			const double *col = chunk + 1 + j;
			double		xs[PREP_CHUNK];
			int64		r;

			if (nq[j] == 0)
				continue;
			/* the chunk's column, contiguous (and imputed + clipped) */
			if (f[j] == NULL)
				for (r = 0; r < rn; r++)
					xs[r] = col[r * ps->w];
			else
				for (r = 0; r < rn; r++)
					xs[r] = RowValue(col - 1 - j + r * ps->w, j, f[j]);
			for (t = 0; t < nq[j]; t++)
#ifdef BP_HAVE_AVX_PATH
				if (job->avx)
					BracketAddAvx(&job->qb[j][t], job->h, xs, rn);
				else
#endif
					BracketAdd(&job->qb[j][t], job->h, xs, rn);
		}
	}
}

/*
 * Features j0..j1-1 of RowQuantiles: the systematic sample of their values
 * and each bracket's pivots and room for copies (its size: the caller
 * allocates it).  A BpWorkerFn: the two halves write disjoint features of
 * sample, ns and qb.
 */
typedef struct PivotJob
{
	const PrepState *ps;
	int			j0,
				j1;
	const int64 *count;
	const int  *nq;
	const double (*q)[PREP_MAXQ];
	const PrepFeature *const *f;
	QBracket	(*qb)[PREP_MAXQ];
	double	   *sample;
	int		   *ns;
} PivotJob;

static void
PivotRun(void *arg)
{
	const PivotJob *job = arg;
	const PrepState *ps = job->ps;
	const int64 *count = job->count;
	const int  *nq = job->nq;
	const double (*q)[PREP_MAXQ] = job->q;
	const PrepFeature *const *f = job->f;
	QBracket	(*qb)[PREP_MAXQ] = job->qb;
	double	   *sample = job->sample;
	int		   *ns = job->ns;
	int64		stride = Max(ps->rows.nrows / PREP_SAMPLE, 1),
				r0 = 0;
	const RowBlock *b;
	int			j,
				t;

	/* the sample: every stride-th row */
	for (b = ps->rows.head; b != NULL; b = b->next)
	{
		int64		r;

		for (r = (stride - r0 % stride) % stride; r < b->nrows; r += stride)
			for (j = job->j0; j < job->j1; j++)
			{
				double		x = RowValue(b->data + r * ps->w, j, f[j]);

				if (nq[j] > 0 && !isnan(x) && ns[j] < PREP_SAMPLE)
					sample[j * (PREP_SAMPLE + 1) + ns[j]++] = x;
			}
		r0 += b->nrows;
	}

	/*
	 * The pivots: the sample's order statistics PREP_SIGMAS standard
	 * deviations of a sample rank (binomial) either side of the rank that
	 * corresponds to k, found by selection: in increasing rank, each on the
	 * part of the sample after the last one selected, which holds just the
	 * higher order statistics.
	 */
	for (j = job->j0; j < job->j1; j++)
	{
		double	   *sj = sample + j * (PREP_SAMPLE + 1);
		int			rank[2 * PREP_MAXQ];
		double		val[2 * PREP_MAXQ];
		int			nr = 0,
					margin[PREP_MAXQ],
					from = 0,
					i,
					a;

		for (t = 0; t < nq[j]; t++)
		{
			QBracket   *B = &qb[j][t];
			double		frac;
			int			rs;

			B->h = (count[j] - 1) * q[j][t];
			B->k = (int64) floor(B->h);
			frac = (double) B->k / Max(count[j], 1);
			rs = (int) (frac * ns[j]);
			margin[t] = (int) ceil(PREP_SIGMAS * sqrt(ns[j] * frac * (1.0 - frac))) + PREP_SLACK;
			B->lo = -get_float8_infinity();
			B->hi = get_float8_infinity();
			if (rs - margin[t] >= 0)
				rank[nr++] = rs - margin[t];
			if (rs + margin[t] <= ns[j] - 1)
				rank[nr++] = rs + margin[t];
		}
		/* the ranks in increasing order (a few), each selected once */
		for (i = 1; i < nr; i++)
			for (a = i; a > 0 && rank[a - 1] > rank[a]; a--)
			{
				int			tmp = rank[a];

				rank[a] = rank[a - 1];
				rank[a - 1] = tmp;
			}
		for (i = 0; i < nr; i++)
		{
			if (i > 0 && rank[i] == rank[i - 1])
				val[i] = val[i - 1];
			else
			{
				val[i] = SelectKth(sj + from, ns[j] - from, rank[i] - from);
				from = rank[i] + 1;
			}
		}
		for (t = 0; t < nq[j]; t++)
		{
			QBracket   *B = &qb[j][t];
			int			rs = (int) ((double) B->k / Max(count[j], 1) * ns[j]);

			for (i = 0; i < nr; i++)
			{
				if (rank[i] == rs - margin[t])
					B->lo = val[i];
				if (rank[i] == rs + margin[t])
					B->hi = val[i];
			}
			B->cap = Min(count[j], Max(count[j] / 8, 4 * margin[t]));
			B->hcap[0] = B->cap / 2;
			B->hcap[1] = B->cap - B->hcap[0];
		}
	}
}

/*
 * Features j0..j1-1: each quantile from its bracket's copies, by selection
 * (type 7: order statistics k and k + 1).  A BpWorkerFn, as BracketRun.
 */
typedef struct SelectJob
{
	int			j0,
				j1;
	const int64 *count;
	const int  *nq;
	QBracket	(*qb)[PREP_MAXQ];
	double		(*out)[PREP_MAXQ];
} SelectJob;

static void
SelectRun(void *arg)
{
	const SelectJob *job = arg;
	int			j,
				t;

	for (j = job->j0; j < job->j1; j++)
		for (t = 0; t < job->nq[j]; t++)
		{
			QBracket   *B = &job->qb[j][t];
			int64		n = job->count[j];
			double		a,
						c = 0.0;

			if (n == 0)
			{
				job->out[j][t] = 0.0;
				continue;
			}
			a = SelectKth(B->w, B->nw, B->k - B->below);
			if (B->k + 1 < n)
			{
				/* selection leaves only values >= a after it: take their min */
				int64		i = B->k - B->below + 1;

				c = B->w[i];
				for (i++; i < B->nw; i++)
					if (B->w[i] < c)
						c = B->w[i];
			}
			job->out[j][t] = (B->k + 1 >= n || B->h == B->k) ? a :
				a + (B->h - B->k) * (c - a);
		}
}

static void
RowQuantiles(const PrepState *ps, const int64 *count, const int *nq,
			 const double (*q)[PREP_MAXQ], const PrepFeature *const *f,
			 double (*out)[PREP_MAXQ], bool threads)
{
	int			p = ps->nnum,
				j,
				t,
				jmid;
	bool		avx;
	QBracket  (*qb)[PREP_MAXQ] = palloc0(sizeof(QBracket) * PREP_MAXQ * (p + 1));
	double	   *sample = palloc(sizeof(double) * (PREP_SAMPLE + 1) * (p + 1));
	int		   *ns = palloc0(sizeof(int) * (p + 1));
	RowBlock   *b;

	/* features in two halves of about as many quantiles each */
	jmid = 0;
	for (j = 0, t = 0; j < p; j++)
		t += nq[j];
	for (int acc = 0; jmid < p && 2 * (acc + nq[jmid]) <= t; jmid++)
		acc += nq[jmid];

	/* the sample and the pivots, the features in two halves at once */
	{
		PivotJob	h0 = {ps, 0, jmid, count, nq, q, f, qb, sample, ns},
					h1 = {ps, jmid, p, count, nq, q, f, qb, sample, ns};

		CHECK_FOR_INTERRUPTS();
		BpWorkerPair(PivotRun, &h0, PivotRun, &h1, threads && ps->rows.nrows >= PREP_PAIR_MIN);
	}
	for (j = 0; j < p; j++)
		for (t = 0; t < nq[j]; t++)
			qb[j][t].w = palloc_extended(sizeof(double) * (Size) (qb[j][t].cap + 2),
										 MCXT_ALLOC_HUGE);

	avx = BpCpuHasAvx();

	/*
	 * One pass: counts below and copies inside every bracket, a block at a
	 * time, its rows in two halves that run at once (BracketRun).  Which
	 * half a row falls in changes nothing but where its copy goes.
	 */
	for (b = ps->rows.head; b != NULL; b = b->next)
	{
		bool		pair = threads && b->nrows >= PREP_PAIR_MIN;
		BracketJob	h0 = {ps, b, 0, pair ? b->nrows / 2 : b->nrows, 0, nq, f, qb, avx},
					h1 = {ps, b, h0.r1, b->nrows, 1, nq, f, qb, avx};

		CHECK_FOR_INTERRUPTS();
		BpWorkerPair(BracketRun, &h0, BracketRun, &h1, pair);
	}

	/* the halves' copies side by side, or a miss: the whole column */
	for (j = 0; j < p; j++)
		for (t = 0; t < nq[j]; t++)
		{
			QBracket   *B = &qb[j][t];

			B->below = B->hbelow[0] + B->hbelow[1];
			B->nw = B->hnw[0] + B->hnw[1];
			if (B->hnw[0] <= B->hcap[0] && B->hnw[1] <= B->hcap[1])
				memmove(B->w + B->hnw[0], B->w + B->hcap[0] + 1, sizeof(double) * B->hnw[1]);
			if (count[j] > 0 &&
				!(B->hnw[0] <= B->hcap[0] && B->hnw[1] <= B->hcap[1] && B->below <= B->k &&
				  Min(B->k + 1, count[j] - 1) < B->below + B->nw))
			{
				int64		m;

				pfree(B->w);
				B->w = GatherColumn(ps, j, f[j], &m);
				B->nw = m;
				B->below = 0;
			}
		}

	/* the order statistics among the copies, the features in two halves */
	{
		SelectJob	h0 = {0, jmid, count, nq, qb, out},
					h1 = {jmid, p, count, nq, qb, out};

		CHECK_FOR_INTERRUPTS();
		BpWorkerPair(SelectRun, &h0, SelectRun, &h1, threads && ps->rows.nrows >= PREP_PAIR_MIN);
	}
	for (j = 0; j < p; j++)
		for (t = 0; t < nq[j]; t++)
			pfree(qb[j][t].w);
	pfree(qb);
	pfree(sample);
	pfree(ns);
}

/* move a cursor over the buffered rows n rows forward */
static void
CursorSkip(const RowBlock **b, int64 *r, int64 n)
{
	while (*b != NULL && *r + n >= (*b)->nrows)
	{
		n -= (*b)->nrows - *r;
		*b = (*b)->next;
		*r = 0;
	}
	*r += n;
}

/*
 * A pass over buffered rows in rounds: run(h0) on left0 rows from its
 * cursor and, when h1 is not NULL, run(h1) on left1 rows from its own, at
 * most PREP_ROUND rows per half and round; the two halves of a round at
 * once when threads (BpWorkerPair: run must then be a BpWorkerFn), else
 * one after the other.  Interrupts are checked between rounds.  todo0 and
 * todo1 are the halves' row counts for the round, which run reads.
 */
static void
PrepRounds(BpWorkerFn run, void *h0, int64 *todo0, int64 left0,
		   void *h1, int64 *todo1, int64 left1, bool threads)
{
	while (left0 > 0 || (h1 != NULL && left1 > 0))
	{
		CHECK_FOR_INTERRUPTS();
		*todo0 = Min(left0, PREP_ROUND);
		left0 -= *todo0;
		if (h1 == NULL)
		{
			run(h0);
			continue;
		}
		*todo1 = Min(left1, PREP_ROUND);
		left1 -= *todo1;
		BpWorkerPair(run, h0, run, h1, threads);
	}
}

/*
 * Sums of d = (imputed, clipped value) - shift and of d^2 per feature over
 * rows [from, from + todo) from the cursor (b, r).  A BpWorkerFn.
 */
typedef struct SumJob
{
	const PrepState *ps;
	const PrepFeature *f;
	const double *shift;
	const RowBlock *b;
	int64		r;
	int64		todo;
	double	   *sum;
	double	   *sum2;
} SumJob;

static void
SumRun(void *arg)
{
	SumJob	   *h = arg;
	const PrepState *ps = h->ps;
	const int	nnum = ps->nnum;
	const PrepFeature *restrict f = h->f;
	const double *restrict shift = h->shift;
	double	   *restrict sum = h->sum,
			   *restrict sum2 = h->sum2;
	int64		i;
	int			j;

	for (i = 0; i < h->todo; i++)
	{
		const double *restrict row = h->b->data + h->r * ps->w;

		for (j = 0; j < nnum; j++)
		{
			double		d = RowValue(row, j, &f[j]) - shift[j];

			sum[j] += d;
			sum2[j] += d * d;
		}
		if (++h->r == h->b->nrows)
		{
			h->b = h->b->next;
			h->r = 0;
		}
	}
}

/*
 * The sums standard scaling needs, row by row in order; past 2 PREP_ROUND
 * rows, the first and second halves of the rows summed at once (rounds of
 * PREP_ROUND rows each, interrupts checked between) and then added, half
 * 0's first: the same bits whichever thread runs a half.
 */
static void
ScaleSums(const BpAggState *s, const PrepState *ps, const PrepFeature *f,
		  const double *shift, double *sum, double *sum2)
{
	int64		n = ps->rows.nrows;
	bool		split = n >= 2 * PREP_ROUND;
	int64		left0 = split ? n / 2 : n,
				left1 = n - left0;
	int			p = ps->nnum;
	SumJob		h0 = {ps, f, shift, ps->rows.head, 0, 0, sum, sum2},
				h1 = {ps, f, shift, ps->rows.head, 0, 0,
				palloc0(sizeof(double) * (p + 1)), palloc0(sizeof(double) * (p + 1))};

	CursorSkip(&h1.b, &h1.r, left0);
	PrepRounds(SumRun, &h0, &h0.todo, left0, split ? &h1 : NULL, &h1.todo, left1,
			   s->opts.threads > 1);
	if (split)
		for (int j = 0; j < p; j++)
		{
			sum[j] += h1.sum[j];
			sum2[j] += h1.sum2[j];
		}
}

/*
 * Learn every numeric feature's parameters from the buffered rows, in a
 * few passes over them all: observed counts and means (and variances for
 * z-score clipping), quantiles of observed values (median imputation, IQR
 * clipping), then the statistics of the imputed and clipped values that
 * scaling needs (mean and variance by shifted sums, the shift being a
 * value near the mean; or quantiles).
 */
static void
LearnBuffered(const BpAggState *s, const PrepState *ps, PrepFeature *f)
{
	const PrepOptions *o = &s->opts.prep;
	int			p = ps->nnum,
				j;
	int64	   *nobs = palloc0(sizeof(int64) * (p + 1));
	int64	   *nall = palloc(sizeof(int64) * (p + 1));
	double	   *sum = palloc0(sizeof(double) * (p + 1));
	double	   *sum2 = palloc0(sizeof(double) * (p + 1));
	double	   *mean = palloc0(sizeof(double) * (p + 1));
	double	   *var = palloc0(sizeof(double) * (p + 1));
	int		   *nq = palloc0(sizeof(int) * (p + 1));
	double		(*q)[PREP_MAXQ] = palloc0(sizeof(double) * PREP_MAXQ * (p + 1));
	double		(*qv)[PREP_MAXQ] = palloc0(sizeof(double) * PREP_MAXQ * (p + 1));
	const PrepFeature **fp = palloc0(sizeof(PrepFeature *) * (p + 1));
	RowBlock   *b;
	double		k;

	/*
	 * Observed counts and means: summed (shifted) as the rows arrived, so
	 * no pass here.  Pass 1b: variances (z-score).
	 */
	for (j = 0; j < p; j++)
	{
		nobs[j] = ps->nobs[j];
		mean[j] = nobs[j] > 0 ? ps->shift[j] + ps->sumdev[j] / nobs[j] : 0.0;
		nall[j] = ps->rows.nrows;
		sum[j] = 0.0;
	}
	if (o->clip == PREP_CLIP_ZSCORE)
	{
		for (b = ps->rows.head; b != NULL; b = b->next)
			for (int64 r = 0; r < b->nrows; r++)
			{
				const double *x = b->data + r * ps->w + 1;

				for (j = 0; j < p; j++)
					if (!isnan(x[j]))
					{
						double		d = x[j] - mean[j];

						sum[j] += d;
						sum2[j] += d * d;
					}
			}
		/* corrected two-pass formula (Chan, Golub, LeVeque 1983) */
		for (j = 0; j < p; j++)
			var[j] = nobs[j] > 1 ? (sum2[j] - sum[j] * sum[j] / nobs[j]) / (nobs[j] - 1) : 0.0;
	}

	/* pass 2: quantiles of the observed values */
	for (j = 0; j < p; j++)
	{
		if (f[j].impute == PREP_IMPUTE_MEDIAN)
			q[j][nq[j]++] = 0.5;
		if (o->clip == PREP_CLIP_IQR)
		{
			q[j][nq[j]++] = 0.25;
			q[j][nq[j]++] = 0.75;
		}
	}
	RowQuantiles(ps, nobs, nq, (const double (*)[PREP_MAXQ]) q, fp, qv,
				 s->opts.threads > 1);

	for (j = 0; j < p; j++)
	{
		int			t = 0;

		f[j].nmissing = (double) (ps->rows.nrows - nobs[j]);
		if (f[j].impute == PREP_IMPUTE_MEAN)
			f[j].fill = mean[j];
		else if (f[j].impute == PREP_IMPUTE_MEDIAN)
			f[j].fill = qv[j][t++];
		if (o->clip == PREP_CLIP_IQR && nobs[j] > 0)
		{
			double		q1 = qv[j][t],
						q3 = qv[j][t + 1];

			k = o->clip_k > 0 ? o->clip_k : PREP_IQR_K;
			f[j].lower = q1 - k * (q3 - q1);
			f[j].upper = q3 + k * (q3 - q1);
		}
		else if (o->clip == PREP_CLIP_ZSCORE && nobs[j] > 0)
		{
			k = o->clip_k > 0 ? o->clip_k : PREP_ZSCORE_K;
			f[j].lower = mean[j] - k * sqrt(var[j]);
			f[j].upper = mean[j] + k * sqrt(var[j]);
		}
		if (!isfinite(f[j].fill) ||
			(nobs[j] > 0 && o->clip != PREP_CLIP_NONE &&
			 !(isfinite(f[j].lower) && isfinite(f[j].upper))))
			float_overflow_error();
		f[j].indicator = (o->missing_indicators && f[j].nmissing > 0) ? 1.0 : 0.0;
		fp[j] = &f[j];
		nq[j] = 0;
	}

	/*
	 * pass 3: what scaling needs, over the imputed and clipped values (for
	 * late_std, PrepFinish gets it from the learner after the replay)
	 */
	if (ps->scale == PREP_SCALE_STANDARD && !ps->late_std)
	{
		double	   *shift = palloc(sizeof(double) * (p + 1));

		for (j = 0; j < p; j++)
		{
			/* near the mean: the shifted sums lose nothing significant */
			shift[j] = Min(Max(nobs[j] > 0 ? mean[j] : f[j].fill, f[j].lower), f[j].upper);
			sum[j] = sum2[j] = 0.0;
		}
		ScaleSums(s, ps, f, shift, sum, sum2);
		for (j = 0; j < p; j++)
		{
			double		n = (double) ps->rows.nrows;

			f[j].center = shift[j] + sum[j] / n;
			f[j].scale = sqrt(Max(sum2[j] - sum[j] * sum[j] / n, 0.0) / n);
		}
	}
	else if (ps->scale == PREP_SCALE_ROBUST)
	{
		for (j = 0; j < p; j++)
		{
			nq[j] = 3;
			q[j][0] = 0.25;
			q[j][1] = 0.5;
			q[j][2] = 0.75;
		}
		RowQuantiles(ps, nall, nq, (const double (*)[PREP_MAXQ]) q, fp, qv,
					 s->opts.threads > 1);
		for (j = 0; j < p; j++)
		{
			f[j].center = qv[j][1];
			f[j].scale = qv[j][2] - qv[j][0];
		}
	}
	for (j = 0; j < p; j++)
	{
		/* a constant column is centred but not scaled, as scikit-learn does */
		if (!(f[j].scale > 0) || !isfinite(f[j].scale))
			f[j].scale = 1.0;
		if (!isfinite(f[j].center))
			float_overflow_error();
		if (nobs[j] == 0 && ps->rows.nrows > 0 &&
			(f[j].impute == PREP_IMPUTE_MEAN || f[j].impute == PREP_IMPUTE_MEDIAN))
			ereport(NOTICE,
					(errmsg("%s feature %d is null in every row", s->ops->name, j + 1),
					 errdetail("Its missing values are imputed as 0.")));
	}
}

/*
 * Set feature j's defaults (no clipping, no scaling) and, when streaming,
 * its fill value: the mean of the observed values, from the shifted sums
 * of the kept rows pooled with the learner's means of the streamed ones
 * (ps->lmean, when the learner has them).
 */
static void
LearnFeature(const BpAggState *s, const PrepState *ps, int j, PrepFeature *f)
{
	int64		nobs = ps->need_mean ? ps->nobs[j] : 0,
				nstream = ps->lmean ? s->n : 0;

	memset(f, 0, sizeof(*f));
	f->impute = ImputeOf(&s->opts.prep, j);
	f->lower = -get_float8_infinity();
	f->upper = get_float8_infinity();
	f->center = 0.0;
	f->scale = 1.0;
	if (ps->buffer_all)
		return;
	if (f->impute == PREP_IMPUTE_MEAN && nobs > 0)
		f->fill = ps->shift[j] + ps->sumdev[j] / nobs;
	/* with the streamed rows' mean from the learner: the pooled mean */
	if (f->impute == PREP_IMPUTE_MEAN && nstream > 0)
		f->fill = nobs == 0 ? ps->lmean[j] :
			ps->lmean[j] + (f->fill - ps->lmean[j]) * ((double) nobs / (double) (nobs + nstream));
	if (f->impute == PREP_IMPUTE_MEAN && nobs + nstream == 0 && ps->rows.nrows > 0)
		ereport(NOTICE,
				(errmsg("%s feature %d is null in every row", s->ops->name, j + 1),
				 errdetail("Its missing values are imputed as 0.")));
}

/*
 * Standard scaling from the learner: t's learner has seen every row
 * (t->n > 0), imputed and clipped but not scaled, with the nnum numeric
 * features first.  Set each feature's center and scale from the learner's
 * moments, as LearnBuffered defines them, and move the learner to the
 * scaled design (the columns after the numeric ones are left alone).
 */
static void
PrepRescaleLearner(const BpAggState *s, BpAggState *t, PrepFeature *f, int nnum)
{
	int			nd = t->nfeatures,
				j;
	double	   *center = palloc(sizeof(double) * (nd + 1));
	double	   *css = palloc(sizeof(double) * (nd + 1));
	double	   *scale = palloc(sizeof(double) * (nd + 1));

	s->ops->moments(t, center, css);
	for (j = 0; j < nd; j++)
	{
		if (j >= nnum)
		{
			center[j] = 0.0;
			scale[j] = 1.0;
			continue;
		}
		f[j].center = center[j];
		f[j].scale = sqrt(css[j] / (double) t->n);
		/* a constant column is centred but not scaled, as LearnBuffered does */
		if (!(f[j].scale > 0) || !isfinite(f[j].scale))
			f[j].scale = 1.0;
		if (!isfinite(f[j].center))
			float_overflow_error();
		/* the model stores -0 as +0: scale by what it stores */
		if (f[j].center == 0.0)
			f[j].center = 0.0;
		center[j] = f[j].center;
		scale[j] = f[j].scale;
	}
	s->ops->rescale(t, center, scale);
	pfree(center);
	pfree(css);
	pfree(scale);
}

/*
 * A copy of s's header with a fresh learner for nfeatures design columns,
 * in the current memory context; s is not changed.
 */
static BpAggState *
PrepNewLearner(const BpAggState *s, int nfeatures)
{
	BpAggState *t = palloc(sizeof(BpAggState));

	*t = *s;
	t->learner = NULL;
	t->nfeatures = -1;
	t->n = 0;
	BpStartLearner(t, nfeatures);
	return t;
}

/*
 * Streaming standard scaling.  Rows without NULLs went to the learner
 * unscaled; now the kept rows (those with a NULL) follow, imputed, still
 * unscaled.  The learner then knows every feature's mean and centred sum
 * of squares over the imputed values (from its QR factor: as exact as the
 * buffered path's two passes), which give center and scale exactly as
 * LearnBuffered defines them, and is moved to the scaled design.  For a
 * linear least-squares learner that move is exact up to rounding: the
 * fit, the ridge penalty on the standardised coefficients included, is
 * the one the buffered path computes from the scaled rows.  Returns a
 * copy of the state with the new learner; s is not changed.
 */
static BpAggState *
PrepStreamStandard(const BpAggState *s, PrepState *ps, PrepFeature *f)
{
	BpAggState *t;
	double	   *x = palloc(sizeof(double) * (ps->nnum + 1));
	RowBlock   *b;
	int64		count = 0;
	int			j;

	t = PrepNewLearner(s, ps->nnum);
	if (s->learner != NULL && s->n > 0)
	{
		s->ops->merge(t, (BpAggState *) s);
		t->n = s->n;
	}
	for (b = ps->rows.head; b != NULL; b = b->next)
		for (int64 r = 0; r < b->nrows; r++)
		{
			const double *row = b->data + r * ps->w;

			for (j = 0; j < ps->nnum; j++)
			{
				x[j] = row[1 + j];
				if (isnan(x[j]))
				{
					x[j] = f[j].fill;
					f[j].nmissing += 1;
					ps->nimputed++;
				}
			}
			s->ops->accum(t, row[0], x);
			t->n++;
			if ((++count & 4095) == 0)
				CHECK_FOR_INTERRUPTS();
		}
	if (t->n > 0)
		PrepRescaleLearner(s, t, f, ps->nnum);
	return t;
}

/*
 * Append one design name: prefix, then the slot or feature name.
 */
static void
AppendInputName(const BpAggState *s, StringInfo out, int input, bool numeric)
{
	const char *p = s->opts.names;
	int			i;

	if (s->opts.nnames == 0)
	{
		appendStringInfo(out, numeric ? "x%d" : "c%d",
						 numeric ? input + 1 : input + 1 - s->prep->nnum);
		return;
	}
	for (i = 0; i < input; i++)
		p += strlen(p) + 1;
	appendStringInfoString(out, p);
}

/*
 * Learn slot k's levels: the top max_categories values by count, then
 * NULL, then "other".  Sets map[id] = level for every vocabulary id.
 */
static void
LearnSlot(const BpAggState *s, PrepState *ps, int k, PrepSlot *sl, int32 *map)
{
	Vocab	   *v = ps->vocab[k];
	int32	   *rank = VocabRanking(v);
	int			nall,
				i;
	bool		reference;

	memset(sl, 0, sizeof(*sl));
	sl->nlevels = Min(v->n, s->opts.prep.max_categories);
	sl->nfolded = v->n - sl->nlevels;
	sl->null_level = v->nnull > 0;
	sl->other_level = sl->nfolded > 0;
	nall = (int) (sl->nlevels + sl->null_level + sl->other_level);
	/* a reference level keeps unpenalised linear models identifiable */
	reference = !s->ops->ordinal_categories && s->opts.l2 == 0.0 &&
		(s->opts.intercept || k > 0) && nall > 0;
	sl->reference = reference ? 0 : -1;
	for (i = 0; i < v->n; i++)
	{
		map[rank[i]] = i < sl->nlevels ? i : nall - 1;
		if (i < sl->nlevels)
		{
			appendBinaryStringInfo(&ps->voc, v->entries[rank[i]].value,
								   v->entries[rank[i]].len);
			appendStringInfoChar(&ps->voc, '\0');
		}
	}
	pfree(rank);
}

/*
 * Append the design names of one slot's columns.
 */
static void
SlotNames(const BpAggState *s, PrepState *ps, int k, const PrepSlot *sl,
		  const char *levels)
{
	int			nall = (int) (sl->nlevels + sl->null_level + sl->other_level);
	int			l;
	StringInfoData other;

	if (s->ops->ordinal_categories)
	{
		AppendInputName(s, &ps->names, ps->nnum + k, false);
		appendStringInfoChar(&ps->names, '\0');
		return;
	}

	/*
	 * The folded levels' term is "=(other)", or "=((other))" and so on when
	 * a kept level is itself called "(other)": never a kept level's name.
	 */
	initStringInfo(&other);
	appendStringInfoString(&other, "(other)");
	while (sl->other_level)
	{
		const char *lev = levels;
		bool		taken = false;

		for (l = 0; l < sl->nlevels && !taken; l++)
		{
			taken = strcmp(lev, other.data) == 0;
			lev += strlen(lev) + 1;
		}
		if (!taken)
			break;
		/* "(" + other + ")" */
		{
			char	   *was = pstrdup(other.data);

			resetStringInfo(&other);
			appendStringInfo(&other, "(%s)", was);
			pfree(was);
		}
	}
	for (l = 0; l < nall; l++)
	{
		if (l == sl->reference)
		{
			if (l < sl->nlevels)
				levels += strlen(levels) + 1;
			continue;
		}
		AppendInputName(s, &ps->names, ps->nnum + k, false);
		if (l < sl->nlevels)
		{
			appendStringInfo(&ps->names, "=%s", levels);
			levels += strlen(levels) + 1;
		}
		else if (l == sl->nlevels && sl->null_level)
			appendStringInfoString(&ps->names, " IS NULL");
		else
			appendStringInfo(&ps->names, "=%s", other.data);
		appendStringInfoChar(&ps->names, '\0');
	}
	pfree(other.data);
}

/*
 * Learn every parameter into ps->sec / ps->voc / ps->names and decode
 * them into ps->learned.  maps[k][id] receives slot k's level of each id.
 */
static void
LearnPrep(const BpAggState *s, PrepState *ps, int32 **maps)
{
	PrepHeader	hdr;
	PrepFeature *f = palloc0(sizeof(PrepFeature) * (ps->nnum + 1));
	PrepSlot   *sl = palloc0(sizeof(PrepSlot) * (ps->ncat + 1));
	const char *levels;
	int			j,
				ndesign;

	initStringInfo(&ps->sec);
	initStringInfo(&ps->voc);
	initStringInfo(&ps->names);
	ndesign = ps->nnum;
	for (j = 0; j < ps->nnum; j++)
		LearnFeature(s, ps, j, &f[j]);
	if (ps->buffer_all)
		LearnBuffered(s, ps, f);
	if (ps->stream_std)
		ps->streamed = PrepStreamStandard(s, ps, f);
	for (j = 0; j < ps->nnum; j++)
		ndesign += (int) f[j].indicator;
	for (j = 0; j < ps->ncat; j++)
	{
		maps[j] = palloc(sizeof(int32) * (ps->vocab[j]->n + 1));
		LearnSlot(s, ps, j, &sl[j], maps[j]);
		if (s->ops->ordinal_categories)
			ndesign += 1;
		else
			ndesign += (int) (sl[j].nlevels + sl[j].null_level + sl[j].other_level) -
				(sl[j].reference >= 0);
	}
	if (ndesign > BP_MAX_FEATURES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s design would have %d columns, more than the limit of %d",
						s->ops->name, ndesign, BP_MAX_FEATURES),
				 errdetail("Each categorical level and missing indicator is a column."),
				 errhint("Lower the \"max_categories\" option.")));

	memset(&hdr, 0, sizeof(hdr));
	hdr.version = PREP_VERSION;
	hdr.nnum = ps->nnum;
	hdr.ncat = ps->ncat;
	hdr.scale = ps->scale;
	hdr.clip = s->opts.prep.clip;
	hdr.clip_k = s->opts.prep.clip == PREP_CLIP_NONE ? 0.0 :
		(s->opts.prep.clip_k > 0 ? s->opts.prep.clip_k :
		 s->opts.prep.clip == PREP_CLIP_IQR ? PREP_IQR_K : PREP_ZSCORE_K);
	hdr.flags = (s->ops->ordinal_categories ? PREP_FLAG_ORDINAL : 0) |
		(s->opts.prep.missing_indicators ? PREP_FLAG_INDICATORS : 0);
	hdr.ndesign = ndesign;
	appendBinaryStringInfo(&ps->sec, (char *) &hdr, sizeof(hdr));
	appendBinaryStringInfo(&ps->sec, (char *) f, sizeof(PrepFeature) * ps->nnum);
	appendBinaryStringInfo(&ps->sec, (char *) sl, sizeof(PrepSlot) * ps->ncat);

	/* design names: numeric, indicators, then the slots' columns */
	for (j = 0; j < ps->nnum; j++)
	{
		AppendInputName(s, &ps->names, j, true);
		appendStringInfoChar(&ps->names, '\0');
	}
	for (j = 0; j < ps->nnum; j++)
		if (f[j].indicator)
		{
			appendStringInfoString(&ps->names, "missing(");
			AppendInputName(s, &ps->names, j, true);
			appendStringInfoString(&ps->names, ")");
			appendStringInfoChar(&ps->names, '\0');
		}
	levels = ps->voc.data;
	for (j = 0; j < ps->ncat; j++)
	{
		SlotNames(s, ps, j, &sl[j], levels);
		for (int l = 0; l < sl[j].nlevels; l++)
			levels += strlen(levels) + 1;
	}
	/* store -0 as +0, as ModelAddDoubles will: training must see the model's bits */
	for (j = 0; j < (int) (ps->sec.len / sizeof(double)); j++)
		if (((double *) ps->sec.data)[j] == 0.0)
			((double *) ps->sec.data)[j] = 0.0;
	ps->learned = PrepDecode((const double *) ps->sec.data,
							 ps->sec.len / sizeof(double), ps->voc.data, ps->voc.len,
							 ERRCODE_INTERNAL_ERROR);
}

/*
 * The replay: every buffered row, imputed, clipped, scaled and encoded by
 * PrepApplyRow, goes to t's learner.  Rows go by in rounds so that
 * interrupts are checked every PREP_ROUND rows.
 *
 * With many rows and a learner whose accum is plain arithmetic once its
 * learner exists (accum_is_pure: linreg, up to 64 columns), the rows go in two fixed halves:
 * the first to t's learner, the second to a fresh one that is merged into
 * t at the end.  The halves of a round run at once (worker.c's helper
 * takes the second, unless "threads" is 1), each with its own counters;
 * which thread runs a half changes nothing, so the model's bytes do not
 * depend on threads or timing, only on the row count.
 */

typedef struct ReplayHalf
{
	const PrepState *ps;
	int32	  **maps;
	BpAggState *t;				/* the learner the rows go to */
	const RowBlock *b;			/* cursor: the next row */
	int64		r;
	int64		todo;			/* rows in this round */
	int32	   *levels;			/* scratch */
	double	   *design;			/* scratch */
	int64	   *nmissing;		/* per feature, counted here */
	int64	   *nclipped;
	bool		fast;			/* no indicators: ReplayNumeric */
	bool		unscaled;		/* fast, and every center 0 and scale 1 */
	double	   *fill;			/* fast: per feature, PrepFeature's fill, */
	double	   *lower;			/* ... fences, */
	double	   *upper;
	double	   *center;			/* ... and scaling */
	double	   *scale;
	bool		in_place;		/* write each design row over its input row */
	bool		compact;		/* pass the learner compact rows (one-hot) */
	double	   *crow;			/* compact: scratch */
	int64		npos;			/* in_place: rows with target 1 */
} ReplayHalf;

static inline int PrepLevelColumn(const Prep *p, int j, int l);
static void PrepApplySlots(const Prep *p, const int32 *levels, double *out);

static void
ReplayHalfInit(ReplayHalf *h, const PrepState *ps, int32 **maps, BpAggState *t)
{
	memset(h, 0, sizeof(*h));
	h->ps = ps;
	h->maps = maps;
	h->t = t;
	h->b = ps->rows.head;
	h->levels = palloc(sizeof(int32) * (ps->ncat + 1));
	h->design = palloc(sizeof(double) * (ps->learned->ndesign + 1));
	h->nmissing = palloc0(sizeof(int64) * (ps->nnum + 1));
	h->nclipped = palloc0(sizeof(int64) * (ps->nnum + 1));
	h->crow = palloc(sizeof(double) * (ps->nnum + ps->ncat + 1));
	h->fast = ps->ncat == 0 || !ps->learned->ordinal;
	h->fill = palloc(sizeof(double) * (ps->nnum + 1));
	h->lower = palloc(sizeof(double) * (ps->nnum + 1));
	h->upper = palloc(sizeof(double) * (ps->nnum + 1));
	h->center = palloc(sizeof(double) * (ps->nnum + 1));
	h->scale = palloc(sizeof(double) * (ps->nnum + 1));
	h->unscaled = true;
	for (int j = 0; j < ps->nnum; j++)
	{
		const PrepFeature *f = &ps->learned->f[j];

		h->fast &= ps->learned->ind_col[j] < 0;
		h->unscaled &= f->center == 0.0 && f->scale == 1.0;
		h->fill[j] = f->fill;
		h->lower[j] = f->lower;
		h->upper[j] = f->upper;
		h->center[j] = f->center;
		h->scale[j] = f->scale;
	}
}

/*
 * The numeric part of PrepApplyRow for a model without missing
 * indicators, with the counters, without branches on the values (a NULL
 * or a clipped value at random rows mispredicts): the same operations on
 * the same values, so the same bits.  Four features at a time in vectors
 * (vecmath.h), lane by lane the scalar tail's operations: the fill where
 * the value is NaN, the fences by selects, then (u - center) / scale.
 */
static pg_attribute_always_inline void
ReplayNumeric(ReplayHalf *h, int nnum, const double *x)
{
	const double *restrict fill = h->fill,
			   *restrict lower = h->lower,
			   *restrict upper = h->upper,
			   *restrict center = h->center,
			   *restrict scale = h->scale;
	double	   *restrict out = h->design;
	int64	   *restrict nmissing = h->nmissing,
			   *restrict nclipped = h->nclipped;
	const bool	unscaled = h->unscaled;
	int			j = 0;

	for (; j + 4 <= nnum; j += 4)
	{
		v4df		v,
					f,
					lo,
					hi,
					u;
		v4di		nan,
					below,
					above,
					cnt;

		memcpy(&v, x + j, sizeof(v));
		memcpy(&f, fill + j, sizeof(f));
		memcpy(&lo, lower + j, sizeof(lo));
		memcpy(&hi, upper + j, sizeof(hi));
		nan = (v != v);
		u = (v4df) (((v4di) f & nan) | ((v4di) v & ~nan));
		below = (u < lo);
		above = (u > hi);
		u = (v4df) (((v4di) lo & below) |
					(~below & (((v4di) hi & above) | ((v4di) u & ~above))));
		memcpy(&cnt, nmissing + j, sizeof(cnt));
		cnt -= nan;				/* a true lane is -1 */
		memcpy(nmissing + j, &cnt, sizeof(cnt));
		memcpy(&cnt, nclipped + j, sizeof(cnt));
		cnt -= (v < lo) | (v > hi);	/* false for NaN */
		memcpy(nclipped + j, &cnt, sizeof(cnt));
		if (!unscaled)
		{
			v4df		c,
						sc;

			memcpy(&c, center + j, sizeof(c));
			memcpy(&sc, scale + j, sizeof(sc));
			u = (u - c) / sc;
		}
		memcpy(out + j, &u, sizeof(u));
	}
	for (; j < nnum; j++)
	{
		double		v = x[j],
					u = ImputeClip(v, fill[j], lower[j], upper[j]);

		nmissing[j] += isnan(v);
		nclipped[j] += (v < lower[j]) | (v > upper[j]);	/* false for NaN */
		/* (u - 0) / 1 is u, -0 included: no division for unscaled rows */
		out[j] = unscaled ? u : (u - center[j]) / scale[j];
	}
}

/*
 * Replay h->todo rows.  With a pure accum this is a BpWorkerFn (worker.h):
 * PrepApplyRow and the learner's accum are arithmetic on memory allocated
 * before, and the counters are the half's own.
 */
static pg_attribute_always_inline void
ReplayRunBody(void *arg)
{
	ReplayHalf *h = arg;
	const PrepState *ps = h->ps;
	const Prep *L = ps->learned;
	BpAggState *t = h->t;
	int64		i;
	int			j;

	for (i = 0; i < h->todo; i++)
	{
		const double *row = h->b->data + h->r * ps->w;
		const double *x = row + 1;

		for (j = 0; j < ps->ncat; j++)
		{
			double		id = row[1 + ps->nnum + j];

			h->levels[j] = id >= 0 ? h->maps[j][(int32) id] :
				(L->slot[j].null_level ? (int32) L->slot[j].nlevels : -1);
		}
		if (h->fast)
		{
			/* the design's numeric part; slots as columns unless compact */
			ReplayNumeric(h, ps->nnum, x);
			if (ps->ncat > 0 && !h->in_place && !h->compact)
				PrepApplySlots(L, h->levels, h->design);
		}
		else
		{
			for (j = 0; j < ps->nnum; j++)
			{
				const PrepFeature *f = &L->f[j];

				if (isnan(x[j]))
					h->nmissing[j]++;
				else if (x[j] < f->lower || x[j] > f->upper)
					h->nclipped[j]++;
			}
			PrepApplyRow(L, x, h->levels, h->design);
		}
		if (h->in_place || h->compact)
		{
			/*
			 * The design row, then the target (ndesign = nnum = w - 1); with
			 * categorical slots, the nnum numeric design values, then per
			 * slot the design column of its 1 (or -1), then the target (w =
			 * nnum + ncat + 1; see PrepCompactOk).  In place, it goes over
			 * the input row, all of which has been read above.
			 */
			double	   *dst = h->in_place ? (double *) row : h->crow;
			double		y = row[0];

			memcpy(dst, h->design, sizeof(double) * ps->nnum);
			for (j = 0; j < ps->ncat; j++)
				dst[ps->nnum + j] = (double) PrepLevelColumn(L, j, h->levels[j]);
			if (h->in_place)
			{
				dst[ps->w - 1] = y;
				h->npos += (y == 1.0);
			}
			else
			{
				t->ops->accum(t, y, dst);
				t->n++;
			}
		}
		else
		{
			t->ops->accum(t, row[0], h->design);
			t->n++;
		}
		if (++h->r == h->b->nrows)
		{
			h->b = h->b->next;
			h->r = 0;
		}
	}
}

static void
ReplayRun(void *arg)
{
	ReplayRunBody(arg);
}

#ifdef BP_HAVE_AVX_PATH
/* the same, compiled for AVX (ReplayNumeric's vectors four wide) */
__attribute__((target("avx")))
static void
ReplayRunAvx(void *arg)
{
	ReplayRunBody(arg);
}
#endif

/* add a half's counters to the learned features and the state's totals */
static void
ReplayCount(PrepState *ps, const ReplayHalf *h)
{
	PrepFeature *f = (PrepFeature *) ps->learned->f;
	int			j;

	for (j = 0; j < ps->nnum; j++)
	{
		ps->nimputed += h->nmissing[j];
		ps->nclipped += h->nclipped[j];
		if (!ps->buffer_all)
			f[j].nmissing += (double) h->nmissing[j];
		f[j].nclipped += (double) h->nclipped[j];
	}
}

/*
 * Replay the buffered rows in one half, or in two at once (PrepRounds) when
 * split, into t0 and t1 (the same learner when in_place: the rows are only
 * rewritten), adding each half's counters to the state.  Returns the rows
 * with target 1 (in_place).
 */
static int64
ReplayHalves(const BpAggState *s, PrepState *ps, int32 **maps, BpAggState *t0,
			 BpAggState *t1, bool split, bool in_place, bool compact)
{
	int64		n = ps->rows.nrows,
				left0 = split ? n / 2 : n,
				left1 = n - left0;
	ReplayHalf	h0,
				h1;

	ReplayHalfInit(&h0, ps, maps, t0);
	h0.in_place = in_place;
	h0.compact = compact;
	if (split)
	{
		ReplayHalfInit(&h1, ps, maps, t1);
		h1.in_place = in_place;
		h1.compact = compact;
		CursorSkip(&h1.b, &h1.r, left0);
	}
	/* unsplit, h0 runs in the backend: its accum may allocate or raise an ERROR */
	PrepRounds(
#ifdef BP_HAVE_AVX_PATH
			   BpCpuHasAvx() ? ReplayRunAvx :
#endif
			   ReplayRun,
			   &h0, &h0.todo, left0, split ? &h1 : NULL, &h1.todo, left1,
			   s->opts.threads > 1);
	ReplayCount(ps, &h0);
	if (split)
		ReplayCount(ps, &h1);
	return h0.npos + (split ? h1.npos : 0);
}

static void
PrepReplay(const BpAggState *s, PrepState *ps, BpAggState *t, int32 **maps,
		   bool compact)
{
	/* compact rows go to one learner: they are never merged (logreg) */
	bool		split = !compact && ps->rows.nrows >= 2 * PREP_ROUND &&
		s->ops->accum_is_pure != NULL && s->ops->accum_is_pure(t);
	BpAggState *t1 = NULL;

	if (split)
		t1 = PrepNewLearner(t, ps->learned->ndesign);
	ReplayHalves(s, ps, maps, t, t1, split, false, compact);
	if (split)
	{
		s->ops->merge(t, t1);
		t->n += t1->n;
	}
}

/*
 * Can rows with categorical slots be handed over compactly?  When the
 * design is the nnum numeric columns, then each slot's one-hot columns in
 * slot order (no missing indicators, not ordinal), so that a row's design
 * is its numeric values and one column index per slot.
 */
static bool
PrepCompactOk(const Prep *p)
{
	int			j,
				next = p->nnum;

	if (p->ordinal)
		return false;
	for (j = 0; j < p->nnum; j++)
		if (p->ind_col[j] >= 0)
			return false;
	for (j = 0; j < p->ncat; j++)
	{
		if (p->slot_col[j] != next)
			return false;
		next += p->slot_nall[j] - (p->slot[j].reference >= 0);
	}
	return next == p->ndesign;
}

/*
 * The rows handed over: when the final function may use the state up
 * (consume: the one final call), the learner keeps its own rows (adopt_rows)
 * and the design has as many columns as the input (numeric features only,
 * no missing indicators), each buffered row [y, x] is turned in place
 * into the learner's row [design, y] and the learner takes the buffer:
 * no second copy of the rows.  With categorical features one-hot encoded
 * (PrepCompactOk), a row [y, x, level ids] becomes [numeric design, the
 * design column of each slot's 1 or -1, y], which the learner uses without
 * building the zeros and ones: the buffer keeps its width instead of a
 * second store of every one-hot column being filled.  Same rows, same order, same bits as the
 * replay.  Halves of the rows run at once, as in PrepReplay, each with
 * its own counters.  The state's buffer is left empty and the learner's
 * state is kept with it, in the aggregate's memory: a hashed aggregate
 * that is rescanned finalizes the same state again, and gets that learner.
 */
static BpAggState *
PrepHandOver(BpAggState *s, PrepState *ps, int32 **maps)
{
	MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(ps));
	BpAggState *t = PrepNewLearner(s, ps->learned->ndesign);
	int64		n = ps->rows.nrows,
				npos;

	MemoryContextSwitchTo(old);
	npos = ReplayHalves(s, ps, maps, t, t, n >= 2 * PREP_ROUND, true, false);
	s->ops->adopt_rows(t, &ps->rows, npos, ps->ncat);
	t->n = n;
	RowStoreInit(&ps->rows, ps->w, ps->rows.cxt);
	ps->consumed = true;
	ps->handed = t;
	return t;
}

/*
 * Learn the preprocessing, then build the learner that sees finished
 * rows: a copy of the state with a fresh learner, holding the streamed
 * part (moved in by the learner's merge) and every buffered row passed
 * through PrepApplyRow.  Returns the state to finish; s is not changed
 * except for the learned parameters.
 */
BpAggState *
PrepFinish(BpAggState *s, bool consume)
{
	PrepState  *ps = s->prep;
	int32	  **maps;
	BpAggState *t;
	bool		handover,
				compact;
	MemoryContext old = CurrentMemoryContext;

	if (ps->consumed)
		return ps->handed;		/* handed over before: the same learner */

	/*
	 * The rows may be handed over (PrepHandOver) if the design turns out as
	 * wide as the input; then what is learned must outlive this call, as
	 * the learner does: learn it in the aggregate's memory (a few arrays of
	 * p values and the section's strings; the big scratch is freed).
	 */
	handover = consume && s->ops->adopt_rows != NULL && ps->buffer_all &&
		ps->rows.nrows > 0 && (s->learner == NULL || s->n == 0);
	if (handover)
		MemoryContextSwitchTo(GetMemoryChunkContext(ps));
	maps = palloc0(sizeof(int32 *) * (ps->ncat + 1));
	PrepSyncCounts(ps);
	ps->lmean = NULL;
	if (ps->mean_from_learner && s->learner != NULL && s->n > 0)
	{
		double	   *css = palloc(sizeof(double) * (ps->nnum + 1));

		ps->lmean = palloc(sizeof(double) * (ps->nnum + 1));
		s->ops->moments(s, ps->lmean, css);
		pfree(css);
	}
	ps->nimputed = ps->nclipped = 0;
	ps->streamed = NULL;
	LearnPrep(s, ps, maps);
	MemoryContextSwitchTo(old);
	if (handover && (ps->ncat == 0 ? ps->learned->ndesign == ps->nnum : PrepCompactOk(ps->learned)))
		return PrepHandOver(s, ps, maps);
	if (ps->stream_std)
		return ps->streamed;	/* replayed and rescaled already */
	if (!ps->buffer_all && ps->rows.nrows == 0)
		return s;				/* nothing to replay: the learner has it all */

	t = PrepNewLearner(s, ps->learned->ndesign);
	if (s->learner != NULL && s->n > 0)
	{
		s->ops->merge(t, s);
		t->n = s->n;
	}

	/*
	 * One-hot categorical rows go to a learner that takes them compactly
	 * (logreg) in the form the hand-over gives it, so that both paths fit
	 * the same rows the same way, to the same bytes.
	 */
	compact = ps->ncat > 0 && s->ops->compact != NULL && t->n == 0 &&
		PrepCompactOk(ps->learned);
	if (compact)
		s->ops->compact(t, ps->ncat, ps->nnum);
	PrepReplay(s, ps, t, maps, compact);

	/*
	 * late_std: the rows went in imputed and clipped, with center 0 and
	 * scale 1 (exact: (v - 0) / 1 = v); now learn the scaling from the
	 * learner, which saves LearnBuffered's pass over the rows, and write
	 * it into the learned section (ps->learned->f points into it).
	 */
	if (ps->late_std && t->n > 0)
		PrepRescaleLearner(s, t, (PrepFeature *) ps->learned->f, ps->nnum);
	return t;
}

/* ----------------------------------------------------------------
 * applying (training replay and scoring share this)
 * ---------------------------------------------------------------- */

/*
 * The design column that holds 1 for level l of categorical slot j (one-hot
 * encoding), or -1 when every column of the slot is 0: the reference level,
 * or no level (NULL or unseen without a level of its own).
 */
static inline int
PrepLevelColumn(const Prep *p, int j, int l)
{
	int			ref = (int) p->slot[j].reference;

	if (l < 0 || l == ref)
		return -1;
	return p->slot_col[j] + (ref >= 0 && l > ref ? l - 1 : l);
}

/*
 * Turn one input row into a design row: per numeric feature impute, clip,
 * scale (and set its missing indicator); then encode each slot's level.
 * x has nnum values, NaN = NULL; levels has ncat level indices, -1 = no
 * level (an unseen value with no "other" level).  The one function both
 * training and scoring call, so both compute the same bits.
 */
void
PrepApplyRow(const Prep *p, const double *x, const int32 *levels, double *out)
{
	int			j;

	for (j = 0; j < p->nnum; j++)
	{
		const PrepFeature *f = &p->f[j];
		double		v = ImputeClip(x[j], f->fill, f->lower, f->upper);

		out[j] = (v - f->center) / f->scale;
		if (p->ind_col[j] >= 0)
			out[p->ind_col[j]] = isnan(x[j]) ? 1.0 : 0.0;
	}
	PrepApplySlots(p, levels, out);
}

/*
 * The categorical part of PrepApplyRow: each slot's level, or its one-hot
 * columns.
 */
static void
PrepApplySlots(const Prep *p, const int32 *levels, double *out)
{
	int			j;

	for (j = 0; j < p->ncat; j++)
	{
		int			col;

		if (p->ordinal)
		{
			out[p->slot_col[j]] = (double) levels[j];
			continue;
		}
		memset(out + p->slot_col[j], 0,
			   sizeof(double) * (p->slot_nall[j] - (p->slot[j].reference >= 0)));
		if ((col = PrepLevelColumn(p, j, levels[j])) >= 0)
			out[col] = 1.0;
	}
}

/* ----------------------------------------------------------------
 * model output
 * ---------------------------------------------------------------- */

/*
 * Does the model need a preprocessing section?  Not when it would do
 * nothing: no categories, every feature "error" imputation (the 0.1.0
 * behaviour), no scaling, no clipping.  Such models stay byte-compatible
 * with 0.1.0 ones.
 */
static bool
PrepIsTrivial(const BpAggState *s)
{
	const PrepState *ps = s->prep;
	int			j;

	if (ps == NULL || ps->learned == NULL)
		return true;
	if (ps->ncat > 0 || ps->scale != PREP_SCALE_NONE ||
		s->opts.prep.clip != PREP_CLIP_NONE || s->opts.prep.missing_indicators)
		return false;
	for (j = 0; j < ps->nnum; j++)
		if (ImputeOf(&s->opts.prep, j) != PREP_IMPUTE_ERROR)
			return false;
	return true;
}

/*
 * Does the model carry design names (given names, categories, indicators)?
 */
bool
PrepHasDesignNames(const BpAggState *s)
{
	return s->prep != NULL && s->prep->learned != NULL &&
		(s->opts.nnames > 0 || s->prep->ncat > 0 ||
		 s->prep->learned->ndesign != s->prep->nnum);
}

/*
 * The design names, NUL-separated.
 */
void
PrepDesignNames(const BpAggState *s, StringInfo names)
{
	appendBinaryStringInfo(names, s->prep->names.data, s->prep->names.len);
}

/*
 * Append the preprocessing sections, unless trivial.
 */
void
PrepAddSections(ModelBuilder *b, const BpAggState *s)
{
	if (PrepIsTrivial(s))
		return;
	ModelAddDoubles(b, MTAG_PREP, (const double *) s->prep->sec.data,
					s->prep->sec.len / sizeof(double));
	if (s->prep->ncat > 0)
		ModelAddBytes(b, MTAG_VOCAB, s->prep->voc.data, s->prep->voc.len);
}

/*
 * Append the preprocessing statistics (ids 30-49), after the learner's.
 */
void
PrepAddStats(double *stats, int *nstats, const BpAggState *s)
{
	if (PrepIsTrivial(s))
		return;
	BpAddStat(stats, nstats, MSTAT_N_IMPUTED, (double) s->prep->nimputed);
	BpAddStat(stats, nstats, MSTAT_N_CLIPPED, (double) s->prep->nclipped);
}

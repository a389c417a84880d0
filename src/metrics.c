/*-------------------------------------------------------------------------
 *
 * metrics.c
 *	  Evaluation aggregates: regression errors, AUC, log loss, Brier score,
 *	  threshold metrics and the two jsonb reports.
 *
 * Every aggregate keeps an internal, mergeable state, so all of them run
 * in parallel plans.  Regression metrics keep O(1) state; classification
 * metrics keep confusion counts and compensated sums, and those that rank
 * rows (AUC, report, tables) also keep every score: 8 bytes per row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "common/int128.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "buypower.h"
#include "metrics.h"

#define CLS_STATE_VERSION	1
#define REG_STATE_VERSION	1

/*
 * sklearn.metrics.log_loss clips p to [eps, 1 - eps].  Its default eps is
 * "auto" since 1.2, i.e. numpy.finfo(float64).eps = 2^-52 (1e-15 before).
 */
#define LOGLOSS_EPS			DBL_EPSILON

/* Bytes a row costs against buypower.max_training_memory: score + sort buffer */
#define CLS_BYTES_PER_ROW	(2 * sizeof(double))

/* Header of a serialized ClsState, before the scores */
#define CLS_SERIAL_HEADER	(1 + 4 + 4 + 1 + 1 + 8 + 4 * 8 + 4 * 8)

/*
 * State of the regression aggregates.
 *
 * The mean and the centred sum of squares of y use the Youngs-Cramer
 * update and Chan's merge, exactly as core's float8_accum/float8_combine
 * [1][2]; the squared and absolute errors are compensated sums.
 *
 * [1] E. A. Youngs and E. M. Cramer, "Some results relevant to choice of
 *     sum and sum-of-product algorithms", Technometrics 13 (1971) 657-665.
 * [2] T. F. Chan, G. H. Golub and R. J. LeVeque, "Updating formulae and a
 *     pairwise algorithm for computing sample variances", 1979.
 */
typedef struct RegState
{
	int64		n;
	double		sy;				/* sum of y */
	double		syy;			/* sum of (y - mean y)^2 */
	CompSum		sse;			/* sum of (y - yhat)^2 */
	CompSum		sae;			/* sum of |y - yhat| */
	double		maxerr;			/* max |y - yhat| */
} RegState;

/*
 * Fetch the aggregate context or fail for a call outside an aggregate.
 */
static MemoryContext
GetAggContext(FunctionCallInfo fcinfo)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "aggregate function called in non-aggregate context");
	return aggcontext;
}

/* ------------------------------------------------------------------------
 * regression metrics
 * ------------------------------------------------------------------------
 */

/*
 * Reject a NaN or infinite regression input.
 */
static void
CheckFinite(double v, const char *argname)
{
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s must be finite, not %s", argname,
						float8out_internal(v)),
				 errhint("Filter out rows with NaN or infinite values before evaluating.")));
}

PG_FUNCTION_INFO_V1(regression_accum);
Datum
regression_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = GetAggContext(fcinfo);
	RegState   *s = PG_ARGISNULL(0) ? NULL : (RegState *) PG_GETARG_POINTER(0);
	double		y,
				yhat,
				err,
				tmp;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	y = PG_GETARG_FLOAT8(1);
	yhat = PG_GETARG_FLOAT8(2);
	CheckFinite(y, "y");
	CheckFinite(yhat, "yhat");
	if (s == NULL)
		s = MemoryContextAllocZero(aggcontext, sizeof(RegState));

	/* Youngs-Cramer step, as float8_accum */
	s->n += 1;
	s->sy += y;
	if (s->n > 1)
	{
		tmp = y * s->n - s->sy;
		s->syy += tmp * tmp / ((double) s->n * (s->n - 1));
	}
	err = y - yhat;
	CompSumAdd(&s->sse, err * err);
	CompSumAdd(&s->sae, fabs(err));
	s->maxerr = Max(s->maxerr, fabs(err));
	PG_RETURN_POINTER(s);
}

/*
 * Merge regression state b into a (Chan et al.; both non-empty).
 */
static void
RegMerge(RegState *a, const RegState *b)
{
	double		n = (double) a->n + b->n;
	double		tmp = a->sy / a->n - b->sy / b->n;

	a->syy += b->syy + (double) a->n * b->n * tmp * tmp / n;
	a->sy += b->sy;
	a->n += b->n;
	CompSumAdd(&a->sse, b->sse.sum);
	CompSumAdd(&a->sse, b->sse.c);
	CompSumAdd(&a->sae, b->sae.sum);
	CompSumAdd(&a->sae, b->sae.c);
	a->maxerr = Max(a->maxerr, b->maxerr);
}

PG_FUNCTION_INFO_V1(regression_combine);
Datum
regression_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = GetAggContext(fcinfo);
	RegState   *a = PG_ARGISNULL(0) ? NULL : (RegState *) PG_GETARG_POINTER(0);
	RegState   *b = PG_ARGISNULL(1) ? NULL : (RegState *) PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
	{
		a = MemoryContextAlloc(aggcontext, sizeof(RegState));
		memcpy(a, b, sizeof(RegState));
		PG_RETURN_POINTER(a);
	}
	RegMerge(a, b);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(regression_serialize);
Datum
regression_serialize(PG_FUNCTION_ARGS)
{
	RegState   *s = (RegState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, REG_STATE_VERSION);
	pq_sendint64(&buf, s->n);
	pq_sendfloat8(&buf, s->sy);
	pq_sendfloat8(&buf, s->syy);
	pq_sendfloat8(&buf, s->sse.sum);
	pq_sendfloat8(&buf, s->sse.c);
	pq_sendfloat8(&buf, s->sae.sum);
	pq_sendfloat8(&buf, s->sae.c);
	pq_sendfloat8(&buf, s->maxerr);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(regression_deserialize);
Datum
regression_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	RegState   *s = palloc(sizeof(RegState));
	StringInfoData buf;

	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	if (pq_getmsgbyte(&buf) != REG_STATE_VERSION)
		elog(ERROR, "unknown regression metric state version");
	s->n = pq_getmsgint64(&buf);
	s->sy = pq_getmsgfloat8(&buf);
	s->syy = pq_getmsgfloat8(&buf);
	s->sse.sum = pq_getmsgfloat8(&buf);
	s->sse.c = pq_getmsgfloat8(&buf);
	s->sae.sum = pq_getmsgfloat8(&buf);
	s->sae.c = pq_getmsgfloat8(&buf);
	s->maxerr = pq_getmsgfloat8(&buf);
	pq_getmsgend(&buf);
	if (s->n <= 0)
		elog(ERROR, "invalid row count in regression metric state");
	PG_RETURN_POINTER(s);
}

/*
 * Return v, or raise an overflow error if finite inputs made it infinite.
 */
static double
CheckOverflow(double v)
{
	if (isinf(v))
		float_overflow_error();
	return v;
}

/*
 * Return R^2 = 1 - SS_res / SS_tot, or NaN if y is constant or n < 2.
 */
static double
RegR2(const RegState *s)
{
	double		sse = CheckOverflow(CompSumValue(&s->sse));

	if (s->n < 2 || CheckOverflow(s->syy) == 0.0)
		return get_float8_nan();
	return 1.0 - sse / s->syy;
}

PG_FUNCTION_INFO_V1(mse_final);
Datum
mse_final(PG_FUNCTION_ARGS)
{
	RegState   *s = (RegState *) PG_GETARG_POINTER(0);

	PG_RETURN_FLOAT8(CheckOverflow(CompSumValue(&s->sse)) / s->n);
}

PG_FUNCTION_INFO_V1(rmse_final);
Datum
rmse_final(PG_FUNCTION_ARGS)
{
	RegState   *s = (RegState *) PG_GETARG_POINTER(0);

	PG_RETURN_FLOAT8(sqrt(CheckOverflow(CompSumValue(&s->sse)) / s->n));
}

PG_FUNCTION_INFO_V1(mae_final);
Datum
mae_final(PG_FUNCTION_ARGS)
{
	RegState   *s = (RegState *) PG_GETARG_POINTER(0);

	PG_RETURN_FLOAT8(CheckOverflow(CompSumValue(&s->sae)) / s->n);
}

PG_FUNCTION_INFO_V1(r2_final);
Datum
r2_final(PG_FUNCTION_ARGS)
{
	double		r2 = RegR2((RegState *) PG_GETARG_POINTER(0));

	if (isnan(r2))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(r2);
}

/*
 * Append "key": value to a JSON object under construction.  NaN (an
 * undefined metric) and infinities, which JSON cannot hold, become null.
 */
static void
JsonAddFloat(StringInfo buf, const char *key, double v)
{
	char		num[DOUBLE_SHORTEST_DECIMAL_LEN];

	appendStringInfo(buf, "%s\"%s\": ", buf->len > 1 ? ", " : "", key);
	if (!isfinite(v))
		appendStringInfoString(buf, "null");
	else
	{
		/* shortest exact form, whatever extra_float_digits says */
		double_to_shortest_decimal_buf(v, num);
		appendStringInfoString(buf, num);
	}
}

/*
 * Append "key": integer to a JSON object under construction.
 */
static void
JsonAddInt(StringInfo buf, const char *key, int64 v)
{
	appendStringInfo(buf, "%s\"%s\": " INT64_FORMAT,
					 buf->len > 1 ? ", " : "", key, v);
}

/*
 * Close a JSON object under construction and return it as jsonb.
 */
static Datum
JsonFinish(StringInfo buf)
{
	appendStringInfoChar(buf, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf->data));
}

PG_FUNCTION_INFO_V1(regression_report_final);
Datum
regression_report_final(PG_FUNCTION_ARGS)
{
	RegState   *s = (RegState *) PG_GETARG_POINTER(0);
	double		mse = CheckOverflow(CompSumValue(&s->sse)) / s->n;
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	JsonAddInt(&buf, "n", s->n);
	JsonAddFloat(&buf, "mean_y", CheckOverflow(s->sy) / s->n);
	JsonAddFloat(&buf, "mse", mse);
	JsonAddFloat(&buf, "rmse", sqrt(mse));
	JsonAddFloat(&buf, "mae", CheckOverflow(CompSumValue(&s->sae)) / s->n);
	JsonAddFloat(&buf, "max_error", s->maxerr);
	JsonAddFloat(&buf, "r2", RegR2(s));
	PG_RETURN_DATUM(JsonFinish(&buf));
}

/* ------------------------------------------------------------------------
 * classification state
 * ------------------------------------------------------------------------
 */

/*
 * Return the threshold argument (argument 3 if present, else 0.5).
 */
static double
GetThreshold(FunctionCallInfo fcinfo)
{
	double		t;

	if (PG_NARGS() < 4)
		return 0.5;
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("threshold must not be null")));
	t = PG_GETARG_FLOAT8(3);
	if (isnan(t))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("threshold must not be NaN")));
	return t;
}

/*
 * Allocate an empty classification state in the aggregate context.
 */
static ClsState *
ClsCreate(MemoryContext aggcontext, int what, double threshold, int32 param)
{
	ClsState   *s = MemoryContextAllocZero(aggcontext, sizeof(ClsState));

	s->what = what;
	s->param = param;
	s->threshold = threshold;
	s->has_threshold = (what & CLS_COUNTS) != 0;
	s->probs_valid = true;
	s->sorted = true;
	return s;
}

/*
 * Fail if a row's threshold or table size differs from the first row's.
 */
static void
ClsCheckSame(const ClsState *s, double threshold, int32 param)
{
	if (s->has_threshold && threshold != s->threshold)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("threshold must be the same for every row"),
				 errdetail("Got %s after %s.", float8out_internal(threshold),
						   float8out_internal(s->threshold))));
	if (param != s->param)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of buckets or bins must be the same for every row"),
				 errdetail("Got %d after %d.", param, s->param)));
}

/*
 * Return the most rows whose scores fit in buypower.max_training_memory.
 */
static int64
ClsMaxRows(void)
{
	return (int64) bp_max_training_memory * 1024 / CLS_BYTES_PER_ROW;
}

/*
 * Fail unless the state may hold nrows scores under max_training_memory.
 */
static void
ClsCheckMemory(int64 nrows)
{
	if (nrows > ClsMaxRows())
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("scores of " INT64_FORMAT " rows exceed buypower.max_training_memory (%d kB)",
						nrows, bp_max_training_memory),
				 errdetail("Ranking metrics keep 8 bytes per row and need as much again to sort them."),
				 errhint("Raise buypower.max_training_memory, or evaluate fewer rows per group.")));
}

/*
 * Make room for one more score in an array of length len and capacity *cap,
 * the other class holding otherlen scores.  Capacity doubles, but never
 * beyond what the memory limit allows for this class.
 */
static double *
ClsGrow(MemoryContext aggcontext, double *arr, int64 len, int64 *cap,
		int64 otherlen)
{
	int64		newcap;

	if (len < *cap)
		return arr;
	newcap = Min(Max(*cap * 2, 1024), ClsMaxRows() - otherlen);
	Assert(newcap > len);
	if (arr == NULL)
		arr = MemoryContextAllocHuge(aggcontext, newcap * sizeof(double));
	else
		arr = repalloc_huge(arr, newcap * sizeof(double));
	*cap = newcap;
	return arr;
}

/*
 * Return the sklearn 1.2 log loss of one row: p clipped to [eps, 1 - eps],
 * then renormalized over the two classes, as sklearn.metrics.log_loss does.
 */
static double
LogLossTerm(bool label, double p)
{
	double		pc = Min(Max(p, LOGLOSS_EPS), 1.0 - LOGLOSS_EPS);
	double		qc = 1.0 - pc;
	double		total = qc + pc;

	return -log(label ? pc / total : qc / total);
}

/*
 * Add the log loss and Brier terms of one row, or void/reject them if p is
 * not a probability.
 */
static void
ClsAddProb(ClsState *s, bool label, double p)
{
	double		d;

	if (!s->probs_valid)
		return;
	if (p < 0.0 || p > 1.0)
	{
		if (s->what & CLS_PROBS)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("p must be between 0 and 1, not %s",
							float8out_internal(p)),
					 errhint("Log loss and the Brier score need probabilities; use auc() for other scores.")));
		s->probs_valid = false;
		return;
	}
	CompSumAdd(&s->logloss, LogLossTerm(label, p));
	d = (label ? 1.0 : 0.0) - p;
	CompSumAdd(&s->brier, d * d);
}

/*
 * Add one row to a classification state.
 */
static void
ClsAddRow(ClsState *s, MemoryContext aggcontext, bool label, double score)
{
	s->n++;
	if (label)
		s->npos++;
	if ((s->what & CLS_COUNTS) && score >= s->threshold)
	{
		if (label)
			s->tp++;
		else
			s->fp++;
	}
	if (s->what & (CLS_PROBS | CLS_PROBS_SOFT))
		ClsAddProb(s, label, score);
	if (s->what & CLS_SCORES)
	{
		ClsCheckMemory(s->n);	/* per row, so the limit holds to the row */
		if (label)
		{
			s->pos = ClsGrow(aggcontext, s->pos, s->npos - 1, &s->poscap, ClsNeg(s));
			s->pos[s->npos - 1] = score;
		}
		else
		{
			s->neg = ClsGrow(aggcontext, s->neg, ClsNeg(s) - 1, &s->negcap, s->npos);
			s->neg[ClsNeg(s) - 1] = score;
		}
		s->sorted = false;
	}
}

/*
 * Shared transition step: skip rows with a NULL label or score, check the
 * score and add the row.  Returns the (possibly new, possibly NULL) state.
 */
ClsState *
ClsAccum(FunctionCallInfo fcinfo, int what, double threshold, int32 param)
{
	MemoryContext aggcontext = GetAggContext(fcinfo);
	ClsState   *s = PG_ARGISNULL(0) ? NULL : (ClsState *) PG_GETARG_POINTER(0);
	double		score;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return s;
	score = PG_GETARG_FLOAT8(2);
	if (isnan(score))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s must not be NaN", (what & CLS_PROBS) ? "p" : "score")));
	if (score == 0.0)
		score = 0.0;			/* -0 and +0 tie; make their bits equal too */
	if (s == NULL)
		s = ClsCreate(aggcontext, what, threshold, param);
	else
		ClsCheckSame(s, threshold, param);
	ClsAddRow(s, aggcontext, PG_GETARG_BOOL(1), score);
	return s;
}

/*
 * Return a transition state as the transition function's result.
 */
Datum
ClsReturn(FunctionCallInfo fcinfo, ClsState *state)
{
	if (state == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(auc_accum);
Datum
auc_accum(PG_FUNCTION_ARGS)
{
	return ClsReturn(fcinfo, ClsAccum(fcinfo, CLS_SCORES, 0.5, 0));
}

PG_FUNCTION_INFO_V1(probability_accum);
Datum
probability_accum(PG_FUNCTION_ARGS)
{
	return ClsReturn(fcinfo, ClsAccum(fcinfo, CLS_PROBS, 0.5, 0));
}

PG_FUNCTION_INFO_V1(confusion_accum);
Datum
confusion_accum(PG_FUNCTION_ARGS)
{
	return ClsReturn(fcinfo, ClsAccum(fcinfo, CLS_COUNTS, GetThreshold(fcinfo), 0));
}

PG_FUNCTION_INFO_V1(classification_report_accum);
Datum
classification_report_accum(PG_FUNCTION_ARGS)
{
	return ClsReturn(fcinfo, ClsAccum(fcinfo,
									  CLS_SCORES | CLS_COUNTS | CLS_PROBS_SOFT,
									  GetThreshold(fcinfo), 0));
}

/*
 * Copy the scores of src after those of dst, growing dst as needed.
 */
static double *
ClsAppend(MemoryContext cxt, double *dst, int64 dlen, int64 *dcap,
		  const double *src, int64 slen)
{
	if (slen == 0)
		return dst;
	if (dlen + slen > *dcap)
	{
		int64		newcap = Max(dlen + slen, *dcap * 2);

		if (dst == NULL)
			dst = MemoryContextAllocHuge(cxt, newcap * sizeof(double));
		else
			dst = repalloc_huge(dst, newcap * sizeof(double));
		*dcap = newcap;
	}
	memcpy(dst + dlen, src, slen * sizeof(double));
	return dst;
}

/*
 * Merge classification state b into a: add counts and sums, concatenate
 * the scores.
 */
static void
ClsMerge(MemoryContext cxt, ClsState *a, const ClsState *b)
{
	if (a->what != b->what)
		elog(ERROR, "cannot merge classification states of different kinds");
	ClsCheckSame(a, b->threshold, b->param);
	if (a->what & CLS_SCORES)
	{
		ClsCheckMemory(a->n + b->n);
		a->pos = ClsAppend(cxt, a->pos, a->npos, &a->poscap, b->pos, b->npos);
		a->neg = ClsAppend(cxt, a->neg, ClsNeg(a), &a->negcap, b->neg, ClsNeg(b));
		a->sorted = false;
	}
	a->n += b->n;
	a->npos += b->npos;
	a->tp += b->tp;
	a->fp += b->fp;
	a->probs_valid = a->probs_valid && b->probs_valid;
	CompSumAdd(&a->logloss, b->logloss.sum);
	CompSumAdd(&a->logloss, b->logloss.c);
	CompSumAdd(&a->brier, b->brier.sum);
	CompSumAdd(&a->brier, b->brier.c);
}

PG_FUNCTION_INFO_V1(classification_combine);
Datum
classification_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = GetAggContext(fcinfo);
	ClsState   *a = PG_ARGISNULL(0) ? NULL : (ClsState *) PG_GETARG_POINTER(0);
	ClsState   *b = PG_ARGISNULL(1) ? NULL : (ClsState *) PG_GETARG_POINTER(1);

	if (b == NULL)
		return ClsReturn(fcinfo, a);
	if (a == NULL)
	{
		a = ClsCreate(aggcontext, b->what, b->threshold, b->param);
		a->has_threshold = b->has_threshold;
	}
	ClsMerge(aggcontext, a, b);
	PG_RETURN_POINTER(a);
}

/*
 * Write the counts of a state, field by field (read by ClsReadHeader).
 */
static void
ClsWriteHeader(StringInfo buf, const ClsState *s)
{
	pq_sendbyte(buf, CLS_STATE_VERSION);
	pq_sendint32(buf, s->what);
	pq_sendint32(buf, s->param);
	pq_sendbyte(buf, s->has_threshold);
	pq_sendbyte(buf, s->probs_valid);
	pq_sendfloat8(buf, s->threshold);
	pq_sendint64(buf, s->n);
	pq_sendint64(buf, s->npos);
	pq_sendint64(buf, s->tp);
	pq_sendint64(buf, s->fp);
	pq_sendfloat8(buf, s->logloss.sum);
	pq_sendfloat8(buf, s->logloss.c);
	pq_sendfloat8(buf, s->brier.sum);
	pq_sendfloat8(buf, s->brier.c);
}

PG_FUNCTION_INFO_V1(classification_serialize);
Datum
classification_serialize(PG_FUNCTION_ARGS)
{
	ClsState   *s = (ClsState *) PG_GETARG_POINTER(0);
	int64		nscores = (s->what & CLS_SCORES) ? s->n : 0;
	StringInfoData buf;
	int64		i;

	if ((double) nscores * sizeof(double) + CLS_SERIAL_HEADER >
		(double) (MaxAllocSize - VARHDRSZ))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("scores of " INT64_FORMAT " rows are too many to pass between parallel workers", s->n),
				 errhint("Set max_parallel_workers_per_gather to 0 for this query, or evaluate fewer rows per group.")));
	pq_begintypsend(&buf);
	enlargeStringInfo(&buf, CLS_SERIAL_HEADER + nscores * sizeof(double));
	ClsWriteHeader(&buf, s);
	for (i = 0; i < nscores; i++)
		pq_sendfloat8(&buf, i < s->npos ? s->pos[i] : s->neg[i - s->npos]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Read the counts of a serialized state and check them for consistency.
 */
static void
ClsReadHeader(StringInfo buf, ClsState *s)
{
	if (pq_getmsgbyte(buf) != CLS_STATE_VERSION)
		elog(ERROR, "unknown classification metric state version");
	s->what = pq_getmsgint(buf, 4);
	s->param = pq_getmsgint(buf, 4);
	s->has_threshold = pq_getmsgbyte(buf) != 0;
	s->probs_valid = pq_getmsgbyte(buf) != 0;
	s->threshold = pq_getmsgfloat8(buf);
	s->n = pq_getmsgint64(buf);
	s->npos = pq_getmsgint64(buf);
	s->tp = pq_getmsgint64(buf);
	s->fp = pq_getmsgint64(buf);
	s->logloss.sum = pq_getmsgfloat8(buf);
	s->logloss.c = pq_getmsgfloat8(buf);
	s->brier.sum = pq_getmsgfloat8(buf);
	s->brier.c = pq_getmsgfloat8(buf);
	if ((s->what & ~CLS_ALL_FLAGS) != 0 || s->n <= 0 || s->npos < 0 ||
		s->npos > s->n || s->tp < 0 || s->fp < 0 || s->tp > s->npos ||
		s->fp > ClsNeg(s))
		elog(ERROR, "inconsistent classification metric state");
}

PG_FUNCTION_INFO_V1(classification_deserialize);
Datum
classification_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	ClsState   *s = palloc0(sizeof(ClsState));
	StringInfoData buf;
	int64		i;

	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	ClsReadHeader(&buf, s);
	if (s->what & CLS_SCORES)
	{
		if ((int64) ((buf.len - buf.cursor) / sizeof(double)) != s->n)
			elog(ERROR, "truncated classification metric state");
		s->poscap = Max(s->npos, 1);
		s->negcap = Max(ClsNeg(s), 1);
		s->pos = palloc_extended(s->poscap * sizeof(double), MCXT_ALLOC_HUGE);
		s->neg = palloc_extended(s->negcap * sizeof(double), MCXT_ALLOC_HUGE);
		for (i = 0; i < s->npos; i++)
			s->pos[i] = pq_getmsgfloat8(&buf);
		for (i = 0; i < ClsNeg(s); i++)
			s->neg[i] = pq_getmsgfloat8(&buf);
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(s);
}

/* ------------------------------------------------------------------------
 * sorting and AUC
 * ------------------------------------------------------------------------
 */

/*
 * Map a double to a uint64 whose unsigned order is the double's order
 * (NaN excluded, -0 already folded into +0).
 */
static inline uint64
DoubleToKey(double d)
{
	uint64		u;

	memcpy(&u, &d, sizeof(u));
	return (u & UINT64CONST(0x8000000000000000)) ? ~u : u | UINT64CONST(0x8000000000000000);
}

/*
 * Invert DoubleToKey.
 */
static inline double
KeyToDouble(uint64 k)
{
	uint64		u = (k & UINT64CONST(0x8000000000000000)) ? k & ~UINT64CONST(0x8000000000000000) : ~k;
	double		d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

/*
 * Sort n doubles ascending in place: LSD radix sort on their order-preserving
 * 64-bit keys, one byte per pass, skipping bytes that all keys share.  Runs
 * in O(n) with a scratch array of n keys.
 */
static void
RadixSortDoubles(double *a, int64 n)
{
	uint64	   *src = (uint64 *) a;
	uint64	   *dst;
	int64	   *count = palloc0(8 * 256 * sizeof(int64));
	int64		i;
	int			pass;

	if (n < 2)
		return;
	dst = palloc_extended(n * sizeof(uint64), MCXT_ALLOC_HUGE);
	for (i = 0; i < n; i++)
	{
		uint64		k = DoubleToKey(a[i]);

		src[i] = k;
		for (pass = 0; pass < 8; pass++)
			count[pass * 256 + ((k >> (8 * pass)) & 0xFF)]++;
	}
	for (pass = 0; pass < 8; pass++)
	{
		int64	   *c = count + pass * 256;
		int64		offset = 0;
		uint64	   *tmp;

		CHECK_FOR_INTERRUPTS();
		if (c[(src[0] >> (8 * pass)) & 0xFF] == n)
			continue;			/* every key has this byte: nothing to do */
		for (i = 0; i < 256; i++)
		{
			int64		t = c[i];

			c[i] = offset;
			offset += t;
		}
		for (i = 0; i < n; i++)
			dst[c[(src[i] >> (8 * pass)) & 0xFF]++] = src[i];
		tmp = src;
		src = dst;
		dst = tmp;
	}
	if (src != (uint64 *) a)
	{
		memcpy(a, src, n * sizeof(uint64));
		dst = src;
	}
	for (i = 0; i < n; i++)
		a[i] = KeyToDouble(((uint64 *) a)[i]);
	pfree(dst);
	pfree(count);
}

/*
 * Sort both score arrays of a state ascending, once.  Sorting reorders but
 * does not change the multiset of scores, so final functions may call this
 * and stay READ_ONLY; an added row clears the flag.
 */
void
ClsSortScores(ClsState *s)
{
	if (s->sorted)
		return;
	RadixSortDoubles(s->pos, s->npos);
	RadixSortDoubles(s->neg, ClsNeg(s));
	s->sorted = true;
}

/*
 * Convert a 128-bit integer to the nearest double (within an ulp).
 */
static double
Int128ToDouble(INT128 v)
{
#if USE_NATIVE_INT128
	return (double) v;
#else
	return ldexp((double) v.hi, 64) + (double) v.lo;
#endif
}

/*
 * Return the area under the ROC curve, or NaN if a class is missing.
 *
 * AUC is the Mann-Whitney statistic U / (npos * nneg), where U counts the
 * (positive, negative) pairs whose positive scores higher, a tie counting
 * one half; this equals sklearn's trapezoidal roc_auc_score.  One merge of
 * the sorted arrays counts 2U exactly in 128-bit integers: for each group
 * of c equal positive scores v, 2U += c * (2 * #neg < v + #neg == v).
 */
double
ClsAuc(ClsState *s)
{
	int64		nneg = ClsNeg(s);
	int64		i = 0,
				j = 0;
	INT128		twice_u = int64_to_int128(0);

	if (s->npos == 0 || nneg == 0)
		return get_float8_nan();
	ClsSortScores(s);
	while (i < s->npos)
	{
		double		v = s->pos[i];
		int64		i2 = i,
					j2;

		while (i2 < s->npos && s->pos[i2] == v)
			i2++;
		while (j < nneg && s->neg[j] < v)
			j++;
		for (j2 = j; j2 < nneg && s->neg[j2] == v; j2++)
			;
		int128_add_int64_mul_int64(&twice_u, i2 - i, 2 * j + (j2 - j));
		i = i2;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return Int128ToDouble(twice_u) / (2.0 * (double) s->npos * (double) nneg);
}

/* ------------------------------------------------------------------------
 * classification final functions
 * ------------------------------------------------------------------------
 */

/*
 * Return num / den, or NaN if den is zero (undefined metric: SQL NULL).
 */
static double
Ratio(int64 num, int64 den)
{
	return den == 0 ? get_float8_nan() : (double) num / (double) den;
}

/*
 * Return F1 = 2 tp / (2 tp + fp + fn), or NaN if precision or recall is
 * undefined.
 */
static double
ClsF1(const ClsState *s)
{
	int64		fn = s->npos - s->tp;

	if (s->tp + s->fp == 0 || s->npos == 0)
		return get_float8_nan();
	return Ratio(2 * s->tp, 2 * s->tp + s->fp + fn);
}

/*
 * Return a double as the final result, NaN meaning SQL NULL.
 */
static Datum
ReturnOrNull(FunctionCallInfo fcinfo, double v)
{
	if (isnan(v))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(v);
}

PG_FUNCTION_INFO_V1(auc_final);
Datum
auc_final(PG_FUNCTION_ARGS)
{
	return ReturnOrNull(fcinfo, ClsAuc((ClsState *) PG_GETARG_POINTER(0)));
}

PG_FUNCTION_INFO_V1(logloss_final);
Datum
logloss_final(PG_FUNCTION_ARGS)
{
	ClsState   *s = (ClsState *) PG_GETARG_POINTER(0);

	PG_RETURN_FLOAT8(CompSumValue(&s->logloss) / s->n);
}

PG_FUNCTION_INFO_V1(brier_final);
Datum
brier_final(PG_FUNCTION_ARGS)
{
	ClsState   *s = (ClsState *) PG_GETARG_POINTER(0);

	PG_RETURN_FLOAT8(CompSumValue(&s->brier) / s->n);
}

PG_FUNCTION_INFO_V1(accuracy_final);
Datum
accuracy_final(PG_FUNCTION_ARGS)
{
	ClsState   *s = (ClsState *) PG_GETARG_POINTER(0);
	int64		tn = ClsNeg(s) - s->fp;

	return ReturnOrNull(fcinfo, Ratio(s->tp + tn, s->n));
}

PG_FUNCTION_INFO_V1(precision_final);
Datum
precision_final(PG_FUNCTION_ARGS)
{
	ClsState   *s = (ClsState *) PG_GETARG_POINTER(0);

	return ReturnOrNull(fcinfo, Ratio(s->tp, s->tp + s->fp));
}

PG_FUNCTION_INFO_V1(recall_final);
Datum
recall_final(PG_FUNCTION_ARGS)
{
	ClsState   *s = (ClsState *) PG_GETARG_POINTER(0);

	return ReturnOrNull(fcinfo, Ratio(s->tp, s->npos));
}

PG_FUNCTION_INFO_V1(f1_final);
Datum
f1_final(PG_FUNCTION_ARGS)
{
	return ReturnOrNull(fcinfo, ClsF1((ClsState *) PG_GETARG_POINTER(0)));
}

PG_FUNCTION_INFO_V1(classification_report_final);
Datum
classification_report_final(PG_FUNCTION_ARGS)
{
	ClsState   *s = (ClsState *) PG_GETARG_POINTER(0);
	int64		neg = ClsNeg(s);
	double		nan = get_float8_nan();
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	JsonAddInt(&buf, "n", s->n);
	JsonAddInt(&buf, "positives", s->npos);
	JsonAddInt(&buf, "negatives", neg);
	JsonAddFloat(&buf, "threshold", s->threshold);
	JsonAddInt(&buf, "tp", s->tp);
	JsonAddInt(&buf, "fp", s->fp);
	JsonAddInt(&buf, "tn", neg - s->fp);
	JsonAddInt(&buf, "fn", s->npos - s->tp);
	JsonAddFloat(&buf, "accuracy", Ratio(s->tp + neg - s->fp, s->n));
	JsonAddFloat(&buf, "precision", Ratio(s->tp, s->tp + s->fp));
	JsonAddFloat(&buf, "recall", Ratio(s->tp, s->npos));
	JsonAddFloat(&buf, "f1", ClsF1(s));
	JsonAddFloat(&buf, "auc", ClsAuc(s));
	JsonAddFloat(&buf, "logloss", s->probs_valid ? CompSumValue(&s->logloss) / s->n : nan);
	JsonAddFloat(&buf, "brier", s->probs_valid ? CompSumValue(&s->brier) / s->n : nan);
	PG_RETURN_DATUM(JsonFinish(&buf));
}

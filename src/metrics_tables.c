/*-------------------------------------------------------------------------
 *
 * metrics_tables.c
 *	  Chartable evaluation tables: decile lift/gain, calibration and ROC
 *	  curve.  Each is an aggregate returning an array of a composite type
 *	  (buypower.lift_bucket[], calibration_bin[], roc_point[]) that callers
 *	  unnest into rows; they share the classification state of metrics.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "buypower.h"
#include "metrics.h"

/* Most buckets (lift) or bins (calibration) a table may have */
#define BP_MAX_BUCKETS		10000

/* sklearn's calibration_curve stretches its uniform bin edges by this */
#define CALIBRATION_STRETCH 1e-8

/*
 * Rows of a composite type, collected into the array a final function
 * returns.
 */
typedef struct RowsBuilder
{
	TupleDesc	desc;
	Oid			elemtype;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	int64		n;
} RowsBuilder;

/*
 * Prepare to build up to maxrows rows of the final function's element type.
 */
static void
RowsInit(RowsBuilder *rb, FunctionCallInfo fcinfo, int64 maxrows)
{
	Oid			arraytype = get_fn_expr_rettype(fcinfo->flinfo);

	rb->elemtype = get_element_type(arraytype);
	if (!OidIsValid(rb->elemtype))
		elog(ERROR, "table aggregate must return an array of a composite type");
	rb->desc = lookup_rowtype_tupdesc_copy(rb->elemtype, -1);
	get_typlenbyvalalign(rb->elemtype, &rb->typlen, &rb->typbyval, &rb->typalign);
	rb->elems = palloc_extended(Max(maxrows, 1) * sizeof(Datum), MCXT_ALLOC_HUGE);
	rb->n = 0;
}

/*
 * Add one row; NaN in a float8 column means NULL.
 */
static void
RowsAdd(RowsBuilder *rb, Datum *values, bool *nulls)
{
	int			i;

	for (i = 0; i < rb->desc->natts; i++)
		if (TupleDescAttr(rb->desc, i)->atttypid == FLOAT8OID && !nulls[i] &&
			isnan(DatumGetFloat8(values[i])))
			nulls[i] = true;
	rb->elems[rb->n++] = HeapTupleGetDatum(heap_form_tuple(rb->desc, values, nulls));
}

/*
 * Return the collected rows as an array.
 */
static Datum
RowsResult(RowsBuilder *rb)
{
	return PointerGetDatum(construct_array(rb->elems, (int) rb->n, rb->elemtype,
										   rb->typlen, rb->typbyval, rb->typalign));
}

/*
 * Return num / den as a double, NaN (NULL) if den is zero.
 */
static double
Div(double num, double den)
{
	return den == 0.0 ? get_float8_nan() : num / den;
}

/*
 * Return the bucket/bin count argument (argument 3 if present, else dflt).
 */
static int32
GetCount(FunctionCallInfo fcinfo, int32 dflt, const char *what)
{
	int32		k;

	if (PG_NARGS() < 4)
		return dflt;
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("number of %s must not be null", what)));
	k = PG_GETARG_INT32(3);
	if (k < 1 || k > BP_MAX_BUCKETS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of %s must be between 1 and %d, not %d",
						what, BP_MAX_BUCKETS, k)));
	return k;
}

PG_FUNCTION_INFO_V1(lift_accum);
Datum
lift_accum(PG_FUNCTION_ARGS)
{
	return ClsReturn(fcinfo, ClsAccum(fcinfo, CLS_SCORES, 0.5,
									  GetCount(fcinfo, 10, "buckets")));
}

PG_FUNCTION_INFO_V1(calibration_accum);
Datum
calibration_accum(PG_FUNCTION_ARGS)
{
	return ClsReturn(fcinfo, ClsAccum(fcinfo, CLS_SCORES | CLS_PROBS, 0.5,
									  GetCount(fcinfo, 10, "bins")));
}

/*
 * Walk the scores of a sorted state from the highest down, one group of
 * equal scores at a time.
 */
typedef struct TieWalker
{
	const ClsState *s;
	int64		i;				/* next positive, counting down */
	int64		j;				/* next negative, counting down */
} TieWalker;

/*
 * Step to the next lower score v; return false when done, else set *v and
 * the positives *cp and negatives *cn scoring exactly v.
 */
static bool
TieNext(TieWalker *w, double *v, int64 *cp, int64 *cn)
{
	if (w->i < 0 && w->j < 0)
		return false;
	if (w->j < 0 || (w->i >= 0 && w->s->pos[w->i] >= w->s->neg[w->j]))
		*v = w->s->pos[w->i];
	else
		*v = w->s->neg[w->j];
	for (*cp = 0; w->i >= 0 && w->s->pos[w->i] == *v; w->i--)
		(*cp)++;
	for (*cn = 0; w->j >= 0 && w->s->neg[w->j] == *v; w->j--)
		(*cn)++;
	return true;
}

/*
 * Start a descending walk over a state's scores, sorting them first.
 */
static void
TieStart(TieWalker *w, ClsState *s)
{
	ClsSortScores(s);
	w->s = s;
	w->i = s->npos - 1;
	w->j = ClsNeg(s) - 1;
}

/*
 * Return the 0-based bucket of rank a (0 = highest score) among n rows in
 * k buckets, as ntile(k): the first n % k buckets have one row more.
 */
static int
NtileBucket(int64 a, int64 n, int k)
{
	int64		q = n / k;
	int64		r = n % k;

	if (a < r * (q + 1))
		return (int) (a / (q + 1));
	return (int) (r + (a - r * (q + 1)) / q);
}

typedef struct LiftAcc
{
	int64		rows;
	int64		positives;
	double		min_score;
	double		max_score;
} LiftAcc;

/*
 * Count rows and positives per bucket.  Rows are ranked by score, highest
 * first, and cut as ntile(k); a group of tied scores is never split: it
 * goes wholly to the bucket of its first row.
 */
static LiftAcc *
LiftCount(ClsState *s, int k)
{
	LiftAcc    *b = palloc0(k * sizeof(LiftAcc));
	TieWalker	w;
	double		v;
	int64		cp,
				cn,
				a = 0;

	TieStart(&w, s);
	while (TieNext(&w, &v, &cp, &cn))
	{
		LiftAcc    *cur = &b[NtileBucket(a, s->n, k)];

		if (cur->rows == 0)
			cur->max_score = v;
		cur->min_score = v;
		cur->rows += cp + cn;
		cur->positives += cp;
		a += cp + cn;
		CHECK_FOR_INTERRUPTS();
	}
	return b;
}

PG_FUNCTION_INFO_V1(lift_final);
Datum
lift_final(PG_FUNCTION_ARGS)
{
	ClsState   *s = (ClsState *) PG_GETARG_POINTER(0);
	LiftAcc    *b = LiftCount(s, s->param);
	double		npos = (double) s->npos,
				n = (double) s->n;
	int64		cumrows = 0,
				cumpos = 0;
	RowsBuilder rb;
	int			k;

	RowsInit(&rb, fcinfo, s->param);
	for (k = 0; k < s->param; k++)
	{
		Datum		values[11];
		bool		nulls[11] = {0};

		cumrows += b[k].rows;
		cumpos += b[k].positives;
		values[0] = Int32GetDatum(k + 1);
		values[1] = Int64GetDatum(b[k].rows);
		values[2] = Int64GetDatum(b[k].positives);
		values[3] = Float8GetDatum(b[k].min_score);
		values[4] = Float8GetDatum(b[k].max_score);
		nulls[3] = nulls[4] = (b[k].rows == 0);
		values[5] = Float8GetDatum(Div(b[k].positives, b[k].rows));
		values[6] = Float8GetDatum(Div(b[k].positives * n, b[k].rows * npos));
		values[7] = Int64GetDatum(cumrows);
		values[8] = Int64GetDatum(cumpos);
		values[9] = Float8GetDatum(Div(cumpos, npos));
		values[10] = Float8GetDatum(Div(cumpos * n, cumrows * npos));
		RowsAdd(&rb, values, nulls);
	}
	PG_RETURN_DATUM(RowsResult(&rb));
}

/*
 * Return the 0-based calibration bin of p: the number of inner edges
 * e_j = j * step (j = 1 .. bins - 1) below p, as numpy.searchsorted does
 * over numpy.linspace(0, 1 + 1e-8, bins + 1) in sklearn's calibration_curve.
 */
static int
CalibrationBin(double p, int bins, double step)
{
	int			b = (int) Min(Max(p / step, 0.0), (double) (bins - 1));

	while (b > 0 && (double) b * step >= p)
		b--;
	while (b < bins - 1 && (double) (b + 1) * step < p)
		b++;
	return b;
}

/*
 * Add the scores of one class to the calibration bins.
 */
static void
CalibrationAdd(const double *p, int64 n, bool label, int bins, double step,
			   int64 *rows, int64 *positives, CompSum *sums)
{
	int64		i;

	for (i = 0; i < n; i++)
	{
		int			b = CalibrationBin(p[i], bins, step);

		rows[b]++;
		positives[b] += label;
		CompSumAdd(&sums[b], p[i]);
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
}

PG_FUNCTION_INFO_V1(calibration_final);
Datum
calibration_final(PG_FUNCTION_ARGS)
{
	ClsState   *s = (ClsState *) PG_GETARG_POINTER(0);
	int			bins = s->param;
	double		step = (1.0 + CALIBRATION_STRETCH) / bins;
	int64	   *rows = palloc0(bins * sizeof(int64));
	int64	   *positives = palloc0(bins * sizeof(int64));
	CompSum    *sums = palloc0(bins * sizeof(CompSum));
	RowsBuilder rb;
	int			b;

	CalibrationAdd(s->pos, s->npos, true, bins, step, rows, positives, sums);
	CalibrationAdd(s->neg, ClsNeg(s), false, bins, step, rows, positives, sums);
	RowsInit(&rb, fcinfo, bins);
	for (b = 0; b < bins; b++)
	{
		Datum		values[6];
		bool		nulls[6] = {0};

		values[0] = Int32GetDatum(b + 1);
		values[1] = Float8GetDatum((double) b / bins);
		values[2] = Float8GetDatum((double) (b + 1) / bins);
		values[3] = Int64GetDatum(rows[b]);
		values[4] = Float8GetDatum(Div(CompSumValue(&sums[b]), rows[b]));
		values[5] = Float8GetDatum(Div(positives[b], rows[b]));
		RowsAdd(&rb, values, nulls);
	}
	PG_RETURN_DATUM(RowsResult(&rb));
}

/*
 * Add one ROC point.
 */
static void
RocAdd(RowsBuilder *rb, double threshold, double fpr, double tpr)
{
	Datum		values[3];
	bool		nulls[3] = {0};

	values[0] = Float8GetDatum(threshold);
	values[1] = Float8GetDatum(fpr);
	values[2] = Float8GetDatum(tpr);
	RowsAdd(rb, values, nulls);
}

PG_FUNCTION_INFO_V1(roc_curve_final);
Datum
roc_curve_final(PG_FUNCTION_ARGS)
{
	ClsState   *s = (ClsState *) PG_GETARG_POINTER(0);
	double		npos = (double) s->npos,
				nneg = (double) ClsNeg(s);
	int64		tp = 0,
				fp = 0,
				cp,
				cn;
	double		v;
	TieWalker	w;
	RowsBuilder rb;

	if (s->npos == 0 || ClsNeg(s) == 0)
		PG_RETURN_NULL();		/* undefined, as auc() */
	TieStart(&w, s);
	RowsInit(&rb, fcinfo, s->n + 1);
	RocAdd(&rb, get_float8_infinity(), 0.0, 0.0);
	while (TieNext(&w, &v, &cp, &cn))
	{
		tp += cp;
		fp += cn;
		RocAdd(&rb, v, fp / nneg, tp / npos);
		CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_DATUM(RowsResult(&rb));
}

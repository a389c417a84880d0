/*-------------------------------------------------------------------------
 *
 * predict.c
 *	  Scoring (buypower.predict) and coefficient tables (buypower.summary).
 *
 * predict is called once per scored row, usually with the same model on
 * every call (a model table cross-joined to users), or with one of a few
 * models picked per row (one model per product category).  Checked,
 * detoasted models are kept in fn_extra, up to PREDICT_CACHE_MODELS of
 * them, and reused while the incoming datum is provably the same value:
 * the same TOAST pointer (TOASTed values never change in place) or the
 * same inline bytes.  A row then costs a comparison of a few bytes and the
 * dot product (or the tree walk).  A miss replaces the entry used longest
 * ago, so a query alternating between a handful of models decodes each once.
 *
 * The feature arrays are usually written in the query, ARRAY[x1, ..., xn]
 * over columns (and ARRAY[c1, ..., ck] for categories), and PostgreSQL
 * builds them for every row before predict sees them.  predict's planner
 * support function therefore rewrites such a call into
 * predict_values(model, x1, ..., xn, c1, ..., ck), a VARIADIC "any"
 * function that gets the elements as separate arguments and lays them out
 * as the same arrays in memory of its own, once per row: the same checks,
 * errors and bits.  Scoring 1M rows into a table took 0.86 of the time
 * with arrays (0.84 with three categories; bench/alternate.py).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/supportnodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "buypower.h"
#include "aggstate.h"
#include "distrib.h"
#include "linalg.h"
#include "model.h"
#include "trees.h"
#include "prep.h"
#include "values.h"

#define PREDICT_CACHE_MODELS	8

typedef struct PredictCache
{
	ModelKey	key;
	uint64		lastuse;		/* PredictCacheSet.clock at the last hit */
	MemoryContext cxt;			/* holds everything below; reset on reuse */
	Model	   *model;			/* detoasted, checked copy */
	const double *coef;
	TreeView	trees;			/* tree models: pointers into model */
	double	   *tbuf;			/* tree models: one scoring row */
	Prep	   *prep;			/* decoded preprocessing, or NULL */
	double	   *design;			/* scratch: one design row */
	double	   *xbuf;			/* scratch: numeric inputs */
	int32	   *lbuf;			/* scratch: category levels */
} PredictCache;

typedef struct PredictCacheSet
{
	uint64		clock;
	PredictCache entries[PREDICT_CACHE_MODELS];
	/* predict_values: its arguments, and the arrays they are laid out in */
	bool		values_checked;
	BpValueArgs va;				/* the arguments after the model (values.h) */
	ArrayType  *values;			/* float8[] of nnum elements */
	ArrayType  *cats;			/* text[], catsize bytes */
	Size		catsize;
} PredictCacheSet;

static PredictCacheSet *
GetCacheSet(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PredictCacheSet));
	return fcinfo->flinfo->fn_extra;
}

/*
 * Return the model of argument 0, detoasting and checking it only when no
 * cache entry holds it already.
 */
static PredictCache *
GetCachedModel(FunctionCallInfo fcinfo)
{
	PredictCacheSet *set = GetCacheSet(fcinfo);
	struct varlena *v = (struct varlena *) PG_GETARG_POINTER(0);
	PredictCache *c = NULL;
	MemoryContext old;
	int			i,
				n;

	set->clock++;
	for (i = 0; i < PREDICT_CACHE_MODELS; i++)
		if (ModelKeyMatches(&set->entries[i].key, v))
		{
			set->entries[i].lastuse = set->clock;
			return &set->entries[i];
		}

	/* a miss: reuse the entry used longest ago (never-used ones first) */
	for (i = 0; i < PREDICT_CACHE_MODELS; i++)
		if (c == NULL || set->entries[i].lastuse < c->lastuse)
			c = &set->entries[i];

	/* the replaced model's parts all live in its context */
	if (c->cxt)
		MemoryContextReset(c->cxt);
	else
		c->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt,
									   "buypower predict model",
									   ALLOCSET_SMALL_SIZES);
	c->key.valid = false;
	c->lastuse = set->clock;
	c->prep = NULL;
	old = MemoryContextSwitchTo(c->cxt);
	c->model = ModelKeyLoad(&c->key, v);
	c->coef = ModelGetDoubles(c->model, MTAG_COEF, &n);
	if (MODEL_KIND_IS_TREES(c->model->kind))
	{
		TreeViewInit(&c->trees, c->model, c->cxt);
		c->tbuf = palloc(sizeof(double) * c->model->nfeatures);
	}
	c->prep = PrepFromModel(c->model);
	if (c->prep)
	{
		c->design = palloc(sizeof(double) * (c->prep->ndesign + 1));
		c->xbuf = palloc(sizeof(double) * (c->prep->nnum + 1));
		c->lbuf = palloc(sizeof(int32) * (c->prep->ncat + 1));
	}
	/* an indirect or expanded datum has no stable key: use once */
	c->key.valid = c->key.stable;
	if (!c->key.valid)
		c->lastuse = 0;
	MemoryContextSwitchTo(old);
	return c;
}

/*
 * Check a scoring row: as many features as the model, all finite.
 */
static const double *
ScoringFeatures(const Model *m, ArrayType *a)
{
	int			n,
				j;
	const double *x = BpGetFeatures(a, &n);

	if (n != m->nfeatures)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("model expects %d features, not %d", m->nfeatures, n),
				 errhint("Pass the feature columns in the order used for training.")));
	if (!LinalgAllFinite(x, n))
		for (j = 0; j < n; j++)
			if (!isfinite(x[j]))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("feature %d is not finite", j + 1)));
	return x;
}

/*
 * Linear predictor b0 + b^T x, summed in a fixed order.
 */
static inline double
LinearScore(const double *coef, const double *x, int p)
{
	double		eta = coef[0];
	int			j;

	for (j = 0; j < p; j++)
		eta += coef[j + 1] * x[j];
	return eta;
}

/*
 * Logistic function, without overflow for large |eta|.
 */
static inline double
Sigmoid(double eta)
{
	if (eta >= 0)
		return 1.0 / (1.0 + exp(-eta));
	else
	{
		double		e = exp(eta);

		return e / (1.0 + e);
	}
}

/*
 * Score one row: numeric features, and categorical ones (or NULL).
 */
static double
ScoreRow(FunctionCallInfo fcinfo, ArrayType *num, ArrayType *cats)
{
	PredictCache *c = GetCachedModel(fcinfo);
	const Model *m = c->model;
	const double *x;
	double		eta;

	if (MODEL_KIND_IS_TREES(m->kind))
	{
		int			nc = cats ? PrepCountCategorical(cats) : 0;

		if (nc != c->trees.q)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("model expects %d categorical features, not %d",
							c->trees.q, nc)));
		x = TreesScoringFeatures(m, c->trees.pnum, num, c->tbuf);
		if (nc > 0)
			TreesScoringCategories(&c->trees, cats, c->tbuf + c->trees.pnum);
		return TreesScore(&c->trees, x);
	}
	/*
	 * A model whose preprocessing only fills NULLs (the default) scores a
	 * NULL-free row exactly as a model without any: (v - 0) / 1 is v.
	 */
	if (c->prep && !(c->prep->identity && !ARR_HASNULL(num)))
	{
		PrepScoreRow(c->prep, num, cats, c->xbuf, c->lbuf, c->design);
		x = c->design;
	}
	else
	{
		if (cats != NULL && PrepCountCategorical(cats) > 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("model expects 0 categorical features, not %d",
							PrepCountCategorical(cats)),
					 errhint("Pass the categorical columns in the order used for training.")));
		x = ScoringFeatures(m, num);
	}
	eta = LinearScore(c->coef, x, m->nfeatures);
	if (m->kind == MODEL_LOGREG)
		return Sigmoid(eta);
	if (isinf(eta))
		float_overflow_error();
	return eta;
}

PG_FUNCTION_INFO_V1(model_predict);
Datum
model_predict(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(ScoreRow(fcinfo, PG_GETARG_ARRAYTYPE_P(1), NULL));
}

/*
 * Planner support for predict: predict(model, ARRAY[x1, ..., xn]) becomes
 * predict_values(model, x1, ..., xn), and predict(model, ARRAY[x1, ...,
 * xn], ARRAY[c1, ..., ck]) becomes predict_values(model, x1, ..., xn, c1,
 * ..., ck), when every array argument is written as a one-dimensional
 * ARRAY[...] and the elements fit in a call (FUNC_MAX_ARGS with the
 * model).  predict_values is looked up in predict's own schema.  The
 * elements are evaluated as before, once each and in the same order; only
 * the arrays are not built.  Anything else is left alone.
 */
PG_FUNCTION_INFO_V1(model_predict_support);
Datum
model_predict_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	FuncExpr   *call;
	List	   *num,
			   *cat = NIL;
	Oid			target;
	FuncExpr   *rewritten;

	if (!IsA(rawreq, SupportRequestSimplify) || !bp_rewrite_arrays)
		PG_RETURN_POINTER(NULL);
	call = ((SupportRequestSimplify *) rawreq)->fcall;
	if (list_length(call->args) < 2 || list_length(call->args) > 3)
		PG_RETURN_POINTER(NULL);
	num = BpArrayExprElements(lsecond(call->args), FLOAT8OID);
	if (num == NIL)
		PG_RETURN_POINTER(NULL);
	if (list_length(call->args) == 3)
	{
		cat = BpArrayExprElements(lthird(call->args), TEXTOID);
		if (cat == NIL)
			PG_RETURN_POINTER(NULL);
	}
	if (list_length(num) + list_length(cat) >= FUNC_MAX_ARGS)
		PG_RETURN_POINTER(NULL);

	target = BpArgumentFormOid(get_func_namespace(call->funcid), "predict_values",
							   exprType(linitial(call->args)));
	if (!OidIsValid(target))
		PG_RETURN_POINTER(NULL);

	rewritten = makeFuncExpr(target, FLOAT8OID,
							 lcons(linitial(call->args),
								   list_concat_copy(num, cat)),
							 InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
	rewritten->location = call->location;
	PG_RETURN_POINTER(rewritten);
}

/*
 * Sort out predict_values's arguments once per call site (as the training
 * aggregates' argument forms are: BpValuesSortArgs), and make room for the
 * numeric array.
 */
static void
ValuesCheckArgs(FunctionCallInfo fcinfo, PredictCacheSet *set)
{
	MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

	BpValuesSortArgs(fcinfo, 1, PG_NARGS() - 1, "predict_values", false, &set->va);
	set->values = palloc0(ARR_OVERHEAD_WITHNULLS(1, set->va.nnum) +
						  sizeof(double) * set->va.nnum);
	MemoryContextSwitchTo(old);
	set->values_checked = true;
}

/*
 * Lay out arguments from..from+n-1 as the header and null bitmap of a
 * one-dimensional array of elemtype in a; true if any is NULL.
 */
static bool
ValuesHeader(FunctionCallInfo fcinfo, ArrayType *a, Oid elemtype, int from, int n)
{
	bool		hasnull = false;
	int			i;

	for (i = 0; i < n; i++)
		hasnull |= PG_ARGISNULL(from + i);
	a->ndim = 1;
	a->elemtype = elemtype;
	ARR_DIMS(a)[0] = n;
	ARR_LBOUND(a)[0] = 1;
	a->dataoffset = hasnull ? ARR_OVERHEAD_WITHNULLS(1, n) : 0;
	if (hasnull)
	{
		bits8	   *bitmap = ARR_NULLBITMAP(a);

		memset(bitmap, 0, (n + 7) / 8);
		for (i = 0; i < n; i++)
			if (!PG_ARGISNULL(from + i))
				bitmap[i / 8] |= 1 << (i % 8);
	}
	return hasnull;
}

/*
 * The categorical arguments as a text[] in memory kept for the call site
 * (grown when a row's values need more), as ARRAY[...] would build it.
 */
static ArrayType *
ValuesTextArray(FunctionCallInfo fcinfo, PredictCacheSet *set)
{
	int			from = 1 + set->va.nnum,
				i;
	const char *bytes[PREP_MAX_CATEGORICAL];
	int			lens[PREP_MAX_CATEGORICAL];
	Size		size = ARR_OVERHEAD_WITHNULLS(1, set->va.ncat);
	ArrayType  *a;
	char	   *p;

	for (i = 0; i < set->va.ncat; i++)
	{
		Datum		d = PG_GETARG_DATUM(from + i);

		if (PG_ARGISNULL(from + i))
			continue;
		if (set->va.kind[set->va.nnum + i] == BP_VAL_CSTRING)
		{
			bytes[i] = DatumGetCString(d);
			lens[i] = strlen(bytes[i]);
		}
		else
		{
			struct varlena *v = PG_DETOAST_DATUM_PACKED(d);

			bytes[i] = VARDATA_ANY(v);
			lens[i] = BpValueTextLength(set->va.kind[set->va.nnum + i], bytes[i], VARSIZE_ANY_EXHDR(v));
		}
		size += INTALIGN(VARHDRSZ + lens[i]);
	}
	if (size > set->catsize)
	{
		if (set->cats)
			pfree(set->cats);
		set->cats = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, size);
		set->catsize = size;
	}
	a = set->cats;
	ValuesHeader(fcinfo, a, TEXTOID, from, set->va.ncat);
	p = ARR_DATA_PTR(a);
	for (i = 0; i < set->va.ncat; i++)
	{
		if (PG_ARGISNULL(from + i))
			continue;
		SET_VARSIZE(p, VARHDRSZ + lens[i]);
		memcpy(VARDATA(p), bytes[i], lens[i]);
		p += INTALIGN(VARHDRSZ + lens[i]);
	}
	SET_VARSIZE(a, p - (char *) a);
	return a;
}

/*
 * predict_values(model, VARIADIC "any"): score the arguments after the
 * model as one row: numbers first, the numeric features (float8, or
 * integers, float4 and numerics converted as by a cast to float8), then
 * text, the categorical features (text, varchar or a quoted literal; an
 * untyped NULL before any text is a numeric one).  NULL arguments are
 * missing values.  The arguments are laid out as the
 * arrays ARRAY[...] would build, a float8[] and a text[], in memory kept
 * for the call site, so the row is checked and scored exactly as the same
 * values in arrays passed to predict.  Called with VARIADIC and a float8[],
 * it is predict.
 */
PG_FUNCTION_INFO_V1(model_predict_values);
Datum
model_predict_values(PG_FUNCTION_ARGS)
{
	PredictCacheSet *set;
	int			i,
				k = 0;
	ArrayType  *a;
	double	   *data;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (get_fn_expr_variadic(fcinfo->flinfo))
	{
		if (PG_NARGS() != 2 || get_fn_expr_argtype(fcinfo->flinfo, 1) != FLOAT8ARRAYOID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("VARIADIC argument of buypower.predict_values must be of type double precision[], not %s",
							format_type_be(get_fn_expr_argtype(fcinfo->flinfo, 1)))));
		if (PG_ARGISNULL(1))
			PG_RETURN_NULL();
		PG_RETURN_FLOAT8(ScoreRow(fcinfo, PG_GETARG_ARRAYTYPE_P(1), NULL));
	}

	set = GetCacheSet(fcinfo);
	if (!set->values_checked)
		ValuesCheckArgs(fcinfo, set);

	a = set->values;
	ValuesHeader(fcinfo, a, FLOAT8OID, 1, set->va.nnum);
	data = (double *) ARR_DATA_PTR(a);
	for (i = 1; i <= set->va.nnum; i++)
		if (!PG_ARGISNULL(i))
			data[k++] = BpValueAsDouble(set->va.kind[i - 1], PG_GETARG_DATUM(i));
	SET_VARSIZE(a, ARR_DATA_OFFSET(a) + sizeof(double) * k);
	PG_RETURN_FLOAT8(ScoreRow(fcinfo, a,
							  set->va.ncat > 0 ? ValuesTextArray(fcinfo, set) : NULL));
}

PG_FUNCTION_INFO_V1(model_predict_categorical);
Datum
model_predict_categorical(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(ScoreRow(fcinfo, PG_GETARG_ARRAYTYPE_P(1),
							  PG_GETARG_ARRAYTYPE_P(2)));
}

/*
 * Emit one summary row; NaN becomes NULL.
 */
static void
SummaryRow(ReturnSetInfo *rsi, const char *term, double est, bool aliased,
		   double se, bool tdist, double df)
{
	Datum		values[5];
	bool		nulls[5] = {false};
	double		stat = est / se;

	values[0] = CStringGetTextDatum(term);
	values[1] = Float8GetDatum(est);
	values[2] = Float8GetDatum(se);
	values[3] = Float8GetDatum(stat);
	values[4] = Float8GetDatum(tdist ? DistribTTwoSided(stat, df) : DistribNormalTwoSided(stat));
	nulls[1] = aliased;
	nulls[2] = aliased || isnan(se);
	nulls[3] = nulls[4] = nulls[2] || isnan(stat);
	tuplestore_putvalues(rsi->setResult, rsi->setDesc, values, nulls);
}

/*
 * Which coefficients summary reports: on the original scale of the inputs
 * (the default), or as fitted, on the standardised design.
 */
static bool
SummaryOriginalScale(FunctionCallInfo fcinfo)
{
	char	   *scale;

	if (PG_NARGS() < 2)
		return true;
	scale = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (strcmp(scale, "original") == 0)
		return true;
	if (strcmp(scale, "standardized") == 0)
		return false;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid coefficient scale \"%s\"", scale),
			 errhint("Use \"original\" or \"standardized\".")));
}

PG_FUNCTION_INFO_V1(model_summary);
Datum
model_summary(PG_FUNCTION_ARGS)
{
	Model	   *m = PG_GETARG_MODEL_P(0);
	ReturnSetInfo *rsi = (ReturnSetInfo *) fcinfo->resultinfo;
	int			n,
				na,
				j;
	const double *coef = ModelGetDoubles(m, MTAG_COEF, &n);
	const double *se = ModelGetDoubles(m, MTAG_STDERR, &n);
	const char *aliased = ModelGetBytes(m, MTAG_ALIASED, &na);
	bool		tdist = (m->kind == MODEL_LINREG);
	double		df = ModelGetStat(m, MSTAT_DF_RESIDUAL);
	bool		intercept = (m->flags & MODEL_HAS_INTERCEPT) != 0;
	Prep	   *prep = PrepFromModel(m);

	if (coef == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("buypower.summary needs a linear model, not %s",
						ModelKindName(m->kind)),
				 errhint("Use buypower.importance for tree models.")));
	if (prep != NULL && SummaryOriginalScale(fcinfo))
	{
		double	   *c = palloc(sizeof(double) * (m->nfeatures + 1));
		double	   *e = se ? palloc(sizeof(double) * (m->nfeatures + 1)) : NULL;

		memcpy(c, coef, sizeof(double) * (m->nfeatures + 1));
		if (e)
			memcpy(e, se, sizeof(double) * (m->nfeatures + 1));
		intercept |= PrepOriginalScale(prep, c, e);
		coef = c;
		se = e;
	}
	InitMaterializedSRF(fcinfo, 0);
	for (j = intercept ? 0 : 1; j <= m->nfeatures; j++)
	{
		const char *name = ModelFeatureName(m, j - 1);
		char		buf[32];

		if (j == 0)
			name = "(Intercept)";
		else if (name == NULL)
		{
			snprintf(buf, sizeof(buf), "x%d", j);
			name = buf;
		}
		SummaryRow(rsi, name, coef[j], aliased && aliased[j],
				   se ? se[j] : get_float8_nan(), tdist, df);
	}
	return (Datum) 0;
}

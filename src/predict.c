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
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "aggstate.h"
#include "distrib.h"
#include "linalg.h"
#include "model.h"
#include "trees.h"
#include "prep.h"

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
} PredictCacheSet;

/*
 * Return the model of argument 0, detoasting and checking it only when no
 * cache entry holds it already.
 */
static PredictCache *
GetCachedModel(FunctionCallInfo fcinfo)
{
	PredictCacheSet *set = fcinfo->flinfo->fn_extra;
	struct varlena *v = (struct varlena *) PG_GETARG_POINTER(0);
	PredictCache *c = NULL;
	MemoryContext old;
	int			i,
				n;

	if (set == NULL)
		set = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PredictCacheSet));
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

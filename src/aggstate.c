/*-------------------------------------------------------------------------
 *
 * aggstate.c
 *	  The training aggregates' shared plumbing.
 *
 * Every learner's SQL entry points are one-line calls into the drivers
 * here, which do what is common once: aggregate-context checks, NULL
 * handling and counting, feature-array checks, options, and the state
 * header's part of serialization.  The learner sees only finite rows of
 * the right width.
 *
 * Options are read from the first row of each group: the options argument
 * is meant to be a constant.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "libpq/pqformat.h"
#include "nodes/execnodes.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/float.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "buypower.h"
#include "aggstate.h"
#include "linalg.h"
#include "values.h"

#define BP_STATE_FORMAT		2

/*
 * Return the aggregate memory context or complain.
 */
static MemoryContext
BpAggContext(FunctionCallInfo fcinfo, const LearnerOps *ops)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "%s support function called in non-aggregate context", ops->name);
	return aggcxt;
}

/*
 * The transition drivers' state and aggregate context: a new state on a
 * group's first row (NULL *s: the caller makes it), else the one passed,
 * which NewState made in the aggregate context, so its chunk names that
 * context without AggCheckCallContext's call on every row.  Only an
 * aggregate call can pass a state: internal values cannot be made in SQL
 * (a function may return internal only if it takes an internal argument,
 * and each of ours that does checks its call context first).
 */
static pg_attribute_always_inline MemoryContext
BpTransState(FunctionCallInfo fcinfo, const LearnerOps *ops, BpAggState **s)
{
	MemoryContext aggcxt PG_USED_FOR_ASSERTS_ONLY;

	if (PG_ARGISNULL(0))
	{
		*s = NULL;
		return BpAggContext(fcinfo, ops);
	}
	*s = (BpAggState *) PG_GETARG_POINTER(0);
	Assert(AggCheckCallContext(fcinfo, &aggcxt) && aggcxt == GetMemoryChunkContext(*s));
	return GetMemoryChunkContext(*s);
}

/*
 * Elements of an array already known to have at most one dimension: what
 * ArrayGetNItems computes, without its overflow checks, which an array
 * value has passed when it was built.  Called for every row.
 */
static inline int
OneDimLength(ArrayType *a)
{
	return ARR_NDIM(a) == 1 ? ARR_DIMS(a)[0] : 0;
}

/*
 * Return the values of a feature array, which must be one-dimensional,
 * NULL-free and not too long.  The pointer is into the array itself.
 */
const double *
BpGetFeatures(ArrayType *a, int *n)
{
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("feature array must be one-dimensional, not %d-dimensional",
						ARR_NDIM(a))));
	if (array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("feature array must not contain nulls"),
				 errhint("Filter out rows with missing features, or replace them with coalesce().")));
	*n = OneDimLength(a);
	if (*n > BP_MAX_FEATURES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("feature array has %d elements, more than the limit of %d",
						*n, BP_MAX_FEATURES)));
	return (const double *) ARR_DATA_PTR(a);
}

/*
 * Complain about a non-finite feature value, in training or scoring.
 */
static void
pg_attribute_noreturn()
NotFiniteFeature(const char *learner, int pos)
{
	if (learner == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("feature %d is not finite", pos)));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("%s feature %d must be finite", learner, pos),
			 errhint("NaN and infinity cannot be fitted; filter or replace them first.")));
}

/*
 * Like BpGetFeatures, but NULL elements are allowed: then the values are
 * copied into scratch (room for cap doubles) with NaN for each NULL, and
 * *hasnull is set.  Non-NULL values must be finite (NaN is taken);
 * learner names the training aggregate in that error, NULL when scoring.
 * An array of more than cap elements is not read: the result is NULL,
 * *n its length, which the caller reports as the wrong count it is.
 */
static pg_attribute_always_inline const double *
GetFeaturesNullable(ArrayType *a, int *n, double *scratch, int cap, bool *hasnull,
					const char *learner)
{
	const double *src;
	bits8	   *bitmap;
	int			i,
				k = 0;

	*hasnull = false;
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("feature array must be one-dimensional, not %d-dimensional",
						ARR_NDIM(a))));
	*n = OneDimLength(a);
	if (*n > BP_MAX_FEATURES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("feature array has %d elements, more than the limit of %d",
						*n, BP_MAX_FEATURES)));
	if (*n > cap)
		return NULL;
	src = (const double *) ARR_DATA_PTR(a);
	if (!ARR_HASNULL(a))
	{
		if (!LinalgAllFinite(src, *n))
			for (i = 0; i < *n; i++)
				if (!isfinite(src[i]))
					NotFiniteFeature(learner, i + 1);
		return src;
	}
	bitmap = ARR_NULLBITMAP(a);
	for (i = 0; i < *n; i++)
	{
		if ((bitmap[i / 8] & (1 << (i % 8))) == 0)
		{
			scratch[i] = get_float8_nan();
			*hasnull = true;
			continue;
		}
		scratch[i] = src[k++];
		if (!isfinite(scratch[i]))
			NotFiniteFeature(learner, i + 1);
	}
	return scratch;
}

const double *
BpGetFeaturesNullable(ArrayType *a, int *n, double *scratch, int cap, bool *hasnull,
					  const char *learner)
{
	return GetFeaturesNullable(a, n, scratch, cap, hasnull, learner);
}

/*
 * Complain unless a row has as many features as the model or state.
 */
void
BpCheckFeatureCount(int expected, int got)
{
	if (expected != got)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("feature array has %d elements, but earlier rows had %d",
						got, expected),
				 errhint("Every row must pass the same features, in the same order.")));
}

/*
 * Report a bad option value.
 */
void
BpBadOption(const char *learner, const char *key, const char *expect)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for %s option \"%s\"", learner, key),
			 errdetail("The value must be %s.", expect)));
}

/*
 * Read a JSON number option as a double.
 */
double
BpOptNumber(const char *learner, const char *key, JsonbValue *v)
{
	if (v->type != jbvNumeric)
		BpBadOption(learner, key, "a number");
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8,
											  NumericGetDatum(v->val.numeric)));
}

/*
 * Read "names": a JSON array of non-empty strings.
 */
void
BpOptNames(const char *learner, JsonbValue *v, int32 *nnames, char **names,
		   int32 *names_len)
{
	JsonbContainer *c;
	StringInfoData buf;
	int			i;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data) ||
		JsonContainerIsScalar(v->val.binary.data))
		BpBadOption(learner, "names", "an array of strings");
	c = v->val.binary.data;
	*nnames = JsonContainerSize(c);
	if (*nnames > BP_MAX_FEATURES)
		BpBadOption(learner, "names", "an array no longer than the feature limit");
	initStringInfo(&buf);
	for (i = 0; i < *nnames; i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(c, i);

		if (e->type != jbvString || e->val.string.len == 0)
			BpBadOption(learner, "names", "an array of non-empty strings");
		appendBinaryStringInfo(&buf, e->val.string.val, e->val.string.len);
		appendStringInfoChar(&buf, '\0');
	}
	*names = buf.data;
	*names_len = buf.len;
}

/*
 * Read "class_weight": "balanced" or {"0": w, "1": w}.
 */
static void
OptClassWeight(const LearnerOps *ops, JsonbValue *v, BpOptions *o)
{
	const char *expect = "\"balanced\" or an object {\"0\": weight, \"1\": weight} of positive weights";
	JsonbIterator *it;
	JsonbValue	k,
				w;
	JsonbIteratorToken tok;

	if (v->type == jbvString && v->val.string.len == 8 &&
		strncmp(v->val.string.val, "balanced", 8) == 0)
	{
		o->class_weight = CLASS_WEIGHT_BALANCED;
		return;
	}
	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		BpBadOption(ops->name, "class_weight", expect);
	o->class_weight = CLASS_WEIGHT_GIVEN;
	o->weight_neg = o->weight_pos = 1.0;
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *key;
		double		x;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(k.val.string.val, k.val.string.len);
		JsonbIteratorNext(&it, &w, true);
		x = BpOptNumber(ops->name, "class_weight", &w);
		if (!(x > 0) || isinf(x))
			BpBadOption(ops->name, "class_weight", expect);
		if (strcmp(key, "0") == 0 || strcmp(key, "false") == 0)
			o->weight_neg = x;
		else if (strcmp(key, "1") == 0 || strcmp(key, "true") == 0)
			o->weight_pos = x;
		else
			BpBadOption(ops->name, "class_weight", expect);
	}
}

/*
 * Apply one option key.
 */
static void
OptKey(const LearnerOps *ops, const char *key, JsonbValue *v, BpOptions *o)
{
	double		x;

	if (strcmp(key, "intercept") == 0 && (ops->options & BPOPT_INTERCEPT))
	{
		if (v->type != jbvBool)
			BpBadOption(ops->name, key, "true or false");
		o->intercept = v->val.boolean;
	}
	else if (strcmp(key, "l2") == 0 && (ops->options & BPOPT_L2))
	{
		x = BpOptNumber(ops->name, key, v);
		if (!(x >= 0) || isinf(x))
			BpBadOption(ops->name, key, "a finite number >= 0");
		o->l2 = x;
	}
	else if (strcmp(key, "max_iter") == 0 && (ops->options & BPOPT_MAX_ITER))
	{
		x = BpOptNumber(ops->name, key, v);
		if (x != floor(x) || x < 1 || x > 100000)
			BpBadOption(ops->name, key, "an integer from 1 to 100000");
		o->max_iter = (int32) x;
	}
	else if (strcmp(key, "tol") == 0 && (ops->options & BPOPT_TOL))
	{
		x = BpOptNumber(ops->name, key, v);
		if (!(x > 0 && x < 1))
			BpBadOption(ops->name, key, "a number between 0 and 1");
		o->tol = x;
	}
	else if (strcmp(key, "threads") == 0 && (ops->options & BPOPT_THREADS))
	{
		x = BpOptNumber(ops->name, key, v);
		if (x != 1 && x != 2)
			BpBadOption(ops->name, key, "1 or 2");
		o->threads = (int32) x;
	}
	else if (strcmp(key, "names") == 0 && (ops->options & BPOPT_NAMES))
		BpOptNames(ops->name, v, &o->nnames, &o->names, &o->names_len);
	else if (strcmp(key, "class_weight") == 0 && (ops->options & BPOPT_CLASS_WEIGHT))
		OptClassWeight(ops, v, o);
	else if (!PrepParseOption(ops->name, key, v, &o->prep))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unrecognized %s option \"%s\"", ops->name, key)));
}

/*
 * Fill opts with defaults, then with the keys of a JSON object (may be NULL).
 */
void
BpParseOptions(Jsonb *jb, const LearnerOps *ops, BpOptions *o)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	memset(o, 0, sizeof(*o));
	o->intercept = true;
	o->max_iter = 100;
	o->tol = 1e-10;
	o->threads = 2;
	PrepOptionsDefaults(&o->prep);
	if (jb == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s options must be a JSON object", ops->name)));
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		JsonbIteratorNext(&it, &v, true);
		OptKey(ops, key, &v, o);
	}
}

/*
 * The options in argument optarg (0: none): jsonb, or an untyped literal
 * read as jsonb; NULL when there are none.
 */
Jsonb *
BpGetOptions(FunctionCallInfo fcinfo, int optarg)
{
	if (optarg == 0 || PG_ARGISNULL(optarg))
		return NULL;
	if (get_fn_expr_argtype(fcinfo->flinfo, optarg) == UNKNOWNOID)
		return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, PG_GETARG_DATUM(optarg)));
	return PG_GETARG_JSONB_P(optarg);
}

/*
 * Make a header-only state on the first row of a group; options are in
 * argument optarg when there is one (0: none).
 */
static BpAggState *
NewState(FunctionCallInfo fcinfo, const LearnerOps *ops, int optarg)
{
	BpAggState *s = palloc0(sizeof(BpAggState));
	Aggref	   *aggref = AggGetAggref(fcinfo);

	s->ops = ops;
	s->nfeatures = -1;
	s->target_bool = (get_fn_expr_argtype(fcinfo->flinfo, 1) == BOOLOID);
	/* NULL in a window */
	s->partial = aggref != NULL && DO_AGGSPLIT_SKIPFINAL(aggref->aggsplit);
	BpParseOptions(BpGetOptions(fcinfo, optarg), ops, &s->opts);
	return s;
}

/*
 * Give a state its learner part, now that the design width is known (at
 * the first row, or at the end when preprocessing buffers the rows).
 */
void
BpStartLearner(BpAggState *s, int nfeatures)
{
	s->nfeatures = nfeatures;
	s->ops->create(s);
}

/*
 * Complain about a non-finite input value.
 */
static void
pg_attribute_noreturn()
NotFinite(const LearnerOps *ops, int pos)
{
	if (pos == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s target must be finite", ops->name)));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("%s feature %d must be finite", ops->name, pos),
			 errhint("NaN and infinity cannot be fitted; filter or replace them first.")));
}

/*
 * The part of both transition drivers after the features are read: check
 * the row against the state and the target, and hand it to the
 * preprocessing layer, which passes it on to the learner or keeps it for
 * the end (prep.c).  x has n values, NaN for NULLs (hasnull), all others
 * finite; cvalues/clens the ncat categorical values.  Inline in both
 * drivers, with the common row (PrepAccumClean) one call away from the
 * learner: this runs for every row.
 */
static pg_attribute_always_inline void
AccumRow(FunctionCallInfo fcinfo, BpAggState *s, MemoryContext aggcxt,
		 const double *x, int n, bool hasnull,
		 const char *const *cvalues, const int *clens, int ncat)
{
	const LearnerOps *ops = s->ops;
	PrepState  *ps = s->prep;
	MemoryContext old;
	double		y;

	if (unlikely(n != ps->nnum))
		BpCheckFeatureCount(ps->nnum, n);
	if (unlikely(ncat != ps->ncat))
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("categorical feature array has %d elements, but earlier rows had %d",
						ncat, ps->ncat),
				 errhint("Every row must pass the same features, in the same order.")));
	if (s->target_bool)
		y = PG_GETARG_BOOL(1) ? 1.0 : 0.0;
	else
	{
		y = PG_GETARG_FLOAT8(1);
		if (!isfinite(y))
			NotFinite(ops, 0);
		if (ops->binary_target && y != 0.0 && y != 1.0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s label must be 0 or 1, not %g", ops->name, y)));
	}
	old = MemoryContextSwitchTo(aggcxt);
	if (!hasnull && PrepCleanRowOk(ps))
		PrepAccumClean(s, y, x);
	else
		PrepAccum(s, y, x, hasnull, cvalues, clens);
	MemoryContextSwitchTo(old);
}

/*
 * Transition driver of the array form, (target, float8[] [, text[]]
 * [, options]): skip and count rows with a NULL target or array, read the
 * arrays and pass the row on.
 */
Datum
BpAggAccum(FunctionCallInfo fcinfo, const LearnerOps *ops)
{
	BpAggState *s;
	MemoryContext aggcxt = BpTransState(fcinfo, ops, &s);
	const double *x;
	ArrayType  *a;
	const char *cvalues[PREP_MAX_CATEGORICAL];
	int			clens[PREP_MAX_CATEGORICAL];
	bool		hasnull;
	int			n,
				ncat = 0;

	if (s == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(aggcxt);
		int			optarg = 3;

		/* (target, numeric float8[], categorical text[] [, options]) */
		if (PG_NARGS() > 3 && get_fn_expr_argtype(fcinfo->flinfo, 3) == TEXTARRAYOID)
			optarg = 4;
		s = NewState(fcinfo, ops, PG_NARGS() > optarg ? optarg : 0);
		s->catarg = optarg == 4 ? 3 : 0;
		MemoryContextSwitchTo(old);
	}

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || (s->catarg > 0 && PG_ARGISNULL(s->catarg)))
	{
		s->nskipped++;
		PG_RETURN_POINTER(s);
	}

	/*
	 * Detoasted, if it must be, in the per-tuple context, which nodeAgg
	 * resets; an array built by the query (ARRAY[...]) never is, so the
	 * test is inline.
	 */
	a = (ArrayType *) PG_GETARG_POINTER(2);
	if (VARATT_IS_EXTENDED(a))
		a = PG_GETARG_ARRAYTYPE_P(2);
	if (s->catarg > 0)
	{
		ArrayType  *cats = PG_GETARG_ARRAYTYPE_P(s->catarg);

		ncat = PrepCountCategorical(cats);
		PrepCategoricalValues(cats, ncat, cvalues, clens);
	}
	if (s->prep == NULL)
	{
		MemoryContext old;

		/* first row of the group: check it, then size the state by it */
		BpGetFeaturesNullable(a, &n, palloc(sizeof(double) * BP_MAX_FEATURES), BP_MAX_FEATURES,
							  &hasnull, ops->name);
		old = MemoryContextSwitchTo(aggcxt);
		PrepStart(s, n, ncat);
		MemoryContextSwitchTo(old);
	}
	x = GetFeaturesNullable(a, &n, s->prep->xbuf, s->prep->nnum, &hasnull, ops->name);
	AccumRow(fcinfo, s, aggcxt, x, n, hasnull, cvalues, clens, ncat);
	PG_RETURN_POINTER(s);
}

/*
 * The type of argument i, a domain's base type for a domain.
 */
static Oid
ArgBaseType(FunctionCallInfo fcinfo, int i)
{
	return getBaseType(get_fn_expr_argtype(fcinfo->flinfo, i));
}

/*
 * Does a text value look like a JSON object: '{' ... '}' around blanks?
 */
static bool
LooksLikeObject(text *t)
{
	const char *p = VARDATA_ANY(t);
	int			n = VARSIZE_ANY_EXHDR(t);

	/* JSON's whitespace: space, tab, line feed, carriage return */
	while (n > 0 && strchr(" \t\n\r", *p) != NULL)
		p++, n--;
	while (n > 0 && strchr(" \t\n\r", p[n - 1]) != NULL)
		n--;
	return n >= 2 && p[0] == '{' && p[n - 1] == '}';
}

/*
 * Sort out arguments first..last of an argument form named fname, once per
 * call site: numbers (the numeric features) first, then text (the
 * categorical ones), domains as their base types.  An untyped NULL before
 * any text is a missing number.  For a training aggregate, an untyped
 * literal is an error (a constant category would be useless) and jsonb is
 * named as misplaced options; for scoring (predict_values), a quoted
 * literal is a category.  Errors number the arguments as the call does:
 * fcinfo argument first is the call's second (after the target or the
 * model).  Fills in va, its kinds allocated in the current memory context.
 */
void
BpValuesSortArgs(FunctionCallInfo fcinfo, int first, int last, const char *fname,
				 bool training, BpValueArgs *va)
{
	int			i;

	va->kind = palloc(sizeof(int8) * Max(last - first + 1, 1));
	va->nnum = va->ncat = 0;
	va->all_float8 = true;
	for (i = first; i <= last; i++)
	{
		Oid			t = ArgBaseType(fcinfo, i);
		int			kind = BpValueKind(t);
		int			pos = i + 2 - first;

		if (kind == BP_VAL_CSTRING && va->ncat == 0 && PG_ARGISNULL(i))
			kind = BP_VAL_FLOAT8;	/* an untyped NULL is a number: missing */
		if (kind == BP_VAL_CSTRING && training)
			ereport(ERROR,
					(errcode(ERRCODE_INDETERMINATE_DATATYPE),
					 errmsg("argument %d of buypower.%s has no type", pos, fname),
					 errhint("Cast it: numeric features to float8, categorical ones to text.")));
		if (t == JSONBOID && training)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("argument %d of buypower.%s is jsonb, but options must be the last argument",
							pos, fname)));
		if (kind == BP_VAL_OTHER)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 training ?
					 errmsg("argument %d of buypower.%s is of type %s, not a number, text or jsonb",
							pos, fname, format_type_be(get_fn_expr_argtype(fcinfo->flinfo, i))) :
					 errmsg("argument %d of buypower.%s is of type %s, not a number or text",
							pos, fname, format_type_be(get_fn_expr_argtype(fcinfo->flinfo, i))),
					 errhint(training ?
							 "Pass the numeric features, then the categorical ones as text, then any options as jsonb." :
							 "Pass the numeric features as float8, then the categorical ones as text.")));
		if (kind < BP_VAL_TEXT && va->ncat > 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("argument %d of buypower.%s is a number after a categorical feature",
							pos, fname),
					 errhint("Pass the numeric features first, then the categorical ones.")));
		va->kind[i - first] = kind;
		if (kind < BP_VAL_TEXT)
		{
			va->nnum++;
			va->all_float8 &= kind == BP_VAL_FLOAT8;
		}
		else
			va->ncat++;
	}
	if (va->nnum == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("buypower.%s needs at least one numeric feature", fname)));
	if (va->ncat > PREP_MAX_CATEGORICAL)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("buypower.%s got %d categorical features, more than the limit of %d",
						fname, va->ncat, PREP_MAX_CATEGORICAL)));
}

/*
 * Sort out the arguments of a training aggregate's argument form
 * (linreg_values and the like, named fname) at the first row: after the
 * target, the features as BpValuesSortArgs takes them, then optionally the
 * options: jsonb, or an untyped literal other than NULL after at least one
 * feature.  Returns the options' argument number, or 0.
 */
int
BpValuesCheckArgs(FunctionCallInfo fcinfo, const char *fname, BpValueArgs *va)
{
	int			last = PG_NARGS() - 1,
				optarg = 0;

	if (get_fn_expr_variadic(fcinfo->flinfo))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("buypower.%s does not take a VARIADIC array", fname),
				 errhint("Pass the features as separate arguments, or the array to the array form of the aggregate.")));
	if (last >= 2 && ArgBaseType(fcinfo, last) == JSONBOID)
		optarg = last--;
	else if (last >= 3 && ArgBaseType(fcinfo, last) == UNKNOWNOID && !PG_ARGISNULL(last))
		optarg = last--;		/* an untyped NULL there is a missing number */
	BpValuesSortArgs(fcinfo, 2, last, fname, true, va);

	/*
	 * Options that arrive as text (a text column, parameter or variable, or
	 * a literal that DISTINCT or ORDER BY made text) would be taken as a
	 * constant category and silently ignored: refuse them.
	 */
	if (optarg == 0 && va->ncat > 0 && !PG_ARGISNULL(last) &&
		LooksLikeObject(DatumGetTextPP(PG_GETARG_DATUM(last))))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("argument %d of buypower.%s is text that looks like options, not a category",
						last, fname),
				 errhint("Cast the options to jsonb.  A category that is itself a JSON object can be passed in the array form.")));
	return optarg;
}

/*
 * Read one row of an argument form whose arguments BpValuesCheckArgs
 * sorted out into va: the nnum numbers into x, NaN for a NULL (then the result is
 * true), every other value finite or an error naming learner; the ncat
 * categories as cvalues[j], clens[j] (NULL for a NULL), pointing into the
 * arguments or into copies detoasted in the current memory context.
 */
bool
BpValuesRead(FunctionCallInfo fcinfo, const BpValueArgs *va, double *x,
			 const char **cvalues, int *clens, const char *learner)
{
	const NullableDatum *arg = &fcinfo->args[2];
	const int8 *kinds = va->kind;
	int			nnum = va->nnum,
				ncat = va->ncat;
	bool		hasnull = false;
	int			i;

	if (va->all_float8)
		for (i = 0; i < nnum; i++)
		{
			hasnull |= arg[i].isnull;
			x[i] = arg[i].isnull ? get_float8_nan() : DatumGetFloat8(arg[i].value);
		}
	else
		for (i = 0; i < nnum; i++)
		{
			hasnull |= arg[i].isnull;
			x[i] = arg[i].isnull ? get_float8_nan() : BpValueAsDouble(kinds[i], arg[i].value);
		}
	if (!LinalgAllFinite(x, nnum))
		for (i = 0; i < nnum; i++)
			if (!arg[i].isnull && !isfinite(x[i]))
				NotFiniteFeature(learner, i + 1);
	for (i = 0; i < ncat; i++)
	{
		const NullableDatum *c = &arg[nnum + i];

		if (c->isnull)
			cvalues[i] = NULL;
		else
		{
			struct varlena *v = PG_DETOAST_DATUM_PACKED(c->value);

			cvalues[i] = VARDATA_ANY(v);
			clens[i] = BpValueTextLength(kinds[nnum + i], cvalues[i], VARSIZE_ANY_EXHDR(v));
		}
	}
	return hasnull;
}

/*
 * Transition driver of the argument form, linreg_values(target, x1, ...,
 * xn [, c1, ..., ck] [, options]), VARIADIC "any": the features arrive as separate
 * arguments, so no array is built per row.  Numbers (float8, or integers,
 * float4 and numerics converted as by a cast to float8) are the numeric
 * features, text or varchar the categorical ones; a NULL is a missing
 * value, as a NULL array element is.  A row is then checked and fitted
 * exactly as the same values in arrays.
 */
Datum
BpAggAccumValues(FunctionCallInfo fcinfo, const LearnerOps *ops)
{
	BpAggState *s;
	MemoryContext aggcxt = BpTransState(fcinfo, ops, &s);
	const char *cvalues[PREP_MAX_CATEGORICAL];
	int			clens[PREP_MAX_CATEGORICAL];
	double	   *x;
	bool		hasnull;
	int			nnum,
				ncat;

	if (s == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(aggcxt);
		char		fname[NAMEDATALEN];
		BpValueArgs va;
		int			optarg;

		snprintf(fname, sizeof(fname), "%s_values", ops->name);
		optarg = BpValuesCheckArgs(fcinfo, fname, &va);
		s = NewState(fcinfo, ops, optarg);
		s->va = va;
		MemoryContextSwitchTo(old);
	}

	if (PG_ARGISNULL(1))
	{
		s->nskipped++;
		PG_RETURN_POINTER(s);
	}
	nnum = s->va.nnum;
	ncat = s->va.ncat;
	if (s->prep == NULL)
	{
		/* the first usable row, as for arrays */
		MemoryContext old = MemoryContextSwitchTo(aggcxt);

		PrepStart(s, nnum, ncat);
		MemoryContextSwitchTo(old);
	}
	x = s->prep->xbuf;
	hasnull = BpValuesRead(fcinfo, &s->va, x, cvalues, clens, ops->name);
	AccumRow(fcinfo, s, aggcxt, x, nnum, hasnull, cvalues, clens, ncat);
	PG_RETURN_POINTER(s);
}

/*
 * Did two states read the same options?  Each state takes its options from
 * its own first row, so a parallel worker or a partition can have read
 * other options than the state it is merged into, and the two were then
 * built differently (one keeping sums that the other never allocated).
 */
static bool
SameOptions(const BpOptions *a, const BpOptions *b)
{
	const PrepOptions *p = &a->prep;
	const PrepOptions *q = &b->prep;

	return a->intercept == b->intercept && a->l2 == b->l2 &&
		a->max_iter == b->max_iter && a->tol == b->tol &&
		a->class_weight == b->class_weight &&
		a->weight_neg == b->weight_neg && a->weight_pos == b->weight_pos &&
		a->threads == b->threads && a->nnames == b->nnames &&
		a->names_len == b->names_len &&
		(a->names_len == 0 || memcmp(a->names, b->names, a->names_len) == 0) &&
		p->impute == q->impute && p->missing_indicators == q->missing_indicators &&
		p->scale == q->scale && p->clip == q->clip && p->clip_k == q->clip_k &&
		p->max_categories == q->max_categories && p->nimpute == q->nimpute &&
		memcmp(p->impute_per, q->impute_per, p->nimpute) == 0;
}

/*
 * Complain that the rows of one aggregate passed different options.
 */
void
BpOptionsDiffer(const char *learner)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s options differ between rows of the same aggregate", learner),
			 errhint("Pass the same options, a constant, in every row of a group.")));
}

/*
 * Combine driver.  Not strict: a NULL first state takes a copy of the
 * second, made in the aggregate context.
 */
Datum
BpAggCombine(FunctionCallInfo fcinfo, const LearnerOps *ops)
{
	MemoryContext aggcxt = BpAggContext(fcinfo, ops);
	MemoryContext old;
	BpAggState *a = PG_ARGISNULL(0) ? NULL : (BpAggState *) PG_GETARG_POINTER(0);
	BpAggState *b = PG_ARGISNULL(1) ? NULL : (BpAggState *) PG_GETARG_POINTER(1);

	if (b == NULL)
		PG_RETURN_POINTER(a);
	old = MemoryContextSwitchTo(aggcxt);
	if (a == NULL)
	{
		/* b may live in a per-tuple context: copy, never point into it */
		a = palloc0(sizeof(BpAggState));
		*a = *b;
		a->n = a->nskipped = 0;
		a->learner = NULL;
		a->prep = NULL;
		a->nfeatures = -1;
		a->opts.names = palloc(b->opts.names_len + 1);
		if (b->opts.names_len > 0)
			memcpy(a->opts.names, b->opts.names, b->opts.names_len);
	}
	else if (!SameOptions(&a->opts, &b->opts))
		BpOptionsDiffer(ops->name);
	a->nskipped += b->nskipped;
	if (b->prep != NULL)
	{
		if (a->prep == NULL)
			PrepStart(a, b->prep->nnum, b->prep->ncat);
		BpCheckFeatureCount(a->prep->nnum, b->prep->nnum);
		if (a->prep->ncat != b->prep->ncat)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("categorical feature array has %d elements, but earlier rows had %d",
							b->prep->ncat, a->prep->ncat)));
		PrepMerge(a, b);
	}
	if (b->learner != NULL)
	{
		if (a->learner == NULL)
			BpStartLearner(a, b->nfeatures);
		BpCheckFeatureCount(a->nfeatures, b->nfeatures);
		ops->merge(a, b);
		a->n += b->n;
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

/*
 * Serialize driver: header, options, then the learner's part.
 */
Datum
BpAggSerialize(FunctionCallInfo fcinfo, const LearnerOps *ops)
{
	BpAggState *s = (BpAggState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	BpAggContext(fcinfo, ops);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, BP_STATE_FORMAT);
	pq_sendbyte(&buf, ops->kind);
	pq_sendint32(&buf, s->nfeatures);
	pq_sendbyte(&buf, s->target_bool);
	pq_sendint64(&buf, s->n);
	pq_sendint64(&buf, s->nskipped);
	pq_sendbyte(&buf, s->opts.intercept);
	pq_sendfloat8(&buf, s->opts.l2);
	pq_sendint32(&buf, s->opts.max_iter);
	pq_sendfloat8(&buf, s->opts.tol);
	pq_sendint32(&buf, s->opts.class_weight);
	pq_sendfloat8(&buf, s->opts.weight_neg);
	pq_sendfloat8(&buf, s->opts.weight_pos);
	pq_sendint32(&buf, s->opts.threads);
	pq_sendint32(&buf, s->opts.nnames);
	pq_sendint32(&buf, s->opts.names_len);
	pq_sendbytes(&buf, s->opts.names, s->opts.names_len);
	PrepOptionsSerialize(&s->opts.prep, &buf);
	pq_sendbyte(&buf, s->prep != NULL);
	if (s->prep != NULL)
		PrepSerialize(s, &buf);
	if (s->learner != NULL)
		ops->serialize(s, &buf);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Report a serialized state that does not hold together.
 */
static void
pg_attribute_noreturn()
BadState(const LearnerOps *ops)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid serialized %s aggregate state", ops->name)));
}

/*
 * Deserialize driver: every count is checked against the message length.
 */
Datum
BpAggDeserialize(FunctionCallInfo fcinfo, const LearnerOps *ops)
{
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	BpAggState *s;

	MemoryContext aggcxt = BpAggContext(fcinfo, ops);

	buf.data = VARDATA_ANY(raw);
	buf.len = VARSIZE_ANY_EXHDR(raw);
	buf.maxlen = buf.len;
	buf.cursor = 0;

	s = palloc0(sizeof(BpAggState));
	s->ops = ops;
	s->donor_cxt = aggcxt;
	if (buf.len < 64 || pq_getmsgbyte(&buf) != BP_STATE_FORMAT ||
		pq_getmsgbyte(&buf) != ops->kind)
		BadState(ops);
	s->nfeatures = pq_getmsgint(&buf, 4);
	s->target_bool = pq_getmsgbyte(&buf) != 0;
	s->n = pq_getmsgint64(&buf);
	s->nskipped = pq_getmsgint64(&buf);
	s->opts.intercept = pq_getmsgbyte(&buf) != 0;
	s->opts.l2 = pq_getmsgfloat8(&buf);
	s->opts.max_iter = pq_getmsgint(&buf, 4);
	s->opts.tol = pq_getmsgfloat8(&buf);
	s->opts.class_weight = pq_getmsgint(&buf, 4);
	s->opts.weight_neg = pq_getmsgfloat8(&buf);
	s->opts.weight_pos = pq_getmsgfloat8(&buf);
	s->opts.threads = pq_getmsgint(&buf, 4);
	if (s->opts.threads != 1 && s->opts.threads != 2)
		BadState(ops);
	s->opts.nnames = pq_getmsgint(&buf, 4);
	s->opts.names_len = pq_getmsgint(&buf, 4);
	if (s->nfeatures < -1 || s->nfeatures > BP_MAX_FEATURES || s->n < 0 ||
		s->nskipped < 0 || s->opts.nnames < 0 || s->opts.nnames > BP_MAX_FEATURES ||
		s->opts.names_len < 0 || s->opts.names_len > buf.len - buf.cursor)
		BadState(ops);
	s->opts.names = palloc(s->opts.names_len + 1);
	pq_copymsgbytes(&buf, s->opts.names, s->opts.names_len);
	PrepOptionsDeserialize(&s->opts.prep, &buf);
	if (buf.len - buf.cursor < 1)
		BadState(ops);
	if (pq_getmsgbyte(&buf) != 0)
	{
		int			nfeatures = s->nfeatures;

		/* PrepStart may start the learner: do it below, once */
		PrepDeserialize(s, &buf);
		if (s->learner != NULL && s->nfeatures != nfeatures)
			BadState(ops);
		/* a state that buffers its rows has no learner part until the end */
		if (s->prep->buffer_all && nfeatures >= 0)
			BadState(ops);
		s->learner = NULL;
		s->nfeatures = nfeatures;
	}
	else if (s->nfeatures >= 0)
		BadState(ops);
	if (s->nfeatures >= 0)
	{
		ops->create(s);
		ops->deserialize(s, &buf);
	}
	if (buf.cursor != buf.len)
		BadState(ops);
	PG_RETURN_POINTER(s);
}

/*
 * Final driver: NULL when no row was used, else the learner's model.
 */
Datum
BpAggFinal(FunctionCallInfo fcinfo, const LearnerOps *ops)
{
	BpAggState *s = PG_ARGISNULL(0) ? NULL : (BpAggState *) PG_GETARG_POINTER(0);
	BpAggState *t;
	Model	   *m;

	BpAggContext(fcinfo, ops);
	if (s == NULL || s->prep == NULL)
		PG_RETURN_NULL();

	/*
	 * The state may be used up only when this is the one final call on it:
	 * a plain aggregate whose state no other aggregate shares
	 * (AggStateIsShared is also true in a window, where the final function
	 * runs once per row).  While it runs, s->finishing tells the learner
	 * that rows come from the replay, not from the scan (a copy of the
	 * state made for the replay inherits it).  A window goes on adding rows
	 * to s afterwards, so it is cleared again; after an ERROR s is gone.
	 */
	s->finishing = true;
	t = PrepFinish(s, AggCheckCallContext(fcinfo, NULL) == AGG_CONTEXT_AGGREGATE &&
				   !AggStateIsShared(fcinfo));
	m = (t->learner == NULL || t->n == 0) ? NULL : ops->finish(t);
	s->finishing = false;
	if (m == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(m);
}

/*
 * Append one (id, value) statistic.  Ids must come in ascending order:
 * ModelCheck rejects anything else.
 */
void
BpAddStat(double *stats, int *nstats, ModelStat id, double value)
{
	stats[(*nstats)++] = (double) id;
	stats[(*nstats)++] = value;
}

/*
 * Append the statistics every model carries.
 */
void
BpAddCommonStats(double *stats, int *nstats, const BpAggState *s)
{
	BpAddStat(stats, nstats, MSTAT_N, (double) s->n);
	BpAddStat(stats, nstats, MSTAT_N_SKIPPED, (double) s->nskipped);
}

/*
 * Append the sections that describe the inputs: the design's term names
 * (when names were given, or preprocessing added columns) and the
 * preprocessing sections (prep.c).
 */
void
BpAddNames(ModelBuilder *b, const BpAggState *s)
{
	if (PrepHasDesignNames(s))
	{
		StringInfoData names;

		initStringInfo(&names);
		PrepDesignNames(s, &names);
		ModelAddBytes(b, MTAG_NAMES, names.data, names.len);
	}
	else if (s->opts.nnames > 0)
		ModelAddBytes(b, MTAG_NAMES, s->opts.names, s->opts.names_len);
	PrepAddSections(b, s);
}

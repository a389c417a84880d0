/*-------------------------------------------------------------------------
 *
 * prep_model.c
 *	  The preprocessing sections of a model: validation, decoding,
 *	  scoring-time encoding of a row, and their JSON text form.
 *
 * The sections are MTAG_PREP (doubles: PrepHeader, PrepFeature per
 * numeric input, PrepSlot per categorical input) and MTAG_VOCAB (the
 * explicit levels, NUL-terminated); see prep.h.  PrepCheckModel runs on
 * every detoast (the sections are small) and checks every value a scorer
 * relies on, so PrepDecode and PrepApplyRow can trust them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/numeric.h"

#include "aggstate.h"
#include "prep.h"

static const char *const impute_names[] = {
	[PREP_IMPUTE_MEAN] = "mean",
	[PREP_IMPUTE_MEDIAN] = "median",
	[PREP_IMPUTE_ZERO] = "zero",
	[PREP_IMPUTE_ERROR] = "error",
};
static const char *const scale_names[] = {
	[PREP_SCALE_NONE] = "none",
	[PREP_SCALE_STANDARD] = "standard",
	[PREP_SCALE_ROBUST] = "robust",
};
static const char *const clip_names[] = {
	[PREP_CLIP_NONE] = "none",
	[PREP_CLIP_IQR] = "iqr",
	[PREP_CLIP_ZSCORE] = "zscore",
};

/*
 * Report a model whose preprocessing sections do not hold together.
 */
static void
pg_attribute_noreturn()
PrepReject(int ecode, const char *detail)
{
	ereport(ERROR,
			(errcode(ecode),
			 errmsg("invalid buypower.model value"),
			 errdetail_internal("%s", detail)));
}

/*
 * Is x an integer in [lo, hi]?
 */
static inline bool
IsIntIn(double x, double lo, double hi)
{
	return x >= lo && x <= hi && x == floor(x);
}

/*
 * Check the preprocessing sections against each other and the model.
 */
void
PrepCheckModel(const Model *m, bool full, int ecode)
{
	int			n,
				nvoc,
				j,
				ndesign,
				nstrings = 0,
				i;
	const double *d = ModelGetDoubles(m, MTAG_PREP, &n);
	const char *voc = ModelGetBytes(m, MTAG_VOCAB, &nvoc);
	const PrepHeader *h = (const PrepHeader *) d;
	const PrepFeature *f;
	const PrepSlot *sl;
	int			nnum,
				ncat;

	if (d == NULL || n < (int) PREP_HEADER_N)
		PrepReject(ecode, "The preprocessing section is missing or too short.");
	if (h->version != PREP_VERSION || !IsIntIn(h->nnum, 0, BP_MAX_FEATURES) ||
		!IsIntIn(h->ncat, 0, PREP_MAX_CATEGORICAL) ||
		!IsIntIn(h->scale, PREP_SCALE_NONE, PREP_SCALE_ROBUST) ||
		!IsIntIn(h->clip, PREP_CLIP_NONE, PREP_CLIP_ZSCORE) ||
		!(h->clip_k >= 0 && isfinite(h->clip_k)) || !IsIntIn(h->flags, 0, 3) ||
		h->ndesign != m->nfeatures)
		PrepReject(ecode, "The preprocessing header is out of range.");
	nnum = (int) h->nnum;
	ncat = (int) h->ncat;
	if (n != (int) (PREP_HEADER_N + nnum * PREP_FEATURE_N + ncat * PREP_SLOT_N))
		PrepReject(ecode, "The preprocessing section has the wrong length.");
	f = (const PrepFeature *) (d + PREP_HEADER_N);
	sl = (const PrepSlot *) (f + nnum);
	ndesign = nnum;
	for (j = 0; j < nnum; j++)
	{
		if (!IsIntIn(f[j].impute, PREP_IMPUTE_MEAN, PREP_IMPUTE_ERROR) ||
			!isfinite(f[j].fill) || isnan(f[j].lower) || isnan(f[j].upper) ||
			!(f[j].lower <= f[j].upper) || !isfinite(f[j].center) ||
			!(f[j].scale > 0) || !isfinite(f[j].scale) ||
			!IsIntIn(f[j].indicator, 0, 1) || !IsIntIn(f[j].nmissing, 0, 9e15) ||
			!IsIntIn(f[j].nclipped, 0, 9e15) || f[j].reserved != 0)
			PrepReject(ecode, "A numeric feature's preprocessing parameters are out of range.");
		ndesign += (int) f[j].indicator;
	}
	for (j = 0; j < ncat; j++)
	{
		int			nall;

		if (!IsIntIn(sl[j].nlevels, 0, 1000) || !IsIntIn(sl[j].null_level, 0, 1) ||
			!IsIntIn(sl[j].other_level, 0, 1) || !IsIntIn(sl[j].nfolded, 0, 1e9) ||
			sl[j].reserved != 0)
			PrepReject(ecode, "A categorical feature's parameters are out of range.");
		nall = (int) (sl[j].nlevels + sl[j].null_level + sl[j].other_level);
		if (!IsIntIn(sl[j].reference, -1, nall - 1))
			PrepReject(ecode, "A categorical feature's reference level is out of range.");
		if (((int) h->flags & PREP_FLAG_ORDINAL) && sl[j].reference >= 0)
			PrepReject(ecode, "Level-number encoding has no reference level.");
		ndesign += ((int) h->flags & PREP_FLAG_ORDINAL) ? 1 :
			nall - (sl[j].reference >= 0);
		nstrings += (int) sl[j].nlevels;
	}
	if (ndesign != m->nfeatures)
		PrepReject(ecode, "The preprocessing design width does not match the number of features.");
	if ((voc != NULL) != (ncat > 0))
		PrepReject(ecode, "The vocabulary section must be present exactly when there are categorical features.");
	for (i = 0; i < nvoc; i++)
		nstrings -= (voc[i] == '\0');
	if (nstrings != 0 || (nvoc > 0 && voc[nvoc - 1] != '\0'))
		PrepReject(ecode, "The vocabulary section does not hold the number of levels the slots declare.");
	if (full && nvoc > 0)
	{
		for (i = 0; i < nvoc; i += strlen(voc + i) + 1)
			if (!pg_verify_mbstr(GetDatabaseEncoding(), voc + i, strlen(voc + i), true))
				PrepReject(ecode, "A level is not valid in the database encoding.");
		/* levels of a slot must be distinct: decoding checks it */
		PrepDecode(d, n, voc, nvoc, ecode);
	}
}

/*
 * Decode checked sections into a Prep, pointing into them (they must
 * outlive it), with a lookup table per slot.  Allocates in the current
 * memory context.
 */
Prep *
PrepDecode(const double *sec, int nsec, const char *vocab, int nvocab, int ecode)
{
	Prep	   *p = palloc0(sizeof(Prep));
	const char *lv = vocab;
	int			j,
				col,
				l;

	p->hdr = (const PrepHeader *) sec;
	p->nnum = (int) p->hdr->nnum;
	p->ncat = (int) p->hdr->ncat;
	p->ndesign = (int) p->hdr->ndesign;
	p->ordinal = ((int) p->hdr->flags & PREP_FLAG_ORDINAL) != 0;
	p->f = (const PrepFeature *) (sec + PREP_HEADER_N);
	p->slot = (const PrepSlot *) (p->f + p->nnum);
	p->ind_col = palloc(sizeof(int) * (p->nnum + 1));
	p->slot_col = palloc(sizeof(int) * (p->ncat + 1));
	p->slot_nall = palloc(sizeof(int) * (p->ncat + 1));
	p->levels = palloc0(sizeof(Vocab *) * (p->ncat + 1));
	p->level_names = palloc0(sizeof(char *) * (p->ncat + 1));
	col = p->nnum;
	for (j = 0; j < p->nnum; j++)
		p->ind_col[j] = p->f[j].indicator ? col++ : -1;
	for (j = 0; j < p->ncat; j++)
	{
		const PrepSlot *sl = &p->slot[j];

		p->slot_col[j] = col;
		p->slot_nall[j] = (int) (sl->nlevels + sl->null_level + sl->other_level);
		col += p->ordinal ? 1 : p->slot_nall[j] - (sl->reference >= 0);
		p->levels[j] = VocabCreate();
		p->level_names[j] = lv;
		for (l = 0; l < (int) sl->nlevels; l++)
		{
			int			len = strlen(lv);

			if (VocabLookup(p->levels[j], lv, len) >= 0)
				PrepReject(ecode, "A categorical feature repeats a level.");
			VocabAdd(p->levels[j], lv, len, 1, j + 1);
			lv += len + 1;
		}
	}
	p->identity = (p->ncat == 0);
	for (j = 0; p->identity && j < p->nnum; j++)
		p->identity = p->ind_col[j] < 0 && p->f[j].center == 0 && p->f[j].scale == 1 &&
			p->f[j].lower == -get_float8_infinity() && p->f[j].upper == get_float8_infinity();
	return p;
}

/*
 * Decode a model's preprocessing, or NULL if it has none.
 */
Prep *
PrepFromModel(const Model *m)
{
	int			n,
				nvoc;
	const double *d = ModelGetDoubles(m, MTAG_PREP, &n);
	const char *voc = ModelGetBytes(m, MTAG_VOCAB, &nvoc);

	if (d == NULL)
		return NULL;
	return PrepDecode(d, n, voc, nvoc, ERRCODE_DATA_CORRUPTED);
}

/*
 * Level of a value in slot k: an explicit level, the NULL level, or
 * "other"; -1 if the value has none (unseen, and no "other" level).
 */
int
PrepLevelOf(const Prep *p, int k, const char *value, int len)
{
	const PrepSlot *sl = &p->slot[k];
	int			l;

	if (value == NULL)
		l = sl->null_level ? (int) sl->nlevels : -1;
	else
		l = VocabLookup(p->levels[k], value, len);
	if (l < 0 && sl->other_level)
		l = p->slot_nall[k] - 1;
	return l;
}

/*
 * Turn a scoring row into a design row.  num may hold NULLs (imputed as
 * trained, unless the feature's method is "error"); cats may be NULL for
 * a model without categorical features.  xbuf (nnum) and lbuf (ncat) are
 * scratch.
 */
void
PrepScoreRow(const Prep *p, ArrayType *num, ArrayType *cats, double *xbuf,
			 int32 *lbuf, double *out)
{
	bool		hasnull;
	int			n,
				j;
	const double *x = BpGetFeaturesNullable(num, &n, xbuf, p->nnum, &hasnull, NULL);
	int			ncat = cats ? PrepCountCategorical(cats) : 0;

	if (n != p->nnum)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 p->ncat > 0 ? errmsg("model expects %d numeric features, not %d", p->nnum, n) :
				 errmsg("model expects %d features, not %d", p->nnum, n),
				 errhint("Pass the feature columns in the order used for training.")));
	if (ncat != p->ncat)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("model expects %d categorical features, not %d", p->ncat, ncat),
				 errhint(p->ncat > 0 && cats == NULL ?
						 "Pass the categorical features as a text[] third argument." :
						 "Pass the categorical columns in the order used for training.")));
	for (j = 0; hasnull && j < n; j++)
		if (isnan(x[j]) && p->f[j].impute == PREP_IMPUTE_ERROR)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("feature %d is null, and the model was trained with \"impute\": \"error\" for it",
							j + 1)));
	if (ncat > 0)
	{
		const char *values[PREP_MAX_CATEGORICAL];
		int			lens[PREP_MAX_CATEGORICAL];

		PrepCategoricalValues(cats, ncat, values, lens);
		for (j = 0; j < ncat; j++)
			lbuf[j] = PrepLevelOf(p, j, values[j], lens[j]);
	}
	PrepApplyRow(p, x, lbuf, out);
}

/*
 * Express design coefficients (intercept first) on the original scale of
 * the numeric inputs: a scaled column contributes b (x - c) / s, that is
 * (b / s) x - b c / s.  Slopes' standard errors scale with them (their
 * statistics do not change); the intercept's would need the coefficients'
 * covariance, so it becomes NaN when the intercept moves.  Returns whether
 * it moved.  Clipping is not undone: the slopes apply to clipped values.
 */
bool
PrepOriginalScale(const Prep *p, double *coef, double *se)
{
	bool		moved = false;
	int			j;

	for (j = 0; j < p->nnum; j++)
	{
		double		s = p->f[j].scale,
					c = p->f[j].center;

		coef[j + 1] /= s;
		if (se)
			se[j + 1] /= s;
		if (c != 0.0)
		{
			coef[0] -= coef[j + 1] * c;
			moved = true;
		}
	}
	if (moved && se)
		se[0] = get_float8_nan();
	return moved;
}

/* ----------------------------------------------------------------
 * JSON
 * ---------------------------------------------------------------- */

/*
 * Append the "preprocessing" object of a model with preprocessing.
 */
void
PrepToJson(StringInfo out, const Model *m)
{
	Prep	   *p = PrepFromModel(m);
	int			j,
				l;

	if (p == NULL)
		return;
	appendStringInfo(out, ", \"preprocessing\": {\"numeric\": %d, \"categorical\": %d, \"scale\": \"%s\", \"clip\": \"%s\", \"clip_k\": ",
					 p->nnum, p->ncat, scale_names[(int) p->hdr->scale],
					 clip_names[(int) p->hdr->clip]);
	ModelJsonDouble(out, p->hdr->clip_k);
	appendStringInfo(out, ", \"missing_indicators\": %s, \"categories_as\": \"%s\", \"features\": [",
					 ((int) p->hdr->flags & PREP_FLAG_INDICATORS) ? "true" : "false",
					 p->ordinal ? "levels" : "onehot");
	for (j = 0; j < p->nnum; j++)
	{
		const PrepFeature *f = &p->f[j];

		appendStringInfo(out, "%s{\"impute\": \"%s\", \"fill\": ", j > 0 ? ", " : "",
						 impute_names[(int) f->impute]);
		ModelJsonDouble(out, f->fill);
		appendStringInfoString(out, ", \"lower\": ");
		ModelJsonDouble(out, f->lower);
		appendStringInfoString(out, ", \"upper\": ");
		ModelJsonDouble(out, f->upper);
		appendStringInfoString(out, ", \"center\": ");
		ModelJsonDouble(out, f->center);
		appendStringInfoString(out, ", \"scale\": ");
		ModelJsonDouble(out, f->scale);
		appendStringInfo(out, ", \"indicator\": %s, \"missing\": %.0f, \"clipped\": %.0f}",
						 f->indicator ? "true" : "false", f->nmissing, f->nclipped);
	}
	appendStringInfoString(out, "], \"categories\": [");
	for (j = 0; j < p->ncat; j++)
	{
		const PrepSlot *sl = &p->slot[j];
		const char *lv = p->level_names[j];

		appendStringInfo(out, "%s{\"levels\": [", j > 0 ? ", " : "");
		for (l = 0; l < (int) sl->nlevels; l++)
		{
			if (l > 0)
				appendStringInfoString(out, ", ");
			escape_json(out, lv);
			lv += strlen(lv) + 1;
		}
		appendStringInfo(out, "], \"null_level\": %s, \"other_level\": %s, \"reference\": %.0f, \"folded\": %.0f}",
						 sl->null_level ? "true" : "false",
						 sl->other_level ? "true" : "false",
						 sl->reference, sl->nfolded);
	}
	appendStringInfoString(out, "]}");
}

/* What PrepFromJson is filling in */
typedef struct PrepParse
{
	void		(*fail) (void *arg, const char *detail);
	void	   *arg;
} PrepParse;

/*
 * Report a parse failure through the caller (does not return).
 */
static void
pg_attribute_noreturn()
Fail(PrepParse *pp, const char *detail)
{
	pp->fail(pp->arg, detail);
	pg_unreachable();
}

/*
 * Read a number, null (NaN) or "Infinity"/"-Infinity".
 */
static double
ReadNum(PrepParse *pp, JsonbValue *v, const char *key)
{
	if (v != NULL && v->type == jbvNumeric)
		return DatumGetFloat8(DirectFunctionCall1(numeric_float8,
												  NumericGetDatum(v->val.numeric)));
	if (v != NULL && v->type == jbvString && v->val.string.len == 8 &&
		strncmp(v->val.string.val, "Infinity", 8) == 0)
		return get_float8_infinity();
	if (v != NULL && v->type == jbvString && v->val.string.len == 9 &&
		strncmp(v->val.string.val, "-Infinity", 9) == 0)
		return -get_float8_infinity();
	Fail(pp, psprintf("Preprocessing key \"%s\" must be a number.", key));
}

/*
 * Read a boolean as 0/1.
 */
static double
ReadBoolean(PrepParse *pp, JsonbValue *v, const char *key)
{
	if (v == NULL || v->type != jbvBool)
		Fail(pp, psprintf("Preprocessing key \"%s\" must be true or false.", key));
	return v->val.boolean ? 1.0 : 0.0;
}

/*
 * Read one of the names in a table (index >= lo), by value.
 */
static double
ReadName(PrepParse *pp, JsonbValue *v, const char *key,
		 const char *const *names, int lo, int hi)
{
	int			i;

	if (v != NULL && v->type == jbvString)
		for (i = lo; i <= hi; i++)
			if (v->val.string.len == strlen(names[i]) &&
				strncmp(v->val.string.val, names[i], v->val.string.len) == 0)
				return i;
	Fail(pp, psprintf("Preprocessing key \"%s\" has an unknown value.", key));
}

/*
 * Look up a key of an object container.
 */
static JsonbValue *
Key(JsonbContainer *c, const char *key)
{
	return getKeyJsonValueFromContainer(c, key, strlen(key), NULL);
}

/*
 * Return the array container of a key, or fail.
 */
static JsonbContainer *
ArrayKey(PrepParse *pp, JsonbContainer *c, const char *key)
{
	JsonbValue *v = Key(c, key);

	if (v == NULL || v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data) ||
		JsonContainerIsScalar(v->val.binary.data))
		Fail(pp, psprintf("Preprocessing key \"%s\" must be an array.", key));
	return v->val.binary.data;
}

/*
 * Return the i-th element of an array as an object container, or fail.
 */
static JsonbContainer *
ObjectAt(PrepParse *pp, JsonbContainer *a, int i, const char *what)
{
	JsonbValue *v = getIthJsonbValueFromContainer(a, i);

	if (v == NULL || v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		Fail(pp, psprintf("Every entry of \"%s\" must be an object.", what));
	return v->val.binary.data;
}

/*
 * Parse the "preprocessing" object into the two section payloads.  Only
 * types are checked here; ModelCheck checks the values and consistency.
 */
void
PrepFromJson(JsonbContainer *c, StringInfo prep, StringInfo vocab,
			 void (*fail) (void *arg, const char *detail), void *arg)
{
	PrepParse	pp = {fail, arg};
	PrepHeader	h;
	JsonbContainer *fa,
			   *ca;
	int			nf,
				nc,
				j,
				l;

	if (!JsonContainerIsObject(c))
		Fail(&pp, "Key \"preprocessing\" must be an object.");
	fa = ArrayKey(&pp, c, "features");
	ca = ArrayKey(&pp, c, "categories");
	nf = JsonContainerSize(fa);
	nc = JsonContainerSize(ca);
	if (nf > BP_MAX_FEATURES || nc > PREP_MAX_CATEGORICAL)
		Fail(&pp, "Key \"preprocessing\" has too many features.");
	memset(&h, 0, sizeof(h));
	h.version = PREP_VERSION;
	h.nnum = ReadNum(&pp, Key(c, "numeric"), "numeric");
	h.ncat = ReadNum(&pp, Key(c, "categorical"), "categorical");
	if (h.nnum != nf || h.ncat != nc)
		Fail(&pp, "Preprocessing keys \"numeric\" and \"categorical\" must count the entries of \"features\" and \"categories\".");
	h.scale = ReadName(&pp, Key(c, "scale"), "scale", scale_names, PREP_SCALE_NONE, PREP_SCALE_ROBUST);
	h.clip = ReadName(&pp, Key(c, "clip"), "clip", clip_names, PREP_CLIP_NONE, PREP_CLIP_ZSCORE);
	h.clip_k = ReadNum(&pp, Key(c, "clip_k"), "clip_k");
	h.flags = ReadBoolean(&pp, Key(c, "missing_indicators"), "missing_indicators") * PREP_FLAG_INDICATORS;
	{
		static const char *const enc[] = {"onehot", "levels"};

		h.flags += ReadName(&pp, Key(c, "categories_as"), "categories_as", enc, 0, 1) * PREP_FLAG_ORDINAL;
	}
	h.ndesign = -1;				/* filled in by the caller */
	appendBinaryStringInfo(prep, (char *) &h, sizeof(h));
	for (j = 0; j < nf; j++)
	{
		JsonbContainer *o = ObjectAt(&pp, fa, j, "features");
		PrepFeature f;

		memset(&f, 0, sizeof(f));
		f.impute = ReadName(&pp, Key(o, "impute"), "impute", impute_names, PREP_IMPUTE_MEAN, PREP_IMPUTE_ERROR);
		f.fill = ReadNum(&pp, Key(o, "fill"), "fill");
		f.lower = ReadNum(&pp, Key(o, "lower"), "lower");
		f.upper = ReadNum(&pp, Key(o, "upper"), "upper");
		f.center = ReadNum(&pp, Key(o, "center"), "center");
		f.scale = ReadNum(&pp, Key(o, "scale"), "scale");
		f.indicator = ReadBoolean(&pp, Key(o, "indicator"), "indicator");
		f.nmissing = ReadNum(&pp, Key(o, "missing"), "missing");
		f.nclipped = ReadNum(&pp, Key(o, "clipped"), "clipped");
		appendBinaryStringInfo(prep, (char *) &f, sizeof(f));
	}
	for (j = 0; j < nc; j++)
	{
		JsonbContainer *o = ObjectAt(&pp, ca, j, "categories");
		JsonbContainer *la = ArrayKey(&pp, o, "levels");
		PrepSlot	sl;

		memset(&sl, 0, sizeof(sl));
		sl.nlevels = JsonContainerSize(la);
		sl.null_level = ReadBoolean(&pp, Key(o, "null_level"), "null_level");
		sl.other_level = ReadBoolean(&pp, Key(o, "other_level"), "other_level");
		sl.reference = ReadNum(&pp, Key(o, "reference"), "reference");
		sl.nfolded = ReadNum(&pp, Key(o, "folded"), "folded");
		appendBinaryStringInfo(prep, (char *) &sl, sizeof(sl));
		for (l = 0; l < (int) sl.nlevels; l++)
		{
			JsonbValue *v = getIthJsonbValueFromContainer(la, l);

			if (v->type != jbvString || memchr(v->val.string.val, '\0', v->val.string.len))
				Fail(&pp, "Every level must be a string.");
			appendBinaryStringInfo(vocab, v->val.string.val, v->val.string.len);
			appendStringInfoChar(vocab, '\0');
		}
	}
}

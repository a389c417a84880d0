/*-------------------------------------------------------------------------
 *
 * model.c
 *	  Construction, validation and access of buypower.model values.
 *
 * ModelFromDatum is the one door in: every function that receives a model
 * detoasts and checks it here, so no code downstream reads a section that
 * does not fit inside the value.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/detoast.h"
#include "mb/pg_wchar.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "buypower.h"
#include "model.h"
#include "trees.h"
#include "prep.h"
#include "percentile.h"

#define MODEL_MAX_SECTIONS	64

static const char *const kind_names[] = {
	[MODEL_LINREG] = "linreg",
	[MODEL_LOGREG] = "logreg",
	[MODEL_GBDT] = "gbdt",
	[MODEL_FOREST] = "forest",
};

/*
 * Statistic names by id.  Ids are stored in models, so they never change;
 * gaps (reserved ranges, see model.h) are NULL and count as unknown.
 */
static const char *const stat_names[MSTAT_MAX + 1] = {
	[MSTAT_N] = "n",
	[MSTAT_N_SKIPPED] = "n_skipped",
	[MSTAT_RANK] = "rank",
	[MSTAT_DF_RESIDUAL] = "df_residual",
	[MSTAT_R2] = "r2",
	[MSTAT_ADJ_R2] = "adj_r2",
	[MSTAT_SIGMA] = "sigma",
	[MSTAT_RSS] = "rss",
	[MSTAT_TSS] = "tss",
	[MSTAT_F] = "f_statistic",
	[MSTAT_F_PVALUE] = "f_pvalue",
	[MSTAT_COND] = "condition_number",
	[MSTAT_L2] = "l2",
	[MSTAT_LOGLIK] = "log_likelihood",
	[MSTAT_NULL_DEVIANCE] = "null_deviance",
	[MSTAT_DEVIANCE] = "deviance",
	[MSTAT_AIC] = "aic",
	[MSTAT_BIC] = "bic",
	[MSTAT_ITERATIONS] = "iterations",
	[MSTAT_POS_WEIGHT] = "positive_weight",
	[MSTAT_NEG_WEIGHT] = "negative_weight",
	[MSTAT_TOL] = "tol",
	[MSTAT_TREES] = "trees",
	[MSTAT_LEARNING_RATE] = "learning_rate",
	[MSTAT_MAX_DEPTH] = "max_depth",
	[MSTAT_MAX_LEAVES] = "max_leaves",
	[MSTAT_BEST_ITERATION] = "best_iteration",
	[MSTAT_TRAIN_LOSS] = "training_loss",
	[MSTAT_VALID_LOSS] = "validation_loss",
	[MSTAT_VALID_ROWS] = "validation_rows",
	[MSTAT_OOB_ERROR] = "oob_error",
	[MSTAT_OOB_ROWS] = "oob_rows",
	[MSTAT_SEED] = "seed",
	[MSTAT_N_IMPUTED] = "n_imputed",
	[MSTAT_N_CLIPPED] = "n_clipped",
	[MSTAT_SCORE_N] = "score_n",
	[MSTAT_SCORE_MEAN] = "score_mean",
};


/*
 * Start a model with the given header fields.
 */
void
ModelBuilderInit(ModelBuilder *b, ModelKind kind, uint16 flags, int nfeatures)
{
	Model		hdr;

	memset(&hdr, 0, sizeof(hdr));
	hdr.version = MODEL_FORMAT_VERSION;
	hdr.kind = (uint8) kind;
	hdr.flags = flags;
	hdr.nfeatures = nfeatures;
	initStringInfo(&b->buf);
	appendBinaryStringInfo(&b->buf, (char *) &hdr, MODEL_HEADER_SIZE);
	b->nsections = 0;
}

/*
 * Append one section header and its padded payload.
 */
static void
ModelAddSection(ModelBuilder *b, ModelTag tag, uint16 elemtype,
				const void *v, int count, Size nbytes)
{
	ModelSection sec;
	static const char zeros[8] = {0};

	sec.tag = (uint16) tag;
	sec.elemtype = elemtype;
	sec.count = count;
	appendBinaryStringInfo(&b->buf, (char *) &sec, sizeof(sec));
	if (nbytes > 0)
		appendBinaryStringInfo(&b->buf, v, nbytes);
	appendBinaryStringInfo(&b->buf, zeros, MODEL_PAD8(nbytes) - nbytes);
	b->nsections++;
}

/*
 * Append a section of doubles.
 */
void
ModelAddDoubles(ModelBuilder *b, ModelTag tag, const double *v, int n)
{
	double	   *p;
	int			i;

	ModelAddSection(b, tag, MODEL_ELEM_DOUBLE, v, n, sizeof(double) * (Size) n);

	/*
	 * Store -0 as +0: JSON text cannot carry the sign of zero through
	 * jsonb's numeric, and text round trips must reproduce the bytes.
	 */
	p = (double *) (b->buf.data + b->buf.len - MODEL_PAD8(sizeof(double) * (Size) n));
	for (i = 0; i < n; i++)
		if (p[i] == 0.0)
			p[i] = 0.0;
}

/*
 * Append a section of raw bytes.
 */
void
ModelAddBytes(ModelBuilder *b, ModelTag tag, const void *v, int n)
{
	ModelAddSection(b, tag, MODEL_ELEM_BYTES, v, n, (Size) n);
}

/*
 * Close the builder and return the finished, checked model.
 */
Model *
ModelFinish(ModelBuilder *b, int ecode)
{
	Model	   *m = (Model *) b->buf.data;

	if (b->buf.len > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model would be too large")));
	m->nsections = b->nsections;
	SET_VARSIZE(m, b->buf.len);
	ModelCheck(m, true, ecode);
	return m;
}

/*
 * Report a model that fails a check.
 */
static void
pg_attribute_noreturn()
ModelReject(int ecode, const char *detail)
{
	ereport(ERROR,
			(errcode(ecode),
			 errmsg("invalid buypower.model value"),
			 errdetail_internal("%s", detail)));
}

/*
 * Check that a section's element type and count fit its tag and model.
 */
static void
CheckSection(const Model *m, const ModelSection *sec, const char *payload,
			 bool full, int ecode)
{
	int			nf1 = m->nfeatures + 1;
	int			i;

	switch (sec->tag)
	{
		case MTAG_COEF:
		case MTAG_STDERR:
			if (sec->elemtype != MODEL_ELEM_DOUBLE || sec->count != nf1)
				ModelReject(ecode, "A coefficient section has the wrong length.");
			if (full && sec->tag == MTAG_COEF)
				for (i = 0; i < nf1; i++)
					if (!isfinite(((const double *) payload)[i]))
						ModelReject(ecode, "A coefficient is not finite.");
			break;
		case MTAG_ALIASED:
			if (sec->elemtype != MODEL_ELEM_BYTES || sec->count != nf1)
				ModelReject(ecode, "The aliased-coefficient section has the wrong length.");
			for (i = 0; full && i < nf1; i++)
				if (payload[i] != 0 && payload[i] != 1)
					ModelReject(ecode, "The aliased-coefficient section holds a value other than 0 or 1.");
			break;
		case MTAG_STATS:
			if (sec->elemtype != MODEL_ELEM_DOUBLE || sec->count % 2 != 0)
				ModelReject(ecode, "The statistics section has the wrong length.");
			for (i = 0; full && i < sec->count; i += 2)
			{
				double		id = ((const double *) payload)[i];

				if (!(id >= 1 && id <= MSTAT_MAX) || id != floor(id) ||
					stat_names[(int) id] == NULL)
					ModelReject(ecode, "The statistics section names an unknown statistic.");
				/* text output and input rely on ids in increasing order */
				if (i > 0 && id <= ((const double *) payload)[i - 2])
					ModelReject(ecode, "The statistics section repeats a statistic or is out of order.");
			}
			break;
		case MTAG_NAMES:
			{
				int			nnames = 0;
				const char *p;

				if (sec->elemtype != MODEL_ELEM_BYTES || sec->count < 1 ||
					payload[sec->count - 1] != '\0')
					ModelReject(ecode, "The feature-name section is malformed.");
				for (i = 0; i < sec->count; i++)
					nnames += (payload[i] == '\0');
				if (nnames != m->nfeatures)
					ModelReject(ecode, "The number of feature names does not match the number of features.");
				for (p = payload, i = 0; full && i < nnames; i++)
				{
					int			len = strlen(p);

					if (len == 0 || !pg_verify_mbstr(GetDatabaseEncoding(), p, len, true))
						ModelReject(ecode, "A feature name is empty or not valid in the database encoding.");
					p += len + 1;
				}
				break;
			}
		case MTAG_TREE_HEADER:
		case MTAG_TREE_SIZES:
		case MTAG_TREE_VALUES:
		case MTAG_TREE_NODES:
		case MTAG_TREE_IMPORTANCE:
		case MTAG_TREE_CATS:
		case MTAG_TREE_LEVELS:
		case MTAG_TREE_CATSETS:
			/* checked together, by TreesCheck */
			if (!MODEL_KIND_IS_TREES(m->kind))
				ModelReject(ecode, "A linear model has a tree section.");
			break;
		case MTAG_PREP:
			if (sec->elemtype != MODEL_ELEM_DOUBLE)
				ModelReject(ecode, "The preprocessing section has the wrong type.");
			break;
		case MTAG_VOCAB:
			if (sec->elemtype != MODEL_ELEM_BYTES)
				ModelReject(ecode, "The vocabulary section has the wrong type.");
			break;
		case MTAG_SCORE_QUANTILES:
			{
				const char *bad = PercentileCheckSection(sec, (const double *) payload, full);

				if (bad)
					ModelReject(ecode, bad);
				break;
			}
		default:
			ModelReject(ecode, "The model has a section of unknown type.");
	}
}

/*
 * Check a model's header and section table; with full, also every value.
 *
 * The structural walk is cheap (a few dozen bytes are read), so it runs on
 * every detoast.  The full check runs on input from outside: text, binary
 * and freshly built models.
 */
void
ModelCheck(const Model *m, bool full, int ecode)
{
	Size		size = VARSIZE_ANY(m);
	Size		off = MODEL_HEADER_SIZE;
	bool		seen[MTAG_MAX + 1] = {false};
	int			i;

	if (size < MODEL_HEADER_SIZE)
		ModelReject(ecode, "The value is shorter than a model header.");
	if (m->version > MODEL_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("buypower.model format version %d is newer than this library supports (%d)",
						m->version, MODEL_FORMAT_VERSION),
				 errhint("Run ALTER EXTENSION buypower UPDATE, or install a newer buypower library.")));
	if (m->version < 1)
		ModelReject(ecode, "The format version is 0.");
	if (m->kind < 1 || m->kind > MODEL_KIND_MAX)
		ModelReject(ecode, "The model kind is unknown.");
	if ((m->flags & ~MODEL_KNOWN_FLAGS) != 0)
		ModelReject(ecode, "The model has unknown flags set.");
	if (m->nfeatures < 0 || m->nfeatures > BP_MAX_FEATURES)
		ModelReject(ecode, "The feature count is out of range.");
	if (m->nsections < 0 || m->nsections > MODEL_MAX_SECTIONS)
		ModelReject(ecode, "The section count is out of range.");

	for (i = 0; i < m->nsections; i++)
	{
		const ModelSection *sec = (const ModelSection *) ((const char *) m + off);
		Size		nbytes;

		if (size - off < sizeof(ModelSection))
			ModelReject(ecode, "The value ends inside a section header.");
		if (sec->tag < 1 || sec->tag > MTAG_MAX || seen[sec->tag])
			ModelReject(ecode, "A section tag is unknown or repeated.");
		seen[sec->tag] = true;
		if (sec->count < 0 || sec->count > (int) MaxAllocSize / 8)
			ModelReject(ecode, "A section length is out of range.");
		nbytes = (sec->elemtype == MODEL_ELEM_DOUBLE) ? sizeof(double) * (Size) sec->count : (Size) sec->count;
		off += sizeof(ModelSection);
		if (MODEL_PAD8(nbytes) > size - off)
			ModelReject(ecode, "A section extends past the end of the value.");
		CheckSection(m, sec, (const char *) m + off, full, ecode);
		off += MODEL_PAD8(nbytes);
	}
	if (off != size)
		ModelReject(ecode, "The value has bytes after its last section.");
	if (!seen[MTAG_STATS])
		ModelReject(ecode, "The model lacks its statistics.");
	if (MODEL_KIND_IS_TREES(m->kind))
	{
		if (seen[MTAG_COEF] || seen[MTAG_STDERR] || seen[MTAG_ALIASED])
			ModelReject(ecode, "A tree model has a coefficient section.");
		TreesCheck(m, ecode);
	}
	else if (!seen[MTAG_COEF])
		ModelReject(ecode, "The model lacks its coefficients or statistics.");
	if (seen[MTAG_PREP] || seen[MTAG_VOCAB])
		PrepCheckModel(m, full, ecode);
}

/*
 * Detoast a model and check its structure.
 *
 * A stored model that fails the check is reported as corrupted data: it got
 * past model_in or model_recv, so the bytes changed underneath us.
 */
Model *
ModelFromDatum(Datum d)
{
	Model	   *m = (Model *) PG_DETOAST_DATUM(d);

	ModelCheck(m, false, ERRCODE_DATA_CORRUPTED);
	return m;
}

/*
 * Is v the model datum k was loaded from?
 */
bool
ModelKeyMatches(const ModelKey *k, struct varlena *v)
{
	if (!k->valid)
		return false;
	if (VARATT_IS_EXTERNAL_ONDISK(v))
	{
		struct varatt_external ext;

		VARATT_EXTERNAL_GET_POINTER(ext, v);
		return k->external && ext.va_valueid == k->valueid &&
			ext.va_toastrelid == k->toastrelid;
	}
	if (VARATT_IS_EXTERNAL(v))
		return false;
	return !k->external && VARSIZE_ANY(v) == k->rawsize &&
		memcmp(v, k->raw, k->rawsize) == 0;
}

/*
 * Record v's identity in k (invalid until the caller sets k->valid, which
 * it does from k->stable once everything it derives from the model is in
 * place) and return a checked, detoasted copy.  Allocates in the current
 * memory context; the caller frees or resets the previous k->raw.
 */
Model *
ModelKeyLoad(ModelKey *k, struct varlena *v)
{
	Model	   *m;

	k->valid = false;
	k->raw = NULL;
	k->rawsize = 0;
	k->external = VARATT_IS_EXTERNAL_ONDISK(v);
	if (k->external)
	{
		struct varatt_external ext;

		VARATT_EXTERNAL_GET_POINTER(ext, v);
		k->toastrelid = ext.va_toastrelid;
		k->valueid = ext.va_valueid;
	}
	else if (!VARATT_IS_EXTERNAL(v))
	{
		k->rawsize = VARSIZE_ANY(v);
		k->raw = palloc(k->rawsize);
		memcpy(k->raw, v, k->rawsize);
	}
	k->stable = !VARATT_IS_EXTERNAL(v) || k->external;
	m = (Model *) PG_DETOAST_DATUM_COPY(PointerGetDatum(v));
	ModelCheck(m, false, ERRCODE_DATA_CORRUPTED);
	return m;
}

/*
 * Find a section by tag, or NULL.
 */
const ModelSection *
ModelFindSection(const Model *m, ModelTag tag)
{
	Size		off = MODEL_HEADER_SIZE;
	int			i;

	for (i = 0; i < m->nsections; i++)
	{
		const ModelSection *sec = (const ModelSection *) ((const char *) m + off);
		Size		nbytes;

		if (sec->tag == tag)
			return sec;
		nbytes = (sec->elemtype == MODEL_ELEM_DOUBLE) ? sizeof(double) * (Size) sec->count : (Size) sec->count;
		off += sizeof(ModelSection) + MODEL_PAD8(nbytes);
	}
	return NULL;
}

/*
 * Return a section of doubles and its length, or NULL if absent.
 */
const double *
ModelGetDoubles(const Model *m, ModelTag tag, int *count)
{
	const ModelSection *sec = ModelFindSection(m, tag);

	*count = sec ? sec->count : 0;
	return sec ? (const double *) (sec + 1) : NULL;
}

/*
 * Return a section of bytes and its length, or NULL if absent.
 */
const char *
ModelGetBytes(const Model *m, ModelTag tag, int *count)
{
	const ModelSection *sec = ModelFindSection(m, tag);

	*count = sec ? sec->count : 0;
	return sec ? (const char *) (sec + 1) : NULL;
}

/*
 * Return one training statistic, NaN if the model does not carry it.
 */
double
ModelGetStat(const Model *m, ModelStat id)
{
	int			n;
	const double *s = ModelGetDoubles(m, MTAG_STATS, &n);
	int			i;

	for (i = 0; i < n; i += 2)
		if (s[i] == (double) id)
			return s[i + 1];
	return get_float8_nan();
}

/*
 * Return the name of feature j (0-based), or NULL if the model has no names.
 */
const char *
ModelFeatureName(const Model *m, int j)
{
	int			n;
	const char *p = ModelGetBytes(m, MTAG_NAMES, &n);

	if (p == NULL)
		return NULL;
	while (j-- > 0)
		p += strlen(p) + 1;
	return p;
}

const char *
ModelKindName(int kind)
{
	return (kind >= 1 && kind <= MODEL_KIND_MAX) ? kind_names[kind] : "unknown";
}

int
ModelKindFromName(const char *name)
{
	int			i;

	for (i = 1; i <= MODEL_KIND_MAX; i++)
		if (strcmp(kind_names[i], name) == 0)
			return i;
	return 0;
}

const char *
ModelStatName(int id)
{
	return (id >= 1 && id <= MSTAT_MAX && stat_names[id] != NULL) ?
		stat_names[id] : "unknown";
}

int
ModelStatFromName(const char *name)
{
	int			i;

	for (i = 1; i <= MSTAT_MAX; i++)
		if (stat_names[i] != NULL && strcmp(stat_names[i], name) == 0)
			return i;
	return 0;
}

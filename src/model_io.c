/*-------------------------------------------------------------------------
 *
 * model_io.c
 *	  Text (JSON) and binary input/output of buypower.model.
 *
 * The text form is one JSON object with a fixed key order:
 *
 *	{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 2,
 *	 "names": ["a", "b"], "coefficients": [b0, b1, b2],
 *	 "std_errors": [s0, s1, s2], "stats": {"n": 100, ...}}
 *
 * "coefficients" always has nfeatures + 1 entries, the intercept first (0
 * when none was fitted); null marks a coefficient that could not be
 * estimated (aliased).  In "std_errors" and "stats", null is a value that
 * is not available (NaN) and the strings "Infinity"/"-Infinity" carry
 * infinities, which JSON cannot.  Doubles are written in the shortest form
 * that reads back to the same bits, whatever extra_float_digits says, so
 * out -> in reproduces the value byte for byte.
 *
 * Input is parsed by PostgreSQL's own jsonb parser, then checked key by
 * key; the result goes through the same full check as every new model.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "buypower.h"
#include "model.h"
#include "trees.h"
#include "prep.h"
#include "percentile.h"

/* ----------------------------------------------------------------
 * output
 * ---------------------------------------------------------------- */

/*
 * Append ", \"names\": [...]" for a model that stores feature names (for
 * both JSON writers: model_io.c's and the trees'), walking the names once.
 */
void
ModelNamesJson(StringInfo out, const Model *m)
{
	int			n,
				i;
	const char *p = ModelGetBytes(m, MTAG_NAMES, &n);

	if (p == NULL)
		return;
	appendStringInfoString(out, ", \"names\": [");
	for (i = 0; i < m->nfeatures; i++)
	{
		if (i > 0)
			appendStringInfoString(out, ", ");
		escape_json(out, p);
		p += strlen(p) + 1;
	}
	appendStringInfoChar(out, ']');
}

/*
 * Append a double as JSON: shortest exact decimal, null for NaN,
 * "Infinity" strings for infinities.
 */
void
ModelJsonDouble(StringInfo out, double v)
{
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];

	if (isnan(v))
		appendStringInfoString(out, "null");
	else if (isinf(v))
		appendStringInfoString(out, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
	else
	{
		double_to_shortest_decimal_buf(v, buf);
		appendStringInfoString(out, buf);
	}
}

/*
 * Append a JSON array of doubles; entries flagged in skip print as null.
 */
static void
AppendJsonDoubles(StringInfo out, const double *v, int n, const char *skip)
{
	int			i;

	appendStringInfoChar(out, '[');
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(out, ", ");
		if (skip && skip[i])
			appendStringInfoString(out, "null");
		else
			ModelJsonDouble(out, v[i]);
	}
	appendStringInfoChar(out, ']');
}

/*
 * Write the model as its JSON text.
 */
static char *
ModelToJson(const Model *m)
{
	StringInfoData out;
	int			n,
				naliased,
				i;
	const double *coef = ModelGetDoubles(m, MTAG_COEF, &n);
	const char *aliased = ModelGetBytes(m, MTAG_ALIASED, &naliased);
	const double *se = ModelGetDoubles(m, MTAG_STDERR, &n);
	const double *stats = ModelGetDoubles(m, MTAG_STATS, &n);

	initStringInfo(&out);
	appendStringInfo(&out, "{\"format\": %d, \"algorithm\": \"%s\", \"intercept\": %s",
					 m->version, ModelKindName(m->kind),
					 (m->flags & MODEL_HAS_INTERCEPT) ? "true" : "false");
	if (m->kind == MODEL_LOGREG)
		appendStringInfo(&out, ", \"converged\": %s",
						 (m->flags & MODEL_CONVERGED) ? "true" : "false");
	appendStringInfo(&out, ", \"nfeatures\": %d", m->nfeatures);
	ModelNamesJson(&out, m);
	PrepToJson(&out, m);
	appendStringInfoString(&out, ", \"coefficients\": ");
	AppendJsonDoubles(&out, coef, m->nfeatures + 1, aliased);
	if (se)
	{
		appendStringInfoString(&out, ", \"std_errors\": ");
		AppendJsonDoubles(&out, se, m->nfeatures + 1, NULL);
	}
	appendStringInfoString(&out, ", \"stats\": {");
	ModelGetDoubles(m, MTAG_STATS, &n);
	for (i = 0; i < n; i += 2)
	{
		appendStringInfo(&out, "%s\"%s\": ", i > 0 ? ", " : "",
						 ModelStatName((int) stats[i]));
		ModelJsonDouble(&out, stats[i + 1]);
	}
	appendStringInfoChar(&out, '}');
	PercentileAppendJson(&out, m);
	appendStringInfoChar(&out, '}');
	return out.data;
}

PG_FUNCTION_INFO_V1(model_out);
Datum
model_out(PG_FUNCTION_ARGS)
{
	Model	   *m = PG_GETARG_MODEL_P(0);

	if (MODEL_KIND_IS_TREES(m->kind))
		PG_RETURN_CSTRING(TreesToJson(m));
	PG_RETURN_CSTRING(ModelToJson(m));
}

/* ----------------------------------------------------------------
 * input
 * ---------------------------------------------------------------- */

/* What model_in has read so far */
typedef struct ParsedModel
{
	const char *input;			/* for error messages */
	int			format;
	int			kind;
	int			intercept;		/* -1 = not given */
	int			converged;		/* -1 = not given */
	int			nfeatures;		/* -1 = not given */
	StringInfoData names;
	int			nnames;
	double	   *coef;
	char	   *aliased;
	int			ncoef;
	double	   *se;
	int			nse;
	double	   *stats;
	int			nstats;
	StringInfoData prep;		/* MTAG_PREP payload, if given */
	StringInfoData vocab;		/* MTAG_VOCAB payload */
	double	   *quantiles;		/* "score_quantiles", percentile.c */
	int			nquantiles;
} ParsedModel;

/*
 * Report malformed model text, quoting the input.
 */
static void
pg_attribute_noreturn()
ParseError(ParsedModel *pm, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type buypower.model: \"%s\"",
					pm->input),
			 errdetail_internal("%s", detail)));
}

/*
 * Convert a jsonb number to a double, bit-exact for shortest-decimal text.
 */
static double
JsonbNumberToDouble(JsonbValue *v)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8,
											  NumericGetDatum(v->val.numeric)));
}

/*
 * Read a statistic or standard error: number, null (NaN) or "Infinity".
 */
static double
ReadLooseDouble(ParsedModel *pm, JsonbValue *v, const char *what)
{
	if (v->type == jbvNumeric)
		return JsonbNumberToDouble(v);
	if (v->type == jbvNull)
		return get_float8_nan();
	if (v->type == jbvString && v->val.string.len == 8 &&
		strncmp(v->val.string.val, "Infinity", 8) == 0)
		return get_float8_infinity();
	if (v->type == jbvString && v->val.string.len == 9 &&
		strncmp(v->val.string.val, "-Infinity", 9) == 0)
		return -get_float8_infinity();
	ParseError(pm, psprintf("Every %s must be a number, null, \"Infinity\" or \"-Infinity\".", what));
}

/*
 * Read an integer-valued number within [lo, hi].
 */
static int
ReadInt(ParsedModel *pm, JsonbValue *v, const char *key, int lo, int hi)
{
	double		d;

	if (v->type != jbvNumeric)
		ParseError(pm, psprintf("Key \"%s\" must be a number.", key));
	d = JsonbNumberToDouble(v);
	if (d != floor(d) || d < lo || d > hi)
		ParseError(pm, psprintf("Key \"%s\" must be an integer from %d to %d.", key, lo, hi));
	return (int) d;
}

/*
 * Read a boolean.
 */
static int
ReadBool(ParsedModel *pm, JsonbValue *v, const char *key)
{
	if (v->type != jbvBool)
		ParseError(pm, psprintf("Key \"%s\" must be true or false.", key));
	return v->val.boolean ? 1 : 0;
}

/*
 * Read one array element by element into doubles; alias != NULL accepts
 * null as an aliased coefficient, else loose doubles are read.
 */
static int
ReadDoubleArray(ParsedModel *pm, JsonbContainer *c, const char *key,
				double **out, char **alias)
{
	int			n = JsonContainerSize(c);
	int			i;

	if (!JsonContainerIsArray(c) || JsonContainerIsScalar(c))
		ParseError(pm, psprintf("Key \"%s\" must be an array.", key));
	if (n > BP_MAX_FEATURES + 1)
		ParseError(pm, psprintf("Key \"%s\" has too many entries.", key));
	*out = palloc0(sizeof(double) * (n + 1));
	if (alias)
		*alias = palloc0(n + 1);
	for (i = 0; i < n; i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(c, i);

		if (alias && v->type == jbvNull)
			(*alias)[i] = 1;
		else if (alias && v->type != jbvNumeric)
			ParseError(pm, "Every coefficient must be a number or null.");
		else
			(*out)[i] = ReadLooseDouble(pm, v, "standard error");
	}
	return n;
}

/*
 * Read the "names" array.
 */
static void
ReadNames(ParsedModel *pm, JsonbContainer *c)
{
	int			n = JsonContainerSize(c);
	int			i;

	if (!JsonContainerIsArray(c) || JsonContainerIsScalar(c) || n > BP_MAX_FEATURES)
		ParseError(pm, "Key \"names\" must be an array of at most the feature limit.");
	initStringInfo(&pm->names);
	for (i = 0; i < n; i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(c, i);

		if (v->type != jbvString || v->val.string.len == 0)
			ParseError(pm, "Every feature name must be a non-empty string.");
		appendBinaryStringInfo(&pm->names, v->val.string.val, v->val.string.len);
		appendStringInfoChar(&pm->names, '\0');
	}
	pm->nnames = n;
}

/*
 * Sort (id, value) pairs by id: jsonb reorders keys, and models always
 * keep their statistics in id order so that out -> in -> out is stable.
 */
static void
SortStats(double *pairs, int n)
{
	int			i,
				j;

	for (i = 2; i < n; i += 2)
		for (j = i; j > 0 && pairs[j - 2] > pairs[j]; j -= 2)
		{
			double		id = pairs[j],
						val = pairs[j + 1];

			pairs[j] = pairs[j - 2];
			pairs[j + 1] = pairs[j - 1];
			pairs[j - 2] = id;
			pairs[j - 1] = val;
		}
}

/*
 * Read the "stats" object into (id, value) pairs.
 */
static void
ReadStats(ParsedModel *pm, JsonbContainer *c)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			n = 0;

	if (!JsonContainerIsObject(c))
		ParseError(pm, "Key \"stats\" must be an object.");
	pm->stats = palloc(sizeof(double) * 2 * (MSTAT_MAX + 1));
	it = JsonbIteratorInit(c);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *name;
		int			id;

		if (tok != WJB_KEY)
			continue;
		name = pnstrdup(v.val.string.val, v.val.string.len);
		id = ModelStatFromName(name);
		if (id == 0)
			ParseError(pm, psprintf("Unknown statistic \"%s\".", name));
		tok = JsonbIteratorNext(&it, &v, true);
		pm->stats[n++] = id;
		pm->stats[n++] = ReadLooseDouble(pm, &v, "statistic");
	}
	pm->nstats = n;
	SortStats(pm->stats, n);
}

/*
 * ReadStats for the other JSON reader (tree models, trees_model.c): the
 * same checks and messages; input names the text in errors.
 */
void
ModelReadStats(const char *input, JsonbContainer *c, double **stats, int *nstats)
{
	ParsedModel pm;

	memset(&pm, 0, sizeof(pm));
	pm.input = input;
	ReadStats(&pm, c);
	*stats = pm.stats;
	*nstats = pm.nstats;
}

/*
 * ParseError as a callback for PrepFromJson.
 */
static void
PrepParseError(void *arg, const char *detail)
{
	ParseError((ParsedModel *) arg, detail);
}

/*
 * Read the "score_quantiles" array: finite numbers only.
 */
static void
ReadQuantiles(ParsedModel *pm, JsonbContainer *c)
{
	int			n = JsonContainerSize(c);
	int			i;

	if (!JsonContainerIsArray(c) || JsonContainerIsScalar(c) || n < 1 || n > MODEL_MAX_QUANTILES)
		ParseError(pm, psprintf("Key \"score_quantiles\" must be an array of 1 to %d numbers.",
								MODEL_MAX_QUANTILES));
	pm->quantiles = palloc(sizeof(double) * n);
	for (i = 0; i < n; i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(c, i);

		if (v->type != jbvNumeric)
			ParseError(pm, "Every score quantile must be a number.");
		pm->quantiles[i] = JsonbNumberToDouble(v);
	}
	pm->nquantiles = n;
}

/*
 * Dispatch one top-level key.
 */
static void
ReadTopKey(ParsedModel *pm, const char *key, JsonbValue *v)
{
	JsonbContainer *c = (v->type == jbvBinary) ? v->val.binary.data : NULL;

	if (strcmp(key, "format") == 0)
		pm->format = ReadInt(pm, v, key, 1, 255);
	else if (strcmp(key, "algorithm") == 0)
	{
		if (v->type != jbvString)
			ParseError(pm, "Key \"algorithm\" must be a string.");
		pm->kind = ModelKindFromName(pnstrdup(v->val.string.val, v->val.string.len));
		if (pm->kind == 0)
			ParseError(pm, "Unknown algorithm.");
	}
	else if (strcmp(key, "intercept") == 0)
		pm->intercept = ReadBool(pm, v, key);
	else if (strcmp(key, "converged") == 0)
		pm->converged = ReadBool(pm, v, key);
	else if (strcmp(key, "nfeatures") == 0)
		pm->nfeatures = ReadInt(pm, v, key, 0, BP_MAX_FEATURES);
	else if (c && strcmp(key, "names") == 0)
		ReadNames(pm, c);
	else if (c && strcmp(key, "coefficients") == 0)
		pm->ncoef = ReadDoubleArray(pm, c, key, &pm->coef, &pm->aliased);
	else if (c && strcmp(key, "std_errors") == 0)
		pm->nse = ReadDoubleArray(pm, c, key, &pm->se, NULL);
	else if (c && strcmp(key, "stats") == 0)
		ReadStats(pm, c);
	else if (c && strcmp(key, "preprocessing") == 0)
	{
		initStringInfo(&pm->prep);
		initStringInfo(&pm->vocab);
		PrepFromJson(c, &pm->prep, &pm->vocab, PrepParseError, pm);
	}
	else if (c && strcmp(key, "score_quantiles") == 0)
		ReadQuantiles(pm, c);
	else
		ParseError(pm, psprintf("Unexpected key \"%s\" or value of the wrong type.", key));
}

/*
 * Check what was read and build the model from it.
 */
static Model *
BuildParsedModel(ParsedModel *pm)
{
	ModelBuilder b;
	uint16		flags = 0;
	int			i;
	bool		anyalias = false;

	if (pm->format > MODEL_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("buypower.model format version %d is newer than this library supports (%d)",
						pm->format, MODEL_FORMAT_VERSION),
				 errhint("Install a newer buypower library.")));
	if (pm->format == 0 || pm->kind == 0 || pm->intercept < 0 ||
		pm->nfeatures < 0 || pm->coef == NULL || pm->stats == NULL)
		ParseError(pm, "Keys \"format\", \"algorithm\", \"intercept\", \"nfeatures\", \"coefficients\" and \"stats\" are required.");
	if (pm->ncoef != pm->nfeatures + 1)
		ParseError(pm, "Key \"coefficients\" must have nfeatures + 1 entries, the intercept first.");
	if (pm->se && pm->nse != pm->nfeatures + 1)
		ParseError(pm, "Key \"std_errors\" must have nfeatures + 1 entries.");
	if (pm->names.data && pm->nnames != pm->nfeatures)
		ParseError(pm, "Key \"names\" must have nfeatures entries.");
	if ((pm->converged >= 0) != (pm->kind == MODEL_LOGREG))
		ParseError(pm, "Key \"converged\" is required for logreg models and not allowed otherwise.");

	if (pm->intercept)
		flags |= MODEL_HAS_INTERCEPT;
	if (pm->converged > 0)
		flags |= MODEL_CONVERGED;
	for (i = 0; i < pm->ncoef; i++)
		anyalias |= pm->aliased[i];

	ModelBuilderInit(&b, pm->kind, flags, pm->nfeatures);
	ModelAddDoubles(&b, MTAG_COEF, pm->coef, pm->ncoef);
	if (pm->se)
		ModelAddDoubles(&b, MTAG_STDERR, pm->se, pm->nse);
	if (anyalias)
		ModelAddBytes(&b, MTAG_ALIASED, pm->aliased, pm->ncoef);
	ModelAddDoubles(&b, MTAG_STATS, pm->stats, pm->nstats);
	if (pm->names.data)
		ModelAddBytes(&b, MTAG_NAMES, pm->names.data, pm->names.len);
	if (pm->prep.data)
	{
		PrepHeader *h = (PrepHeader *) pm->prep.data;

		h->ndesign = pm->nfeatures;
		ModelAddDoubles(&b, MTAG_PREP, (double *) pm->prep.data,
						pm->prep.len / sizeof(double));
		if (h->ncat > 0)
			ModelAddBytes(&b, MTAG_VOCAB, pm->vocab.data, pm->vocab.len);
	}
	if (pm->quantiles)
		ModelAddDoubles(&b, MTAG_SCORE_QUANTILES, pm->quantiles, pm->nquantiles);
	return ModelFinish(&b, ERRCODE_INVALID_TEXT_REPRESENTATION);
}

PG_FUNCTION_INFO_V1(model_in);
Datum
model_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	Jsonb	   *jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(str)));
	ParsedModel pm;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	memset(&pm, 0, sizeof(pm));
	pm.input = str;
	pm.intercept = pm.converged = pm.nfeatures = -1;

	if (!JB_ROOT_IS_OBJECT(jb))
		ParseError(&pm, "A model is a JSON object.");
	/* tree models have their own keys (trees_model.c) */
	{
		JsonbValue *alg = getKeyJsonValueFromContainer(&jb->root, "algorithm", 9, NULL);

		if (alg && alg->type == jbvString &&
			MODEL_KIND_IS_TREES(ModelKindFromName(pnstrdup(alg->val.string.val,
															alg->val.string.len))))
			PG_RETURN_MODEL_P(TreesFromJson(&jb->root, str));
	}
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		JsonbIteratorNext(&it, &v, true);
		ReadTopKey(&pm, key, &v);
	}
	PG_RETURN_MODEL_P(BuildParsedModel(&pm));
}

/* ----------------------------------------------------------------
 * binary I/O
 * ---------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(model_send);
Datum
model_send(PG_FUNCTION_ARGS)
{
	Model	   *m = PG_GETARG_MODEL_P(0);
	StringInfoData buf;
	Size		off = MODEL_HEADER_SIZE;
	int			i,
				k;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, m->version);
	pq_sendbyte(&buf, m->kind);
	pq_sendint16(&buf, m->flags);
	pq_sendint32(&buf, m->nfeatures);
	pq_sendint32(&buf, m->nsections);
	for (i = 0; i < m->nsections; i++)
	{
		const ModelSection *sec = (const ModelSection *) ((char *) m + off);
		const char *payload = (const char *) (sec + 1);
		Size		nbytes;

		pq_sendint16(&buf, sec->tag);
		pq_sendint16(&buf, sec->elemtype);
		pq_sendint32(&buf, sec->count);
		if (sec->elemtype == MODEL_ELEM_DOUBLE)
		{
			for (k = 0; k < sec->count; k++)
				pq_sendfloat8(&buf, ((const double *) payload)[k]);
			nbytes = sizeof(double) * (Size) sec->count;
		}
		else
		{
			pq_sendbytes(&buf, payload, sec->count);
			nbytes = sec->count;
		}
		off += sizeof(ModelSection) + MODEL_PAD8(nbytes);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Report malformed binary input.
 */
static void
pg_attribute_noreturn()
RecvError(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary representation of buypower.model"),
			 errdetail_internal("%s", detail)));
}

PG_FUNCTION_INFO_V1(model_recv);
Datum
model_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	ModelBuilder b;
	int			version,
				kind,
				flags,
				nfeatures,
				nsections,
				i,
				k;

	/* check lengths before pq_getmsg* would report a protocol violation */
	if (buf->len - buf->cursor < 12)
		RecvError("The data is shorter than a model header.");
	version = pq_getmsgbyte(buf);
	kind = pq_getmsgbyte(buf);
	flags = (uint16) pq_getmsgint(buf, 2);
	nfeatures = pq_getmsgint(buf, 4);
	nsections = pq_getmsgint(buf, 4);
	if (version > MODEL_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("buypower.model format version %d is newer than this library supports (%d)",
						version, MODEL_FORMAT_VERSION),
				 errhint("Install a newer buypower library.")));
	if (nsections < 0 || nsections > 64)
		RecvError("The section count is out of range.");

	ModelBuilderInit(&b, kind, flags, nfeatures);
	((Model *) b.buf.data)->version = version;
	for (i = 0; i < nsections; i++)
	{
		int			tag,
					elemtype,
					count,
					left;

		if (buf->len - buf->cursor < 8)
			RecvError("The data ends inside a section header.");
		tag = (uint16) pq_getmsgint(buf, 2);
		elemtype = (uint16) pq_getmsgint(buf, 2);
		count = pq_getmsgint(buf, 4);
		left = buf->len - buf->cursor;

		if (elemtype == MODEL_ELEM_DOUBLE && count >= 0 && count <= left / 8)
		{
			double	   *v = palloc(sizeof(double) * (count + 1));

			for (k = 0; k < count; k++)
				v[k] = pq_getmsgfloat8(buf);
			ModelAddDoubles(&b, tag, v, count);
		}
		else if (elemtype == MODEL_ELEM_BYTES && count >= 0 && count <= left)
			ModelAddBytes(&b, tag, pq_getmsgbytes(buf, count), count);
		else
			RecvError("A section has an unknown type or extends past the end of the data.");
	}
	if (buf->cursor != buf->len)
		RecvError("There are bytes after the last section.");
	PG_RETURN_MODEL_P(ModelFinish(&b, ERRCODE_INVALID_BINARY_REPRESENTATION));
}

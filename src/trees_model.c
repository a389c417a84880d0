/*-------------------------------------------------------------------------
 *
 * trees_model.c
 *	  Tree ensembles inside a buypower.model: the structural check every
 *	  detoast runs, scoring, JSON text output and input, and
 *	  buypower.importance.  Training is in learn_trees.c; the layout is
 *	  described in trees.h.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "buypower.h"
#include "model.h"
#include "trees.h"

#define TREES_MAX_TREES		100000

/*
 * Report a tree model that fails a check.
 */
static void
pg_attribute_noreturn()
TreesReject(int ecode, const char *detail)
{
	ereport(ERROR,
			(errcode(ecode),
			 errmsg("invalid buypower.model value"),
			 errdetail_internal("%s", detail)));
}

/*
 * Check the tree sections of a model together: counts agree, every child
 * index points forward and inside its tree, every non-root node has
 * exactly one parent, features exist, thresholds and leaves are finite.
 *
 * This is O(nodes) and runs on every detoast, not only on input: scoring
 * walks the nodes without further checks, so a damaged stored model must
 * never reach it.  (predict detoasts a model once per query, not per row.)
 */
void
TreesCheck(const Model *m, int ecode)
{
	int			nh,
				ns,
				nv,
				nb,
				ni;
	const double *hdr = ModelGetDoubles(m, MTAG_TREE_HEADER, &nh);
	const double *sizes = ModelGetDoubles(m, MTAG_TREE_SIZES, &ns);
	const double *values = ModelGetDoubles(m, MTAG_TREE_VALUES, &nv);
	const uint8 *nodes = (const uint8 *) ModelGetBytes(m, MTAG_TREE_NODES, &nb);
	const double *imp = ModelGetDoubles(m, MTAG_TREE_IMPORTANCE, &ni);
	int64		total = 0;
	int			maxsize = 0;
	int			t,
				i;
	uint8	   *parents;
	int			start;

	if (hdr == NULL || sizes == NULL || values == NULL || nodes == NULL)
		TreesReject(ecode, "A tree model lacks one of its tree sections.");
	if (nh != 2 || !isfinite(hdr[0]) ||
		(hdr[1] != TREE_LINK_IDENTITY && hdr[1] != TREE_LINK_LOGISTIC))
		TreesReject(ecode, "The tree header is malformed.");
	if (m->nfeatures < 1)
		TreesReject(ecode, "A tree model has no features.");
	if (ns < 1 || ns > TREES_MAX_TREES)
		TreesReject(ecode, "The number of trees is out of range.");
	for (t = 0; t < ns; t++)
	{
		if (!(sizes[t] >= 1 && sizes[t] <= TREE_MAX_NODES) || sizes[t] != floor(sizes[t]))
			TreesReject(ecode, "A tree size is out of range.");
		total += (int64) sizes[t];
		maxsize = Max(maxsize, (int) sizes[t]);
	}
	if (total > TREE_MAX_NODES || nv != total || (int64) nb != total * TREE_NODE_BYTES)
		TreesReject(ecode, "The tree sizes do not match the number of nodes.");
	if (imp != NULL)
	{
		if (ni != 3 * m->nfeatures)
			TreesReject(ecode, "The importance section has the wrong length.");
		for (i = 0; i < ni; i++)
			if (!(imp[i] >= 0) || isinf(imp[i]))
				TreesReject(ecode, "An importance value is negative or not finite.");
	}

	parents = palloc(maxsize);
	for (start = 0, t = 0; t < ns; start += (int) sizes[t], t++)
	{
		int			size = (int) sizes[t];

		memset(parents, 0, size);
		for (i = 0; i < size; i++)
		{
			int			k = start + i;
			int32		left = TreeNodeLeft(nodes, k);
			int			flags = TreeNodeFlags(nodes, k);

			if (nodes[(Size) k * TREE_NODE_BYTES + 7] != 0 ||
				(flags & ~TREE_KNOWN_FLAGS) != 0)
				TreesReject(ecode, "A tree node has unknown flags set.");
			if (!isfinite(values[k]))
				TreesReject(ecode, "A tree threshold or leaf value is not finite.");
			if (left == 0)
			{
				if (flags != 0 || TreeNodeFeature(nodes, k) != 0)
					TreesReject(ecode, "A leaf has a feature or flags.");
				continue;
			}
			if (left <= i || left >= size - 1)
				TreesReject(ecode, "A child index points backwards or outside its tree.");
			if (TreeNodeFeature(nodes, k) >= m->nfeatures)
				TreesReject(ecode, "A split uses a feature the model does not have.");
			if (parents[left] || parents[left + 1])
				TreesReject(ecode, "A tree node has two parents.");
			parents[left] = parents[left + 1] = 1;
		}
		for (i = 1; i < size; i++)
			if (!parents[i])
				TreesReject(ecode, "A tree node is not reachable from its root.");
	}
	pfree(parents);
}

/*
 * Point a view at a checked tree model; the tree starts go in cxt.
 */
void
TreeViewInit(TreeView *tv, const Model *m, MemoryContext cxt)
{
	int			n,
				t,
				start = 0;
	const double *hdr = ModelGetDoubles(m, MTAG_TREE_HEADER, &n);

	tv->base = hdr[0];
	tv->link = (int) hdr[1];
	tv->sizes = ModelGetDoubles(m, MTAG_TREE_SIZES, &tv->ntrees);
	tv->values = ModelGetDoubles(m, MTAG_TREE_VALUES, &tv->nnodes);
	tv->nodes = (const uint8 *) ModelGetBytes(m, MTAG_TREE_NODES, &n);
	tv->scale = (m->kind == MODEL_FOREST) ? 1.0 / tv->ntrees : 1.0;
	tv->starts = MemoryContextAlloc(cxt, sizeof(int) * tv->ntrees);
	for (t = 0; t < tv->ntrees; t++)
	{
		tv->starts[t] = start;
		start += (int) tv->sizes[t];
	}
}

/*
 * Score one row (NaN = missing).  No allocation, no error: the model was
 * checked, so every walk moves forward and stops inside its tree.
 */
double
TreesScore(const TreeView *tv, const double *x)
{
	double		sum = 0;
	double		eta;
	int			t;

	for (t = 0; t < tv->ntrees; t++)
	{
		int			s = tv->starts[t];
		int			i = 0;
		int32		left;

		while ((left = TreeNodeLeft(tv->nodes, s + i)) != 0)
		{
			double		v = x[TreeNodeFeature(tv->nodes, s + i)];

			if (isnan(v))
				i = (TreeNodeFlags(tv->nodes, s + i) & TREE_DEFAULT_LEFT) ? left : left + 1;
			else
				i = (v <= tv->values[s + i]) ? left : left + 1;
		}
		sum += tv->values[s + i];
	}
	eta = tv->base + tv->scale * sum;
	if (tv->link == TREE_LINK_LOGISTIC)
		return (eta >= 0) ? 1.0 / (1.0 + exp(-eta)) : exp(eta) / (1.0 + exp(eta));
	return eta;
}

/*
 * Read a scoring row into buf: NULL elements become NaN (missing), other
 * values must be finite.
 */
const double *
TreesScoringFeatures(const Model *m, ArrayType *a, double *buf)
{
	int			n,
				j;
	bits8	   *nulls = ARR_NULLBITMAP(a);
	const double *data = (const double *) ARR_DATA_PTR(a);

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("feature array must be one-dimensional, not %d-dimensional",
						ARR_NDIM(a))));
	n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	if (n != m->nfeatures)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("model expects %d features, not %d", m->nfeatures, n),
				 errhint("Pass the feature columns in the order used for training.")));
	for (j = 0; j < n; j++)
	{
		if (nulls && !(nulls[j / 8] & (1 << (j % 8))))
			buf[j] = get_float8_nan();
		else
		{
			buf[j] = *data++;
			if (!isfinite(buf[j]))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("feature %d is not finite", j + 1),
						 errhint("Pass NULL for a missing value.")));
		}
	}
	return buf;
}

/* ----------------------------------------------------------------
 * JSON output
 * ---------------------------------------------------------------- */

static void
AppendDouble(StringInfo out, double v)
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
 * Text form of a tree model:
 *
 *	{"format": 1, "algorithm": "gbdt", "nfeatures": 2, "names": [...],
 *	 "objective": "logistic", "base_score": -1.2,
 *	 "trees": [[{"split": 0, "threshold": 0.5, "left": 1, "missing": "left"},
 *				{"leaf": 0.1}, {"leaf": -0.2}], ...],
 *	 "importance": {"gain": [...], "splits": [...], "cover": [...]},
 *	 "stats": {...}}
 *
 * Features are numbered from 0 in "split"; "left" is the index of the left
 * child within the tree, the right child follows it.
 */
char *
TreesToJson(const Model *m)
{
	StringInfoData out;
	TreeView	tv;
	int			n,
				t,
				i,
				k;
	const double *imp = ModelGetDoubles(m, MTAG_TREE_IMPORTANCE, &n);
	const double *stats = ModelGetDoubles(m, MTAG_STATS, &n);

	TreeViewInit(&tv, m, CurrentMemoryContext);
	initStringInfo(&out);
	appendStringInfo(&out, "{\"format\": %d, \"algorithm\": \"%s\", \"nfeatures\": %d",
					 m->version, ModelKindName(m->kind), m->nfeatures);
	if (ModelFindSection(m, MTAG_NAMES))
	{
		appendStringInfoString(&out, ", \"names\": [");
		for (i = 0; i < m->nfeatures; i++)
		{
			if (i > 0)
				appendStringInfoString(&out, ", ");
			escape_json(&out, ModelFeatureName(m, i));
		}
		appendStringInfoChar(&out, ']');
	}
	appendStringInfo(&out, ", \"objective\": \"%s\", \"base_score\": ",
					 tv.link == TREE_LINK_LOGISTIC ? "logistic" : "identity");
	AppendDouble(&out, tv.base);
	appendStringInfoString(&out, ", \"trees\": [");
	for (t = 0; t < tv.ntrees; t++)
	{
		int			s = tv.starts[t];

		appendStringInfoString(&out, t > 0 ? ", [" : "[");
		for (i = 0; i < (int) tv.sizes[t]; i++)
		{
			int32		left = TreeNodeLeft(tv.nodes, s + i);

			if (i > 0)
				appendStringInfoString(&out, ", ");
			if (left == 0)
			{
				appendStringInfoString(&out, "{\"leaf\": ");
				AppendDouble(&out, tv.values[s + i]);
				appendStringInfoChar(&out, '}');
				continue;
			}
			appendStringInfo(&out, "{\"split\": %d, \"threshold\": ",
							 TreeNodeFeature(tv.nodes, s + i));
			AppendDouble(&out, tv.values[s + i]);
			appendStringInfo(&out, ", \"left\": %d, \"missing\": \"%s\"}", left,
							 (TreeNodeFlags(tv.nodes, s + i) & TREE_DEFAULT_LEFT) ? "left" : "right");
		}
		appendStringInfoChar(&out, ']');
	}
	appendStringInfoChar(&out, ']');
	if (imp)
	{
		static const char *const what[3] = {"gain", "splits", "cover"};

		appendStringInfoString(&out, ", \"importance\": {");
		for (k = 0; k < 3; k++)
		{
			appendStringInfo(&out, "%s\"%s\": [", k > 0 ? ", " : "", what[k]);
			for (i = 0; i < m->nfeatures; i++)
			{
				if (i > 0)
					appendStringInfoString(&out, ", ");
				AppendDouble(&out, imp[3 * i + k]);
			}
			appendStringInfoChar(&out, ']');
		}
		appendStringInfoChar(&out, '}');
	}
	appendStringInfoString(&out, ", \"stats\": {");
	for (i = 0; i < n; i += 2)
	{
		appendStringInfo(&out, "%s\"%s\": ", i > 0 ? ", " : "",
						 ModelStatName((int) stats[i]));
		AppendDouble(&out, stats[i + 1]);
	}
	appendStringInfoString(&out, "}}");
	return out.data;
}

/* ----------------------------------------------------------------
 * JSON input
 * ---------------------------------------------------------------- */

typedef struct TreesParse
{
	const char *input;
	int			format;
	int			kind;
	int			nfeatures;
	int			link;
	bool		have_base;
	double		base;
	StringInfoData names;
	int			nnames;
	int			ntrees;
	double	   *sizes;
	int			nnodes;
	int			maxnodes;
	double	   *values;
	uint8	   *nodes;
	double	   *imp;
	int			nimp[3];
	double	   *stats;
	int			nstats;
} TreesParse;

static void
pg_attribute_noreturn()
TPError(TreesParse *tp, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type buypower.model: \"%s\"", tp->input),
			 errdetail_internal("%s", detail)));
}

static double
TPNumber(TreesParse *tp, JsonbValue *v, const char *what)
{
	if (v == NULL || v->type != jbvNumeric)
		TPError(tp, psprintf("%s must be a number.", what));
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8,
											  NumericGetDatum(v->val.numeric)));
}

static double
TPLoose(TreesParse *tp, JsonbValue *v, const char *what)
{
	if (v->type == jbvNull)
		return get_float8_nan();
	if (v->type == jbvString && v->val.string.len == 8 &&
		strncmp(v->val.string.val, "Infinity", 8) == 0)
		return get_float8_infinity();
	if (v->type == jbvString && v->val.string.len == 9 &&
		strncmp(v->val.string.val, "-Infinity", 9) == 0)
		return -get_float8_infinity();
	return TPNumber(tp, v, what);
}

static int
TPInt(TreesParse *tp, JsonbValue *v, const char *what, int lo, int hi)
{
	double		d = TPNumber(tp, v, what);

	if (d != floor(d) || d < lo || d > hi)
		TPError(tp, psprintf("%s must be an integer from %d to %d.", what, lo, hi));
	return (int) d;
}

static JsonbContainer *
TPArray(TreesParse *tp, JsonbValue *v, const char *what)
{
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data) ||
		JsonContainerIsScalar(v->val.binary.data))
		TPError(tp, psprintf("%s must be an array.", what));
	return v->val.binary.data;
}

static JsonbValue *
TPKey(JsonbContainer *c, const char *key)
{
	return getKeyJsonValueFromContainer(c, key, strlen(key), NULL);
}

/*
 * Read one node object into slot k.
 */
static void
TPNode(TreesParse *tp, JsonbValue *v, int k)
{
	JsonbContainer *c;
	JsonbValue *leaf,
			   *split;
	int			left,
				feature,
				flags = 0;

	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		TPError(tp, "Every tree node must be an object.");
	c = v->val.binary.data;
	leaf = TPKey(c, "leaf");
	split = TPKey(c, "split");
	if ((leaf != NULL) == (split != NULL))
		TPError(tp, "A tree node has either \"leaf\" or \"split\".");
	if (leaf)
	{
		if (JsonContainerSize(c) != 1)
			TPError(tp, "A leaf node has only the key \"leaf\".");
		tp->values[k] = TPNumber(tp, leaf, "A leaf value");
		TreeNodeSet(tp->nodes, k, 0, 0, 0);
		return;
	}
	if (JsonContainerSize(c) != 4)
		TPError(tp, "A split node has the keys \"split\", \"threshold\", \"left\" and \"missing\".");
	feature = TPInt(tp, split, "A split feature", 0, BP_MAX_FEATURES - 1);
	tp->values[k] = TPNumber(tp, TPKey(c, "threshold"), "A split threshold");
	left = TPInt(tp, TPKey(c, "left"), "A child index", 1, TREE_MAX_NODES);
	v = TPKey(c, "missing");
	if (v && v->type == jbvString && v->val.string.len == 4 &&
		strncmp(v->val.string.val, "left", 4) == 0)
		flags = TREE_DEFAULT_LEFT;
	else if (!(v && v->type == jbvString && v->val.string.len == 5 &&
			   strncmp(v->val.string.val, "right", 5) == 0))
		TPError(tp, "Key \"missing\" must be \"left\" or \"right\".");
	TreeNodeSet(tp->nodes, k, left, feature, flags);
}

/*
 * Read the "trees" array of arrays of nodes.
 */
static void
TPTrees(TreesParse *tp, JsonbValue *v)
{
	JsonbContainer *c = TPArray(tp, v, "Key \"trees\"");
	int			t,
				i;

	tp->ntrees = JsonContainerSize(c);
	if (tp->ntrees < 1 || tp->ntrees > TREES_MAX_TREES)
		TPError(tp, "Key \"trees\" must have from 1 to 100000 trees.");
	tp->sizes = palloc(sizeof(double) * tp->ntrees);
	tp->maxnodes = 1024;
	tp->values = palloc(sizeof(double) * tp->maxnodes);
	tp->nodes = palloc(TREE_NODE_BYTES * tp->maxnodes);
	for (t = 0; t < tp->ntrees; t++)
	{
		JsonbContainer *tc = TPArray(tp, getIthJsonbValueFromContainer(c, t), "Every tree");
		int			size = JsonContainerSize(tc);

		if (size < 1 || size > TREE_MAX_NODES - tp->nnodes)
			TPError(tp, "A tree is empty, or the model has too many nodes.");
		while (tp->nnodes + size > tp->maxnodes)
		{
			tp->maxnodes *= 2;
			tp->values = repalloc(tp->values, sizeof(double) * tp->maxnodes);
			tp->nodes = repalloc(tp->nodes, TREE_NODE_BYTES * tp->maxnodes);
		}
		for (i = 0; i < size; i++)
			TPNode(tp, getIthJsonbValueFromContainer(tc, i), tp->nnodes + i);
		tp->sizes[t] = size;
		tp->nnodes += size;
	}
}

/*
 * Read {"gain": [...], "splits": [...], "cover": [...]}.
 */
static void
TPImportance(TreesParse *tp, JsonbValue *v)
{
	static const char *const what[3] = {"gain", "splits", "cover"};
	JsonbContainer *c;
	int			k,
				i;

	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data) ||
		JsonContainerSize(v->val.binary.data) != 3)
		TPError(tp, "Key \"importance\" must be an object with \"gain\", \"splits\" and \"cover\".");
	c = v->val.binary.data;
	tp->imp = palloc0(sizeof(double) * 3 * (BP_MAX_FEATURES + 1));
	for (k = 0; k < 3; k++)
	{
		JsonbValue *a = TPKey(c, what[k]);
		JsonbContainer *ac;

		if (a == NULL)
			TPError(tp, "Key \"importance\" must be an object with \"gain\", \"splits\" and \"cover\".");
		ac = TPArray(tp, a, "Every importance entry");
		tp->nimp[k] = JsonContainerSize(ac);
		if (tp->nimp[k] > BP_MAX_FEATURES)
			TPError(tp, "An importance array has too many entries.");
		for (i = 0; i < tp->nimp[k]; i++)
			tp->imp[3 * i + k] = TPNumber(tp, getIthJsonbValueFromContainer(ac, i),
										  "An importance value");
	}
}

static void
TPStats(TreesParse *tp, JsonbValue *v)
{
	JsonbIterator *it;
	JsonbValue	k;
	JsonbIteratorToken tok;
	int			n = 0,
				i,
				j;

	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		TPError(tp, "Key \"stats\" must be an object.");
	tp->stats = palloc(sizeof(double) * 2 * (MSTAT_MAX + 1));
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *name;
		int			id;

		if (tok != WJB_KEY)
			continue;
		name = pnstrdup(k.val.string.val, k.val.string.len);
		id = ModelStatFromName(name);
		if (id == 0)
			TPError(tp, psprintf("Unknown statistic \"%s\".", name));
		JsonbIteratorNext(&it, &k, true);
		tp->stats[n++] = id;
		tp->stats[n++] = TPLoose(tp, &k, "Every statistic");
	}
	/* models keep statistics in id order */
	for (i = 2; i < n; i += 2)
		for (j = i; j > 0 && tp->stats[j - 2] > tp->stats[j]; j -= 2)
		{
			double		id = tp->stats[j],
						val = tp->stats[j + 1];

			tp->stats[j] = tp->stats[j - 2];
			tp->stats[j + 1] = tp->stats[j - 1];
			tp->stats[j - 2] = id;
			tp->stats[j - 1] = val;
		}
	tp->nstats = n;
}

static void
TPNames(TreesParse *tp, JsonbValue *v)
{
	JsonbContainer *c = TPArray(tp, v, "Key \"names\"");
	int			i;

	tp->nnames = JsonContainerSize(c);
	if (tp->nnames > BP_MAX_FEATURES)
		TPError(tp, "Key \"names\" has too many entries.");
	initStringInfo(&tp->names);
	for (i = 0; i < tp->nnames; i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(c, i);

		if (e->type != jbvString || e->val.string.len == 0)
			TPError(tp, "Every feature name must be a non-empty string.");
		appendBinaryStringInfo(&tp->names, e->val.string.val, e->val.string.len);
		appendStringInfoChar(&tp->names, '\0');
	}
}

/*
 * Build a tree model from its JSON text (already parsed into jsonb).  The
 * result goes through ModelFinish, hence TreesCheck: hostile trees (cycles,
 * children out of range, NaN thresholds) are rejected there.
 */
Model *
TreesFromJson(void *jsonb_root, const char *input)
{
	JsonbContainer *root = (JsonbContainer *) jsonb_root;
	TreesParse	tp;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	ModelBuilder b;
	double		hdr[2];
	int			i;

	memset(&tp, 0, sizeof(tp));
	tp.input = input;
	tp.nfeatures = -1;
	tp.link = -1;
	it = JsonbIteratorInit(root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		JsonbIteratorNext(&it, &v, true);
		if (strcmp(key, "format") == 0)
			tp.format = TPInt(&tp, &v, "Key \"format\"", 1, 255);
		else if (strcmp(key, "algorithm") == 0)
			tp.kind = ModelKindFromName(pnstrdup(v.val.string.val, v.val.string.len));
		else if (strcmp(key, "nfeatures") == 0)
			tp.nfeatures = TPInt(&tp, &v, "Key \"nfeatures\"", 1, BP_MAX_FEATURES);
		else if (strcmp(key, "names") == 0)
			TPNames(&tp, &v);
		else if (strcmp(key, "objective") == 0)
		{
			if (v.type == jbvString && v.val.string.len == 8 &&
				strncmp(v.val.string.val, "logistic", 8) == 0)
				tp.link = TREE_LINK_LOGISTIC;
			else if (v.type == jbvString && v.val.string.len == 8 &&
					 strncmp(v.val.string.val, "identity", 8) == 0)
				tp.link = TREE_LINK_IDENTITY;
			else
				TPError(&tp, "Key \"objective\" must be \"logistic\" or \"identity\".");
		}
		else if (strcmp(key, "base_score") == 0)
		{
			tp.base = TPNumber(&tp, &v, "Key \"base_score\"");
			tp.have_base = true;
		}
		else if (strcmp(key, "trees") == 0)
			TPTrees(&tp, &v);
		else if (strcmp(key, "importance") == 0)
			TPImportance(&tp, &v);
		else if (strcmp(key, "stats") == 0)
			TPStats(&tp, &v);
		else
			TPError(&tp, psprintf("Unexpected key \"%s\" in a tree model.", key));
	}
	if (tp.format > MODEL_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("buypower.model format version %d is newer than this library supports (%d)",
						tp.format, MODEL_FORMAT_VERSION),
				 errhint("Install a newer buypower library.")));
	if (tp.format == 0 || !MODEL_KIND_IS_TREES(tp.kind) || tp.nfeatures < 0 ||
		tp.link < 0 || !tp.have_base || tp.ntrees == 0 || tp.stats == NULL)
		TPError(&tp, "Keys \"format\", \"algorithm\", \"nfeatures\", \"objective\", \"base_score\", \"trees\" and \"stats\" are required.");
	if (tp.names.data && tp.nnames != tp.nfeatures)
		TPError(&tp, "Key \"names\" must have nfeatures entries.");
	if (tp.imp && (tp.nimp[0] != tp.nfeatures || tp.nimp[1] != tp.nfeatures ||
				   tp.nimp[2] != tp.nfeatures))
		TPError(&tp, "Every importance array must have nfeatures entries.");

	hdr[0] = tp.base;
	hdr[1] = tp.link;
	ModelBuilderInit(&b, tp.kind, 0, tp.nfeatures);
	ModelAddDoubles(&b, MTAG_STATS, tp.stats, tp.nstats);
	if (tp.names.data)
		ModelAddBytes(&b, MTAG_NAMES, tp.names.data, tp.names.len);
	ModelAddDoubles(&b, MTAG_TREE_HEADER, hdr, 2);
	ModelAddDoubles(&b, MTAG_TREE_SIZES, tp.sizes, tp.ntrees);
	ModelAddDoubles(&b, MTAG_TREE_VALUES, tp.values, tp.nnodes);
	ModelAddBytes(&b, MTAG_TREE_NODES, tp.nodes, tp.nnodes * TREE_NODE_BYTES);
	if (tp.imp)
		ModelAddDoubles(&b, MTAG_TREE_IMPORTANCE, tp.imp, 3 * tp.nfeatures);
	for (i = 0; i < tp.nnodes; i++)
		if (isnan(tp.values[i]))
			TPError(&tp, "A threshold or leaf value is NaN.");
	return ModelFinish(&b, ERRCODE_INVALID_TEXT_REPRESENTATION);
}

/* ----------------------------------------------------------------
 * buypower.importance
 * ---------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(model_importance);
Datum
model_importance(PG_FUNCTION_ARGS)
{
	Model	   *m = PG_GETARG_MODEL_P(0);
	ReturnSetInfo *rsi = (ReturnSetInfo *) fcinfo->resultinfo;
	TreeView	tv;
	int			n,
				i,
				j;
	const double *imp;
	int64	   *splits;

	if (!MODEL_KIND_IS_TREES(m->kind))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("buypower.importance needs a gbdt or forest model, not %s",
						ModelKindName(m->kind)),
				 errhint("Use buypower.summary for linear models.")));
	imp = ModelGetDoubles(m, MTAG_TREE_IMPORTANCE, &n);
	TreeViewInit(&tv, m, CurrentMemoryContext);
	splits = palloc0(sizeof(int64) * m->nfeatures);
	for (i = 0; i < tv.nnodes; i++)
		if (TreeNodeLeft(tv.nodes, i) != 0)
			splits[TreeNodeFeature(tv.nodes, i)]++;

	InitMaterializedSRF(fcinfo, 0);
	for (j = 0; j < m->nfeatures; j++)
	{
		Datum		values[4];
		bool		nulls[4] = {false};
		const char *name = ModelFeatureName(m, j);

		values[0] = CStringGetTextDatum(name ? name : psprintf("x%d", j + 1));
		values[1] = Float8GetDatum(imp ? imp[3 * j] : 0);
		values[2] = Int64GetDatum(splits[j]);
		values[3] = Float8GetDatum(imp ? imp[3 * j + 2] : 0);
		nulls[1] = nulls[3] = (imp == NULL);
		tuplestore_putvalues(rsi->setResult, rsi->setDesc, values, nulls);
	}
	return (Datum) 0;
}

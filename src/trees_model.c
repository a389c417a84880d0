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
#include "prep.h"
#include "trees.h"
#include "vocab.h"

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
 * The categorical sections: slot layout, level names (unique within a
 * slot), and the number of level sets.  Returns pnum (nfeatures for a
 * numeric model) and fills nbins[q] (palloc'd) with each slot's NULL code.
 */
static int
TreesCheckCats(const Model *m, int ecode, int **nbins_out, int *nsets)
{
	int			nc,
				nl,
				ns;
	const double *cats = ModelGetDoubles(m, MTAG_TREE_CATS, &nc);
	const char *lev = ModelGetBytes(m, MTAG_TREE_LEVELS, &nl);
	const uint8 *sets = (const uint8 *) ModelGetBytes(m, MTAG_TREE_CATSETS, &ns);
	int			pnum,
				q,
				j,
				k,
				at = 0;
	int		   *nbins;

	*nbins_out = NULL;
	*nsets = 0;
	if (cats == NULL && lev == NULL && sets == NULL)
		return m->nfeatures;
	if (cats == NULL || lev == NULL || sets == NULL)
		TreesReject(ecode, "A tree model lacks one of its categorical sections.");
	if (ModelFindSection(m, MTAG_TREE_CATS)->elemtype != MODEL_ELEM_DOUBLE ||
		ModelFindSection(m, MTAG_TREE_LEVELS)->elemtype != MODEL_ELEM_BYTES ||
		ModelFindSection(m, MTAG_TREE_CATSETS)->elemtype != MODEL_ELEM_BYTES)
		TreesReject(ecode, "A categorical section has the wrong type.");
	if (nc < 1 || !(cats[0] >= 0 && cats[0] < m->nfeatures) || cats[0] != floor(cats[0]))
		TreesReject(ecode, "The categorical header is malformed.");
	pnum = (int) cats[0];
	q = m->nfeatures - pnum;
	if (nc != 1 + 2 * q || ns % TREE_CATSET_BYTES != 0 ||
		(nl > 0 && lev[nl - 1] != '\0'))
		TreesReject(ecode, "The categorical sections have the wrong length.");
	nbins = palloc(sizeof(int) * q);
	for (j = 0; j < q; j++)
	{
		double		nlev = cats[1 + 2 * j],
					other = cats[2 + 2 * j];
		Vocab	   *v;

		if (!(nlev >= 0 && nlev <= TREE_MAX_LEVELS) || nlev != floor(nlev) ||
			(other != 0 && other != 1))
			TreesReject(ecode, "A categorical slot has a bad level count.");
		nbins[j] = (int) nlev + (int) other;
		v = VocabCreate();
		for (k = 0; k < (int) nlev; k++)
		{
			int			len;

			if (at >= nl)
				TreesReject(ecode, "The level names do not match the level counts.");
			len = strlen(lev + at);
			if (!pg_verify_mbstr(GetDatabaseEncoding(), lev + at, len, true) ||
				VocabLookup(v, lev + at, len) >= 0)
				TreesReject(ecode, "A level name is repeated or not valid in the database encoding.");
			VocabAdd(v, lev + at, len, 1, j + 1);
			at += len + 1;
		}
	}
	if (at != nl)
		TreesReject(ecode, "The level names do not match the level counts.");
	*nbins_out = nbins;
	*nsets = ns / TREE_CATSET_BYTES;
	return pnum;
}

static inline bool
CatSetHas(const uint8 *set, int code)
{
	return (set[code >> 3] >> (code & 7)) & 1;
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
	int		   *nbins;
	int			nsets;
	int			pnum;
	int			nsb;
	const uint8 *sets = (const uint8 *) ModelGetBytes(m, MTAG_TREE_CATSETS, &nsb);

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

	pnum = TreesCheckCats(m, ecode, &nbins, &nsets);
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
			if (flags & TREE_CATEGORICAL)
			{
				int			f = TreeNodeFeature(nodes, k);
				int			set,
							c;

				if (f < pnum || (flags & TREE_DEFAULT_LEFT) ||
					!(values[k] >= 0 && values[k] < nsets) || values[k] != floor(values[k]))
					TreesReject(ecode, "A categorical split has a bad feature or level set.");
				set = (int) values[k];
				/* codes: levels, other, then NULL = nbins; no bit beyond */
				for (c = nbins[f - pnum] + 1; c < 8 * TREE_CATSET_BYTES; c++)
					if (CatSetHas(sets + (Size) set * TREE_CATSET_BYTES, c))
						TreesReject(ecode, "A categorical split sends a level the feature does not have.");
			}
			else if (TreeNodeFeature(nodes, k) >= pnum)
				TreesReject(ecode, "A numeric split uses a categorical feature.");
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
 * Build the scoring layout (trees.h) of a checked model, and the number of
 * steps that walk each group of TREE_LANES trees to its leaves: the depth
 * of its deepest tree.
 */
static void
TreeViewBuildScoring(TreeView *tv, MemoryContext cxt)
{
	int			ngroups = (tv->ntrees + TREE_LANES - 1) / TREE_LANES;
	int		   *ndepth = MemoryContextAlloc(cxt, sizeof(int) * tv->nnodes);
	int			t;

	tv->snodes = MemoryContextAlloc(cxt, sizeof(TreeScoreNode) * tv->nnodes);
	tv->xrow = MemoryContextAlloc(cxt, sizeof(double) * (tv->nfeatures + 1));
	tv->xrow[tv->nfeatures] = -get_float8_infinity();
	tv->depths = MemoryContextAllocZero(cxt, sizeof(int) * ngroups);
	for (t = 0; t < tv->ntrees; t++)
	{
		int			s = tv->starts[t],
					size = (int) tv->sizes[t],
					depth = 0,
					i;

		ndepth[s] = 0;
		for (i = 0; i < size; i++)
		{
			int			k = s + i;
			int32		left = TreeNodeLeft(tv->nodes, k);
			TreeScoreNode *n = &tv->snodes[k];

			n->pad = 0;
			if (left == 0)
			{
				n->next = k;
				n->feature = (uint16) tv->nfeatures;
				n->flags = 0;
				depth = Max(depth, ndepth[k]);
				continue;
			}
			/* children come after their parent (TreesCheck) */
			n->next = s + left;
			n->feature = (uint16) TreeNodeFeature(tv->nodes, k);
			n->flags = (uint8) TreeNodeFlags(tv->nodes, k);
			ndepth[s + left] = ndepth[s + left + 1] = ndepth[k] + 1;
		}
		tv->depths[t / TREE_LANES] = Max(tv->depths[t / TREE_LANES], depth);
	}
	pfree(ndepth);
}

static int
TreesCmpDouble(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

/*
 * Build the binned layout (trees.h) of a checked model without categorical
 * splits, if it qualifies; tv->bnodes stays NULL otherwise.
 */
static void
TreeViewBuildBinned(TreeView *tv, MemoryContext cxt)
{
	int			nf = tv->nfeatures;
	int		   *count,
			   *at;
	double	   *raw;
	int			stride = 1,
				t,
				f,
				k;

	tv->bnodes = NULL;
	if (nf > TREE_BIN_MAX_FEATURES)
		return;
	/* the thresholds of each feature (from raw[at[f]]), sorted, distinct */
	count = palloc0(sizeof(int) * nf);
	at = palloc0(sizeof(int) * (nf + 1));
	for (k = 0; k < tv->nnodes; k++)
		if (TreeNodeLeft(tv->nodes, k) != 0)
			at[TreeNodeFeature(tv->nodes, k) + 1]++;
	for (f = 0; f < nf; f++)
		at[f + 1] += at[f];
	raw = palloc(sizeof(double) * Max(at[nf], 1));
	for (k = 0; k < tv->nnodes; k++)
		if (TreeNodeLeft(tv->nodes, k) != 0)
		{
			f = TreeNodeFeature(tv->nodes, k);
			raw[at[f] + count[f]++] = tv->values[k];
		}
	for (f = 0; f < nf; f++)
	{
		double	   *a = raw + at[f];
		int			n = 0,
					i;

		qsort(a, count[f], sizeof(double), TreesCmpDouble);
		for (i = 0; i < count[f]; i++)
			if (n == 0 || a[i] != a[n - 1])
				a[n++] = a[i];
		count[f] = n;
		if (n > TREE_BIN_MAX_THRESHOLDS)
		{
			pfree(raw);
			pfree(count);
			pfree(at);
			return;
		}
		while (stride <= n)
			stride *= 2;
	}
	/* padded with +Inf to the same power of 2: no value is above +Inf */
	tv->thrstride = stride;
	tv->thr = MemoryContextAlloc(cxt, sizeof(double) * nf * stride);
	for (f = 0; f < nf; f++)
		for (k = 0; k < stride; k++)
			tv->thr[f * stride + k] = (k < count[f]) ? raw[at[f] + k] : get_float8_infinity();
	pfree(raw);
	pfree(count);
	pfree(at);

	tv->bnodes = MemoryContextAlloc(cxt, sizeof(TreeBinNode) * tv->nnodes);
	for (t = 0; t < tv->ntrees; t++)
	{
		int			s = tv->starts[t],
					i;

		for (i = 0; i < (int) tv->sizes[t]; i++)
		{
			TreeBinNode *b = &tv->bnodes[s + i];
			int32		left = TreeNodeLeft(tv->nodes, s + i);
			const double *a;
			int			lo,
						hi;

			if (left == 0)
			{
				b->delta = 0;
				b->feature = (uint8) nf;
				b->bin = 255;
				continue;
			}
			if (left - i > PG_UINT16_MAX)
			{
				pfree(tv->bnodes);
				tv->bnodes = NULL;
				return;
			}
			f = TreeNodeFeature(tv->nodes, s + i);
			a = tv->thr + f * stride;
			lo = 0;
			hi = stride - 1;
			while (lo < hi)		/* the threshold is there: find it */
			{
				int			mid = (lo + hi) / 2;

				if (a[mid] < tv->values[s + i])
					lo = mid + 1;
				else
					hi = mid;
			}
			Assert(a[lo] == tv->values[s + i]);
			b->delta = (uint16) (left - i);
			b->feature = (uint8) f;
			b->bin = (uint8) lo;
		}
	}
	tv->xbin = MemoryContextAlloc(cxt, nf + 1);
	tv->xbin[nf] = 0;
}

/*
 * Point a view at a checked tree model; the tree starts and the scoring
 * layouts go in cxt.
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
	/* padded to whole groups of TREE_LANES with the last tree (TreesSum) */
	tv->starts = MemoryContextAlloc(cxt, sizeof(int) * (tv->ntrees + TREE_LANES));
	for (t = 0; t < tv->ntrees; t++)
	{
		tv->starts[t] = start;
		start += (int) tv->sizes[t];
	}
	for (; t < tv->ntrees + TREE_LANES; t++)
		tv->starts[t] = tv->starts[tv->ntrees - 1];
	tv->nfeatures = m->nfeatures;
	TreeViewBuildScoring(tv, cxt);
	tv->pnum = m->nfeatures;
	tv->q = 0;
	tv->catsets = NULL;
	if (ModelFindSection(m, MTAG_TREE_CATS))
	{
		const double *cats = ModelGetDoubles(m, MTAG_TREE_CATS, &n);
		const char *lev = ModelGetBytes(m, MTAG_TREE_LEVELS, &n);
		MemoryContext old = MemoryContextSwitchTo(cxt);
		int			j,
					k;

		tv->catsets = (const uint8 *) ModelGetBytes(m, MTAG_TREE_CATSETS, &n);
		tv->pnum = (int) cats[0];
		tv->q = m->nfeatures - tv->pnum;
		tv->levels = palloc(sizeof(Vocab *) * tv->q);
		tv->nbins = palloc(sizeof(int) * tv->q);
		tv->other = palloc(sizeof(bool) * tv->q);
		tv->cvals = palloc(sizeof(char *) * tv->q);
		tv->clens = palloc(sizeof(int) * tv->q);
		for (j = 0; j < tv->q; j++)
		{
			int			nlev = (int) cats[1 + 2 * j];

			tv->other[j] = cats[2 + 2 * j] != 0;
			tv->nbins[j] = nlev + (tv->other[j] ? 1 : 0);
			tv->levels[j] = VocabCreate();
			for (k = 0; k < nlev; k++)
			{
				int			len = strlen(lev);

				/* id = level: the names are unique (TreesCheck) */
				VocabAdd(tv->levels[j], lev, len, 1, j + 1);
				lev += len + 1;
			}
		}
		MemoryContextSwitchTo(old);
	}
	if (tv->q == 0)
		TreeViewBuildBinned(tv, cxt);
	else
		tv->bnodes = NULL;
}

/*
 * Codes of one row's categorical values, as the learner binned them: the
 * level, "other" for a value not among the levels, nbins for NULL; -1 (no
 * level set holds it: the row goes right) for an unseen value when the
 * slot has no "other" level.
 */
void
TreesScoringCategories(const TreeView *tv, ArrayType *cats, double *buf)
{
	int			j;

	PrepCategoricalValues(cats, tv->q, tv->cvals, tv->clens);
	for (j = 0; j < tv->q; j++)
	{
		int			id;

		if (tv->cvals[j] == NULL)
			buf[j] = tv->nbins[j];
		else if ((id = VocabLookup(tv->levels[j], tv->cvals[j], tv->clens[j])) >= 0)
			buf[j] = id;
		else
			buf[j] = tv->other[j] ? tv->nbins[j] - 1 : -1;
	}
}

/* how a row is walked: chosen once per row by TreesScore */
#define TREE_WALK_FAST	0		/* numeric splits, no missing value */
#define TREE_WALK_NAN	1		/* numeric splits, some values missing */
#define TREE_WALK_CAT	2		/* categorical splits too */
#define TREE_WALK_BINNED 3		/* the binned layout (TreesSum only) */

/*
 * One step from node i: to its left child, or the one after it.  The fast
 * walk is branch-free; !(v <= t) is the stored walk's test for a value
 * that is not NaN.  A leaf (next = i, v = -Inf) stays.
 */
static pg_attribute_always_inline Size
TreeStep(const TreeScoreNode *nodes, const double *values, const uint8 *catsets,
		 const double *x, Size i, int walk)
{
	const TreeScoreNode *n = nodes + i;
	double		v = x[n->feature];
	Size		next = n->next;

	if (walk == TREE_WALK_FAST)
		return next + !(v <= values[i]);
	if (walk == TREE_WALK_CAT && (n->flags & TREE_CATEGORICAL))
	{
		int			c = (int) v;
		const uint8 *set = catsets + (Size) values[i] * TREE_CATSET_BYTES;

		return next + !(c >= 0 && CatSetHas(set, c));
	}
	if (isnan(v))
		return next + !(n->flags & TREE_DEFAULT_LEFT);
	return next + !(v <= values[i]);
}

/*
 * Add a group's leaves (node indexes i) to sum in tree order.  Lanes past
 * the last tree (ntrees < TREE_LANES: the last group) walked it again and
 * are left out.
 */
static pg_attribute_always_inline double
AddLeaves(double sum, const double *V, const Size *i, int ntrees)
{
	int			k;

	if (likely(ntrees == TREE_LANES))
	{
#pragma GCC unroll 32
		for (k = 0; k < TREE_LANES; k++)
			sum += V[i[k]];
	}
	else
		for (k = 0; k < ntrees; k++)
			sum += V[i[k]];
	return sum;
}

/*
 * Sum of the leaves a row reaches, added in tree order (0, 1, 2, ...) as
 * the stored walk adds them, so the sum is the same to the bit.  Trees go
 * TREE_LANES at a time, each group for as many steps as its deepest tree.
 * walk is a constant at every call: TREE_WALK_BINNED walks the binned
 * layout with the row's bins xb (a NaN-free row), the others the scoring
 * nodes with the row x (TreeStep).
 */
static pg_attribute_always_inline double
TreesSum(const TreeView *tv, const double *x, const uint8 *xb, int walk)
{
	const TreeScoreNode *N = tv->snodes;
	const TreeBinNode *B = tv->bnodes;
	const double *V = tv->values;
	const uint8 *cs = tv->catsets;
	int			ngroups = (tv->ntrees + TREE_LANES - 1) / TREE_LANES;
	double		sum = 0;
	int			g,
				d,
				k;

	for (g = 0; g < ngroups; g++)
	{
		const int  *s = tv->starts + g * TREE_LANES;
		Size		i[TREE_LANES];
		int			ntrees = Min(TREE_LANES, tv->ntrees - g * TREE_LANES);

#pragma GCC unroll 32
		for (k = 0; k < TREE_LANES; k++)
			i[k] = s[k];
		for (d = tv->depths[g]; d > 0; d--)
		{
#pragma GCC unroll 32
			for (k = 0; k < TREE_LANES; k++)
			{
				if (walk == TREE_WALK_BINNED)
				{
					const TreeBinNode *n = B + i[k];

					i[k] += n->delta + (xb[n->feature] > n->bin);
				}
				else
					i[k] = TreeStep(N, V, cs, x, i[k], walk);
			}
		}
		sum = AddLeaves(sum, V, i, ntrees);
	}
	return sum;
}

/*
 * A row's bins: per feature, how many of the model's thresholds for it are
 * below the value (a branch-free lower bound: which way each halving goes
 * is data, so a branch would be mispredicted half the time).
 */
static void
TreesBinRow(const TreeView *tv, const double *x)
{
	int			nf = tv->nfeatures,
				stride = tv->thrstride,
				half,
				f;
	int			lo[TREE_BIN_MAX_FEATURES];

	for (f = 0; f < nf; f++)
		lo[f] = 0;
	/* features inside, so that their searches overlap */
	for (half = stride / 2; half >= 1; half /= 2)
		for (f = 0; f < nf; f++)
			lo[f] += half & -(int) (tv->thr[f * stride + lo[f] + half - 1] < x[f]);
	for (f = 0; f < nf; f++)
		tv->xbin[f] = (uint8) (lo[f] + (tv->thr[f * stride + lo[f]] < x[f]));
}

/*
 * Score one row (NaN = missing; categorical features as codes from
 * TreesScoringCategories).  No allocation, no error: the model was checked,
 * so every walk moves forward and stops inside its tree.
 */
double
TreesScore(const TreeView *tv, const double *x)
{
	double		sum;
	double		eta;
	int			j;

	for (j = 0; j < tv->pnum; j++)
		if (isnan(x[j]))
			break;
	if (j == tv->pnum && tv->bnodes)
	{
		TreesBinRow(tv, x);
		sum = TreesSum(tv, NULL, tv->xbin, TREE_WALK_BINNED);
	}
	else
	{
		/* the row, then the -Inf slot leaves read */
		memcpy(tv->xrow, x, sizeof(double) * tv->nfeatures);
		if (tv->catsets)
			sum = TreesSum(tv, tv->xrow, NULL, TREE_WALK_CAT);
		else if (j < tv->pnum)
			sum = TreesSum(tv, tv->xrow, NULL, TREE_WALK_NAN);
		else
			sum = TreesSum(tv, tv->xrow, NULL, TREE_WALK_FAST);
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
TreesScoringFeatures(const Model *m, int expect, ArrayType *a, double *buf)
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
	if (n != expect)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("model expects %d features, not %d", expect, n),
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
	ModelNamesJson(&out, m);
	if (tv.q > 0)
	{
		int			j;

		appendStringInfo(&out, ", \"categorical\": {\"numeric\": %d, \"levels\": [", tv.pnum);
		for (j = 0; j < tv.q; j++)
		{
			appendStringInfoString(&out, j > 0 ? ", [" : "[");
			for (k = 0; k < tv.levels[j]->n; k++)
			{
				if (k > 0)
					appendStringInfoString(&out, ", ");
				escape_json(&out, tv.levels[j]->entries[k].value);
			}
			appendStringInfoChar(&out, ']');
		}
		appendStringInfoString(&out, "], \"other\": [");
		for (j = 0; j < tv.q; j++)
			appendStringInfo(&out, "%s%s", j > 0 ? ", " : "", tv.other[j] ? "true" : "false");
		appendStringInfoString(&out, "]}");
	}
	appendStringInfo(&out, ", \"objective\": \"%s\", \"base_score\": ",
					 tv.link == TREE_LINK_LOGISTIC ? "logistic" : "identity");
	ModelJsonDouble(&out, tv.base);
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
				ModelJsonDouble(&out, tv.values[s + i]);
				appendStringInfoChar(&out, '}');
				continue;
			}
			if (TreeNodeFlags(tv.nodes, s + i) & TREE_CATEGORICAL)
			{
				int			f = TreeNodeFeature(tv.nodes, s + i);
				int			j = f - tv.pnum;
				const uint8 *set = tv.catsets +
					(Size) tv.values[s + i] * TREE_CATSET_BYTES;
				bool		first = true;

				/* level names going left; "other" and NULL as flags */
				appendStringInfo(&out, "{\"split\": %d, \"categories\": [", f);
				for (k = 0; k < tv.levels[j]->n; k++)
					if (CatSetHas(set, k))
					{
						if (!first)
							appendStringInfoString(&out, ", ");
						escape_json(&out, tv.levels[j]->entries[k].value);
						first = false;
					}
				appendStringInfo(&out, "], \"other\": %s, \"missing\": \"%s\", \"left\": %d}",
								 (tv.other[j] && CatSetHas(set, tv.nbins[j] - 1)) ? "true" : "false",
								 CatSetHas(set, tv.nbins[j]) ? "left" : "right", left);
				continue;
			}
			appendStringInfo(&out, "{\"split\": %d, \"threshold\": ",
							 TreeNodeFeature(tv.nodes, s + i));
			ModelJsonDouble(&out, tv.values[s + i]);
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
				ModelJsonDouble(&out, imp[3 * i + k]);
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
		ModelJsonDouble(&out, stats[i + 1]);
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
	/* categorical slots, if any */
	int			pnum;			/* -1: no "categorical" key */
	int			q;
	double	   *cats;
	Vocab	  **levels;
	StringInfoData levnames;
	StringInfoData catsets;
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

static bool
TPBool(TreesParse *tp, JsonbValue *v, const char *what)
{
	if (v == NULL || v->type != jbvBool)
		TPError(tp, psprintf("%s must be true or false.", what));
	return v->val.boolean;
}

/*
 * Read {"numeric": p, "levels": [[names], ...], "other": [bools]}.
 */
static void
TPCategorical(TreesParse *tp, JsonbValue *v)
{
	JsonbContainer *c,
			   *lc,
			   *oc;
	int			j,
				k;

	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data) ||
		JsonContainerSize(v->val.binary.data) != 3 ||
		TPKey(v->val.binary.data, "levels") == NULL ||
		TPKey(v->val.binary.data, "other") == NULL)
		TPError(tp, "Key \"categorical\" must be an object with \"numeric\", \"levels\" and \"other\".");
	c = v->val.binary.data;
	tp->pnum = TPInt(tp, TPKey(c, "numeric"), "Key \"numeric\"", 0, BP_MAX_FEATURES - 1);
	lc = TPArray(tp, TPKey(c, "levels"), "Key \"levels\"");
	oc = TPArray(tp, TPKey(c, "other"), "Key \"other\"");
	tp->q = JsonContainerSize(lc);
	if (tp->q < 1 || tp->q > BP_MAX_FEATURES || JsonContainerSize(oc) != tp->q)
		TPError(tp, "Keys \"levels\" and \"other\" must have one entry per categorical feature.");
	tp->cats = palloc(sizeof(double) * (1 + 2 * tp->q));
	tp->levels = palloc(sizeof(Vocab *) * tp->q);
	tp->cats[0] = tp->pnum;
	initStringInfo(&tp->levnames);
	initStringInfo(&tp->catsets);
	for (j = 0; j < tp->q; j++)
	{
		JsonbContainer *names = TPArray(tp, getIthJsonbValueFromContainer(lc, j),
										"Every entry of \"levels\"");
		int			nlev = JsonContainerSize(names);

		if (nlev > TREE_MAX_LEVELS)
			TPError(tp, psprintf("A categorical feature has more than %d levels.", TREE_MAX_LEVELS));
		tp->cats[1 + 2 * j] = nlev;
		tp->cats[2 + 2 * j] = TPBool(tp, getIthJsonbValueFromContainer(oc, j),
									 "Every entry of \"other\"") ? 1 : 0;
		tp->levels[j] = VocabCreate();
		for (k = 0; k < nlev; k++)
		{
			JsonbValue *e = getIthJsonbValueFromContainer(names, k);

			if (e->type != jbvString || memchr(e->val.string.val, '\0', e->val.string.len))
				TPError(tp, "Every level name must be a string.");
			if (VocabLookup(tp->levels[j], e->val.string.val, e->val.string.len) >= 0)
				TPError(tp, "A level name is repeated.");
			VocabAdd(tp->levels[j], e->val.string.val, e->val.string.len, 1, j + 1);
			appendBinaryStringInfo(&tp->levnames, e->val.string.val, e->val.string.len);
			appendStringInfoChar(&tp->levnames, '\0');
		}
	}
}

/*
 * Read a categorical split {"split", "categories", "other", "missing",
 * "left"} into slot k; its level set is appended to tp->catsets.
 */
static void
TPCatNode(TreesParse *tp, JsonbContainer *c, int k, int feature)
{
	uint8		set[TREE_CATSET_BYTES] = {0};
	JsonbContainer *names;
	JsonbValue *v;
	int			j = feature - (tp->pnum < 0 ? 0 : tp->pnum);
	int			nlev,
				nbins,
				i,
				left;

	if (tp->pnum < 0 || feature < tp->pnum || j >= tp->q)
		TPError(tp, "A categorical split must use a categorical feature.");
	if (JsonContainerSize(c) != 5)
		TPError(tp, "A categorical split has the keys \"split\", \"categories\", \"other\", \"missing\" and \"left\".");
	nlev = (int) tp->cats[1 + 2 * j];
	nbins = nlev + (int) tp->cats[2 + 2 * j];
	names = TPArray(tp, TPKey(c, "categories"), "Key \"categories\"");
	for (i = 0; i < JsonContainerSize(names); i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(names, i);
		int			level;

		if (e->type != jbvString ||
			(level = VocabLookup(tp->levels[j], e->val.string.val, e->val.string.len)) < 0)
			TPError(tp, "A categorical split names a level its feature does not have.");
		set[level >> 3] |= 1 << (level & 7);
	}
	if (TPBool(tp, TPKey(c, "other"), "Key \"other\""))
	{
		if (nbins == nlev)
			TPError(tp, "A categorical split sends \"other\" left, but its feature has no other level.");
		set[nlev >> 3] |= 1 << (nlev & 7);
	}
	v = TPKey(c, "missing");
	if (v && v->type == jbvString && v->val.string.len == 4 &&
		strncmp(v->val.string.val, "left", 4) == 0)
		set[nbins >> 3] |= 1 << (nbins & 7);
	else if (!(v && v->type == jbvString && v->val.string.len == 5 &&
			   strncmp(v->val.string.val, "right", 5) == 0))
		TPError(tp, "Key \"missing\" must be \"left\" or \"right\".");
	left = TPInt(tp, TPKey(c, "left"), "A child index", 1, TREE_MAX_NODES);
	if (tp->catsets.len / TREE_CATSET_BYTES >= TREE_MAX_NODES)
		TPError(tp, "The model has too many categorical splits.");
	tp->values[k] = tp->catsets.len / TREE_CATSET_BYTES;
	appendBinaryStringInfo(&tp->catsets, (const char *) set, TREE_CATSET_BYTES);
	TreeNodeSet(tp->nodes, k, left, feature, TREE_CATEGORICAL);
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
	feature = TPInt(tp, split, "A split feature", 0, BP_MAX_FEATURES - 1);
	if (TPKey(c, "categories") != NULL)
	{
		TPCatNode(tp, c, k, feature);
		return;
	}
	if (JsonContainerSize(c) != 4)
		TPError(tp, "A split node has the keys \"split\", \"threshold\", \"left\" and \"missing\".");
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
	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		TPError(tp, "Key \"stats\" must be an object.");
	ModelReadStats(tp->input, v->val.binary.data, &tp->stats, &tp->nstats);
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
	JsonbValue	trees;
	bool		have_trees = false;

	memset(&tp, 0, sizeof(tp));
	tp.pnum = -1;
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
		{
			/* after "categorical", which jsonb sorts after it */
			trees = v;
			have_trees = true;
		}
		else if (strcmp(key, "categorical") == 0)
			TPCategorical(&tp, &v);
		else if (strcmp(key, "importance") == 0)
			TPImportance(&tp, &v);
		else if (strcmp(key, "stats") == 0)
			TPStats(&tp, &v);
		else
			TPError(&tp, psprintf("Unexpected key \"%s\" in a tree model.", key));
	}
	if (have_trees)
		TPTrees(&tp, &trees);
	if (tp.format > MODEL_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("buypower.model format version %d is newer than this library supports (%d)",
						tp.format, MODEL_FORMAT_VERSION),
				 errhint("Install a newer buypower library.")));
	if (tp.format == 0 || !MODEL_KIND_IS_TREES(tp.kind) || tp.nfeatures < 0 ||
		tp.link < 0 || !tp.have_base || tp.ntrees == 0 || tp.stats == NULL)
		TPError(&tp, "Keys \"format\", \"algorithm\", \"nfeatures\", \"objective\", \"base_score\", \"trees\" and \"stats\" are required.");
	if (tp.pnum >= 0 && tp.pnum + tp.q != tp.nfeatures)
		TPError(&tp, "Key \"categorical\" must describe nfeatures features: numeric ones, then one level list per categorical one.");
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
	if (tp.pnum >= 0)
	{
		ModelAddDoubles(&b, MTAG_TREE_CATS, tp.cats, 1 + 2 * tp.q);
		ModelAddBytes(&b, MTAG_TREE_LEVELS, tp.levnames.data, tp.levnames.len);
		ModelAddBytes(&b, MTAG_TREE_CATSETS, tp.catsets.data, tp.catsets.len);
	}
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

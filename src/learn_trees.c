/*-------------------------------------------------------------------------
 *
 * learn_trees.c
 *	  buypower.gbdt (histogram gradient boosting) and buypower.forest
 *	  (random forest): aggregates that keep their rows and grow trees in
 *	  the final function.
 *
 * Rows.  The transition function stores each row as p + 1 doubles (target,
 * then features; a NULL feature is NaN) in blocks that double from 16 kB
 * to 32 MB (BlockFirst, RowAt) in the aggregate context.  Parallel workers serialize their rows, the leader
 * appends them.  Memory: 8 (p + 1) bytes per row while rows arrive, then
 * in the final function at most n (p + 80) bytes more, capped by
 * buypower.max_training_memory: the canonical sort needs 32 bytes per row
 * (keys and radix buffer, freed before training); training p (codes) + 8
 * (targets) + 40 (row indexes and gradients, each twice for the stable
 * partition) + 8 (train scores) + 2 (sampling flags), or for a forest 16
 * (bootstrap counts, out-of-bag sums) instead of the last 10.  The raw rows
 * cannot be freed once binned: the final function must leave the state as
 * it found it (FINALFUNC_MODIFY = READ_ONLY; PostgreSQL may share one state
 * between two identical aggregate calls).
 *
 * Determinism.  Rows reach the final function in an order that depends on
 * the plan (workers, scan order).  The final function first sorts them into
 * a canonical order (by a 64-bit hash of the row's bytes, ties by the bytes
 * themselves; equal rows are interchangeable), so every sum, sample and
 * random draw after that sees the same sequence, serial or parallel.  All
 * randomness comes from one pg_prng stream seeded by "seed" and consumed in
 * that canonical order.
 *
 * Binning.  Each feature is cut into at most "bins" (<= 255) quantile bins
 * from (up to) 200,000 rows of the canonical order, which is a uniform
 * random sample since the order is a hash order; cut points are midpoints
 * between neighbouring distinct sample values.  Bin codes are bytes, stored
 * feature by feature (column-major, n bytes per feature); code nbins[f] is
 * "missing".  A split at bin b sends codes <= b left: in the model the
 * threshold is cut[b] and a raw value goes left when value <= cut[b], which
 * is exactly the same rule.
 *
 * Growth.  Histograms of (gradient, hessian, count, 0) per bin, four
 * doubles, so a row is added with one four-lane add; the smaller child's
 * histogram is built from its rows, the larger one's is the parent's
 * minus it; the last level builds none.  Rows of a node are a range of an
 * index array, partitioned stably on every split (so indexes stay
 * ascending and the column reads stay close to sequential), and their
 * gradients are moved along in a parallel array (unless neither child
 * will be split), so a histogram pass reads them sequentially.  A
 * histogram is built over blocks of rows, four features at a time: four
 * columns of codes (n bytes each) and four features' bins.
 * Split gain and leaf weights are XGBoost's: G^2 / (H + l2), -G / (H + l2).
 * Missing values go to whichever side gains more (learned default).
 *
 * Threads.  The final function may use one helper thread (option "threads",
 * 1 or 2, default 2) for the row loops: histograms (by halves of the rows
 * for nodes of at least TREES_HALVES_MIN rows, by halves of the features
 * for smaller ones), partitions and their copies, the gradients, train
 * scores and rows' leaves, the rows' hashes, the sorts of the binning
 * samples and the binning of numeric features.  How the helper is kept
 * away from PostgreSQL:
 *	 - it is the helper thread of worker.c (one per backend, shared with
 *	   logreg's Newton passes and the row store's prefaulting; its comment
 *	   says how it is started and how it waits), and here it runs only
 *	   HistHalf, PartHalf, PartCopyHalf, GradHalf, LeafOfHalf, PredHalf,
 *	   HashHalf, SortHalf and BinHalf (through HalfJobRun), with
 *	   FillHist(Avx), SortDoubles (lib/sort_template.h without interrupt
 *	   checks: plain C), hash_bytes_extended (src/common, plain
 *	   arithmetic) and WalkBinned as the only callees besides libc:
 *	   loops over arrays the backend thread allocated before starting it,
 *	   calling nothing else but memcpy, memmove and exp; no palloc/pfree, no
 *	   elog/ereport (not even Assert), no CHECK_FOR_INTERRUPTS, no PG data
 *	   structure;
 *	 - it touches a job's arrays only between claiming the job and
 *	   finishing it, and the backend thread waits for that before it
 *	   leaves the round (RunRound, BpWorkerPair), doing nothing but the same
 *	   kind of plain loop in between: no CHECK_FOR_INTERRUPTS, no palloc,
 *	   no PG call.  So an ERROR or cancel, which can only be raised
 *	   between rounds, never unwinds past a running helper or frees arrays
 *	   it is using; between rounds the helper spins briefly or sleeps, and
 *	   holds no pointer into them.
 * Determinism does not depend on the helper: nodes of TREES_HALVES_MIN
 * rows or more are always summed as two halves (first half, second half,
 * added bin by bin in that order), smaller nodes split by features sum
 * each bin exactly as one pass does, partitions of two halves are laid
 * out exactly as a one-pass stable partition, and gradients are per row.
 * Whoever claims the second half first runs it: the helper, or the backend
 * thread after the first half (with "threads": 1, if pthread_create
 * failed, or if the helper has not woken up yet): the same bits either way
 * (sql/trees_threads.sql compares the model bytes).
 *
 * Interrupts: CHECK_FOR_INTERRUPTS in the backend thread after every round
 * of at most TREES_SLICE rows and TREES_SLICE_WORK row-feature steps per
 * half (a few milliseconds, however many features), every split
 * and every tree, so statement_timeout and cancel work within a second.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/pg_prng.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "buypower.h"
#include "aggstate.h"
#include "model.h"
#include "rowstore.h"
#include "trees.h"
#include "vocab.h"
#include "vecmath.h"
#include "worker.h"

#define TREES_STATE_FORMAT	3	/* 2: categorical slots; 3: "threads" option */
#define TREES_FIRST_BLOCK	(16 * 1024)	/* bytes of rows in the first block */
#define TREES_MAX_BLOCK		(32 * 1024 * 1024)	/* ... doubling up to this */
#define TREES_SAMPLE_ROWS	200000
#define TREES_MAX_BINS		255
#define TREES_CUTS_PAD		256	/* cut arrays padded with +Inf (BinOf) */
#define TREES_HIST_BUDGET	((Size) 128 * 1024 * 1024)
#define TREES_SLICE			262144	/* rows per half between interrupt checks */
#define TREES_SLICE_WORK	((int64) TREES_SLICE * 16)	/* ... as row-feature steps */
#define TREES_HIST_BLOCK	1024	/* rows per block of a histogram pass */
#define TREES_HALVES_MIN	32768	/* nodes this big are summed in two halves */
#define TREES_THREAD_WORK	(20 * 1000)	/* least work for a helper thread */
#define TREES_PART_COST		3	/* a row of a partition, in row-feature steps */
#define TREES_MAX_ROWS		((int64) PG_INT32_MAX - 1)
#define TREES_HASH52		((UINT64CONST(1) << 52) - 1)

StaticAssertDecl(TREES_CUTS_PAD == 256 && TREES_MAX_BINS < TREES_CUTS_PAD,
				 "BinOf takes eight steps over at most 255 cuts");
StaticAssertDecl(TREES_HALVES_MIN <= TREES_SLICE,
				 "a node split by features must fit in one round");

/* ----------------------------------------------------------------
 * options
 * ---------------------------------------------------------------- */

typedef struct TreeOpts
{
	int32		trees;
	int32		max_depth;
	int32		max_leaves;		/* 0 = no limit */
	bool		leafwise;
	double		learning_rate;
	int32		min_rows;
	double		min_child_weight;
	double		l2;
	double		min_gain;
	double		subsample;
	double		colsample;
	double		max_features;	/* forest: share of features per split, 0 = default */
	int64		seed;
	double		valid_frac;
	int32		es_rounds;		/* 0 = no early stopping */
	int32		bins;
	int32		max_categories;
	double		cat_smooth;
	int32		cat_min_rows;	/* levels with fewer rows in a node go right */
	int32		max_cat_threshold;	/* most levels scanned from each end */
	int32		threads;		/* 1 or 2 (default): threads in the final function */
	int32		nnames;
	int32		names_len;
	char	   *names;
} TreeOpts;

typedef struct TreeState
{
	bool		forest;
	bool		target_bool;
	int32		p;				/* -1 until the first row */
	int32		q;				/* categorical slots */
	Vocab	  **vocab;			/* per categorical slot */
	int64		nskipped;
	BpValueArgs va;				/* argument form: the features' kinds */
	TreeOpts	o;
	int64		nrows;
	int32		w;				/* doubles per row: p + 1 */
	int32		b0;				/* rows in block 0; block k has b0 << min(k, kmax) */
	int32		kmax;
	int32		nblocks;
	int32		maxblocks;
	double	  **blocks;
	MemoryContext rowcxt;		/* the blocks' own context */
	Size		bytes;
	bool		freed;			/* rows freed once binned (TreesFinal) */
	Model	   *model;			/* ... and the model kept for a rescan */
} TreeState;

static const char *
LearnerName(bool forest)
{
	return forest ? "forest" : "gbdt";
}

static int32
OptInt(bool forest, const char *key, JsonbValue *v, int32 lo, int32 hi)
{
	double		x = BpOptNumber(LearnerName(forest), key, v);

	if (x != floor(x) || x < lo || x > hi)
		BpBadOption(LearnerName(forest), key, psprintf("an integer from %d to %d", lo, hi));
	return (int32) x;
}

static double
OptRange(bool forest, const char *key, JsonbValue *v, double lo, bool loopen,
		 double hi, bool hiopen)
{
	double		x = BpOptNumber(LearnerName(forest), key, v);

	if (!(loopen ? x > lo : x >= lo) || !(hiopen ? x < hi : x <= hi))
		BpBadOption(LearnerName(forest), key,
					psprintf("a number %s %g and %s %g",
							 loopen ? ">" : ">=", lo, hiopen ? "<" : "<=", hi));
	return x;
}

/*
 * Defaults, then the keys of the options object (may be NULL).
 */
static void
ParseTreeOptions(Jsonb *jb, bool forest, TreeOpts *o)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	bool		have_leaves = false;

	memset(o, 0, sizeof(*o));
	o->trees = 100;
	o->max_depth = forest ? 12 : 6;
	o->learning_rate = forest ? 1.0 : 0.3;
	o->min_rows = 1;
	o->min_child_weight = forest ? 0 : 1;
	o->l2 = forest ? 0 : 1;
	o->subsample = 1;
	o->colsample = 1;
	o->bins = TREES_MAX_BINS;
	o->max_categories = TREE_MAX_LEVELS;
	o->cat_smooth = 10;
	o->cat_min_rows = 10;
	o->max_cat_threshold = 32;
	o->threads = 2;
	o->names = "";
	if (jb == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s options must be a JSON object", LearnerName(forest))));
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		JsonbIteratorNext(&it, &v, true);
		if (strcmp(key, "trees") == 0)
			o->trees = OptInt(forest, key, &v, 1, 10000);
		else if (strcmp(key, "max_depth") == 0)
			o->max_depth = OptInt(forest, key, &v, 1, 32);
		else if (strcmp(key, "max_leaves") == 0)
		{
			o->max_leaves = OptInt(forest, key, &v, 2, 1 << 20);
			have_leaves = true;
		}
		else if (strcmp(key, "min_rows_in_leaf") == 0)
			o->min_rows = OptInt(forest, key, &v, 1, PG_INT32_MAX / 2);
		else if (strcmp(key, "seed") == 0)
			o->seed = OptInt(forest, key, &v, 0, PG_INT32_MAX);
		else if (strcmp(key, "bins") == 0)
			o->bins = OptInt(forest, key, &v, 2, TREES_MAX_BINS);
		else if (strcmp(key, "names") == 0)
			BpOptNames(LearnerName(forest), &v, &o->nnames, &o->names, &o->names_len);
		else if (strcmp(key, "max_categories") == 0)
			o->max_categories = OptInt(forest, key, &v, 1, TREE_MAX_LEVELS);
		else if (strcmp(key, "cat_smooth") == 0)
			o->cat_smooth = OptRange(forest, key, &v, 0, false, 1e300, false);
		else if (strcmp(key, "cat_min_rows") == 0)
			o->cat_min_rows = OptInt(forest, key, &v, 1, PG_INT32_MAX / 2);
		else if (strcmp(key, "max_cat_threshold") == 0)
			o->max_cat_threshold = OptInt(forest, key, &v, 1, TREE_MAX_LEVELS + 2);
		else if (strcmp(key, "threads") == 0)
			o->threads = OptInt(forest, key, &v, 1, 2);
		else if (forest && strcmp(key, "max_features") == 0)
			o->max_features = OptRange(forest, key, &v, 0, true, 1, false);
		else if (!forest && strcmp(key, "growth") == 0)
		{
			if (v.type == jbvString && v.val.string.len == 9 &&
				strncmp(v.val.string.val, "depthwise", 9) == 0)
				o->leafwise = false;
			else if (v.type == jbvString && v.val.string.len == 8 &&
					 strncmp(v.val.string.val, "leafwise", 8) == 0)
				o->leafwise = true;
			else
				BpBadOption(LearnerName(forest), key, "\"depthwise\" or \"leafwise\"");
		}
		else if (!forest && strcmp(key, "learning_rate") == 0)
			o->learning_rate = OptRange(forest, key, &v, 0, true, 1, false);
		else if (!forest && strcmp(key, "min_child_weight") == 0)
			o->min_child_weight = OptRange(forest, key, &v, 0, false, 1e300, false);
		else if (!forest && strcmp(key, "l2") == 0)
			o->l2 = OptRange(forest, key, &v, 0, false, 1e300, false);
		else if (!forest && strcmp(key, "min_gain") == 0)
			o->min_gain = OptRange(forest, key, &v, 0, false, 1e300, false);
		else if (!forest && strcmp(key, "subsample") == 0)
			o->subsample = OptRange(forest, key, &v, 0, true, 1, false);
		else if (!forest && strcmp(key, "colsample") == 0)
			o->colsample = OptRange(forest, key, &v, 0, true, 1, false);
		else if (!forest && strcmp(key, "validation_fraction") == 0)
			o->valid_frac = OptRange(forest, key, &v, 0, false, 0.5, false);
		else if (!forest && strcmp(key, "early_stopping_rounds") == 0)
			o->es_rounds = OptInt(forest, key, &v, 1, 10000);
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unrecognized %s option \"%s\"", LearnerName(forest), key)));
	}
	if (o->leafwise && !have_leaves)
		o->max_leaves = 31;
	if (o->es_rounds > 0 && o->valid_frac == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("gbdt option \"early_stopping_rounds\" needs \"validation_fraction\"")));
}

/* ----------------------------------------------------------------
 * aggregate state
 * ---------------------------------------------------------------- */

static MemoryContext
TreesAggContext(FunctionCallInfo fcinfo, bool forest)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "%s support function called in non-aggregate context",
			 LearnerName(forest));
	return aggcxt;
}

static void
pg_attribute_noreturn()
TooMuchData(TreeState *s, Size need)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("%s training data exceeds buypower.max_training_memory (%d kB)",
					LearnerName(s->forest), bp_max_training_memory),
			 errdetail("%lld rows of %d features need about %zu kB: 8 (p + 1) bytes per row while rows arrive, then n (p + 80) bytes more to train.",
					   (long long) s->nrows, s->p, need / 1024),
			 errhint("Raise buypower.max_training_memory, or train on a sample of the table (TABLESAMPLE).")));
}

/*
 * Fix the row width on the first row.
 */
static void
StartRows(TreeState *s, int p, int q)
{
	int			j;

	if (s->o.nnames > 0 && s->o.nnames != p + q)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 q == 0 ?
				 errmsg("%s option \"names\" has %d names, but there are %d features",
						LearnerName(s->forest), s->o.nnames, p) :
				 errmsg("%s option \"names\" has %d names, but there are %d numeric and %d categorical features",
						LearnerName(s->forest), s->o.nnames, p, q)));
	if (p + q == 0)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s feature array must not be empty", LearnerName(s->forest))));
	if (p + q > BP_MAX_FEATURES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s has %d features, more than the limit of %d",
						LearnerName(s->forest), p + q, BP_MAX_FEATURES)));
	s->p = p;
	s->q = q;
	if (q > 0)
	{
		MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(s));

		s->vocab = palloc(sizeof(Vocab *) * q);
		for (j = 0; j < q; j++)
			s->vocab[j] = VocabCreate();
		MemoryContextSwitchTo(old);
	}
	s->w = p + q + 1;
	s->b0 = Max(1, TREES_FIRST_BLOCK / (int) (sizeof(double) * s->w));
	for (s->kmax = 0;
		 ((Size) s->b0 << (s->kmax + 1)) * sizeof(double) * s->w <= TREES_MAX_BLOCK;
		 s->kmax++)
		;
}

/*
 * Rows are kept in blocks that double from about 16 kB to about 32 MB (so a
 * small group's state stays small, and big blocks are faulted in ahead by
 * worker.c's helper: RowStoreAllocRows), found by a
 * closed form: rows before block k, and the block of row i.
 */
static inline int64
BlockFirst(const TreeState *s, int k)
{
	if (k <= s->kmax)
		return (int64) s->b0 * ((INT64CONST(1) << k) - 1);
	return (int64) s->b0 * ((INT64CONST(1) << s->kmax) - 1) +
		(int64) (k - s->kmax) * ((int64) s->b0 << s->kmax);
}

static inline int64
BlockRows(const TreeState *s, int k)
{
	return (int64) s->b0 << Min(k, s->kmax);
}

/* floor(log2(x)) for x >= 1, without an Assert: the helper thread calls it */
static inline int
Log2Floor(uint64 x)
{
#ifdef HAVE__BUILTIN_CLZ
	return 63 - __builtin_clzll(x);
#else
	int			k = 0;

	while (x >>= 1)
		k++;
	return k;
#endif
}

/*
 * Room for one more row; its slot.
 */
static double *
NextRow(TreeState *s)
{
	if (s->nrows >= TREES_MAX_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s cannot train on more than %lld rows",
						LearnerName(s->forest), (long long) TREES_MAX_ROWS)));
	if (s->nrows == BlockFirst(s, s->nblocks))
	{
		Size		bsize = sizeof(double) * (Size) s->w * BlockRows(s, s->nblocks);
		MemoryContext cxt = GetMemoryChunkContext(s);

		if (s->rowcxt == NULL)
			s->rowcxt = AllocSetContextCreate(cxt, "buypower trees rows",
											  ALLOCSET_DEFAULT_SIZES);

		if (s->bytes + bsize > (Size) bp_max_training_memory * 1024)
			TooMuchData(s, s->bytes + bsize);
		if (s->nblocks == s->maxblocks)
		{
			s->maxblocks = Max(16, 2 * s->maxblocks);
			s->blocks = s->blocks
				? repalloc(s->blocks, sizeof(double *) * s->maxblocks)
				: MemoryContextAlloc(cxt, sizeof(double *) * s->maxblocks);
		}
		s->blocks[s->nblocks++] = RowStoreAllocRows(s->rowcxt, 0, bsize);
		s->bytes += bsize;
	}
	s->nrows++;
	return s->blocks[s->nblocks - 1] +
		(s->nrows - 1 - BlockFirst(s, s->nblocks - 1)) * s->w;
}

/* plain arithmetic: the helper thread calls it */
static inline const double *
RowAt(const TreeState *s, int64 i)
{
	int64		geo = (int64) s->b0 * ((INT64CONST(1) << s->kmax) - 1);
	int			k;

	if (i < geo)
		k = Log2Floor((uint64) (i / s->b0) + 1);
	else
		k = s->kmax + (int) ((i - geo) / ((int64) s->b0 << s->kmax));
	return s->blocks[k] + (i - BlockFirst(s, k)) * s->w;
}

static TreeState *
NewTreeState(bool forest, bool target_bool, Jsonb *jb)
{
	TreeState  *s = palloc0(sizeof(TreeState));

	s->forest = forest;
	s->target_bool = target_bool;
	s->p = -1;
	ParseTreeOptions(jb, forest, &s->o);
	return s;
}

/*
 * A new row of n features and nc categories, its target checked and set
 * (row[0]); the caller fills in the features.
 */
static double *
TreesStartRow(FunctionCallInfo fcinfo, TreeState *s, int n, int nc)
{
	double	   *row;
	double		y;

	if (s->p < 0)
		StartRows(s, n, nc);
	BpCheckFeatureCount(s->p, n);
	if (nc != s->q)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("categorical array has %d elements, but earlier rows had %d",
						nc, s->q)));
	y = s->target_bool ? (PG_GETARG_BOOL(1) ? 1.0 : 0.0) : PG_GETARG_FLOAT8(1);
	if (!isfinite(y))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s target must be finite", LearnerName(s->forest))));
	row = NextRow(s);
	/* one zero: -0 and +0 would hash differently */
	row[0] = y == 0 ? 0 : y;
	return row;
}

/*
 * Finish a row: one zero among its n features (NaN: missing), and its nc
 * categories (cvalues[j], clens[j]; NULL for a NULL) added to the
 * vocabularies, the row keeping each one's hash.
 */
static void
TreesEndRow(TreeState *s, MemoryContext aggcxt, double *row, int n,
			const char *const *cvalues, const int *clens, int nc)
{
	MemoryContext old;
	int			j;

	for (j = 1; j <= n; j++)
		if (row[j] == 0)
			row[j] = 0;
	if (nc == 0)
		return;
	old = MemoryContextSwitchTo(aggcxt);
	for (j = 0; j < nc; j++)
	{
		/*
		 * The row keeps a 52-bit hash of the value (exact in a double): it
		 * does not depend on arrival order, so neither does the canonical
		 * row order.  The final function maps hashes to levels and rejects
		 * a collision between two seen values.
		 */
		if (cvalues[j] == NULL)
		{
			row[1 + n + j] = get_float8_nan();
			s->vocab[j]->nnull++;
		}
		else
		{
			VocabAdd(s->vocab[j], cvalues[j], clens[j], 1, j + 1);
			row[1 + n + j] = (double) (hash_bytes_extended((const unsigned char *) cvalues[j],
														   clens[j], 0) & TREES_HASH52);
		}
	}
	MemoryContextSwitchTo(old);
}

/*
 * Transition of the array form: skip rows with a NULL target or feature
 * array; NULL elements are missing values (NaN); anything else must be
 * finite.
 */
static Datum
TreesAccum(FunctionCallInfo fcinfo, bool forest)
{
	MemoryContext aggcxt = TreesAggContext(fcinfo, forest);
	TreeState  *s;
	ArrayType  *a;
	bits8	   *nulls;
	const double *data;
	double	   *row;
	ArrayType  *ca = NULL;
	const char *cvalues[BP_MAX_FEATURES];
	int			clens[BP_MAX_FEATURES];
	bool		hascat = PG_NARGS() > 3 &&
		get_fn_expr_argtype(fcinfo->flinfo, 3) == TEXTARRAYOID;
	int			optarg = hascat ? 4 : 3;
	int			n,
				nc = 0,
				j;

	if (PG_ARGISNULL(0))
	{
		MemoryContext old = MemoryContextSwitchTo(aggcxt);

		s = NewTreeState(forest, get_fn_expr_argtype(fcinfo->flinfo, 1) == BOOLOID,
						 BpGetOptions(fcinfo, PG_NARGS() > optarg ? optarg : 0));
		MemoryContextSwitchTo(old);
	}
	else
		s = (TreeState *) PG_GETARG_POINTER(0);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || (hascat && PG_ARGISNULL(3)))
	{
		s->nskipped++;
		PG_RETURN_POINTER(s);
	}
	if (hascat)
	{
		ca = PG_GETARG_ARRAYTYPE_P(3);
		if (ARR_NDIM(ca) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("categorical array must be one-dimensional, not %d-dimensional",
							ARR_NDIM(ca))));
		nc = ArrayGetNItems(ARR_NDIM(ca), ARR_DIMS(ca));
		if (nc > BP_MAX_FEATURES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("categorical array has %d elements, more than the limit of %d",
							nc, BP_MAX_FEATURES)));
	}
	a = PG_GETARG_ARRAYTYPE_P(2);
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("feature array must be one-dimensional, not %d-dimensional",
						ARR_NDIM(a))));
	n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	if (n > BP_MAX_FEATURES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("feature array has %d elements, more than the limit of %d",
						n, BP_MAX_FEATURES)));
	row = TreesStartRow(fcinfo, s, n, nc);
	nulls = ARR_NULLBITMAP(a);
	data = (const double *) ARR_DATA_PTR(a);
	for (j = 0; j < n; j++)
	{
		if (nulls && !(nulls[j / 8] & (1 << (j % 8))))
			row[j + 1] = get_float8_nan();
		else
		{
			row[j + 1] = *data++;
			if (!isfinite(row[j + 1]))
			{
				s->nrows--;
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("%s feature %d must be finite", LearnerName(forest), j + 1),
						 errhint("NaN and infinity cannot be fitted; filter or replace them first.")));
			}
		}
	}
	if (nc > 0)
		PrepCategoricalValues(ca, nc, cvalues, clens);
	TreesEndRow(s, aggcxt, row, n, cvalues, clens, nc);
	PG_RETURN_POINTER(s);
}

/*
 * Transition of the argument form, gbdt_values(target, x1, ..., xn [, c1,
 * ..., ck] [, options]): the arguments sorted out as linreg_values's are
 * (aggstate.c), a NULL a missing value; the same rows as the same values
 * in arrays.
 */
static Datum
TreesAccumValues(FunctionCallInfo fcinfo, bool forest)
{
	MemoryContext aggcxt = TreesAggContext(fcinfo, forest);
	TreeState  *s;
	double	   *row;
	const char *cvalues[PREP_MAX_CATEGORICAL];
	int			clens[PREP_MAX_CATEGORICAL];

	if (PG_ARGISNULL(0))
	{
		MemoryContext old = MemoryContextSwitchTo(aggcxt);
		char		fname[NAMEDATALEN];
		BpValueArgs va;
		int			optarg;

		snprintf(fname, sizeof(fname), "%s_values", LearnerName(forest));
		optarg = BpValuesCheckArgs(fcinfo, fname, &va);
		s = NewTreeState(forest, get_fn_expr_argtype(fcinfo->flinfo, 1) == BOOLOID,
						 BpGetOptions(fcinfo, optarg));
		s->va = va;
		MemoryContextSwitchTo(old);
	}
	else
		s = (TreeState *) PG_GETARG_POINTER(0);

	if (PG_ARGISNULL(1))
	{
		s->nskipped++;
		PG_RETURN_POINTER(s);
	}
	/* the target first, as in the array form: the same error for a bad row */
	row = TreesStartRow(fcinfo, s, s->va.nnum, s->va.ncat);
	BpValuesRead(fcinfo, &s->va, row + 1, cvalues, clens, LearnerName(forest));
	TreesEndRow(s, aggcxt, row, s->va.nnum, cvalues, clens, s->va.ncat);
	PG_RETURN_POINTER(s);
}

/*
 * Append a copy of src's rows to dst.
 */
static void
AppendRows(TreeState *dst, const TreeState *src)
{
	int64		i;

	for (i = 0; i < src->nrows; i++)
	{
		const double *r = RowAt(src, i);

		memcpy(NextRow(dst), r, sizeof(double) * dst->w);
	}
}

/*
 * Did two states read the same options (each from its own first row)?
 */
static bool
SameTreeOpts(const TreeOpts *a, const TreeOpts *b)
{
	return a->trees == b->trees && a->max_depth == b->max_depth &&
		a->max_leaves == b->max_leaves && a->leafwise == b->leafwise &&
		a->learning_rate == b->learning_rate && a->min_rows == b->min_rows &&
		a->min_child_weight == b->min_child_weight && a->l2 == b->l2 &&
		a->min_gain == b->min_gain && a->subsample == b->subsample &&
		a->colsample == b->colsample && a->max_features == b->max_features &&
		a->seed == b->seed && a->valid_frac == b->valid_frac &&
		a->es_rounds == b->es_rounds && a->bins == b->bins &&
		a->max_categories == b->max_categories && a->cat_smooth == b->cat_smooth &&
		a->cat_min_rows == b->cat_min_rows && a->max_cat_threshold == b->max_cat_threshold &&
		a->threads == b->threads && a->nnames == b->nnames &&
		a->names_len == b->names_len &&
		(a->names_len == 0 || memcmp(a->names, b->names, a->names_len) == 0);
}

static Datum
TreesCombine(FunctionCallInfo fcinfo, bool forest)
{
	MemoryContext aggcxt = TreesAggContext(fcinfo, forest);
	MemoryContext old;
	TreeState  *a = PG_ARGISNULL(0) ? NULL : (TreeState *) PG_GETARG_POINTER(0);
	TreeState  *b = PG_ARGISNULL(1) ? NULL : (TreeState *) PG_GETARG_POINTER(1);

	if (b == NULL)
		PG_RETURN_POINTER(a);
	old = MemoryContextSwitchTo(aggcxt);
	if (a == NULL)
	{
		a = palloc0(sizeof(TreeState));
		a->forest = b->forest;
		a->target_bool = b->target_bool;
		a->p = -1;
		a->o = b->o;
		a->o.names = pstrdup("");
		if (b->o.names_len > 0)
		{
			a->o.names = palloc(b->o.names_len + 1);
			memcpy(a->o.names, b->o.names, b->o.names_len);
		}
	}
	else if (!SameTreeOpts(&a->o, &b->o))
		BpOptionsDiffer(LearnerName(forest));
	a->nskipped += b->nskipped;
	if (b->p >= 0)
	{
		int			j;

		if (a->p < 0)
			StartRows(a, b->p, b->q);
		BpCheckFeatureCount(a->p, b->p);
		if (a->q != b->q)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("categorical array has %d elements, but earlier rows had %d",
							b->q, a->q)));
		for (j = 0; j < a->q; j++)
			VocabMerge(a->vocab[j], b->vocab[j], NULL, j + 1);
		AppendRows(a, b);
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

static Datum
TreesSerialize(FunctionCallInfo fcinfo, bool forest)
{
	TreeState  *s = (TreeState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int64		i;

	TreesAggContext(fcinfo, forest);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, TREES_STATE_FORMAT);
	pq_sendbyte(&buf, s->forest);
	pq_sendbyte(&buf, s->target_bool);
	pq_sendint32(&buf, s->p);
	pq_sendint32(&buf, s->p < 0 ? 0 : s->q);
	pq_sendint64(&buf, s->nskipped);
	/* options: the same constant in every worker, but sent for the leader */
	pq_sendint32(&buf, s->o.trees);
	pq_sendint32(&buf, s->o.max_depth);
	pq_sendint32(&buf, s->o.max_leaves);
	pq_sendbyte(&buf, s->o.leafwise);
	pq_sendfloat8(&buf, s->o.learning_rate);
	pq_sendint32(&buf, s->o.min_rows);
	pq_sendfloat8(&buf, s->o.min_child_weight);
	pq_sendfloat8(&buf, s->o.l2);
	pq_sendfloat8(&buf, s->o.min_gain);
	pq_sendfloat8(&buf, s->o.subsample);
	pq_sendfloat8(&buf, s->o.colsample);
	pq_sendfloat8(&buf, s->o.max_features);
	pq_sendint64(&buf, s->o.seed);
	pq_sendfloat8(&buf, s->o.valid_frac);
	pq_sendint32(&buf, s->o.es_rounds);
	pq_sendint32(&buf, s->o.bins);
	pq_sendint32(&buf, s->o.max_categories);
	pq_sendfloat8(&buf, s->o.cat_smooth);
	pq_sendint32(&buf, s->o.cat_min_rows);
	pq_sendint32(&buf, s->o.max_cat_threshold);
	pq_sendint32(&buf, s->o.threads);
	pq_sendint32(&buf, s->o.nnames);
	pq_sendint32(&buf, s->o.names_len);
	pq_sendbytes(&buf, s->o.names, s->o.names_len);
	for (i = 0; s->p >= 0 && i < s->q; i++)
		VocabSerialize(s->vocab[i], &buf);
	pq_sendint64(&buf, s->nrows);
	/* rows in host order: serial states never leave this server */
	for (i = 0; i < s->nblocks; i++)
		pq_sendbytes(&buf, (const char *) s->blocks[i],
					 sizeof(double) * s->w *
					 Min(BlockRows(s, (int) i), s->nrows - BlockFirst(s, (int) i)));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void
pg_attribute_noreturn()
BadTreeState(bool forest)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid serialized %s aggregate state", LearnerName(forest))));
}

static Datum
TreesDeserialize(FunctionCallInfo fcinfo, bool forest)
{
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	TreeState  *s;
	int64		nrows,
				i;
	int			p,
				q;

	TreesAggContext(fcinfo, forest);
	buf.data = VARDATA_ANY(raw);
	buf.len = VARSIZE_ANY_EXHDR(raw);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	if (buf.len < 128 || pq_getmsgbyte(&buf) != TREES_STATE_FORMAT ||
		pq_getmsgbyte(&buf) != forest)
		BadTreeState(forest);
	s = palloc0(sizeof(TreeState));
	s->forest = forest;
	s->target_bool = pq_getmsgbyte(&buf) != 0;
	p = pq_getmsgint(&buf, 4);
	q = pq_getmsgint(&buf, 4);
	s->p = -1;
	s->nskipped = pq_getmsgint64(&buf);
	s->o.trees = pq_getmsgint(&buf, 4);
	s->o.max_depth = pq_getmsgint(&buf, 4);
	s->o.max_leaves = pq_getmsgint(&buf, 4);
	s->o.leafwise = pq_getmsgbyte(&buf) != 0;
	s->o.learning_rate = pq_getmsgfloat8(&buf);
	s->o.min_rows = pq_getmsgint(&buf, 4);
	s->o.min_child_weight = pq_getmsgfloat8(&buf);
	s->o.l2 = pq_getmsgfloat8(&buf);
	s->o.min_gain = pq_getmsgfloat8(&buf);
	s->o.subsample = pq_getmsgfloat8(&buf);
	s->o.colsample = pq_getmsgfloat8(&buf);
	s->o.max_features = pq_getmsgfloat8(&buf);
	s->o.seed = pq_getmsgint64(&buf);
	s->o.valid_frac = pq_getmsgfloat8(&buf);
	s->o.es_rounds = pq_getmsgint(&buf, 4);
	s->o.bins = pq_getmsgint(&buf, 4);
	s->o.max_categories = pq_getmsgint(&buf, 4);
	s->o.cat_smooth = pq_getmsgfloat8(&buf);
	s->o.cat_min_rows = pq_getmsgint(&buf, 4);
	s->o.max_cat_threshold = pq_getmsgint(&buf, 4);
	s->o.threads = pq_getmsgint(&buf, 4);
	s->o.nnames = pq_getmsgint(&buf, 4);
	s->o.names_len = pq_getmsgint(&buf, 4);
	if (p < -1 || p > BP_MAX_FEATURES || q < 0 || q > BP_MAX_FEATURES ||
		(p < 0 && q != 0) || s->nskipped < 0 ||
		s->o.max_categories < 1 || s->o.max_categories > TREE_MAX_LEVELS ||
		s->o.cat_min_rows < 1 || s->o.max_cat_threshold < 1 ||
		s->o.trees < 1 || s->o.trees > 10000 || s->o.max_depth < 1 || s->o.max_depth > 32 ||
		(s->o.max_leaves != 0 && (s->o.max_leaves < 2 || s->o.max_leaves > (1 << 20))) ||
		s->o.bins < 2 || s->o.bins > TREES_MAX_BINS ||
		s->o.es_rounds < 0 || s->o.es_rounds > 10000 ||
		(s->o.es_rounds > 0 && s->o.valid_frac == 0) ||
		!(s->o.valid_frac >= 0 && s->o.valid_frac <= 0.5) ||
		!(s->o.learning_rate > 0 && s->o.learning_rate <= 1) ||
		!(s->o.subsample > 0 && s->o.subsample <= 1) ||
		!(s->o.colsample > 0 && s->o.colsample <= 1) ||
		!(s->o.max_features >= 0 && s->o.max_features <= 1) ||
		s->o.max_cat_threshold > TREE_MAX_LEVELS + 2 ||
		s->o.min_rows < 1 || s->o.min_rows > PG_INT32_MAX / 2 ||
		s->o.cat_min_rows > PG_INT32_MAX / 2 ||
		s->o.threads < 1 || s->o.threads > 2 ||
		!(s->o.cat_smooth >= 0) ||
		s->o.nnames < 0 || s->o.nnames > BP_MAX_FEATURES || s->o.names_len < 0 ||
		s->o.names_len > buf.len - buf.cursor)
		BadTreeState(forest);
	s->o.names = palloc(s->o.names_len + 1);
	pq_copymsgbytes(&buf, s->o.names, s->o.names_len);
	if (p >= 0)
		StartRows(s, p, q);
	for (i = 0; p >= 0 && i < q; i++)
	{
		Vocab	   *v = VocabDeserialize(&buf, (int) i + 1);

		VocabMerge(s->vocab[i], v, NULL, (int) i + 1);
	}
	if (buf.len - buf.cursor < 8)
		BadTreeState(forest);
	nrows = pq_getmsgint64(&buf);
	if (nrows < 0 || (p < 0 && nrows > 0) ||
		(nrows > 0 && (Size) (buf.len - buf.cursor) / (sizeof(double) * s->w) != (Size) nrows) ||
		(nrows > 0 && (Size) (buf.len - buf.cursor) % (sizeof(double) * s->w) != 0))
		BadTreeState(forest);
	for (i = 0; i < nrows; i++)
		pq_copymsgbytes(&buf, (char *) NextRow(s), sizeof(double) * s->w);
	if (buf.cursor != buf.len)
		BadTreeState(forest);
	PG_RETURN_POINTER(s);
}

/* ----------------------------------------------------------------
 * two halves: the backend thread and (optionally) one helper thread
 *
 * A job below is "do the same thing on two halves of a row range".  The
 * backend thread always does half 0; half 1 is offered to the helper
 * thread (threads = 2) and done by whichever thread claims it first: the
 * helper, or the backend thread right after half 0, so a round never
 * waits for a helper that is not running.  Each half has its own output
 * (histogram buffer, partition counters), and the halves' outputs are
 * combined by the backend thread in a fixed order, so the result is the
 * same bits whichever thread ran half 1 and whenever it finished.  The
 * work is cut into rounds of TREES_SLICE rows per half; at the end of each
 * round the helper is idle again and the backend thread checks for
 * interrupts, so an error or cancel never leaves the helper working.
 * ---------------------------------------------------------------- */

typedef struct HalfJob
{
	void		(*fn) (void *ctx, int half, int from, int to);
	void	   *ctx;
	int			half;
	int			from;
	int			to;
} HalfJob;

/* a half, as worker.c's BpWorkerFn: plain C on preallocated arrays */
static void
HalfJobRun(void *arg)
{
	HalfJob    *j = (HalfJob *) arg;

	if (j->to > j->from)
		j->fn(j->ctx, j->half, j->from, j->to);
}

/*
 * One round: a in the backend thread; b in the helper thread of worker.c
 * if it claims it first, else in the backend thread after a.  Same work,
 * same bits.  BpWorkerPair returns only when both are done.
 */
static void
RunRound(int threads, HalfJob *a, HalfJob *b)
{
	BpWorkerPair(HalfJobRun, a, HalfJobRun, b, threads > 1 && b->to > b->from);
}

/*
 * fn on rows [begin, mid) as half 0 and [mid, end) as half 1, mid the
 * midpoint, in rounds of at most TREES_SLICE rows per half.  A helper thread only
 * if the range has work for at least TREES_THREAD_WORK row-feature steps
 * (rows times cost, the caller's rough cost of a row in such steps, about
 * 2 ns each): a helper that is spinning takes a half within microseconds,
 * a sleeping one in tens of them, so smaller ranges run both halves in
 * the backend thread.  Which thread ran a half never
 * changes a result bit, so this threshold is free to tune.
 */
static void
RunHalves(int threads, int begin, int end, int cost,
		  void (*fn) (void *ctx, int half, int from, int to), void *ctx)
{
	int			mid = begin + (end - begin) / 2;
	int64		off,
				slice;

	if ((int64) (end - begin) * cost < TREES_THREAD_WORK)
		threads = 1;

	/*
	 * Rows per half per round: TREES_SLICE, or fewer for costly rows (many
	 * features), so that a round stays within TREES_SLICE_WORK steps (about
	 * 10 ms) and interrupts are checked that often however wide the data.
	 * The halves' rows and their order do not depend on it, so neither do
	 * the results.
	 */
	slice = TREES_SLICE_WORK / Max(cost, 1);
	slice = Max(TREES_HIST_BLOCK, Min(TREES_SLICE, slice / TREES_HIST_BLOCK * TREES_HIST_BLOCK));
	for (off = 0; begin + off < mid || mid + off < end; off += slice)
	{
		HalfJob		a = {fn, ctx, 0, (int) Min(begin + off, mid), (int) Min(begin + off + slice, mid)};
		HalfJob		b = {fn, ctx, 1, (int) Min(mid + off, end), (int) Min(mid + off + slice, end)};

		RunRound(threads, &a, &b);
		CHECK_FOR_INTERRUPTS();
	}
}

/* ----------------------------------------------------------------
 * training data: canonical order and bins
 * ---------------------------------------------------------------- */

typedef struct RowKey
{
	uint64		hash;
	int64		row;
} RowKey;

static int
CompareRowKeys(const void *a, const void *b, void *arg)
{
	const RowKey *ka = a;
	const RowKey *kb = b;
	const TreeState *s = arg;

	if (ka->hash != kb->hash)
		return ka->hash < kb->hash ? -1 : 1;
	return memcmp(RowAt(s, ka->row), RowAt(s, kb->row), sizeof(double) * s->w);
}

/* SortDoubles(v, n): an inlined quicksort of finite doubles */
#define ST_SORT SortDoubles
#define ST_ELEMENT_TYPE double
#define ST_COMPARE(a, b) ((*(a) > *(b)) - (*(a) < *(b)))
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

typedef struct TrainData
{
	int			n;
	int			p;
	double	   *y;				/* canonical order */
	uint8	   *bins;			/* p columns of n codes */
	int		   *nbins;			/* value bins per feature; code nbins[f] = missing */
	double	  **cuts;			/* nbins[f] - 1 cut points each */
	int			pnum;			/* numeric features; categorical ones follow */
	int		   *nlev;			/* per categorical slot: named levels */
	bool	   *other;			/* per slot: an "other" level follows them */
	const char ***levnames;		/* per slot: names of the named levels */
} TrainData;

typedef struct HashLevel
{
	uint64		hash;
	int32		level;
	int32		id;
} HashLevel;

static int
CompareHashLevels(const void *a, const void *b)
{
	const HashLevel *x = a;
	const HashLevel *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return 0;
}

/*
 * Levels of one categorical slot: the max_categories most frequent values
 * (ties by the value's bytes, VocabRanking), then "other" if values are
 * left.  Returns the (hash, level) table sorted by hash for the rows.
 */
static HashLevel *
MakeLevels(TreeState *s, TrainData *d, int slot)
{
	Vocab	   *v = s->vocab[slot];
	int32	   *rank = VocabRanking(v);
	int			K = Min(v->n, s->o.max_categories);
	HashLevel  *tab = palloc(sizeof(HashLevel) * (v->n + 1));
	int			k;

	d->nlev[slot] = K;
	d->other[slot] = v->n > K;
	d->levnames[slot] = palloc(sizeof(char *) * (K + 1));
	for (k = 0; k < v->n; k++)
	{
		VocabEntry *e = &v->entries[rank[k]];

		if (k < K)
			d->levnames[slot][k] = e->value;
		tab[k].hash = hash_bytes_extended((const unsigned char *) e->value, e->len, 0) & TREES_HASH52;
		tab[k].level = Min(k, K);
		tab[k].id = rank[k];
	}
	qsort(tab, v->n, sizeof(HashLevel), CompareHashLevels);
	for (k = 1; k < v->n; k++)
		if (tab[k].hash == tab[k - 1].hash)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s categorical feature %d has two values with the same 52-bit hash, \"%s\" and \"%s\"",
							LearnerName(s->forest), slot + 1,
							v->entries[tab[k - 1].id].value, v->entries[tab[k].id].value),
					 errhint("Rename one of the values in SQL.")));
	return tab;
}

static inline int
LevelOf(const HashLevel *tab, int n, double h)
{
	uint64		key = (uint64) h;
	int			lo = 0,
				hi = n - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (tab[mid].hash == key)
			return tab[mid].level;
		if (tab[mid].hash < key)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	elog(ERROR, "categorical value hash not in its vocabulary");
	return 0;
}

/*
 * Cut points of one feature from a sorted sample of its values: at most
 * maxbins bins of about equal counts, never splitting equal values.
 */
static int
MakeCuts(double *v, int m, int maxbins, double *cuts)
{
	int			ncuts = 0;
	int			j = 0;

	while (j < m)
	{
		int			k = j;

		while (k + 1 < m && v[k + 1] == v[j])
			k++;
		/* v[j..k] are equal; cut after them if the share is reached */
		if (k + 1 < m && ncuts < maxbins - 1 &&
			(double) (k + 1) >= (double) (ncuts + 1) * m / maxbins)
		{
			double		a = v[k],
						b = v[k + 1],
						mid = a + (b - a) / 2;

			if (!(mid >= a && mid < b))
				mid = a;
			cuts[ncuts++] = mid;
		}
		j = k + 1;
	}
	return ncuts + 1;
}

static inline int
BinOf(const double *cuts, double v)
{
	int			pos = 0,
				step;

	/*
	 * Smallest k with v <= cuts[k], else the number of cuts: that is the
	 * number of cuts below v (v is not NaN; cuts ascend and are padded
	 * with +Inf to TREES_CUTS_PAD).  Eight steps, no data-dependent branch
	 * (the old binary search mispredicted about every other step).
	 */
	for (step = TREES_CUTS_PAD / 2; step > 0; step >>= 1)
		pos += (cuts[pos + step - 1] < v) ? step : 0;
	return pos;
}

typedef struct SortCtx
{
	double	  **sample;
	const int  *m;
	int			split;
	int			gn;
} SortCtx;

/* sort the samples of features [from, to): sort_template code, plain C */
static void
SortHalf(void *ctx, int half, int from, int to)
{
	SortCtx    *c = ctx;
	int			f;

	for (f = from; f < to; f++)
		if (c->m[f] > 1)
			SortDoubles(c->sample[f], c->m[f]);
}

/*
 * Sort row keys by hash, then by row bytes: an LSD radix sort on the hash
 * (8 byte-wide passes, interruptible between passes; a comparison sort of
 * 10M keys would not be), then a comparison sort of each run of equal
 * hashes (equal rows, or the rare collision).
 */
static void
SortRowKeys(const TreeState *s, RowKey *keys, int n)
{
	RowKey	   *tmp = palloc_extended(sizeof(RowKey) * (Size) n, MCXT_ALLOC_HUGE);
	RowKey	   *a = keys,
			   *b = tmp;
	int			pass,
				i,
				j;

	for (pass = 0; pass < 8; pass++)
	{
		int64		count[257] = {0};
		int			shift = 8 * pass;
		RowKey	   *t;

		for (i = 0; i < n; i++)
			count[((a[i].hash >> shift) & 0xFF) + 1]++;
		for (i = 0; i < 256; i++)
			count[i + 1] += count[i];
		for (i = 0; i < n; i++)
			b[count[(a[i].hash >> shift) & 0xFF]++] = a[i];
		t = a;
		a = b;
		b = t;
		CHECK_FOR_INTERRUPTS();
	}
	/* 8 passes: the result is back in keys */
	Assert(a == keys);
	for (i = 0; i < n; i = j)
	{
		for (j = i + 1; j < n && keys[j].hash == keys[i].hash; j++)
			;
		if (j - i > 1)
			qsort_arg(keys + i, j - i, sizeof(RowKey), CompareRowKeys, (void *) s);
	}
	pfree(tmp);
}

typedef struct HashCtx
{
	const TreeState *s;
	RowKey	   *keys;
} HashCtx;

/* sort keys of stored rows [from, to): hash_bytes_extended is plain C */
static void
HashHalf(void *ctx, int half, int from, int to)
{
	HashCtx    *c = ctx;
	int			i;

	for (i = from; i < to; i++)
	{
		c->keys[i].hash = hash_bytes_extended((const unsigned char *) RowAt(c->s, i),
											  sizeof(double) * c->s->w, 0);
		c->keys[i].row = i;
	}
}

typedef struct BinCtx
{
	const TreeState *s;
	TrainData  *d;
	const int  *pos;
} BinCtx;

/* codes of the numeric features of stored rows [from, to) */
static void
BinHalf(void *ctx, int half, int from, int to)
{
	BinCtx	   *c = ctx;
	const TreeState *s = c->s;
	TrainData  *d = c->d;
	Size		n = d->n;
	int			r,
				f;

	for (r = from; r < to; r++)
	{
		const double *row = RowAt(s, r) + 1;
		uint8	   *out = d->bins + c->pos[r];

		for (f = 0; f < d->pnum; f++)
			out[f * n] = isnan(row[f]) ? d->nbins[f] :
				BinOf(d->cuts[f], row[f]);
	}
}

/*
 * Sort the rows canonically, take the targets, bin the features.
 *
 * The stored rows are only ever read in storage order (random reads of
 * 8 (p + 1)-byte rows would miss the cache on every row); their canonical
 * positions come from the inverse permutation.
 */
static void
PrepareData(TreeState *s, TrainData *d)
{
	int			n = (int) s->nrows;
	int			p = s->p + s->q;
	int			pnum = s->p;
	int			q = s->q;
	BinCtx		bc;
	HashCtx		hc;
	HashLevel **tabs = NULL;
	RowKey	   *keys;
	int		   *pos;
	int			nsample = Min(n, TREES_SAMPLE_ROWS);
	int			group = Max(1, (int) ((32 * 1024 * 1024) / (sizeof(double) * nsample)));
	double	  **sample;
	int		   *m;
	Size		need;
	int64		r;
	int			i,
				f,
				f0;
	bool		anyvalues = false;

	need = s->bytes + (Size) n * (p + 80);
	if (need > (Size) bp_max_training_memory * 1024)
		TooMuchData(s, need);

	keys = palloc_extended(sizeof(RowKey) * (Size) n, MCXT_ALLOC_HUGE);
	hc.s = s;
	hc.keys = keys;
	RunHalves(s->o.threads, 0, n, 2 + s->w / 4, HashHalf, &hc);
	SortRowKeys(s, keys, n);
	pos = palloc_extended(sizeof(int) * (Size) n, MCXT_ALLOC_HUGE);
	for (i = 0; i < n; i++)
		pos[keys[i].row] = i;
	pfree(keys);

	d->n = n;
	d->p = p;
	d->pnum = pnum;
	d->y = palloc_extended(sizeof(double) * (Size) n, MCXT_ALLOC_HUGE);
	for (r = 0; r < n; r++)
		d->y[pos[r]] = RowAt(s, r)[0];
	d->bins = palloc_extended((Size) n * p, MCXT_ALLOC_HUGE);
	d->nbins = palloc0(sizeof(int) * p);
	d->cuts = palloc0(sizeof(double *) * p);
	if (s->q > 0)
	{
		d->nlev = palloc0(sizeof(int) * s->q);
		d->other = palloc0(sizeof(bool) * s->q);
		d->levnames = palloc0(sizeof(char **) * s->q);
		tabs = palloc0(sizeof(HashLevel *) * s->q);
		for (f = 0; f < s->q; f++)
		{
			tabs[f] = MakeLevels(s, d, f);
			d->nbins[pnum + f] = d->nlev[f] + (d->other[f] ? 1 : 0);
			if (d->nbins[pnum + f] > 0)
				anyvalues = true;
		}
	}

	/* cut points from the first nsample canonical rows, group by group */
	sample = palloc(sizeof(double *) * group);
	m = palloc(sizeof(int) * group);
	for (i = 0; i < Min(group, pnum); i++)
		sample[i] = palloc_extended(sizeof(double) * nsample, MCXT_ALLOC_HUGE);
	for (f0 = 0; f0 < pnum; f0 += group)
	{
		int			gn = Min(group, pnum - f0);

		memset(m, 0, sizeof(int) * group);
		for (r = 0; r < n; r++)
		{
			const double *row;

			if (pos[r] >= nsample)
				continue;
			row = RowAt(s, r) + 1 + f0;
			for (f = 0; f < gn; f++)
				if (!isnan(row[f]))
					sample[f][m[f]++] = row[f];
		}
		for (f = 0; f < gn; f++)
		{
			/* a sparse feature may miss the sample: take any rows that have it */
			for (r = 0; m[f] == 0 && r < n; r++)
				if (!isnan(RowAt(s, r)[1 + f0 + f]))
					sample[f][m[f]++] = RowAt(s, r)[1 + f0 + f];
		}
		/* sort the samples, the group's features in two halves */
		{
			SortCtx		sc = {sample, m, (gn + 1) / 2, gn};
			HalfJob		a = {SortHalf, &sc, 0, 0, sc.split};
			HalfJob		b = {SortHalf, &sc, 1, sc.split, gn};

			RunRound(nsample >= TREES_THREAD_WORK / 8 ? s->o.threads : 1, &a, &b);
		}
		CHECK_FOR_INTERRUPTS();
		for (f = 0; f < gn; f++)
		{
			if (m[f] == 0)
				continue;		/* all missing: nbins 0, code 0 */
			anyvalues = true;
			/* padded with +Inf for BinOf */
			d->cuts[f0 + f] = palloc(sizeof(double) * TREES_CUTS_PAD);
			d->nbins[f0 + f] = MakeCuts(sample[f], m[f], s->o.bins, d->cuts[f0 + f]);
			for (i = d->nbins[f0 + f] - 1; i < TREES_CUTS_PAD; i++)
				d->cuts[f0 + f][i] = get_float8_infinity();
		}
	}
	if (!anyvalues)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s features are NULL in every row", LearnerName(s->forest))));

	/*
	 * Codes, column-major: feature f's codes are bins[f n .. f n + n).
	 * Numeric ones in two halves of the stored rows (a helper thread may
	 * take one: plain loops, see the top of the file), then categorical.
	 */
	bc.s = s;
	bc.d = d;
	bc.pos = pos;
	RunHalves(s->o.threads, 0, n, 4 * Max(1, pnum), BinHalf, &bc);
	for (r = 0; q > 0 && r < n; r++)
	{
		const double *row = RowAt(s, r) + 1;
		uint8	   *out = d->bins + pos[r];

		for (f = pnum; f < p; f++)
			out[(Size) f * n] = isnan(row[f]) ? d->nbins[f] :
				LevelOf(tabs[f - pnum], s->vocab[f - pnum]->n, row[f]);
		if ((r & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	for (i = 0; i < Min(group, pnum); i++)
		pfree(sample[i]);
	pfree(pos);
}

/* ----------------------------------------------------------------
 * tree growth
 * ---------------------------------------------------------------- */

/*
 * A histogram bin: 32 bytes, so that adding a row is one four-lane add
 * of (g, h, 1, 0) where the CPU has 256-bit vectors (two 128-bit adds
 * elsewhere).  The count is a double: exact up to 2^53, far above the
 * row limit; each lane is the same scalar sum as before.
 */
typedef struct HBin
{
	double		g;				/* g and h adjacent, as in GH */
	double		h;
	double		n;				/* rows, a whole number */
	double		zero;			/* always 0 */
} HBin;

/* four doubles added lane by lane (GCC/clang vector extension) */
typedef double V4D __attribute__((vector_size(32)));

typedef struct TNode
{
	int32		left;			/* 0 = leaf */
	int32		feature;
	int32		bin;
	int32		flags;
	bool		cat;			/* categorical: codes in cset go left */
	uint64		cset[4];
	double		value;			/* threshold, or leaf value */
	double		gain;
	double		cover;
} TNode;

typedef struct TTree
{
	int			n;
	TNode	   *nodes;
} TTree;

typedef struct Leaf
{
	int			begin;
	int			end;
	double		G;
	double		H;
	int64		cnt;
	int			depth;
	int			seq;
	int			out;			/* node index in the tree */
	HBin	   *hist;
	/* best split, if can */
	bool		can;
	double		gain;
	int			f;
	int			bin;
	bool		dleft;
	bool		cat;
	uint64		cset[4];
	double		GL;
	double		HL;
	int64		nl;
} Leaf;

/* gradient and hessian of one row, kept in node order beside idx */
typedef struct GH
{
	double		g;
	double		h;
} GH;

typedef struct Grower
{
	const TrainData *d;
	int			hsize;
	int		   *hoff;
	int		   *idx;			/* rows of the tree, node after node */
	GH		   *gh;				/* their gradients, in the same order */
	int		   *tmp;
	GH		   *tmpgh;
	bool		avx;			/* FillHist may use 256-bit vectors */
	bool	   *featok;			/* features this tree may use */
	int		   *active;			/* the usable ones of them (>= 2 bins) */
	int			nactive;
	int		   *cand;			/* scratch: candidate features of a node */
	int			mtry;			/* forest: features tried per node; 0 = all */
	int			max_depth;
	int			max_leaves;
	bool		leafwise;
	double		l2;
	int			min_rows;
	double		min_child_weight;
	double		min_gain;
	double		cat_smooth;
	int			cat_min_rows;
	int			max_cat_threshold;
	double		leaf_scale;		/* learning rate */
	pg_prng_state *rng;
	int			threads;		/* 1, or 2: a helper thread takes half the rows */
	HBin	   *hist2;			/* the second half's histogram */
	Size		hist_kept;
	/* output */
	TNode	   *out;
	int			nout;
	int			maxout;
	Leaf	   *leaves;
	int			nleaves;
	int			maxleaves;
} Grower;

/*
 * A zeroed histogram, aligned to 32 bytes (a bin never straddles a cache
 * line); the chunk's own address is kept just before it, for FreeHist.
 */
static HBin *
NewHist(Grower *gr)
{
	char	   *raw = palloc0(sizeof(HBin) * gr->hsize + 64);
	char	   *h = (char *) TYPEALIGN(32, raw + sizeof(void *));

	((void **) h)[-1] = raw;
	return (HBin *) h;
}

static void
FreeHist(HBin *h)
{
	pfree(((void **) h)[-1]);
}

/* add one row's (g, h, 1, 0) to a bin: each lane is the scalar sum */
static pg_attribute_always_inline void
HistAdd(HBin *b, const V4D *y)
{
	V4D			x;

	memcpy(&x, b, sizeof(x));
	x += *y;
	memcpy(b, &x, sizeof(x));
}

/*
 * Histogram of rows idx[from..to) for features act[0..nact).  Rows go in
 * blocks of TREES_HIST_BLOCK (their indexes and gradients stay in L1);
 * within a block, features go four at a time: one load of a row's index
 * and gradients serves four columns and four independent bin updates
 * (the features' bins are disjoint), then the rest one by one.  Each
 * pass reads its columns of codes (n bytes each, mostly cache-resident)
 * and the node's gradients sequentially.  Within a bin the sum runs in
 * node order, whatever the grouping: the grouping changes no bit.
 */
static pg_attribute_always_inline void
FillHistBody(const uint8 *bins, Size n, const int *idx, const GH *gh,
			 int from, int to, const int *act, int nact, const int *hoff,
			 HBin *hist)
{
	int			k0,
				j,
				k;

	for (k0 = from; k0 < to; k0 += TREES_HIST_BLOCK)
	{
		int			k1 = Min(to, k0 + TREES_HIST_BLOCK);

		for (j = 0; j + 4 <= nact; j += 4)
		{
			const uint8 *c0 = bins + (Size) act[j] * n;
			const uint8 *c1 = bins + (Size) act[j + 1] * n;
			const uint8 *c2 = bins + (Size) act[j + 2] * n;
			const uint8 *c3 = bins + (Size) act[j + 3] * n;
			HBin	   *h0 = hist + hoff[act[j]];
			HBin	   *h1 = hist + hoff[act[j + 1]];
			HBin	   *h2 = hist + hoff[act[j + 2]];
			HBin	   *h3 = hist + hoff[act[j + 3]];

			for (k = k0; k < k1; k++)
			{
				int			r = idx[k];
				V4D			y = {gh[k].g, gh[k].h, 1.0, 0.0};

				HistAdd(&h0[c0[r]], &y);
				HistAdd(&h1[c1[r]], &y);
				HistAdd(&h2[c2[r]], &y);
				HistAdd(&h3[c3[r]], &y);
			}
		}
		for (; j < nact; j++)
		{
			const uint8 *c0 = bins + (Size) act[j] * n;
			HBin	   *h0 = hist + hoff[act[j]];

			for (k = k0; k < k1; k++)
			{
				V4D			y = {gh[k].g, gh[k].h, 1.0, 0.0};

				HistAdd(&h0[c0[idx[k]]], &y);
			}
		}
	}
}

/*
 * FillHistBody compiled twice: for the baseline instruction set and, on
 * x86-64, for AVX (one 256-bit add per row and feature), chosen at run
 * time (Grower.avx).  The same lane-by-lane sums either way: the bits do
 * not depend on the CPU.
 */
static void
FillHist(const uint8 *bins, Size n, const int *idx, const GH *gh,
		 int from, int to, const int *act, int nact, const int *hoff,
		 HBin *hist)
{
	FillHistBody(bins, n, idx, gh, from, to, act, nact, hoff, hist);
}

#ifdef BP_HAVE_AVX_PATH
__attribute__((target("avx")))
static void
FillHistAvx(const uint8 *bins, Size n, const int *idx, const GH *gh,
			int from, int to, const int *act, int nact, const int *hoff,
			HBin *hist)
{
	FillHistBody(bins, n, idx, gh, from, to, act, nact, hoff, hist);
}
#endif


typedef struct HistCtx
{
	const Grower *gr;
	HBin	   *out[2];
	int			fsplit;			/* > 0: split by features, not rows */
} HistCtx;

/*
 * Half of a histogram.  Split by rows (fsplit 0): half "half" of the rows,
 * all features, into out[half].  Split by features: all the rows given,
 * half 0 the active features before fsplit and half 1 the others, both
 * into out[0]: their bins are disjoint, so the halves never touch the
 * same memory, and each bin is summed exactly as in one pass.
 */
static void
HistHalf(void *ctx, int half, int from, int to)
{
	HistCtx    *c = ctx;
	const Grower *gr = c->gr;

	void		(*fill) (const uint8 *, Size, const int *, const GH *, int, int,
						 const int *, int, const int *, HBin *) = FillHist;

#ifdef BP_HAVE_AVX_PATH
	if (gr->avx)
		fill = FillHistAvx;
#endif
	if (c->fsplit > 0)
		fill(gr->d->bins, gr->d->n, gr->idx, gr->gh, from, to,
			 gr->active + (half ? c->fsplit : 0),
			 half ? gr->nactive - c->fsplit : c->fsplit,
			 gr->hoff, c->out[0]);
	else
		fill(gr->d->bins, gr->d->n, gr->idx, gr->gh, from, to,
			 gr->active, gr->nactive, gr->hoff, c->out[half]);
}

/*
 * Whether a row with bin code `code' goes left at a split: a categorical
 * split by its set of codes, a numeric one by code <= bin, missing (code
 * nb) by the learned default direction.
 */
static pg_attribute_always_inline int
GoesLeft(int code, bool cat, const uint64 *cset, int nb, int dleft, int bin)
{
	if (cat)
		return (int) ((cset[code >> 6] >> (code & 63)) & 1);
	return (code == nb) ? dleft : (code <= bin);
}

/*
 * Write row r (read at position i) both where it goes if it stays (w, in
 * place) and where it goes if it moves (t, in tmp), with its gradient pair
 * when gh is not NULL: the caller advances one of w and t, so a
 * coin-flip condition costs no branch.
 */
static pg_attribute_always_inline void
PartPut(int *idx, int *tmp, GH *gh, GH *tmpgh, int i, int w, int t, int r)
{
	idx[w] = r;
	tmp[t] = r;
	if (gh)
	{
		GH			x = gh[i];

		gh[w] = x;
		tmpgh[t] = x;
	}
}

/*
 * Histogram of the rows of a leaf (hist is zeroed).  A node of at least
 * TREES_HALVES_MIN rows is summed as two halves of its rows added bin by
 * bin, whether or not a helper thread runs one of them: the bits depend
 * on the rows only.  A smaller node is summed in one pass over its rows,
 * or, when a helper thread may take work, as two halves of its features
 * (half 1 in the helper if it claims it first): the same bits.
 */
static void
BuildHist(Grower *gr, Leaf *L, HBin *hist)
{
	HistCtx		c;
	int			i;

	c.gr = gr;
	c.out[0] = hist;
	c.fsplit = 0;
	if (L->end - L->begin < TREES_HALVES_MIN)
	{
		if (gr->threads > 1 && gr->nactive >= 2 &&
			(int64) (L->end - L->begin) * gr->nactive >= TREES_THREAD_WORK)
		{
			HalfJob		a = {HistHalf, &c, 0, L->begin, L->end};
			HalfJob		b = {HistHalf, &c, 1, L->begin, L->end};

			/* fewer than TREES_SLICE rows: one round */
			c.fsplit = (gr->nactive + 1) / 2;
			RunRound(gr->threads, &a, &b);
		}
		else
			HistHalf(&c, 0, L->begin, L->end);
		CHECK_FOR_INTERRUPTS();
		return;
	}
	c.out[1] = gr->hist2;
	memset(gr->hist2, 0, sizeof(HBin) * gr->hsize);
	RunHalves(gr->threads, L->begin, L->end, Max(1, gr->nactive), HistHalf, &c);
	for (i = 0; i < gr->hsize; i++)
	{
		hist[i].g += gr->hist2[i].g;
		hist[i].h += gr->hist2[i].h;
		hist[i].n += gr->hist2[i].n;
	}
}

/*
 * Stable partition of a leaf's rows [begin, end), in two halves that run
 * at once: half 0 goes forward over [begin, mid), keeping its left-going
 * rows at the front of its range and putting its right-going rows at the
 * same offsets of tmp; half 1 goes backward over [mid, end), keeping its
 * right-going rows at the back of its range and putting its left-going
 * rows at the back of tmp's.  Then the left rows of half 0 and the right
 * rows of half 1 are already where a one-pass stable partition puts them
 * (left of half 0, left of half 1, right of half 0, right of half 1);
 * left of half 1 and right of half 0 are copied from tmp (disjoint
 * sources and targets, so the two copies can run at once too).
 */
typedef struct PartCtx
{
	Grower	   *gr;
	const Leaf *P;
	const uint8 *col;
	int			nb;
	int			start[2];		/* first row of each half */
	int			end;			/* end of half 1 */
	int			nleft[2];
	int			nright[2];
	bool		movegh;			/* move the gradients along */
} PartCtx;

/*
 * One half's pass over rows [from, to) (half 1: backward).  Instantiated
 * for numeric or categorical splits, with or without moving the gradients
 * (not needed when neither child will be split).
 */
static pg_attribute_always_inline void
PartLoop(PartCtx *c, int half, int from, int to, bool cat, bool movegh)
{
	const Leaf *P = c->P;
	int		   *restrict idx = c->gr->idx;
	GH		   *restrict gh = c->gr->gh;
	int		   *restrict tmp = c->gr->tmp;
	GH		   *restrict tmpgh = c->gr->tmpgh;
	const uint8 *restrict col = c->col;
	int			i;
	/* the split's fields in locals: the stores below cannot change them */
	uint64		cset[4];
	int			nb = c->nb;
	int			bin = P->bin;
	int			dleft = P->dleft ? 1 : 0;

	memcpy(cset, P->cset, sizeof(cset));
	if (half == 0)
	{
		int			w = c->start[0] + c->nleft[0],	/* next left, in place */
					t = c->start[0] + c->nright[0];	/* next right, in tmp */

		for (i = from; i < to; i++)
		{
			int			r = idx[i];
			int			goleft = GoesLeft(col[r], cat, cset, nb, dleft, bin);

			/* both writes, one kept: no branch on a coin-flip condition */
			PartPut(idx, tmp, movegh ? gh : NULL, tmpgh, i, w, t, r);
			w += goleft;
			t += 1 - goleft;
		}
		c->nleft[0] = w - c->start[0];
		c->nright[0] = t - c->start[0];
	}
	else
	{
		int			w = c->end - 1 - c->nright[1],	/* next right, in place */
					t = c->end - 1 - c->nleft[1];	/* next left, in tmp */

		/* w >= i throughout: a row is written only where one was read */
		for (i = to - 1; i >= from; i--)
		{
			int			r = idx[i];
			int			goleft = GoesLeft(col[r], cat, cset, nb, dleft, bin);

			PartPut(idx, tmp, movegh ? gh : NULL, tmpgh, i, w, t, r);
			w -= 1 - goleft;
			t -= goleft;
		}
		c->nright[1] = c->end - 1 - w;
		c->nleft[1] = c->end - 1 - t;
	}
}

static void
PartHalf(void *ctx, int half, int from, int to)
{
	PartCtx    *c = ctx;

	if (c->P->cat)
	{
		if (c->movegh)
			PartLoop(c, half, from, to, true, true);
		else
			PartLoop(c, half, from, to, true, false);
	}
	else
	{
		if (c->movegh)
			PartLoop(c, half, from, to, false, true);
		else
			PartLoop(c, half, from, to, false, false);
	}
}

/*
 * The two copies from tmp: half 0 puts left of half 1 after left of half
 * 0, half 1 puts right of half 0 before right of half 1.
 */
static void
PartCopyHalf(void *ctx, int half, int from, int to)
{
	PartCtx    *c = ctx;
	Grower	   *gr = c->gr;
	int			lend = c->start[0] + c->nleft[0];	/* end of left of half 0 */

	if (half == 0)
	{
		int			src = c->end - c->nleft[1];

		memcpy(gr->idx + lend, gr->tmp + src, sizeof(int) * c->nleft[1]);
		if (c->movegh)
			memcpy(gr->gh + lend, gr->tmpgh + src, sizeof(GH) * c->nleft[1]);
	}
	else
	{
		int			dst = lend + c->nleft[1];

		memcpy(gr->idx + dst, gr->tmp + c->start[0], sizeof(int) * c->nright[0]);
		if (c->movegh)
			memcpy(gr->gh + dst, gr->tmpgh + c->start[0], sizeof(GH) * c->nright[0]);
	}
}

/* returns the end of the left part */
static int
Partition(Grower *gr, const Leaf *P)
{
	PartCtx		c;
	int			begin = P->begin,
				end = P->end,
				mid = begin + (end - begin) / 2;
	int			threads = gr->threads;
	int64		off;

	memset(&c, 0, sizeof(c));
	c.gr = gr;
	c.P = P;
	c.col = gr->d->bins + (Size) P->f * gr->d->n;
	c.nb = gr->d->nbins[P->f];
	c.start[0] = begin;
	c.start[1] = mid;
	c.end = end;

	/*
	 * Gradients are read again only for the histograms of children that
	 * may be split (MaySplit): at the last level, the rows move alone.
	 */
	c.movegh = P->depth + 1 < gr->max_depth &&
		(P->nl >= 2 * (int64) gr->min_rows ||
		 P->cnt - P->nl >= 2 * (int64) gr->min_rows);
	if ((int64) (end - begin) * TREES_PART_COST < TREES_THREAD_WORK)
		threads = 1;

	/* rounds as in RunHalves, but half 1 from the back of its range */
	for (off = 0; begin + off < mid || mid + off < end; off += TREES_SLICE)
	{
		HalfJob		a = {PartHalf, &c, 0, (int) Min(begin + off, mid),
		(int) Min(begin + off + TREES_SLICE, mid)};
		HalfJob		b = {PartHalf, &c, 1, (int) Max(end - off - TREES_SLICE, mid),
		(int) Max(end - off, mid)};

		RunRound(threads, &a, &b);
		CHECK_FOR_INTERRUPTS();
	}
	if (c.nleft[1] + c.nright[0] > 0)
	{
		/* from/to only say whether there is work: one round */
		HalfJob		a = {PartCopyHalf, &c, 0, 0, c.nleft[1]};
		HalfJob		b = {PartCopyHalf, &c, 1, 0, c.nright[0]};

		RunRound(threads, &a, &b);
		CHECK_FOR_INTERRUPTS();
	}
	return begin + c.nleft[0] + c.nleft[1];
}

static inline double
Score(double G, double H, double l2)
{
	return (G * G) / (H + l2);
}

/*
 * Evaluate one candidate split of leaf L; keep it if it beats the best.
 */
static inline bool
TrySplit(Grower *gr, Leaf *L, int f, int b, bool dleft,
		 double GL, double HL, int64 nl, double parent)
{
	double		GR = L->G - GL,
				HR = L->H - HL;
	int64		nr = L->cnt - nl;
	double		gain;

	if (nl < gr->min_rows || nr < gr->min_rows ||
		HL < gr->min_child_weight || HR < gr->min_child_weight ||
		!(HL + gr->l2 > 0) || !(HR + gr->l2 > 0))
		return false;
	gain = Score(GL, HL, gr->l2) + Score(GR, HR, gr->l2) - parent;
	if (gain > L->gain)
	{
		L->gain = gain;
		L->f = f;
		L->bin = b;
		L->dleft = dleft;
		L->GL = GL;
		L->HL = HL;
		L->nl = nl;
		L->cat = false;
		return true;
	}
	return false;
}

/*
 * Categorical split of feature f, the LightGBM way: the node's levels
 * with at least cat_min_rows rows (NULL, code nb, is one of them), sorted
 * by G / (H + cat_smooth); the first k of that order, or the last k, go
 * left, for k up to max_cat_threshold.  Rare levels go right, as do
 * levels never seen in training.
 */
static void
FindCatSplit(Grower *gr, Leaf *L, int f, const HBin *hf, int nb, double parent)
{
	int			ord[TREES_MAX_BINS + 1];
	double		key[TREES_MAX_BINS + 1];
	int			nused = 0,
				b,
				i,
				dir;

	for (b = 0; b <= nb; b++)
	{
		if (hf[b].n < gr->cat_min_rows)
			continue;
		key[b] = hf[b].g / (hf[b].h + gr->cat_smooth);
		/* insertion sort: at most 256 levels; ties by code */
		for (i = nused; i > 0 && key[ord[i - 1]] > key[b]; i--)
			ord[i] = ord[i - 1];
		ord[i] = b;
		nused++;
	}
	for (dir = 0; dir < 2; dir++)
	{
		double		GL = 0,
					HL = 0;
		int64		nl = 0;
		int			k;
		int			kmax = Min(gr->max_cat_threshold, nused - 1);

		for (k = 0; k < kmax; k++)
		{
			int			c = ord[dir == 0 ? k : nused - 1 - k];

			GL += hf[c].g;
			HL += hf[c].h;
			nl += (int64) hf[c].n;
			if (TrySplit(gr, L, f, k, false, GL, HL, nl, parent))
			{
				int			j;

				L->cat = true;
				memset(L->cset, 0, sizeof(L->cset));
				for (j = 0; j <= k; j++)
				{
					int			cj = ord[dir == 0 ? j : nused - 1 - j];

					L->cset[cj >> 6] |= UINT64CONST(1) << (cj & 63);
				}
			}
		}
	}
}

/*
 * Best split of a leaf from its histogram.
 */
static void
FindSplit(Grower *gr, Leaf *L)
{
	const TrainData *d = gr->d;
	double		parent;
	int			ncand = 0,
				c,
				f;

	L->can = false;
	L->gain = -get_float8_infinity();
	if (L->hist == NULL || L->cnt < 2 * (int64) gr->min_rows || !(L->H + gr->l2 > 0))
		return;
	parent = Score(L->G, L->H, gr->l2);
	for (f = 0; f < d->p; f++)
		if (gr->featok[f] && d->nbins[f] >= 2)
			gr->cand[ncand++] = f;
	if (gr->mtry > 0 && gr->mtry < ncand)
	{
		/* a random subset of mtry features (partial Fisher-Yates) */
		for (c = 0; c < gr->mtry; c++)
		{
			int			r = c + (int) pg_prng_uint64_range(gr->rng, 0, ncand - 1 - c);
			int			t = gr->cand[c];

			gr->cand[c] = gr->cand[r];
			gr->cand[r] = t;
		}
		ncand = gr->mtry;
	}
	for (c = 0; c < ncand; c++)
	{
		const HBin *hf;
		int			nb,
					b;
		double		GL = 0,
					HL = 0;
		int64		nl = 0;
		HBin		miss;

		f = gr->cand[c];
		hf = L->hist + gr->hoff[f];
		nb = d->nbins[f];
		if (f >= d->pnum)
		{
			FindCatSplit(gr, L, f, hf, nb, parent);
			continue;
		}
		miss = hf[nb];
		for (b = 0; b < nb - 1; b++)
		{
			GL += hf[b].g;
			HL += hf[b].h;
			nl += (int64) hf[b].n;
			if (miss.n > 0)
			{
				TrySplit(gr, L, f, b, false, GL, HL, nl, parent);
				TrySplit(gr, L, f, b, true, GL + miss.g, HL + miss.h, nl + (int64) miss.n, parent);
			}
			else
				TrySplit(gr, L, f, b, nl >= L->cnt - nl, GL, HL, nl, parent);
		}
	}
	L->can = (L->gain > gr->min_gain && L->gain > 0);
}

static int
NewNode(Grower *gr)
{
	if (gr->nout == gr->maxout)
	{
		gr->maxout *= 2;
		gr->out = repalloc(gr->out, sizeof(TNode) * gr->maxout);
	}
	memset(&gr->out[gr->nout], 0, sizeof(TNode));
	return gr->nout++;
}

static Leaf *
NewLeaf(Grower *gr)
{
	if (gr->nleaves == gr->maxleaves)
	{
		gr->maxleaves *= 2;
		gr->leaves = repalloc(gr->leaves, sizeof(Leaf) * gr->maxleaves);
	}
	memset(&gr->leaves[gr->nleaves], 0, sizeof(Leaf));
	return &gr->leaves[gr->nleaves++];
}

/*
 * Will this leaf ever be split?  Then it needs a histogram.
 */
static bool
MaySplit(Grower *gr, const Leaf *L)
{
	return L->depth < gr->max_depth && L->cnt >= 2 * (int64) gr->min_rows;
}

/*
 * Keep a leaf's histogram for its children's subtraction, within budget.
 */
static void
KeepOrDropHist(Grower *gr, Leaf *L)
{
	if (L->hist == NULL)
		return;
	if (L->can && gr->hist_kept + sizeof(HBin) * gr->hsize <= TREES_HIST_BUDGET)
		gr->hist_kept += sizeof(HBin) * gr->hsize;
	else
	{
		FreeHist(L->hist);
		L->hist = NULL;
	}
}

/*
 * Grow one tree on rows idx[0..nroot).  Leaves end in gr->leaves, with
 * their row ranges; nodes in gr->out (children after parents).
 */
static void
GrowTree(Grower *gr, int nroot)
{
	Leaf	   *root;
	int			seq = 0;
	int			nopen;
	int			k;

	gr->nout = 0;
	gr->nleaves = 0;
	gr->hist_kept = 0;
	gr->nactive = 0;
	for (k = 0; k < gr->d->p; k++)
		if (gr->featok[k] && gr->d->nbins[k] >= 2)
			gr->active[gr->nactive++] = k;
	root = NewLeaf(gr);
	root->begin = 0;
	root->end = nroot;
	for (k = 0; k < nroot; k++)
	{
		root->G += gr->gh[k].g;
		root->H += gr->gh[k].h;
	}
	root->cnt = nroot;
	root->seq = seq++;
	root->out = NewNode(gr);
	if (MaySplit(gr, root))
	{
		root->hist = NewHist(gr);
		BuildHist(gr, root, root->hist);
	}
	FindSplit(gr, root);
	KeepOrDropHist(gr, root);
	nopen = 1;

	for (;;)
	{
		int			best = -1;
		Leaf		P;
		Leaf	   *A,
				   *B,
				   *small,
				   *large;
		int			w,
					i;
		TNode	   *node;

		if (gr->max_leaves > 0 && nopen >= gr->max_leaves)
			break;
		for (k = 0; k < gr->nleaves; k++)
		{
			Leaf	   *L = &gr->leaves[k];

			if (!L->can)
				continue;
			if (best < 0 ||
				(gr->leafwise ? L->gain > gr->leaves[best].gain : L->seq < gr->leaves[best].seq))
				best = k;
		}
		if (best < 0)
			break;

		/* take the leaf out of the list; its slot is reused by a child */
		P = gr->leaves[best];
		if (P.hist)
			gr->hist_kept -= sizeof(HBin) * gr->hsize;

		/* partition its rows, stably */
		w = Partition(gr, &P);

		node = &gr->out[P.out];
		node->feature = P.f;
		node->bin = P.bin;
		node->cat = P.cat;
		memcpy(node->cset, P.cset, sizeof(node->cset));
		if (P.cat)
		{
			node->flags = TREE_CATEGORICAL;
			node->value = 0;	/* set index, assigned when the model is built */
		}
		else
		{
			node->flags = P.dleft ? TREE_DEFAULT_LEFT : 0;
			node->value = gr->d->cuts[P.f][P.bin];
		}
		node->gain = P.gain;
		node->cover = P.H;
		i = NewNode(gr);		/* left child; the right one follows */
		NewNode(gr);
		node = &gr->out[P.out];	/* NewNode may have moved the array */
		node->left = i;

		A = &gr->leaves[best];
		memset(A, 0, sizeof(Leaf));
		B = NewLeaf(gr);
		A = &gr->leaves[best];	/* NewLeaf may have moved the array */
		A->begin = P.begin;
		A->end = w;
		A->G = P.GL;
		A->H = P.HL;
		A->cnt = P.nl;
		A->out = node->left;
		B->begin = w;
		B->end = P.end;
		B->G = P.G - P.GL;
		B->H = P.H - P.HL;
		B->cnt = P.cnt - P.nl;
		B->out = node->left + 1;
		A->depth = B->depth = P.depth + 1;
		A->seq = seq++;
		B->seq = seq++;
		nopen++;

		small = (A->cnt <= B->cnt) ? A : B;
		large = (small == A) ? B : A;
		if (MaySplit(gr, small) || MaySplit(gr, large))
		{
			small->hist = NewHist(gr);
			BuildHist(gr, small, small->hist);
			if (P.hist)
			{
				HBin	   *ph = P.hist;

				for (i = 0; i < gr->hsize; i++)
				{
					ph[i].g -= small->hist[i].g;
					ph[i].h -= small->hist[i].h;
					ph[i].n -= small->hist[i].n;
				}
				large->hist = ph;
			}
			else
			{
				large->hist = NewHist(gr);
				BuildHist(gr, large, large->hist);
			}
			if (!MaySplit(gr, small))
			{
				FreeHist(small->hist);
				small->hist = NULL;
			}
			if (!MaySplit(gr, large))
			{
				FreeHist(large->hist);
				large->hist = NULL;
			}
		}
		else if (P.hist)
			FreeHist(P.hist);
		FindSplit(gr, A);
		KeepOrDropHist(gr, A);
		FindSplit(gr, B);
		KeepOrDropHist(gr, B);
		CHECK_FOR_INTERRUPTS();
	}

	/* leaf values */
	for (k = 0; k < gr->nleaves; k++)
	{
		Leaf	   *L = &gr->leaves[k];
		TNode	   *node = &gr->out[L->out];

		node->left = 0;
		node->value = (L->H + gr->l2 > 0) ? -L->G / (L->H + gr->l2) * gr->leaf_scale : 0;
		if (node->value == 0)
			node->value = 0;
		if (L->hist)
		{
			FreeHist(L->hist);
			L->hist = NULL;
		}
	}
}

/*
 * Leaf value a binned row reaches in a finished tree.
 */
static inline double
WalkBinned(const TrainData *d, const TNode *nodes, int i)
{
	int			k = 0;

	while (nodes[k].left != 0)
	{
		int			f = nodes[k].feature;
		int			code = d->bins[(Size) f * d->n + i];

		if (nodes[k].cat)
			k = nodes[k].left + (((nodes[k].cset[code >> 6] >> (code & 63)) & 1) ? 0 : 1);
		else if (code == d->nbins[f])
			k = nodes[k].left + ((nodes[k].flags & TREE_DEFAULT_LEFT) ? 0 : 1);
		else
			k = nodes[k].left + (code <= nodes[k].bin ? 0 : 1);
	}
	return nodes[k].value;
}

static TTree
SaveTree(Grower *gr)
{
	TTree		t;

	t.n = gr->nout;
	t.nodes = palloc(sizeof(TNode) * gr->nout);
	memcpy(t.nodes, gr->out, sizeof(TNode) * gr->nout);
	return t;
}

static void
InitGrower(Grower *gr, const TrainData *d, const TreeOpts *o, pg_prng_state *rng)
{
	int			f;

	memset(gr, 0, sizeof(*gr));
	gr->d = d;
	gr->hoff = palloc(sizeof(int) * d->p);
	for (f = 0; f < d->p; f++)
	{
		gr->hoff[f] = gr->hsize;
		gr->hsize += d->nbins[f] + 1;
	}
	gr->idx = palloc_extended(sizeof(int) * (Size) d->n, MCXT_ALLOC_HUGE);
	gr->gh = palloc_extended(sizeof(GH) * (Size) d->n, MCXT_ALLOC_HUGE);
	gr->tmp = palloc_extended(sizeof(int) * (Size) d->n, MCXT_ALLOC_HUGE);
	gr->tmpgh = palloc_extended(sizeof(GH) * (Size) d->n, MCXT_ALLOC_HUGE);
	gr->featok = palloc(sizeof(bool) * d->p);
	gr->cand = palloc(sizeof(int) * d->p);
	gr->active = palloc(sizeof(int) * d->p);
	for (f = 0; f < d->p; f++)
		gr->featok[f] = true;
	gr->max_depth = o->max_depth;
	gr->max_leaves = o->max_leaves;
	gr->leafwise = o->leafwise;
	gr->l2 = o->l2;
	gr->min_rows = o->min_rows;
	gr->min_child_weight = o->min_child_weight;
	gr->min_gain = o->min_gain;
	gr->cat_smooth = o->cat_smooth;
	gr->cat_min_rows = o->cat_min_rows;
	gr->max_cat_threshold = o->max_cat_threshold;
	gr->leaf_scale = o->learning_rate;
	gr->rng = rng;
	gr->threads = o->threads;
	gr->hist2 = NewHist(gr);
	gr->avx = BpCpuHasAvx();
	gr->maxout = 64;
	gr->out = palloc(sizeof(TNode) * gr->maxout);
	gr->maxleaves = 64;
	gr->leaves = palloc(sizeof(Leaf) * gr->maxleaves);
}

/* ----------------------------------------------------------------
 * boosting and bagging
 * ---------------------------------------------------------------- */

typedef struct Ensemble
{
	int			ntrees;
	TTree	   *trees;
	double		base;
	int			link;
	int64		nnodes;			/* so far */
	double		stats[64];
	int			nstats;
} Ensemble;


/*
 * Stop as soon as the trees grown so far exceed the model's node limit,
 * not after growing all of them.
 */
static void
CheckNodeTotal(const TreeState *s, Ensemble *e)
{
	e->nnodes += e->trees[e->ntrees - 1].n;
	if (e->nnodes > TREE_MAX_NODES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s model would have more than %d nodes",
						LearnerName(s->forest), TREE_MAX_NODES),
				 errhint("Use fewer trees, a smaller max_depth, or a larger min_rows_in_leaf.")));
}

static inline double
Sigmoid(double eta)
{
	double		e = BpExpNonPos(-fabs(eta));	/* one exp, never overflowing */

	return ((eta >= 0) ? 1.0 : e) / (1.0 + e);
}

typedef struct GradCtx
{
	Grower	   *gr;
	const double *y;
	const double *pred;
	bool		logistic;
} GradCtx;

/*
 * Logistic gradients and curvatures of rows idx[from..to), four rows at a
 * time in vectors (vecmath.h): lane by lane the operations of Sigmoid,
 * so each lane's bits are the scalar code's and the CPU does not matter.
 */
static pg_attribute_always_inline void
LogisticGradsBody(const int *idx, const double *pred, const double *y, GH *gh,
				  int from, int to)
{
	const v4df one = {1.0, 1.0, 1.0, 1.0};
	const v4df hmin = {1e-16, 1e-16, 1e-16, 1e-16};
	const v4di absmask = {INT64CONST(0x7fffffffffffffff), INT64CONST(0x7fffffffffffffff),
	INT64CONST(0x7fffffffffffffff), INT64CONST(0x7fffffffffffffff)};
	int			k;

	for (k = from; k + 4 <= to; k += 4)
	{
		v4df		eta = {pred[idx[k]], pred[idx[k + 1]], pred[idx[k + 2]], pred[idx[k + 3]]};
		v4df		yy = {y[idx[k]], y[idx[k + 1]], y[idx[k + 2]], y[idx[k + 3]]};
		v4df		x = -(v4df) ((v4di) eta & absmask),
					e,
					pr,
					h;
		int			j;

		BpExpNonPos4(&x, &e);
		/* Sigmoid, then the gradient pair */
		pr = V4SELECT(eta >= 0.0, one, e) / (one + e);
		h = pr * (one - pr);
		h = V4SELECT(h > hmin, h, hmin);
		pr = pr - yy;
		for (j = 0; j < 4; j++)
		{
			gh[k + j].g = pr[j];
			gh[k + j].h = h[j];
		}
	}
	for (; k < to; k++)
	{
		int			r = idx[k];
		double		pr = Sigmoid(pred[r]);

		gh[k].g = pr - y[r];
		gh[k].h = Max(pr * (1 - pr), 1e-16);
	}
}

static void
LogisticGrads(const int *idx, const double *pred, const double *y, GH *gh,
			  int from, int to)
{
	LogisticGradsBody(idx, pred, y, gh, from, to);
}

#ifdef BP_HAVE_AVX_PATH
__attribute__((target("avx")))
static void
LogisticGradsAvx(const int *idx, const double *pred, const double *y, GH *gh,
				 int from, int to)
{
	LogisticGradsBody(idx, pred, y, gh, from, to);
}
#endif

static void
GradHalf(void *ctx, int half, int from, int to)
{
	GradCtx    *c = ctx;
	Grower	   *gr = c->gr;
	const double *y = c->y;
	const double *pred = c->pred;
	int			k;

	if (c->logistic)
	{
#ifdef BP_HAVE_AVX_PATH
		if (gr->avx)
		{
			LogisticGradsAvx(gr->idx, pred, y, gr->gh, from, to);
			return;
		}
#endif
		LogisticGrads(gr->idx, pred, y, gr->gh, from, to);
		return;
	}
	for (k = from; k < to; k++)
	{
		int			r = gr->idx[k];

		gr->gh[k].g = pred[r] - y[r];
		gr->gh[k].h = 1;
	}
}

/*
 * Gradients of the root's rows idx[0..nroot), in that order (row by row:
 * the same bits in any split).
 */
static void
Gradients(Grower *gr, const double *y, const double *pred, bool logistic, int nroot)
{
	GradCtx		c = {gr, y, pred, logistic};

	RunHalves(gr->threads, 0, nroot, logistic ? 10 : 1, GradHalf, &c);
}

/* log loss of one row from its margin, without overflow */
static inline double
LogLoss(double y, double eta)
{
	/* log(1 + exp(-|eta|)) + max(eta, 0) - y eta */
	return log1p(exp(-fabs(eta))) + Max(eta, 0) - y * eta;
}

static double
Loss(bool logistic, const double *y, const double *pred, const bool *rowset,
	 bool want, int n)
{
	double		sum = 0;
	int64		m = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (rowset && rowset[i] != want)
			continue;
		if (logistic)
			sum += LogLoss(y[i], pred[i]);
		else
			sum += (y[i] - pred[i]) * (y[i] - pred[i]);
		m++;
	}
	if (m == 0)
		return get_float8_nan();
	return logistic ? sum / m : sqrt(sum / m);
}

typedef struct PredCtx
{
	const TrainData *d;
	const TNode *nodes;
	const double *leafval;
	const int  *leafof;
	const bool *valid;
	const bool *inroot;
	double	   *pred;
} PredCtx;

/* train scores of rows [from, to) after a tree: its leaf, or a walk */
static void
PredHalf(void *ctx, int half, int from, int to)
{
	PredCtx    *c = ctx;
	int			i;

	for (i = from; i < to; i++)
	{
		if ((c->valid && c->valid[i]) || (c->inroot && !c->inroot[i]))
			c->pred[i] += WalkBinned(c->d, c->nodes, i);
		else
			c->pred[i] += c->leafval[c->leafof[i]];
	}
}

/*
 * Each root row's leaf, by row: tmp[idx[i]] = k for the positions i in
 * [from, to) of leaf k (the leaves' ranges tile the root's range).
 */
static void
LeafOfHalf(void *ctx, int half, int from, int to)
{
	Grower	   *gr = ctx;
	int			k,
				i;

	for (k = 0; k < gr->nleaves; k++)
	{
		int			lo = Max(from, gr->leaves[k].begin);
		int			hi = Min(to, gr->leaves[k].end);

		for (i = lo; i < hi; i++)
			gr->tmp[gr->idx[i]] = k;
	}
}

static void
Boost(TreeState *s, TrainData *d, Ensemble *e)
{
	const TreeOpts *o = &s->o;
	bool		logistic = s->target_bool;
	int			n = d->n;
	pg_prng_state rng;
	Grower		gr;
	double	   *pred;
	double	   *leafval;
	PredCtx		pc;
	bool	   *valid = NULL;
	bool	   *inroot = NULL;
	int			ntrain = 0,
				nvalid = 0,
				npos = 0;
	double		ysum = 0;
	double		best_loss = get_float8_infinity(),
				vloss = get_float8_nan();
	int			best_iter = -1;
	int			i,
				t;

	pg_prng_seed(&rng, (uint64) o->seed);
	InitGrower(&gr, d, o, &rng);
	if (o->valid_frac > 0)
	{
		valid = palloc_extended(sizeof(bool) * n, MCXT_ALLOC_HUGE);
		for (i = 0; i < n; i++)
		{
			valid[i] = pg_prng_double(&rng) < o->valid_frac;
			nvalid += valid[i];
		}
	}
	for (i = 0; i < n; i++)
		if (!valid || !valid[i])
		{
			ntrain++;
			ysum += d->y[i];
			npos += (d->y[i] == 1.0);
		}
	if (ntrain == 0 || (valid && nvalid == 0))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("gbdt has too few rows for validation_fraction %g", o->valid_frac)));
	if (logistic && (npos == 0 || npos == ntrain))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("gbdt target has only one class in the training rows"),
				 errhint("A boolean target needs both true and false rows.")));
	e->link = logistic ? TREE_LINK_LOGISTIC : TREE_LINK_IDENTITY;
	e->base = logistic ? log((ysum / ntrain) / (1 - ysum / ntrain)) : ysum / ntrain;
	pred = palloc_extended(sizeof(double) * n, MCXT_ALLOC_HUGE);
	for (i = 0; i < n; i++)
		pred[i] = e->base;
	if (o->subsample < 1)
		inroot = palloc_extended(sizeof(bool) * n, MCXT_ALLOC_HUGE);
	e->trees = palloc(sizeof(TTree) * o->trees);
	e->ntrees = 0;

	for (t = 0; t < o->trees; t++)
	{
		int			nroot = 0;
		int			k;

		for (i = 0; i < n; i++)
		{
			bool		in = !(valid && valid[i]);

			if (in && inroot)
				in = pg_prng_double(&rng) < o->subsample;
			if (inroot)
				inroot[i] = in;
			if (in)
				gr.idx[nroot++] = i;
		}
		Gradients(&gr, d->y, pred, logistic, nroot);
		if (o->colsample < 1)
		{
			int			kf = Max(1, (int) rint(o->colsample * d->p));
			int		   *order = gr.cand;

			for (k = 0; k < d->p; k++)
			{
				order[k] = k;
				gr.featok[k] = false;
			}
			for (k = 0; k < kf; k++)
			{
				int			r = k + (int) pg_prng_uint64_range(&rng, 0, d->p - 1 - k);
				int			tmp = order[k];

				order[k] = order[r];
				order[r] = tmp;
				gr.featok[order[k]] = true;
			}
		}
		GrowTree(&gr, nroot);
		e->trees[e->ntrees++] = SaveTree(&gr);
		CheckNodeTotal(s, e);

		/*
		 * Rows in the tree's leaves: note each row's leaf (tmp is free
		 * now), then add in row order, which reads pred sequentially;
		 * the others by walking the tree.
		 */
		leafval = palloc(sizeof(double) * gr.nleaves);
		for (k = 0; k < gr.nleaves; k++)
			leafval[k] = gr.out[gr.leaves[k].out].value;
		RunHalves(gr.threads, 0, nroot, 2, LeafOfHalf, &gr);
		pc.d = d;
		pc.nodes = e->trees[t].nodes;
		pc.leafval = leafval;
		pc.leafof = gr.tmp;
		pc.valid = valid;
		pc.inroot = inroot;
		pc.pred = pred;
		RunHalves(gr.threads, 0, n, (valid || inroot) ? 4 : 2, PredHalf, &pc);
		pfree(leafval);

		if (valid)
		{
			vloss = Loss(logistic, d->y, pred, valid, true, n);
			if (vloss < best_loss)
			{
				best_loss = vloss;
				best_iter = t;
			}
			else if (o->es_rounds > 0 && t - best_iter >= o->es_rounds)
				break;
		}
		CHECK_FOR_INTERRUPTS();
	}

	/* early stopping keeps the trees up to the best iteration */
	if (o->es_rounds > 0 && best_iter + 1 < e->ntrees)
	{
		for (t = best_iter + 1; t < e->ntrees; t++)
			for (i = 0; i < n; i++)
				pred[i] -= WalkBinned(d, e->trees[t].nodes, i);
		e->ntrees = best_iter + 1;
		vloss = best_loss;
	}

	BpAddStat(e->stats, &e->nstats, MSTAT_L2, o->l2);
	BpAddStat(e->stats, &e->nstats, MSTAT_TREES, e->ntrees);
	BpAddStat(e->stats, &e->nstats, MSTAT_LEARNING_RATE, o->learning_rate);
	BpAddStat(e->stats, &e->nstats, MSTAT_MAX_DEPTH, o->max_depth);
	BpAddStat(e->stats, &e->nstats, MSTAT_MAX_LEAVES, o->max_leaves);
	if (o->es_rounds > 0)
		BpAddStat(e->stats, &e->nstats, MSTAT_BEST_ITERATION, best_iter + 1);
	BpAddStat(e->stats, &e->nstats, MSTAT_TRAIN_LOSS,
			  Loss(logistic, d->y, pred, valid, false, n));
	if (valid)
	{
		BpAddStat(e->stats, &e->nstats, MSTAT_VALID_LOSS, vloss);
		BpAddStat(e->stats, &e->nstats, MSTAT_VALID_ROWS, nvalid);
	}
	BpAddStat(e->stats, &e->nstats, MSTAT_SEED, o->seed);
}

static void
Bag(TreeState *s, TrainData *d, Ensemble *e)
{
	const TreeOpts *o = &s->o;
	bool		classify = s->target_bool;
	int			n = d->n;
	pg_prng_state rng;
	Grower		gr;
	int		   *count;
	double	   *oobsum;
	int		   *oobn;
	double		err = 0;
	int64		noob = 0;
	int			i,
				t,
				f,
				usable = 0;

	pg_prng_seed(&rng, (uint64) o->seed);
	InitGrower(&gr, d, o, &rng);
	for (f = 0; f < d->p; f++)
		usable += (d->nbins[f] >= 2);
	if (o->max_features > 0)
		gr.mtry = Max(1, (int) rint(o->max_features * usable));
	else
		gr.mtry = classify ? Max(1, (int) floor(sqrt((double) usable))) : Max(1, usable / 3);
	if (classify)
	{
		int			npos = 0;

		for (i = 0; i < n; i++)
			npos += (d->y[i] == 1.0);
		if (npos == 0 || npos == n)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("forest target has only one class"),
					 errhint("A boolean target needs both true and false rows.")));
	}
	count = palloc_extended(sizeof(int) * n, MCXT_ALLOC_HUGE);
	oobsum = palloc_extended(sizeof(double) * n, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	oobn = palloc_extended(sizeof(int) * n, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	e->base = 0;
	e->link = TREE_LINK_IDENTITY;
	e->trees = palloc(sizeof(TTree) * o->trees);
	e->ntrees = 0;

	for (t = 0; t < o->trees; t++)
	{
		int			nroot = 0;

		memset(count, 0, sizeof(int) * n);
		for (i = 0; i < n; i++)
			count[pg_prng_uint64_range(&rng, 0, n - 1)]++;
		for (i = 0; i < n; i++)
		{
			if (count[i] > 0)
			{
				gr.gh[nroot].g = -d->y[i] * count[i];
				gr.gh[nroot].h = count[i];
				gr.idx[nroot++] = i;
			}
		}
		GrowTree(&gr, nroot);
		e->trees[e->ntrees++] = SaveTree(&gr);
		CheckNodeTotal(s, e);
		for (i = 0; i < n; i++)
			if (count[i] == 0)
			{
				oobsum[i] += WalkBinned(d, e->trees[t].nodes, i);
				oobn[i]++;
			}
		CHECK_FOR_INTERRUPTS();
	}
	for (i = 0; i < n; i++)
	{
		double		pr;

		if (oobn[i] == 0)
			continue;
		pr = oobsum[i] / oobn[i];
		if (classify)
			err += ((pr >= 0.5) != (d->y[i] == 1.0));
		else
			err += (pr - d->y[i]) * (pr - d->y[i]);
		noob++;
	}
	BpAddStat(e->stats, &e->nstats, MSTAT_TREES, e->ntrees);
	BpAddStat(e->stats, &e->nstats, MSTAT_MAX_DEPTH, o->max_depth);
	BpAddStat(e->stats, &e->nstats, MSTAT_MAX_LEAVES, o->max_leaves);
	BpAddStat(e->stats, &e->nstats, MSTAT_OOB_ERROR,
			  noob == 0 ? get_float8_nan() : classify ? err / noob : sqrt(err / noob));
	BpAddStat(e->stats, &e->nstats, MSTAT_OOB_ROWS, noob);
	BpAddStat(e->stats, &e->nstats, MSTAT_SEED, o->seed);
}

/*
 * Assemble the model.
 */
static Model *
BuildTreeModel(TreeState *s, TrainData *d, Ensemble *e)
{
	ModelBuilder b;
	double		stats[2 * 8 + 64];
	int			nstats = 0;
	double		hdr[2];
	double	   *sizes = palloc(sizeof(double) * e->ntrees);
	double	   *imp = palloc0(sizeof(double) * 3 * d->p);
	int64		nnodes = 0;
	double	   *values;
	uint8	   *nodes;
	int			q = d->p - d->pnum;
	uint8	   *catsets = NULL;
	int			nsets = 0;
	int			t,
				k,
				at = 0;

	for (t = 0; t < e->ntrees; t++)
		nnodes += e->trees[t].n;
	if (nnodes > TREE_MAX_NODES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s model would have %lld nodes, more than the limit of %d",
						LearnerName(s->forest), (long long) nnodes, TREE_MAX_NODES),
				 errhint("Use fewer trees or a smaller max_depth.")));
	values = palloc_extended(sizeof(double) * nnodes, MCXT_ALLOC_HUGE);
	nodes = palloc_extended(TREE_NODE_BYTES * nnodes, MCXT_ALLOC_HUGE);
	if (q > 0)
	{
		for (t = 0; t < e->ntrees; t++)
			for (k = 0; k < e->trees[t].n; k++)
				nsets += e->trees[t].nodes[k].left != 0 && e->trees[t].nodes[k].cat;
		catsets = palloc0((Size) TREE_CATSET_BYTES * Max(nsets, 1));
		nsets = 0;
	}
	for (t = 0; t < e->ntrees; t++)
	{
		sizes[t] = e->trees[t].n;
		for (k = 0; k < e->trees[t].n; k++, at++)
		{
			TNode	   *nd = &e->trees[t].nodes[k];

			values[at] = nd->value;
			if (nd->left && nd->cat)
			{
				int			j;

				/* the set's bits as 32 bytes, little-endian words */
				for (j = 0; j < TREE_CATSET_BYTES; j++)
					catsets[(Size) nsets * TREE_CATSET_BYTES + j] =
						(uint8) (nd->cset[j / 8] >> (8 * (j % 8)));
				values[at] = nsets++;
			}
			TreeNodeSet(nodes, at, nd->left, nd->left ? nd->feature : 0, nd->left ? nd->flags : 0);
			if (nd->left)
			{
				imp[3 * nd->feature] += nd->gain;
				imp[3 * nd->feature + 1] += 1;
				imp[3 * nd->feature + 2] += nd->cover;
			}
		}
	}
	hdr[0] = e->base;
	hdr[1] = e->link;
	BpAddStat(stats, &nstats, MSTAT_N, (double) s->nrows);
	BpAddStat(stats, &nstats, MSTAT_N_SKIPPED, (double) s->nskipped);
	memcpy(stats + nstats, e->stats, sizeof(double) * e->nstats);
	nstats += e->nstats;

	ModelBuilderInit(&b, s->forest ? MODEL_FOREST : MODEL_GBDT, 0, d->p);
	ModelAddDoubles(&b, MTAG_STATS, stats, nstats);
	if (s->o.nnames > 0)
		ModelAddBytes(&b, MTAG_NAMES, s->o.names, s->o.names_len);
	ModelAddDoubles(&b, MTAG_TREE_HEADER, hdr, 2);
	ModelAddDoubles(&b, MTAG_TREE_SIZES, sizes, e->ntrees);
	ModelAddDoubles(&b, MTAG_TREE_VALUES, values, (int) nnodes);
	ModelAddBytes(&b, MTAG_TREE_NODES, nodes, (int) nnodes * TREE_NODE_BYTES);
	ModelAddDoubles(&b, MTAG_TREE_IMPORTANCE, imp, 3 * d->p);
	if (q > 0)
	{
		double	   *cats = palloc(sizeof(double) * (1 + 2 * q));
		StringInfoData lev;
		int			j;

		initStringInfo(&lev);
		cats[0] = d->pnum;
		for (j = 0; j < q; j++)
		{
			cats[1 + 2 * j] = d->nlev[j];
			cats[2 + 2 * j] = d->other[j] ? 1 : 0;
			for (k = 0; k < d->nlev[j]; k++)
				appendBinaryStringInfo(&lev, d->levnames[j][k], strlen(d->levnames[j][k]) + 1);
		}
		ModelAddDoubles(&b, MTAG_TREE_CATS, cats, 1 + 2 * q);
		ModelAddBytes(&b, MTAG_TREE_LEVELS, lev.data, lev.len);
		ModelAddBytes(&b, MTAG_TREE_CATSETS, catsets, nsets * TREE_CATSET_BYTES);
	}
	return ModelFinish(&b, ERRCODE_INTERNAL_ERROR);
}

static Datum
TreesFinal(FunctionCallInfo fcinfo, bool forest)
{
	TreeState  *s = PG_ARGISNULL(0) ? NULL : (TreeState *) PG_GETARG_POINTER(0);
	MemoryContext cxt,
				old;
	TrainData	d;
	Ensemble	e;
	Model	   *m,
			   *result;

	bool		use_up;

	TreesAggContext(fcinfo, forest);
	if (s == NULL || s->nrows == 0)
		PG_RETURN_NULL();
	if (s->freed)
	{
		/* finalized before, its rows freed: the same model again */
		result = palloc(VARSIZE(s->model));
		memcpy(result, s->model, VARSIZE(s->model));
		PG_RETURN_POINTER(result);
	}

	/*
	 * Once binned, the raw rows are not needed: free them before training
	 * allocates its arrays, unless the state must stay whole.  It need not
	 * when this plain aggregate's state is not shared with another
	 * aggregate (AggStateIsShared is also true in a window, where more rows
	 * may come after this call).  A hashed aggregate that is rescanned
	 * finalizes the state again: it gets the model kept for that.
	 */
	use_up = AggCheckCallContext(fcinfo, NULL) == AGG_CONTEXT_AGGREGATE &&
		!AggStateIsShared(fcinfo);

	/* all training scratch lives in one context, freed at the end */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "buypower trees",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	memset(&e, 0, sizeof(e));
	PrepareData(s, &d);
	if (use_up && s->rowcxt != NULL)
	{
		MemoryContextDelete(s->rowcxt);
		s->rowcxt = NULL;
		s->nblocks = 0;
		s->freed = true;
	}
	if (forest)
		Bag(s, &d, &e);
	else
		Boost(s, &d, &e);
	m = BuildTreeModel(s, &d, &e);
	MemoryContextSwitchTo(old);
	result = palloc(VARSIZE(m));
	memcpy(result, m, VARSIZE(m));
	if (s->freed)
	{
		s->model = MemoryContextAlloc(GetMemoryChunkContext(s), VARSIZE(m));
		memcpy(s->model, m, VARSIZE(m));
	}
	MemoryContextDelete(cxt);
	PG_RETURN_POINTER(result);
}

/* ----------------------------------------------------------------
 * SQL entry points
 * ---------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(gbdt_accum);
Datum
gbdt_accum(PG_FUNCTION_ARGS)
{
	return TreesAccum(fcinfo, false);
}

PG_FUNCTION_INFO_V1(gbdt_accum_values);
Datum
gbdt_accum_values(PG_FUNCTION_ARGS)
{
	return TreesAccumValues(fcinfo, false);
}

PG_FUNCTION_INFO_V1(gbdt_combine);
Datum
gbdt_combine(PG_FUNCTION_ARGS)
{
	return TreesCombine(fcinfo, false);
}

PG_FUNCTION_INFO_V1(gbdt_serialize);
Datum
gbdt_serialize(PG_FUNCTION_ARGS)
{
	return TreesSerialize(fcinfo, false);
}

PG_FUNCTION_INFO_V1(gbdt_deserialize);
Datum
gbdt_deserialize(PG_FUNCTION_ARGS)
{
	return TreesDeserialize(fcinfo, false);
}

PG_FUNCTION_INFO_V1(gbdt_final);
Datum
gbdt_final(PG_FUNCTION_ARGS)
{
	return TreesFinal(fcinfo, false);
}

PG_FUNCTION_INFO_V1(forest_accum);
Datum
forest_accum(PG_FUNCTION_ARGS)
{
	return TreesAccum(fcinfo, true);
}

PG_FUNCTION_INFO_V1(forest_accum_values);
Datum
forest_accum_values(PG_FUNCTION_ARGS)
{
	return TreesAccumValues(fcinfo, true);
}

PG_FUNCTION_INFO_V1(forest_combine);
Datum
forest_combine(PG_FUNCTION_ARGS)
{
	return TreesCombine(fcinfo, true);
}

PG_FUNCTION_INFO_V1(forest_serialize);
Datum
forest_serialize(PG_FUNCTION_ARGS)
{
	return TreesSerialize(fcinfo, true);
}

PG_FUNCTION_INFO_V1(forest_deserialize);
Datum
forest_deserialize(PG_FUNCTION_ARGS)
{
	return TreesDeserialize(fcinfo, true);
}

PG_FUNCTION_INFO_V1(forest_final);
Datum
forest_final(PG_FUNCTION_ARGS)
{
	return TreesFinal(fcinfo, true);
}

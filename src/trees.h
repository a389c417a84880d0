/*-------------------------------------------------------------------------
 *
 * trees.h
 *	  Tree ensembles (gbdt, forest) in a buypower.model: layout, checks,
 *	  scoring.
 *
 * A tree model has these sections (tags in model.h):
 *
 *	MTAG_TREE_HEADER	 doubles[2]: base score, link (TREE_LINK_*)
 *	MTAG_TREE_SIZES		 doubles[ntrees]: number of nodes of each tree
 *	MTAG_TREE_VALUES	 doubles[nnodes]: split threshold, or leaf value
 *	MTAG_TREE_NODES		 bytes[8 nnodes]: per node, little-endian
 *						   int32 left child (0 = leaf), uint16 feature,
 *						   uint8 flags, uint8 zero
 *	MTAG_TREE_IMPORTANCE doubles[3 nfeatures]: gain, splits, cover (optional)
 *
 * The nodes of tree t follow those of tree t - 1; node indexes are relative
 * to the tree's first node, which is its root.  A split node's children are
 * "left" and "left + 1", and left > the node's own index, so every walk
 * moves forward and ends within the tree's size: no cycle can be written
 * down.  A row goes left when its value is <= the threshold, or when it is
 * missing (NULL) and the node's TREE_DEFAULT_LEFT flag is set.
 *
 * The score is base + sum of the leaves reached (gbdt) or base + their mean
 * (forest), then passed through the link.  16 bytes per node: a 500-tree
 * model of depth 6 (127 nodes each) is 1.02 MB = 0.97 MiB.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BUYPOWER_TREES_H
#define BUYPOWER_TREES_H

#include "postgres.h"

#include "utils/array.h"

#include "model.h"

#define TREE_LINK_IDENTITY		0
#define TREE_LINK_LOGISTIC		1

#define TREE_DEFAULT_LEFT		0x01
#define TREE_CATEGORICAL		0x02	/* value = index of a level set */
#define TREE_KNOWN_FLAGS		(TREE_DEFAULT_LEFT | TREE_CATEGORICAL)

#define TREE_MAX_LEVELS			254 /* named levels per categorical slot */
#define TREE_CATSET_BYTES		32	/* 256 bits: levels, other, NULL */

#define TREE_NODE_BYTES			8
#define TREE_MAX_NODES			(16 * 1024 * 1024)	/* per model */

/*
 * The scoring layout TreeViewInit builds from the stored nodes (which stay
 * as they are): 8 bytes per node, in the stored order, beside the stored
 * values (threshold, level set index or leaf value).  "next" is the
 * absolute index of the left child, so no little-endian field is assembled
 * while walking.  A leaf points at itself and tests feature nfeatures, a
 * slot TreesScore sets to -Infinity after the row's values: -Inf <= leaf
 * value, so a step from a leaf stays on it.  A tree of depth d is then
 * walked in exactly d steps, and TREE_LANES trees are walked side by side in
 * one loop without a data-dependent branch, so that their load-compare
 * chains overlap.  (8 or 12 lanes measured alike, 4 slower; an array of
 * 16-byte nodes holding the value too measured the same as this.)
 */
typedef struct TreeScoreNode
{
	uint32		next;			/* left child (absolute); own index: leaf */
	uint16		feature;
	uint8		flags;
	uint8		pad;
} TreeScoreNode;

#define TREE_LANES				8	/* trees walked side by side */

/*
 * A smaller layout still, for rows without missing values on models
 * without categorical splits, with at most 255 features and at most 254
 * distinct thresholds per feature (every histogram-trained model: 255
 * bins): 4 bytes per node, so that a 100-tree depth-6 model's nodes fit in
 * a 32 kB L1 cache.  The row is binned once (per feature, the number of the
 * model's thresholds for that feature below the value), and a node sends
 * the row left when that bin <= the index of its own threshold: the same
 * decision as value <= threshold, exactly.  A leaf has delta 0, bin 255
 * and tests slot nfeatures, whose bin is 0.
 */
typedef struct TreeBinNode
{
	uint16		delta;			/* left child - this node; 0: leaf */
	uint8		feature;
	uint8		bin;			/* index of the threshold in thr */
} TreeBinNode;

#define TREE_BIN_MAX_FEATURES	255
#define TREE_BIN_MAX_THRESHOLDS	254

/* Pointers into a checked tree model, for scoring */
typedef struct TreeView
{
	int			ntrees;
	int			nnodes;
	int			link;
	double		base;
	double		scale;			/* 1 (gbdt) or 1 / ntrees (forest) */
	const double *sizes;
	const double *values;
	const uint8 *nodes;
	int		   *starts;			/* first node of each tree, then the last
								 * tree's again up to a whole group of
								 * TREE_LANES; palloc'd */
	int			nfeatures;
	TreeScoreNode *snodes;		/* scoring layout, nnodes; palloc'd */
	double	   *xrow;			/* scratch: a row, then -Inf; palloc'd */
	TreeBinNode *bnodes;		/* binned layout, or NULL; palloc'd */
	double	   *thr;			/* per feature, sorted distinct thresholds,
								 * then +Inf: thr[f * thrstride ...] */
	int			thrstride;		/* a power of 2 > every feature's count */
	uint8	   *xbin;			/* scratch: a binned row, then 0 */
	int		   *depths;			/* steps per group of TREE_LANES trees;
								 * palloc'd */
	/* categorical slots (MTAG_TREE_CATS); q = 0 for a numeric model */
	int			pnum;			/* numeric features; slots follow them */
	int			q;
	const uint8 *catsets;		/* 32 bytes per categorical split */
	struct Vocab **levels;		/* per slot: level name -> level; palloc'd */
	int		   *nbins;			/* per slot: levels + other; NULL's code */
	bool	   *other;			/* per slot: has an "other" level */
	const char **cvals;			/* scratch for one row's values */
	int		   *clens;
} TreeView;

static inline int32
TreeNodeLeft(const uint8 *nodes, int i)
{
	const uint8 *p = nodes + (Size) i * TREE_NODE_BYTES;

	return (int32) ((uint32) p[0] | ((uint32) p[1] << 8) |
					((uint32) p[2] << 16) | ((uint32) p[3] << 24));
}

static inline int
TreeNodeFeature(const uint8 *nodes, int i)
{
	const uint8 *p = nodes + (Size) i * TREE_NODE_BYTES;

	return (int) p[4] | ((int) p[5] << 8);
}

static inline int
TreeNodeFlags(const uint8 *nodes, int i)
{
	return nodes[(Size) i * TREE_NODE_BYTES + 6];
}

static inline void
TreeNodeSet(uint8 *nodes, int i, int32 left, int feature, int flags)
{
	uint8	   *p = nodes + (Size) i * TREE_NODE_BYTES;

	p[0] = (uint8) (left & 0xFF);
	p[1] = (uint8) ((left >> 8) & 0xFF);
	p[2] = (uint8) ((left >> 16) & 0xFF);
	p[3] = (uint8) ((left >> 24) & 0xFF);
	p[4] = (uint8) (feature & 0xFF);
	p[5] = (uint8) ((feature >> 8) & 0xFF);
	p[6] = (uint8) flags;
	p[7] = 0;
}

extern void TreesCheck(const Model *m, int ecode);
extern void TreeViewInit(TreeView *tv, const Model *m, MemoryContext cxt);
extern double TreesScore(const TreeView *tv, const double *x);
extern const double *TreesScoringFeatures(const Model *m, int expect, ArrayType *a,
										  double *buf);
extern void TreesScoringCategories(const TreeView *tv, ArrayType *cats, double *buf);
extern char *TreesToJson(const Model *m);
extern Model *TreesFromJson(void *jsonb_root, const char *input);

#endif							/* BUYPOWER_TREES_H */

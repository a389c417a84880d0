/*-------------------------------------------------------------------------
 *
 * model.h
 *	  The buypower.model type: a versioned, self-describing varlena.
 *
 * Layout (all integers in host order, the varlena is MAXALIGNed):
 *
 *	Model header (16 bytes)
 *	nsections x { ModelSection header (8 bytes), payload padded to 8 bytes }
 *
 * Sections are typed (doubles or bytes) and tagged, so a later release can
 * add sections (preprocessing, trees) without changing what earlier sections
 * mean.  Every reader goes through ModelFromDatum, which checks the header
 * and walks the section table before anything is trusted.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BUYPOWER_MODEL_H
#define BUYPOWER_MODEL_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"

#define MODEL_FORMAT_VERSION	1

/*
 * Kinds, section tags and statistic ids are stored in models and never
 * renumbered.  Numbers reserved for work in progress, so that branches do not
 * collide:
 *	kinds  3 gbdt, 4 forest
 *	tags   6-19 preprocessing and categorical vocabularies, 20-29 trees,
 *		   30-34 training score distribution (percentiles, tiers)
 *	stats  30-49 preprocessing, 50-69 tree ensembles, 70-79 score distribution
 */
typedef enum ModelKind
{
	MODEL_LINREG = 1,			/* least squares / ridge */
	MODEL_LOGREG = 2,			/* logistic regression */
	MODEL_GBDT = 3,				/* gradient-boosted trees (trees.h) */
	MODEL_FOREST = 4			/* random forest (trees.h) */
} ModelKind;

#define MODEL_KIND_MAX			4
#define MODEL_KIND_IS_TREES(k)	((k) == MODEL_GBDT || (k) == MODEL_FOREST)

/* flags */
#define MODEL_HAS_INTERCEPT		0x0001
#define MODEL_CONVERGED			0x0002
#define MODEL_KNOWN_FLAGS		(MODEL_HAS_INTERCEPT | MODEL_CONVERGED)

/* section payload types */
#define MODEL_ELEM_DOUBLE		1
#define MODEL_ELEM_BYTES		2

/* section tags */
typedef enum ModelTag
{
	MTAG_COEF = 1,				/* doubles[nfeatures + 1]: intercept, slopes */
	MTAG_STDERR = 2,			/* doubles[nfeatures + 1], NaN = not available */
	MTAG_ALIASED = 3,			/* bytes[nfeatures + 1], 1 = not estimable */
	MTAG_STATS = 4,				/* doubles[2k]: (ModelStat id, value) pairs */
	MTAG_NAMES = 5,				/* bytes: nfeatures NUL-terminated names */
	MTAG_PREP = 6,				/* doubles: preprocessing (prep.h) */
	MTAG_VOCAB = 7,				/* bytes: categorical levels (prep.h) */
	/* tree ensembles (trees.h has the layouts) */
	MTAG_TREE_HEADER = 20,		/* doubles[2]: base score, link */
	MTAG_TREE_SIZES = 21,		/* doubles[ntrees]: nodes per tree */
	MTAG_TREE_VALUES = 22,		/* doubles[nnodes]: threshold or leaf value */
	MTAG_TREE_NODES = 23,		/* bytes[8 nnodes]: child, feature, flags */
	MTAG_TREE_IMPORTANCE = 24,	/* doubles[3 nfeatures]: gain, splits, cover */
	MTAG_TREE_CATS = 25,		/* doubles[1 + 2q]: categorical slots (trees.h) */
	MTAG_TREE_LEVELS = 26,		/* bytes: level names, NUL-terminated */
	MTAG_TREE_CATSETS = 27,		/* bytes[32 nsets]: levels going left */
	MTAG_SCORE_QUANTILES = 30	/* doubles: training score quantiles (percentile.c) */
} ModelTag;

#define MTAG_MAX				30

/* most points a score-distribution section may hold */
#define MODEL_MAX_QUANTILES		100001

typedef struct Model
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint8		version;		/* MODEL_FORMAT_VERSION at write time */
	uint8		kind;			/* ModelKind */
	uint16		flags;			/* MODEL_* flags; unknown bits are rejected */
	int32		nfeatures;
	int32		nsections;
	/* sections follow, 8-aligned */
} Model;

typedef struct ModelSection
{
	uint16		tag;			/* ModelTag */
	uint16		elemtype;		/* MODEL_ELEM_* */
	int32		count;			/* number of doubles, or of bytes */
	/* payload follows, padded to a multiple of 8 bytes */
} ModelSection;

/* Training statistics kept in the MTAG_STATS section */
typedef enum ModelStat
{
	MSTAT_N = 1,				/* rows used; ids never change (above) */
	MSTAT_N_SKIPPED,			/* rows skipped (NULL target or features) */
	MSTAT_RANK,					/* number of estimable coefficients */
	MSTAT_DF_RESIDUAL,
	MSTAT_R2,
	MSTAT_ADJ_R2,
	MSTAT_SIGMA,				/* residual standard error */
	MSTAT_RSS,
	MSTAT_TSS,
	MSTAT_F,
	MSTAT_F_PVALUE,
	MSTAT_COND,					/* 2-norm condition number of the design */
	MSTAT_L2,
	MSTAT_LOGLIK,
	MSTAT_NULL_DEVIANCE,
	MSTAT_DEVIANCE,
	MSTAT_AIC,
	MSTAT_BIC,
	MSTAT_ITERATIONS,
	MSTAT_POS_WEIGHT,			/* class weight of positive rows */
	MSTAT_NEG_WEIGHT,			/* class weight of negative rows */
	MSTAT_TOL,
	MSTAT_N_IMPUTED = 30,		/* training values imputed (prep.c) */
	MSTAT_N_CLIPPED = 31,		/* training values clipped */
	/* tree ensembles: 50-69 */
	MSTAT_TREES = 50,			/* trees in the model */
	MSTAT_LEARNING_RATE = 51,
	MSTAT_MAX_DEPTH = 52,
	MSTAT_MAX_LEAVES = 53,
	MSTAT_BEST_ITERATION = 54,	/* trees kept by early stopping */
	MSTAT_TRAIN_LOSS = 55,		/* RMSE or log loss on the training rows */
	MSTAT_VALID_LOSS = 56,		/* the same on the validation rows */
	MSTAT_VALID_ROWS = 57,
	MSTAT_OOB_ERROR = 58,		/* forest: out-of-bag RMSE or error rate */
	MSTAT_OOB_ROWS = 59,		/* rows out of bag for at least one tree */
	MSTAT_SEED = 60,
	MSTAT_SCORE_N = 70,			/* training scores behind MTAG_SCORE_QUANTILES */
	MSTAT_SCORE_MEAN = 71,		/* their mean */
	MSTAT_SCORE_LAST = 79		/* end of the score-distribution range */
} ModelStat;

#define MSTAT_MAX				MSTAT_SCORE_MEAN

#define MODEL_HEADER_SIZE		MAXALIGN(sizeof(Model))
#define MODEL_PAD8(n)			TYPEALIGN(8, (n))

#define DatumGetModelP(d)		ModelFromDatum(d)
#define PG_GETARG_MODEL_P(n)	DatumGetModelP(PG_GETARG_DATUM(n))
#define PG_RETURN_MODEL_P(m)	PG_RETURN_POINTER(m)

/* Build a model section by section */
typedef struct ModelBuilder
{
	StringInfoData buf;
	int			nsections;
} ModelBuilder;

extern void ModelBuilderInit(ModelBuilder *b, ModelKind kind, uint16 flags,
							 int nfeatures);
extern void ModelAddDoubles(ModelBuilder *b, ModelTag tag, const double *v, int n);
extern void ModelAddBytes(ModelBuilder *b, ModelTag tag, const void *v, int n);
extern Model *ModelFinish(ModelBuilder *b, int ecode);

/*
 * Identity of a model argument, for the per-call-site caches of scoring
 * functions (predict, percentile): a stored model is recognised by its
 * TOAST pointer (TOASTed values never change in place), an inline one by
 * its bytes.  An indirect or expanded datum has no stable identity.
 */
typedef struct ModelKey
{
	bool		valid;			/* set by the caller once its cache is filled */
	bool		stable;			/* the datum can be recognised again */
	bool		external;		/* a TOAST pointer, else raw bytes */
	Oid			toastrelid;
	Oid			valueid;
	Size		rawsize;
	char	   *raw;			/* the datum's bytes, when inline */
} ModelKey;

extern bool ModelKeyMatches(const ModelKey *k, struct varlena *v);
extern Model *ModelKeyLoad(ModelKey *k, struct varlena *v);

extern Model *ModelFromDatum(Datum d);
extern void ModelCheck(const Model *m, bool full, int ecode);

extern const ModelSection *ModelFindSection(const Model *m, ModelTag tag);
extern const double *ModelGetDoubles(const Model *m, ModelTag tag, int *count);
extern const char *ModelGetBytes(const Model *m, ModelTag tag, int *count);
extern double ModelGetStat(const Model *m, ModelStat id);

extern const char *ModelKindName(int kind);
extern int	ModelKindFromName(const char *name);
extern const char *ModelStatName(int id);
extern int	ModelStatFromName(const char *name);
extern const char *ModelFeatureName(const Model *m, int j);
extern void ModelJsonDouble(StringInfo out, double v);
extern void ModelNamesJson(StringInfo out, const Model *m);
struct JsonbContainer;
extern void ModelReadStats(const char *input, struct JsonbContainer *c,
						   double **stats, int *nstats);

#endif							/* BUYPOWER_MODEL_H */

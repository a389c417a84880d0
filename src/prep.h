/*-------------------------------------------------------------------------
 *
 * prep.h
 *	  The preprocessing layer shared by every learner: imputation of NULL
 *	  numeric features (with optional missing indicators), clipping,
 *	  scaling, and categorical features (vocabulary + encoding).
 *
 * Training.  A learner that plugs into the aggstate.c drivers gets all of
 * it for free: the drivers hand each row to PrepAccum, which either
 * passes it straight to the learner (no NULLs, and nothing needs the
 * data's statistics first) or buffers it; PrepFinish learns the
 * parameters (a Prep), replays the buffered rows through PrepApplyRow
 * into the learner and leaves the learner to fit.  The learner only ever
 * sees finished design rows of width s->nfeatures (= Prep.ndesign), and
 * calls BpAddNames (names + preprocessing sections) and PrepAddStats
 * when it builds its model.
 *
 * Scoring.  PrepFromModel decodes a model's sections (NULL for a model
 * without preprocessing, such as every 0.1.0 model); PrepScoreRow turns
 * a numeric float8[] (NULLs allowed) and a categorical text[] into a
 * design row with the same PrepApplyRow, so scoring a training row
 * reproduces what the learner saw bit for bit.
 *
 * A learner that wants categories as level numbers instead of one-hot
 * columns (trees) sets LearnerOps.ordinal_categories: each categorical
 * slot then gives one design column holding the level index (0-based,
 * levels ranked by training frequency; -1 for a value with no level).
 *
 *-------------------------------------------------------------------------
 */
#ifndef BUYPOWER_PREP_H
#define BUYPOWER_PREP_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "buypower.h"
#include "model.h"
#include "rowstore.h"
#include "vocab.h"

/* imputation methods (stored in models: never renumber) */
#define PREP_IMPUTE_MEAN	1
#define PREP_IMPUTE_MEDIAN	2
#define PREP_IMPUTE_ZERO	3
#define PREP_IMPUTE_ERROR	4

/* scaling methods (stored) */
#define PREP_SCALE_DEFAULT	0		/* options only: standard if l2 > 0 */
#define PREP_SCALE_NONE		1
#define PREP_SCALE_STANDARD 2
#define PREP_SCALE_ROBUST	3

/* clipping methods (stored) */
#define PREP_CLIP_NONE		0
#define PREP_CLIP_IQR		1
#define PREP_CLIP_ZSCORE	2

/* Prep header flags (stored) */
#define PREP_FLAG_ORDINAL		0x01	/* categories as level numbers */
#define PREP_FLAG_INDICATORS	0x02	/* missing indicators were asked for */

#define PREP_DEFAULT_MAX_CATEGORIES 100
#define PREP_MAX_CATEGORICAL	100	/* categorical slots per row */

typedef struct PrepOptions
{
	uint8		impute;			/* default method for every feature */
	bool		missing_indicators;
	uint8		scale;			/* PREP_SCALE_*, DEFAULT until resolved */
	uint8		clip;
	double		clip_k;			/* 0 = the method's default */
	int32		max_categories;
	int32		nimpute;		/* per-feature methods given, else 0 */
	uint8		impute_per[BP_MAX_FEATURES];
} PrepOptions;

/*
 * Stored model sections (tags 6 and 7).  MTAG_PREP holds doubles: a
 * PrepHeader, nnum PrepFeature records, ncat PrepSlot records.  MTAG_VOCAB
 * holds bytes: the explicit levels of every slot, slot by slot, in level
 * order, each NUL-terminated.
 */
typedef struct PrepHeader
{
	double		version;		/* 1 */
	double		nnum;			/* numeric inputs */
	double		ncat;			/* categorical inputs */
	double		scale;			/* PREP_SCALE_* */
	double		clip;			/* PREP_CLIP_* */
	double		clip_k;
	double		flags;			/* PREP_FLAG_* */
	double		ndesign;		/* design columns = model nfeatures */
} PrepHeader;

typedef struct PrepFeature
{
	double		impute;			/* PREP_IMPUTE_* */
	double		fill;			/* value replacing NULL */
	double		lower;			/* clip bounds (-inf, inf: none) */
	double		upper;
	double		center;			/* design value = (clipped - center) / scale */
	double		scale;
	double		indicator;		/* 1: a 0/1 "missing" column follows */
	double		nmissing;		/* training NULLs */
	double		nclipped;		/* training values clipped */
	double		reserved;
} PrepFeature;

typedef struct PrepSlot
{
	double		nlevels;		/* explicit levels (strings in MTAG_VOCAB) */
	double		null_level;		/* 1: NULL is a level, after the explicit */
	double		other_level;	/* 1: "other" is a level, last */
	double		reference;		/* level without a column, -1 none */
	double		nfolded;		/* distinct training values folded into other */
	double		reserved;
} PrepSlot;

#define PREP_VERSION		1
#define PREP_HEADER_N		(sizeof(PrepHeader) / sizeof(double))
#define PREP_FEATURE_N		(sizeof(PrepFeature) / sizeof(double))
#define PREP_SLOT_N			(sizeof(PrepSlot) / sizeof(double))

/* A decoded preprocessing description, ready to apply */
typedef struct Prep
{
	int			nnum;
	int			ncat;
	int			ndesign;
	bool		ordinal;
	bool		identity;		/* numeric only, and a NULL-free row passes
								 * through unchanged (no clipping, centring,
								 * scaling or indicators) */
	const PrepHeader *hdr;
	const PrepFeature *f;		/* nnum */
	const PrepSlot *slot;		/* ncat */
	int		   *ind_col;		/* per feature: indicator column or -1 */
	int		   *slot_col;		/* per slot: first design column */
	int		   *slot_nall;		/* per slot: levels including null, other */
	Vocab	  **levels;			/* per slot: explicit level -> id = index */
	const char **level_names;	/* per slot, per explicit level */
} Prep;

/* Rows kept for the end, in blocks */
/* The training state of the layer (one per aggregate group) */
typedef struct PrepState
{
	int			nnum;
	int			ncat;
	int			w;				/* doubles per buffered row */
	bool		buffer_all;		/* else stream rows without NULLs */
	bool		need_mean;		/* streaming: keep sums for mean imputation */
	bool		mean_from_learner;	/* ... of the kept (NULL) rows only: the
									 * streamed rows' means come from the
									 * learner's moments */
	bool		stream_std;		/* streaming standard scaling (learner's
								 * moments/rescale): only NULL rows kept */
	bool		late_std;		/* buffered, standard scaling learned from
								 * the learner's moments after the replay */
	uint8		scale;			/* resolved PREP_SCALE_* */
	RowStore	rows;			/* buffered rows, w doubles each */
	Size		vocab_bytes;	/* of the vocabularies, counted with the rows
								 * against buypower.max_training_memory */
	int64	   *nobs;			/* streaming: observed values per feature,
								 * except the nclean rows below */
	int64		nclean;			/* rows summed while every feature had its
								 * shift and none was NULL: count for all */
	bool		all_shifted;	/* every feature has seen a value */
	double	   *shift;			/* streaming: first observed value */
	double	   *sumdev;			/* streaming: sum of (x - shift) */
	Vocab	  **vocab;			/* per slot */
	double	   *row;			/* scratch: one buffered row */
	double	   *xbuf;			/* scratch: one numeric input row */
	/* learned by PrepFinish */
	StringInfoData sec;			/* MTAG_PREP payload (doubles) */
	StringInfoData voc;			/* MTAG_VOCAB payload */
	StringInfoData names;		/* design names, NUL-separated */
	Prep	   *learned;
	double	   *lmean;			/* mean_from_learner: the streamed rows'
								 * means, read by PrepFinish */
	struct BpAggState *streamed;	/* stream_std: the rescaled learner */
	int64		nimputed;
	int64		nclipped;
	bool		consumed;		/* rows handed over to the learner ... */
	struct BpAggState *handed;	/* ... whose state this is (kept in the
								 * aggregate's context: a rescan may call
								 * the final function again) */
} PrepState;

struct BpAggState;
struct LearnerOps;

/* options (aggstate.c calls these) */
extern void PrepOptionsDefaults(PrepOptions *o);
extern bool PrepParseOption(const char *learner, const char *key,
							JsonbValue *v, PrepOptions *o);
extern void PrepOptionsSerialize(const PrepOptions *o, StringInfo buf);
extern void PrepOptionsDeserialize(PrepOptions *o, StringInfo buf);

/* training state (aggstate.c drivers) */
extern void PrepStart(struct BpAggState *s, int nnum, int ncat);
extern void PrepAccum(struct BpAggState *s, double y, const double *x,
					  bool hasnull, const char *const *cvalues, const int *clens);
extern void PrepAccumClean(struct BpAggState *s, double y, const double *x);

/*
 * May a row without NULLs take PrepAccumClean, the short way of the
 * common row (no categorical slots, streamed to the learner)?
 */
static inline bool
PrepCleanRowOk(const PrepState *ps)
{
	return ps->ncat == 0 && !ps->buffer_all &&
		(!ps->need_mean || ps->mean_from_learner || ps->all_shifted);
}
extern void PrepMerge(struct BpAggState *dst, struct BpAggState *src);
extern void PrepSerialize(struct BpAggState *s, StringInfo buf);
extern void PrepDeserialize(struct BpAggState *s, StringInfo buf);
extern struct BpAggState *PrepFinish(struct BpAggState *s, bool consume);

/* for learners building a model */
extern void PrepAddSections(ModelBuilder *b, const struct BpAggState *s);
extern void PrepAddStats(double *stats, int *nstats, const struct BpAggState *s);
extern bool PrepHasDesignNames(const struct BpAggState *s);
extern void PrepDesignNames(const struct BpAggState *s, StringInfo names);

/* shared by training and scoring */
extern void PrepApplyRow(const Prep *p, const double *x, const int32 *levels,
						 double *out);
extern int	PrepCountCategorical(ArrayType *cats);
extern void PrepCategoricalValues(ArrayType *cats, int ncat,
								  const char **values, int *lens);

/* models (prep_model.c) */
extern Prep *PrepDecode(const double *sec, int nsec, const char *vocab,
						int nvocab, int ecode);
extern Prep *PrepFromModel(const Model *m);
extern void PrepCheckModel(const Model *m, bool full, int ecode);
extern int	PrepLevelOf(const Prep *p, int slot, const char *value, int len);
extern void PrepScoreRow(const Prep *p, ArrayType *num, ArrayType *cats,
						 double *xbuf, int32 *lbuf, double *out);
extern bool PrepOriginalScale(const Prep *p, double *coef, double *se);
extern void PrepToJson(StringInfo out, const Model *m);
extern void PrepFromJson(JsonbContainer *c, StringInfo prep, StringInfo vocab,
						 void (*fail) (void *arg, const char *detail), void *arg);

#endif							/* BUYPOWER_PREP_H */

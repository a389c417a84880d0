/*-------------------------------------------------------------------------
 *
 * aggstate.h
 *	  Shared plumbing of the training aggregates: argument checks, options,
 *	  and the transition/combine/serialize/deserialize/final drivers that
 *	  every learner plugs into through a LearnerOps table.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BUYPOWER_AGGSTATE_H
#define BUYPOWER_AGGSTATE_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "model.h"
#include "prep.h"
#include "rowstore.h"
#include "values.h"

/* option bits: which keys a learner accepts */
#define BPOPT_INTERCEPT		0x0001
#define BPOPT_L2			0x0002
#define BPOPT_NAMES			0x0004
#define BPOPT_MAX_ITER		0x0008
#define BPOPT_TOL			0x0010
#define BPOPT_CLASS_WEIGHT	0x0020
#define BPOPT_THREADS		0x0040

#define CLASS_WEIGHT_NONE		0
#define CLASS_WEIGHT_BALANCED	1
#define CLASS_WEIGHT_GIVEN		2

typedef struct BpOptions
{
	bool		intercept;		/* fit an intercept (default true) */
	double		l2;				/* ridge penalty on the slopes (default 0) */
	int32		max_iter;		/* iterative solvers' cap */
	double		tol;			/* iterative solvers' tolerance */
	int32		class_weight;	/* CLASS_WEIGHT_* */
	double		weight_neg;		/* given class weights */
	double		weight_pos;
	int32		threads;		/* final function's threads, 1 or 2 (default 2) */
	int32		nnames;			/* feature names, NUL-separated; 0 if none */
	int32		names_len;
	char	   *names;
	PrepOptions prep;			/* preprocessing (prep.h) */
} BpOptions;

struct LearnerOps;

/* Every learner's state starts with this header */
typedef struct BpAggState
{
	const struct LearnerOps *ops;
	int32		nfeatures;
	bool		target_bool;	/* target argument is boolean */
	bool		finishing;		/* in the final function (rows replayed
								 * into the learner come from there) */
	bool		partial;		/* a partial aggregate's: serialized for a
								 * combine, never finished itself */
	int64		n;				/* rows used */
	int64		nskipped;		/* rows skipped: NULL target, or (array form)
								 * NULL feature array */
	BpOptions	opts;
	void	   *learner;		/* learner's part; NULL until the first row,
								 * or until PrepFinish when rows are buffered */
	int			catarg;			/* argument number of text[] categories, or 0 */
	BpValueArgs va;				/* argument form: the features' kinds */
	struct PrepState *prep;		/* preprocessing state, from the first row */
	MemoryContext donor_cxt;	/* set by deserialize: the aggregate context,
								 * where the learner may put what the combine
								 * can then take over instead of copying */
} BpAggState;

typedef struct LearnerOps
{
	ModelKind	kind;
	const char *name;			/* SQL name, for messages */
	uint32		options;		/* BPOPT_* accepted */
	bool		ordinal_categories; /* categories as level numbers (prep.h) */
	bool		binary_target;	/* the target must be 0 or 1 (logreg) */
	/* allocate s->learner for s->nfeatures, in the current memory context */
	void		(*create) (BpAggState *s);
	/* add one row; x has nfeatures finite values (the finished design
	 * row: imputed, clipped, scaled, categories encoded), y is finite */
	void		(*accum) (BpAggState *s, double y, const double *x);
	/* optional: true if accum on s's learner is plain arithmetic, calling
	 * nothing of PostgreSQL's (worker.h), so prep.c's replay may run it in
	 * worker.c's helper thread on a second learner */
	bool		(*accum_is_pure) (const BpAggState *s);
	/* optional, for learners that keep their rows (logreg): take over a
	 * row store of design rows, npos of them with target 1 (prep.c hands
	 * the buffered rows over, turned into design rows in place).  With
	 * ncat = 0 a row is nfeatures + 1 doubles: the design row, then the
	 * target.  With ncat > 0 the last design columns are one-hot: a row is
	 * the first rows->w - 1 - ncat design values, then ncat design column
	 * numbers (as doubles, -1 for none) of the columns that hold 1, every
	 * other column after the values being 0, then the target. */
	void		(*adopt_rows) (BpAggState *s, RowStore *rows, int64 npos, int ncat);
	/* optional, with adopt_rows: make an empty learner take such compact
	 * rows (nx values, ncat column numbers) through accum from now on */
	void		(*compact) (BpAggState *s, int ncat, int nx);
	/* fold src into dst (both have learners, same nfeatures) */
	void		(*merge) (BpAggState *dst, BpAggState *src);
	/* learner part of the state, after the driver's header; deserialize
	 * must check every length against the message before trusting it */
	void		(*serialize) (BpAggState *s, StringInfo buf);
	void		(*deserialize) (BpAggState *s, StringInfo buf);
	/* fit; s->n > 0 */
	Model	   *(*finish) (BpAggState *s);
	/* optional, lets standard scaling stream (prep.c): per feature, the
	 * mean and the centred sum of squares of the rows seen; then move the
	 * learner to the design (x - center) / scale.  Intercept models only. */
	void		(*moments) (BpAggState *s, double *center, double *css);
	void		(*rescale) (BpAggState *s, const double *center,
							const double *scale);
} LearnerOps;

extern Datum BpAggAccum(FunctionCallInfo fcinfo, const LearnerOps *ops);
extern Datum BpAggAccumValues(FunctionCallInfo fcinfo, const LearnerOps *ops);
extern Jsonb *BpGetOptions(FunctionCallInfo fcinfo, int optarg);
extern void BpOptionsDiffer(const char *learner) pg_attribute_noreturn();
extern void BpValuesSortArgs(FunctionCallInfo fcinfo, int first, int last, const char *fname,
							 bool training, BpValueArgs *va);
extern int	BpValuesCheckArgs(FunctionCallInfo fcinfo, const char *fname, BpValueArgs *va);
extern bool BpValuesRead(FunctionCallInfo fcinfo, const BpValueArgs *va, double *x,
						 const char **cvalues, int *clens, const char *learner);
extern Datum BpAggCombine(FunctionCallInfo fcinfo, const LearnerOps *ops);
extern Datum BpAggSerialize(FunctionCallInfo fcinfo, const LearnerOps *ops);
extern Datum BpAggDeserialize(FunctionCallInfo fcinfo, const LearnerOps *ops);
extern Datum BpAggFinal(FunctionCallInfo fcinfo, const LearnerOps *ops);

extern const double *BpGetFeatures(ArrayType *a, int *n);
extern const double *BpGetFeaturesNullable(ArrayType *a, int *n, double *scratch,
											int cap, bool *hasnull, const char *learner);
extern void BpStartLearner(BpAggState *s, int nfeatures);
extern void BpCheckFeatureCount(int expected, int got);
extern void BpBadOption(const char *learner, const char *key,
						const char *expect) pg_attribute_noreturn();
extern double BpOptNumber(const char *learner, const char *key, JsonbValue *v);
extern void BpOptNames(const char *learner, JsonbValue *v, int32 *nnames,
					   char **names, int32 *names_len);
extern void BpParseOptions(Jsonb *jb, const LearnerOps *ops, BpOptions *opts);
extern void BpAddStat(double *stats, int *nstats, ModelStat id, double value);
extern void BpAddCommonStats(double *stats, int *nstats, const BpAggState *s);
extern void BpAddNames(ModelBuilder *b, const BpAggState *s);

/* planner support (train_support.c) */
extern List *BpArrayExprElements(Node *arg, Oid elemtype);
extern Oid	BpArgumentFormOid(Oid nsp, const char *name, Oid firstarg);

#endif							/* BUYPOWER_AGGSTATE_H */

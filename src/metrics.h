/*-------------------------------------------------------------------------
 *
 * metrics.h
 *	  Mergeable states shared by the evaluation aggregates (metrics.c) and
 *	  the chartable tables built from them (metrics_tables.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef BP_METRICS_H
#define BP_METRICS_H

#include "postgres.h"

#include <math.h>

#include "fmgr.h"

/*
 * Neumaier's compensated sum [1]: the rounding error of each addition is
 * collected in c, so value = sum + c is accurate to a few ulps whatever n.
 * Two such sums merge by adding both parts, so the aggregates stay exact
 * in parallel plans.
 *
 * [1] A. Neumaier, "Rundungsfehleranalyse einiger Verfahren zur Summation
 *     endlicher Summen", ZAMM 54 (1974), 39-51.
 */
typedef struct CompSum
{
	double		sum;
	double		c;
} CompSum;

/*
 * Add x to a compensated sum.
 */
static inline void
CompSumAdd(CompSum *s, double x)
{
	double		t = s->sum + x;

	if (fabs(s->sum) >= fabs(x))
		s->c += (s->sum - t) + x;
	else
		s->c += (x - t) + s->sum;
	s->sum = t;
}

/*
 * Return the value of a compensated sum.
 */
static inline double
CompSumValue(const CompSum *s)
{
	if (isinf(s->sum))
		return s->sum;			/* overflowed: the compensation is NaN */
	return s->sum + s->c;
}

/* Which parts of a ClsState an aggregate fills (ClsState.what) */
#define CLS_SCORES		0x01	/* keep every score, for AUC and tables */
#define CLS_COUNTS		0x02	/* confusion counts at a threshold */
#define CLS_PROBS		0x04	/* log loss and Brier sums; p must be in [0,1] */
#define CLS_PROBS_SOFT	0x08	/* as CLS_PROBS, but p outside [0,1] only voids them */
#define CLS_ALL_FLAGS	0x0F

/*
 * State of the classification aggregates.
 *
 * Scores are kept in two arrays, one per class, at 8 bytes per row: every
 * rank statistic (AUC, lift, ROC) follows from the two sorted arrays, and
 * two states merge by concatenation.  The arrays are allocated with
 * MemoryContextAllocHuge in the aggregate context and grow by doubling.
 */
typedef struct ClsState
{
	int32		what;			/* CLS_* flags */
	int32		param;			/* buckets or bins of a table; 0 if none */
	bool		has_threshold;	/* threshold fixed by the first row? */
	bool		probs_valid;	/* every p seen so far in [0,1]? */
	bool		sorted;			/* pos[] and neg[] sorted ascending? */
	double		threshold;		/* predicted positive iff score >= this */
	int64		n;				/* rows */
	int64		npos;			/* rows with label true */
	int64		tp;				/* label true, score >= threshold */
	int64		fp;				/* label false, score >= threshold */
	CompSum		logloss;		/* sum of clipped -log likelihoods */
	CompSum		brier;			/* sum of (label - p)^2 */
	int64		poscap;			/* allocated length of pos[] */
	int64		negcap;			/* allocated length of neg[] */
	double	   *pos;			/* scores of positive rows (CLS_SCORES) */
	double	   *neg;			/* scores of negative rows (CLS_SCORES) */
} ClsState;

#define ClsNeg(s)	((s)->n - (s)->npos)

/* metrics.c */
extern ClsState *ClsAccum(FunctionCallInfo fcinfo, int what, double threshold,
						  int32 param);
extern Datum ClsReturn(FunctionCallInfo fcinfo, ClsState *state);
extern void ClsSortScores(ClsState *state);
extern double ClsAuc(ClsState *state);

#endif							/* BP_METRICS_H */

/*-------------------------------------------------------------------------
 *
 * vocab.h
 *	  Exact, mergeable counts of the distinct values of one categorical
 *	  feature (a "vocabulary"), and the string -> index lookup used both to
 *	  count values in training and to encode them at scoring.
 *
 * Any learner can use a Vocab directly; the linear learners get it through
 * the preprocessing layer (prep.h), which also turns counts into levels.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BUYPOWER_VOCAB_H
#define BUYPOWER_VOCAB_H

#include "postgres.h"

#include "lib/stringinfo.h"

/*
 * Most distinct non-NULL values one categorical feature may have in
 * training.  Counting is exact, so memory grows with the number of
 * distinct values; beyond this the aggregate stops with an error that
 * suggests bucketing the column.  Only the top "max_categories" values
 * become levels of the model; this limit is on what is counted.
 */
#define VOCAB_MAX_DISTINCT	100000

typedef struct VocabEntry
{
	int64		count;			/* rows with this value */
	int32		len;			/* bytes of value, no terminator */
	char	   *value;			/* NUL-terminated copy */
	uint32		hash;
} VocabEntry;

typedef struct Vocab
{
	int32		n;				/* distinct values; ids are 0 .. n - 1 */
	int32		cap;			/* allocated entries */
	VocabEntry *entries;		/* by id, in order of first sight */
	int32		nbuckets;		/* power of 2, > 2 n */
	int32	   *buckets;		/* id + 1, 0 = empty (open addressing) */
	int64		nnull;			/* NULL values counted */
	Size		bytes;			/* memory held, for limits */
} Vocab;

/* Allocate everything in the current memory context */
extern Vocab *VocabCreate(void);
extern int32 VocabLookup(const Vocab *v, const char *value, int len);
extern int32 VocabAdd(Vocab *v, const char *value, int len, int64 count,
					  int slot);
extern void VocabMerge(Vocab *dst, const Vocab *src, int32 *remap, int slot);
extern void VocabSerialize(const Vocab *v, StringInfo buf);
extern Vocab *VocabDeserialize(StringInfo buf, int slot);
extern int32 *VocabRanking(const Vocab *v);

#endif							/* BUYPOWER_VOCAB_H */

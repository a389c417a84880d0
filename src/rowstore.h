/*-------------------------------------------------------------------------
 *
 * rowstore.h
 *	  Training rows kept in memory: rows of w doubles in a chain of
 *	  growing blocks, within a byte limit.
 *
 * Learners that need every row at the end (logreg's Newton passes, the
 * preprocessing layer's quantiles and replay) keep them here.  Blocks
 * double from 16 kB to 32 MB, so a small group wastes little and a large
 * one costs few allocations; a helper thread faults large blocks' pages
 * in ahead of the rows, or else they ask for transparent huge pages
 * (rowstore.c).
 * Rows are read by walking the blocks:
 *
 *	for (b = rs->head; b != NULL; b = b->next)
 *		for (r = 0; r < b->nrows; r++)
 *			... b->data + r * rs->w ...
 *
 *-------------------------------------------------------------------------
 */
#ifndef BUYPOWER_ROWSTORE_H
#define BUYPOWER_ROWSTORE_H

#include "postgres.h"

typedef struct RowBlock
{
	struct RowBlock *next;
	int64		nrows;			/* rows stored */
	int64		capacity;		/* rows that fit */
	double		data[FLEXIBLE_ARRAY_MEMBER];
} RowBlock;

typedef struct RowStore
{
	int			w;				/* doubles per row */
	int64		nrows;
	Size		bytes;			/* allocated in blocks */
	MemoryContext cxt;			/* where blocks are allocated */
	RowBlock   *head;
	RowBlock   *tail;
} RowStore;

extern void RowStoreInit(RowStore *rs, int w, MemoryContext cxt);
extern double *RowStoreReserve(RowStore *rs, int64 want, int64 *got, Size limit);
extern bool RowStoreAppend(RowStore *rs, const double *rows, int64 nrows, Size limit);
extern void *RowStoreAllocRows(MemoryContext cxt, Size head, Size size);

/*
 * RowStoreReserve for one row, with the common case inline: the next row
 * of the last block, when it has room.  NULL when a new block would pass
 * limit bytes.
 */
static inline double *
RowStoreNextRow(RowStore *rs, Size limit)
{
	RowBlock   *b = rs->tail;
	int64		got;

	if (likely(b != NULL && b->nrows < b->capacity))
	{
		double	   *at = b->data + b->nrows * rs->w;

		b->nrows++;
		rs->nrows++;
		return at;
	}
	return RowStoreReserve(rs, 1, &got, limit);
}

#endif							/* BUYPOWER_ROWSTORE_H */

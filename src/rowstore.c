/*-------------------------------------------------------------------------
 *
 * rowstore.c
 *	  Training rows kept in memory (see rowstore.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/mman.h>

#include "utils/memutils.h"

#include "rowstore.h"

#define ROWSTORE_FIRST_BLOCK	(16 * 1024)
#define ROWSTORE_MAX_BLOCK		(8 * 1024 * 1024)

/*
 * Start an empty store of rows of w doubles, allocating in cxt.
 */
void
RowStoreInit(RowStore *rs, int w, MemoryContext cxt)
{
	memset(rs, 0, sizeof(*rs));
	rs->w = w;
	rs->cxt = cxt;
}

/*
 * Ask for transparent huge pages on the 2 MB-aligned interior of a large
 * block, where the kernel allows it ("madvise" mode): filling a million
 * rows otherwise takes a page fault per 4 kB, which measured as much as
 * the rest of the buffering.  Only a hint; errors are ignored.
 */
static void
HugePages(void *p, Size size)
{
#if !defined(WIN32) && defined(MADV_HUGEPAGE)
	uintptr_t	huge = 2 * 1024 * 1024,
				start = TYPEALIGN(huge, (uintptr_t) p),
				end = TYPEALIGN_DOWN(huge, (uintptr_t) p + size);

	if (end > start)
		(void) madvise((void *) start, end - start, MADV_HUGEPAGE);
#endif
}

/*
 * Make room for up to want more rows at the end of the store and return
 * where they go; *got (>= 1) says how many fit there, and they count as
 * stored.  Returns NULL, storing nothing, when a new block would take the
 * store's allocation past limit bytes: the caller raises its own error.
 */
double *
RowStoreReserve(RowStore *rs, int64 want, int64 *got, Size limit)
{
	Size		rowbytes = sizeof(double) * rs->w;
	RowBlock   *b = rs->tail;
	double	   *at;

	Assert(want > 0);
	if (b == NULL || b->nrows == b->capacity)
	{
		Size		size = b ? Min(2 * b->capacity * rowbytes, ROWSTORE_MAX_BLOCK) : ROWSTORE_FIRST_BLOCK;

		size = Min(Max(size, rowbytes), limit - Min(limit, rs->bytes));
		if (size < rowbytes)
			return NULL;
		b = MemoryContextAlloc(rs->cxt, offsetof(RowBlock, data) + size);
		HugePages(b, offsetof(RowBlock, data) + size);
		b->next = NULL;
		b->nrows = 0;
		b->capacity = size / rowbytes;
		rs->bytes += size;
		if (rs->tail)
			rs->tail->next = b;
		else
			rs->head = b;
		rs->tail = b;
	}
	*got = Min(want, b->capacity - b->nrows);
	at = b->data + b->nrows * rs->w;
	b->nrows += *got;
	rs->nrows += *got;
	return at;
}

/*
 * Append copies of nrows rows; false (with some of them stored) when they
 * do not fit under limit bytes.
 */
bool
RowStoreAppend(RowStore *rs, const double *rows, int64 nrows, Size limit)
{
	while (nrows > 0)
	{
		int64		k;
		double	   *at = RowStoreReserve(rs, nrows, &k, limit);

		if (at == NULL)
			return false;
		memcpy(at, rows, sizeof(double) * rs->w * k);
		rows += k * rs->w;
		nrows -= k;
	}
	return true;
}

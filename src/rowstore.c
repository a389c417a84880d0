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
#include "worker.h"

#define ROWSTORE_FIRST_BLOCK	(16 * 1024)
#define ROWSTORE_MAX_BLOCK		(32 * 1024 * 1024)
#define ROWSTORE_HUGE			(2 * 1024 * 1024)

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
 * Allocate a block for size bytes of rows.  A block of more than 4 MB has
 * its pages after the first 2 MB (which the caller writes at once) faulted
 * in by the helper thread meanwhile (worker.c: on a VM whose host takes
 * freed memory back, that fault is the costliest part of keeping rows), in
 * 4 kB pages: on the 2-core test VM, whose host takes freed memory back in
 * 2 MB blocks (free page reporting), the helper's madvise took 0.5-2.4 s
 * for 880 MB of transparent huge pages a few seconds after other work
 * (0.08 s only when the memory had just been freed), against 0.34-0.41 s
 * in 4 kB pages, and a read of either took the same 43-49 ms.  A 10M-row
 * logreg_values in a fresh session went from 2.7-3.0 s to 2.2-2.4 s.
 * Blocks the helper does not take (smaller ones, or no helper, or no
 * MADV_POPULATE_WRITE) are faulted in by the scan's own writes: those of
 * 2 MB or more ask for huge pages ("madvise" mode; only a hint, errors
 * ignored), a fault per 2 MB instead of per 4 kB, and so start on a 2 MB
 * boundary (an unaligned 8 MB block gets only 3 huge pages of its 4).  The
 * padding before the block is never touched, so it costs address space
 * only, and it is not counted against the store's limit.
 */
static RowBlock *
AllocBlock(MemoryContext cxt, Size size)
{
	if (size < ROWSTORE_HUGE)
		return MemoryContextAlloc(cxt, offsetof(RowBlock, data) + size);
	return (RowBlock *) ((char *) RowStoreAllocRows(cxt, offsetof(RowBlock, data), size) -
						 offsetof(RowBlock, data));
}

/*
 * Allocate head + size bytes in cxt, placed so that the size bytes after
 * the head start on a 2 MB boundary when size is 2 MB or more (then
 * prefaulted, or with the huge-page hint, as described above); returns
 * where those size bytes start.  Never to be pfree'd: the memory goes
 * with cxt.
 */
void *
RowStoreAllocRows(MemoryContext cxt, Size head, Size size)
{
	char	   *raw,
			   *rows;

	if (size < ROWSTORE_HUGE)
		return (char *) MemoryContextAlloc(cxt, head + size) + head;
	raw = MemoryContextAllocHuge(cxt, head + size + ROWSTORE_HUGE);
	rows = (char *) TYPEALIGN(ROWSTORE_HUGE, raw + head);
	if (size > 2 * ROWSTORE_HUGE &&
		BpWorkerPrefault(rows + ROWSTORE_HUGE, size - ROWSTORE_HUGE))
		return rows;
#if !defined(WIN32) && defined(MADV_HUGEPAGE)
	(void) madvise(rows, TYPEALIGN_DOWN(ROWSTORE_HUGE, size), MADV_HUGEPAGE);
#endif
	return rows;
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
		b = AllocBlock(rs->cxt, size);
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

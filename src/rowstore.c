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
 * Allocate a block for size bytes of rows.  A block of 2 MB or more is
 * placed so that its rows start on a 2 MB boundary, and those whole 2 MB
 * pages are offered to the kernel as transparent huge pages ("madvise"
 * mode; only a hint, errors ignored): filling a million rows otherwise
 * takes a page fault per 4 kB, which measured as much as the rest of the
 * buffering, and an unaligned 8 MB block gets only 3 huge pages of its 4.
 * The padding before the block is never touched, so it costs address
 * space only, and it is not counted against the store's limit.  Such a
 * block's pages after the first huge page (which the caller writes at
 * once) are faulted in by the helper thread meanwhile (worker.c: on a VM
 * whose host takes freed memory back, that fault is the costliest part of
 * keeping rows).
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
 * the head start on a 2 MB boundary when size is 2 MB or more (then with
 * the huge-page hint and the prefault described above); returns where
 * those size bytes start.  Never to be pfree'd: the memory goes with cxt.
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
#if !defined(WIN32) && defined(MADV_HUGEPAGE)
	(void) madvise(rows, TYPEALIGN_DOWN(ROWSTORE_HUGE, size), MADV_HUGEPAGE);
#endif
	if (size > 2 * ROWSTORE_HUGE)
		BpWorkerPrefault(rows + ROWSTORE_HUGE, size - ROWSTORE_HUGE);
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

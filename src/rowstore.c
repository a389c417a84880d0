/*-------------------------------------------------------------------------
 *
 * rowstore.c
 *	  Training rows kept in memory (see rowstore.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>

#include "utils/memutils.h"

#include "rowstore.h"

#define ROWSTORE_FIRST_BLOCK	(16 * 1024)
#define ROWSTORE_MAX_BLOCK		(32 * 1024 * 1024)
#define ROWSTORE_HUGE			(2 * 1024 * 1024)

/*
 * Faulting in a large block's pages on the machine's other core.
 *
 * The first write to a fresh page costs a page fault and the zeroing of
 * the page, and on a virtual machine whose host takes back freed memory
 * (free page reporting) much more: measured here, 1.7-2.4 s for 800 MB of
 * huge pages freed a few seconds earlier, against 0.08 s for memory just
 * freed.  Filling a 10M-row store paid that in the scan's thread.  Instead,
 * a new block's range is handed to a helper thread, which asks the kernel
 * to populate it (madvise MADV_POPULATE_WRITE) while the backend goes on
 * scanning and filling it from the front.
 *
 * Why this is safe next to PostgreSQL:
 *	 - the helper never reads or writes the block: MADV_POPULATE_WRITE only
 *	   makes the pages present and writable, keeping their contents, so it
 *	   cannot race with the backend's writes;
 *	 - so it needs no pointer to stay valid: if the block is freed first
 *	   (end of query, ERROR, cancel), madvise on an unmapped range fails
 *	   with ENOMEM, and on memory malloc reused it populates pages that
 *	   would be written anyway; nothing waits for it and nothing is lost;
 *	 - it calls only pthread functions and madvise: no palloc, no elog,
 *	   no PostgreSQL data; everything it shares with the backend thread
 *	   (mutex, condition variable, a small queue of address ranges) is
 *	   static;
 *	 - it is created once per backend, the first time it is wanted, with
 *	   every signal blocked (pthread_sigmask around pthread_create), so
 *	   PostgreSQL's signal handlers run only in the backend thread;
 *	 - without the thread (pthread_create failed) or without
 *	   MADV_POPULATE_WRITE (kernels before 5.14: EINVAL) the backend faults
 *	   the pages in itself, as before.  Rows and results never depend on it.
 */
#define AHEAD_QUEUE 4

static struct
{
	pthread_mutex_t mu;
	pthread_cond_t wake;
	int			state;			/* 0 not started, 1 running, -1 unavailable */
	int			n;				/* ranges queued */
	char	   *addr[AHEAD_QUEUE];
	size_t		len[AHEAD_QUEUE];
}			ahead = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void *
AheadWorker(void *arg)
{
	for (;;)
	{
		char	   *addr;
		size_t		len;

		pthread_mutex_lock(&ahead.mu);
		while (ahead.n == 0)
			pthread_cond_wait(&ahead.wake, &ahead.mu);
		addr = ahead.addr[0];
		len = ahead.len[0];
		ahead.n--;
		memmove(ahead.addr, ahead.addr + 1, sizeof(ahead.addr[0]) * ahead.n);
		memmove(ahead.len, ahead.len + 1, sizeof(ahead.len[0]) * ahead.n);
		pthread_mutex_unlock(&ahead.mu);
#ifdef MADV_POPULATE_WRITE
		if (madvise(addr, len, MADV_POPULATE_WRITE) != 0 && errno == EINVAL)
		{
			pthread_mutex_lock(&ahead.mu);
			ahead.state = -1;	/* not supported: stop offering work */
			ahead.n = 0;
			pthread_mutex_unlock(&ahead.mu);
		}
#endif
	}
	return NULL;
}

/*
 * Ask the helper to fault in [addr, addr + len); returns at once.  A full
 * queue drops the request (the backend then faults those pages itself).
 */
static void
Prefault(char *addr, size_t len)
{
#ifdef MADV_POPULATE_WRITE
	pthread_mutex_lock(&ahead.mu);
	if (ahead.state == 0)
	{
		sigset_t	all,
					old;
		pthread_t	th;

		ahead.state = -1;
		sigfillset(&all);
		if (pthread_sigmask(SIG_SETMASK, &all, &old) == 0)
		{
			if (pthread_create(&th, NULL, AheadWorker, NULL) == 0)
			{
				pthread_detach(th);
				ahead.state = 1;
			}
			pthread_sigmask(SIG_SETMASK, &old, NULL);
		}
	}
	if (ahead.state == 1 && ahead.n < AHEAD_QUEUE)
	{
		ahead.addr[ahead.n] = addr;
		ahead.len[ahead.n] = len;
		ahead.n++;
		pthread_cond_signal(&ahead.wake);
	}
	pthread_mutex_unlock(&ahead.mu);
#endif
}

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
 * once) are faulted in by the helper thread meanwhile.
 */
static RowBlock *
AllocBlock(MemoryContext cxt, Size size)
{
	char	   *raw;
	RowBlock   *b;

	if (size < ROWSTORE_HUGE)
		return MemoryContextAlloc(cxt, offsetof(RowBlock, data) + size);
	raw = MemoryContextAllocHuge(cxt, offsetof(RowBlock, data) + size + ROWSTORE_HUGE);
	b = (RowBlock *) (TYPEALIGN(ROWSTORE_HUGE, raw + offsetof(RowBlock, data)) -
					  offsetof(RowBlock, data));
#if !defined(WIN32) && defined(MADV_HUGEPAGE)
	(void) madvise(b->data, TYPEALIGN_DOWN(ROWSTORE_HUGE, size), MADV_HUGEPAGE);
#endif
	if (size > 2 * ROWSTORE_HUGE)
		Prefault((char *) b->data + ROWSTORE_HUGE, size - ROWSTORE_HUGE);
	return b;
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

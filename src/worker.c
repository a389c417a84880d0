/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  One helper thread per backend, started the first time it is wanted,
 *	  for two kinds of plain work while the backend thread goes on:
 *
 *	  - BpWorkerPrefault: fault in a range of fresh memory (the row store's
 *		blocks) with madvise(MADV_POPULATE_WRITE).  The first write to a
 *		fresh page costs a fault and the zeroing of the page, and on a
 *		virtual machine whose host takes back freed memory (free page
 *		reporting) much more: measured on the 2-core test VM, 1.7-2.4 s for
 *		800 MB of huge pages freed a few seconds earlier, against 0.08 s
 *		for memory just freed; perf put clear_page at 28% of a 10M-row
 *		logreg, all in the scan's thread.  (So the blocks the helper
 *		prefaults stay in 4 kB pages: rowstore.c.)
 *	  - BpWorkerPair: run two halves of a row loop at once, the backend
 *		thread the first and the helper the second (logreg's Newton
 *		passes).
 *	  - BpWorkerBackground: a job done in short steps while the backend
 *		goes on with other things (logreg's first Newton pass over the
 *		rows the scan has stored so far), whenever the helper has nothing
 *		else to do; one such job at a time.
 *
 * How the helper is kept away from PostgreSQL:
 *	 - it runs only madvise and the BpWorkerFn it is given, which by
 *	   contract (worker.h) calls nothing of PostgreSQL's: no palloc, no
 *	   elog/ereport, no Assert, no CHECK_FOR_INTERRUPTS, no PostgreSQL
 *	   data structure besides the caller's plain arrays;
 *	 - it is created with every signal blocked (pthread_sigmask around
 *	   pthread_create), so PostgreSQL's signal handlers run only in the
 *	   backend thread;
 *	 - all it shares with the backend thread (mutex, condition variables,
 *	   the job and the queue of ranges) is static, never freed;
 *	 - prefaulting never reads or writes the memory (MADV_POPULATE_WRITE
 *	   makes pages present and writable and keeps their contents), so it
 *	   needs no pointer to stay valid: if the block is freed first (end of
 *	   query, ERROR, cancel), madvise fails harmlessly on the unmapped
 *	   range, or populates pages malloc reused, which is just as harmless;
 *	   nothing waits for it;
 *	 - a pair's second half is either claimed by the helper or run by the
 *	   backend itself: BpWorkerPair returns only when the half is done, and
 *	   the backend thread does nothing in between but its own half (which
 *	   by the same contract cannot raise an ERROR), so an ERROR or cancel,
 *	   raised only outside BpWorkerPair, never unwinds past a helper that
 *	   is using the caller's arrays;
 *	 - a background job's arrays outlive no ERROR unguarded either: its
 *	   owner stops it (BpWorkerBackgroundStop, which returns only once the
 *	   helper is out of its step function for good) before it reads the
 *	   job's results, and from a reset callback of the memory context that
 *	   holds the job's arrays, so an ERROR or cancel that frees them waits
 *	   for the step running at that moment (a few milliseconds) first.
 * Results never depend on the helper: whoever runs a half computes the
 * same sums in the same order.  Without the thread (pthread_create failed)
 * the backend runs both halves, one after the other; without
 * MADV_POPULATE_WRITE (kernels before 5.14) nothing is prefaulted.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>

#include "worker.h"

#define PREFAULT_QUEUE	4

typedef enum JobState
{
	JOB_NONE,
	JOB_POSTED,					/* waiting for a thread to claim it */
	JOB_HELPER,					/* the helper is running it */
	JOB_DONE					/* the helper has finished it */
} JobState;

/*
 * Busy-wait a little before sleeping: the gaps between the rounds of a
 * row loop are often tens of microseconds (a split search, an interrupt
 * check), less than a sleep and a wake-up cost on a VM.  WORKER_SPIN
 * pauses are some tens of microseconds; the spinning thread only loads
 * "posted" or "job" (atomically, without the lock), and every store to
 * them is made under the mutex, as an atomic store.
 */
#define WORKER_SPIN		2000

static inline void
CpuRelax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static struct
{
	pthread_mutex_t mu;
	pthread_cond_t wake;		/* a job or a range was posted */
	pthread_cond_t done;		/* the helper finished a job */
	int			state;			/* 0 not started, 1 running, -1 unavailable */
	bool		prefault;		/* madvise(MADV_POPULATE_WRITE) works */
	uint64		posted;			/* jobs and ranges posted so far */
	int			job;			/* a JobState */
	BpWorkerFn	fn;
	void	   *arg;
	BpWorkerStepFn bgfn;		/* the background job, or NULL */
	void	   *bgarg;
	bool		bgidle;			/* its last step found nothing to do */
	void	   *bgrunning;		/* arg of the step running now, or NULL */
	pthread_cond_t bgdone;		/* a background step ended */
	int			nq;				/* ranges queued */
	char	   *addr[PREFAULT_QUEUE];
	size_t		len[PREFAULT_QUEUE];
}			helper = {.mu = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
.done = PTHREAD_COND_INITIALIZER,.bgdone = PTHREAD_COND_INITIALIZER,
.prefault = true};

static inline void
SetJob(int state)
{
	__atomic_store_n(&helper.job, state, __ATOMIC_RELEASE);
}

static inline void
Posted(void)
{
	__atomic_store_n(&helper.posted, helper.posted + 1, __ATOMIC_RELEASE);
}

static void *
HelperMain(void *unused)
{
	pthread_mutex_lock(&helper.mu);
	for (;;)
	{
		if (helper.job == JOB_POSTED)
		{
			BpWorkerFn	fn = helper.fn;
			void	   *arg = helper.arg;

			SetJob(JOB_HELPER);
			pthread_mutex_unlock(&helper.mu);
			fn(arg);
			pthread_mutex_lock(&helper.mu);
			SetJob(JOB_DONE);
			pthread_cond_signal(&helper.done);
		}
		else if (helper.nq > 0)
		{
			char	   *addr = helper.addr[0];
			size_t		len = helper.len[0];
			int			err = 0;

			helper.nq--;
			memmove(helper.addr, helper.addr + 1, sizeof(helper.addr[0]) * helper.nq);
			memmove(helper.len, helper.len + 1, sizeof(helper.len[0]) * helper.nq);
			pthread_mutex_unlock(&helper.mu);
#ifdef MADV_POPULATE_WRITE
			if (madvise(addr, len, MADV_POPULATE_WRITE) != 0)
				err = errno;
#endif
			pthread_mutex_lock(&helper.mu);
			if (err == EINVAL)
			{
				helper.prefault = false;	/* not supported: stop asking */
				helper.nq = 0;
			}
		}
		else if (helper.bgfn != NULL && !helper.bgidle)
		{
			BpWorkerStepFn fn = helper.bgfn;
			void	   *arg = helper.bgarg;
			uint64		seen = helper.posted;
			bool		more;

			helper.bgrunning = arg;
			pthread_mutex_unlock(&helper.mu);
			more = fn(arg);
			pthread_mutex_lock(&helper.mu);
			helper.bgrunning = NULL;
			/* idle until kicked, unless a kick came while the step ran */
			if (!more && helper.bgarg == arg && helper.posted == seen)
				helper.bgidle = true;
			pthread_cond_broadcast(&helper.bgdone);
		}
		else
		{
			uint64		seen = helper.posted;
			int			spin;

			pthread_mutex_unlock(&helper.mu);
			for (spin = 0; spin < WORKER_SPIN &&
				 __atomic_load_n(&helper.posted, __ATOMIC_ACQUIRE) == seen; spin++)
				CpuRelax();
			pthread_mutex_lock(&helper.mu);
			if (helper.posted == seen)
				pthread_cond_wait(&helper.wake, &helper.mu);
		}
	}
	return NULL;
}

/*
 * Start the helper if it is not running yet; true if it runs.  Called with
 * helper.mu held.
 */
static bool
HelperReady(void)
{
	if (helper.state == 0)
	{
		sigset_t	all,
					old;
		pthread_t	th;

		helper.state = -1;
		sigfillset(&all);
		if (pthread_sigmask(SIG_SETMASK, &all, &old) == 0)
		{
			if (pthread_create(&th, NULL, HelperMain, NULL) == 0)
			{
				pthread_detach(th);
				helper.state = 1;
			}
			pthread_sigmask(SIG_SETMASK, &old, NULL);
		}
	}
	return helper.state == 1;
}

/*
 * Ask the helper to fault in [addr, addr + len) and return at once: true
 * if the request is queued.  Without the helper or MADV_POPULATE_WRITE, or
 * with a full queue, it is dropped (false): the pages then fault in when
 * first written.
 */
bool
BpWorkerPrefault(void *addr, Size len)
{
	bool		queued = false;

#ifdef MADV_POPULATE_WRITE
	pthread_mutex_lock(&helper.mu);
	if (helper.prefault && HelperReady() && helper.nq < PREFAULT_QUEUE)
	{
		helper.addr[helper.nq] = addr;
		helper.len[helper.nq] = len;
		helper.nq++;
		Posted();
		pthread_cond_signal(&helper.wake);
		queued = true;
	}
	pthread_mutex_unlock(&helper.mu);
#endif
	return queued;
}

/*
 * Run fa(a) and fb(b) and return when both are done: fa in this thread,
 * fb in the helper if use_helper and the helper claims it while fa runs,
 * else in this thread after fa.  Neither may call into PostgreSQL.
 */
void
BpWorkerPair(BpWorkerFn fa, void *a, BpWorkerFn fb, void *b, bool use_helper)
{
	bool		posted = false;

	if (use_helper)
	{
		pthread_mutex_lock(&helper.mu);
		if (HelperReady())
		{
			helper.fn = fb;
			helper.arg = b;
			SetJob(JOB_POSTED);
			Posted();
			posted = true;
			pthread_cond_signal(&helper.wake);
		}
		pthread_mutex_unlock(&helper.mu);
	}
	fa(a);
	if (posted)
	{
		int			spin;

		pthread_mutex_lock(&helper.mu);
		if (helper.job == JOB_POSTED)
		{
			/* not claimed (the helper is busy or asleep): take it back */
			SetJob(JOB_NONE);
			pthread_mutex_unlock(&helper.mu);
			fb(b);
			return;
		}
		pthread_mutex_unlock(&helper.mu);
		/* the helper runs it: wait, spinning briefly first */
		for (spin = 0; spin < WORKER_SPIN &&
			 __atomic_load_n(&helper.job, __ATOMIC_ACQUIRE) == JOB_HELPER; spin++)
			CpuRelax();
		pthread_mutex_lock(&helper.mu);
		while (helper.job != JOB_DONE)
			pthread_cond_wait(&helper.done, &helper.mu);
		SetJob(JOB_NONE);
		pthread_mutex_unlock(&helper.mu);
		return;
	}
	fb(b);
}

/*
 * Could BpWorkerBackground start a job now?  Only the backend thread posts
 * jobs, so the answer holds until it posts one.
 */
bool
BpWorkerBackgroundFree(void)
{
	bool		ok;

	pthread_mutex_lock(&helper.mu);
	ok = helper.bgfn == NULL && HelperReady();
	pthread_mutex_unlock(&helper.mu);
	return ok;
}

/*
 * Have the helper run fn(arg) over and over, one step at a time, whenever
 * it has no pair half or prefault to do, until BpWorkerBackgroundStop(arg).
 * After a step that found nothing to do, the next waits for a
 * BpWorkerBackgroundKick.  Returns false, starting nothing, when the helper
 * is unavailable or already has a background job: the caller then does the
 * work itself later.
 */
bool
BpWorkerBackground(BpWorkerStepFn fn, void *arg)
{
	bool		ok = false;

	pthread_mutex_lock(&helper.mu);
	if (helper.bgfn == NULL && HelperReady())
	{
		helper.bgfn = fn;
		helper.bgarg = arg;
		helper.bgidle = false;
		Posted();
		pthread_cond_signal(&helper.wake);
		ok = true;
	}
	pthread_mutex_unlock(&helper.mu);
	return ok;
}

/*
 * Tell the background job's step that there may be work again.
 */
void
BpWorkerBackgroundKick(void)
{
	pthread_mutex_lock(&helper.mu);
	if (helper.bgfn != NULL)
	{
		helper.bgidle = false;
		Posted();
		pthread_cond_signal(&helper.wake);
	}
	pthread_mutex_unlock(&helper.mu);
}

/*
 * End the background job of arg, if it is still the helper's, and return
 * once no step of it runs: after this the helper never touches arg's data
 * again.  A no-op for a job already stopped (or never started), so it is
 * safe to call more than once, and from a memory context reset callback.
 */
void
BpWorkerBackgroundStop(void *arg)
{
	if (arg == NULL)
		return;
	pthread_mutex_lock(&helper.mu);
	if (helper.bgarg == arg)
	{
		helper.bgfn = NULL;
		helper.bgarg = NULL;
	}
	while (helper.bgrunning == arg)
		pthread_cond_wait(&helper.bgdone, &helper.mu);
	pthread_mutex_unlock(&helper.mu);
}

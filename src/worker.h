/*-------------------------------------------------------------------------
 *
 * worker.h
 *	  A helper thread per backend for plain work on the machine's other
 *	  core: faulting in fresh memory ahead of use, running one of two
 *	  halves of a row loop, and a background job in steps while the
 *	  backend goes on (see worker.c for what it may and may not do).
 *
 *-------------------------------------------------------------------------
 */
#ifndef BUYPOWER_WORKER_H
#define BUYPOWER_WORKER_H

#include "postgres.h"

/*
 * A half of a row loop.  It runs in the backend thread or in the helper,
 * so it must not call into PostgreSQL at all: no palloc/pfree, no
 * ereport/elog, no Assert, no CHECK_FOR_INTERRUPTS.  Plain arithmetic and
 * libm over arrays the caller allocated.
 */
typedef void (*BpWorkerFn) (void *arg);

/*
 * One step of a background job (BpWorkerBackground): a short piece of
 * work under the same contract as a BpWorkerFn; returns false when it
 * found nothing to do yet.
 */
typedef bool (*BpWorkerStepFn) (void *arg);

extern bool BpWorkerPrefault(void *addr, Size len);
extern void BpWorkerPair(BpWorkerFn fa, void *a, BpWorkerFn fb, void *b,
						 bool use_helper);
extern bool BpWorkerBackgroundFree(void);
extern bool BpWorkerBackground(BpWorkerStepFn fn, void *arg);
extern void BpWorkerBackgroundKick(void);
extern void BpWorkerBackgroundStop(void *arg);

#endif							/* BUYPOWER_WORKER_H */

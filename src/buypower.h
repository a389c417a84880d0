/*-------------------------------------------------------------------------
 *
 * buypower.h
 *	  Limits and small helpers shared by every part of buypower.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BUYPOWER_H
#define BUYPOWER_H

#include "postgres.h"

/*
 * Most features a model may have.  The dense solvers hold O(p^2) state, so
 * this bounds an aggregate's state at about 8 MB per group.
 */
#define BP_MAX_FEATURES		1000

/* GUCs (buypower.c) */
extern int	bp_max_training_memory;	/* kB a row-storing learner may hold */
extern bool bp_rewrite_arrays;	/* planner support rewrites ARRAY[...] calls */
extern bool bp_parallel_training;	/* row-storing learners in parallel plans */

#endif							/* BUYPOWER_H */

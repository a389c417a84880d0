/*-------------------------------------------------------------------------
 *
 * buypower.c
 *	  Module magic and settings of the buypower extension.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "buypower.h"

PG_MODULE_MAGIC;

int			bp_max_training_memory = 4 * 1024 * 1024;	/* kB, 4 GB */
bool		bp_rewrite_arrays = true;
bool		bp_parallel_training = false;

void		_PG_init(void);

/*
 * Define the extension's settings.
 */
void
_PG_init(void)
{
	DefineCustomIntVariable("buypower.max_training_memory",
							"Largest amount of memory a learner that keeps its training rows may use.",
							"Learners that revisit rows (logreg) hold them in memory; beyond this they stop with an error.",
							&bp_max_training_memory,
							4 * 1024 * 1024, 1024, MAX_KILOBYTES,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("buypower.rewrite_arrays",
							 "Plans calls whose feature arrays are written as ARRAY[...] as the argument forms.",
							 "predict becomes predict_values, and linreg, logreg, gbdt and forest their _values aggregates, so that the arrays are not built for every row; the results are the same.",
							 &bp_rewrite_arrays,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("buypower.parallel_training",
							 "Lets the planner run logreg, gbdt and forest in parallel workers.",
							 "Their partial states hold the workers' rows, which travel to the leader, so on small machines a parallel plan is slower than a serial one; off makes the planner choose the serial plan.",
							 &bp_parallel_training,
							 false,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);

	MarkGUCPrefixReserved("buypower");
}

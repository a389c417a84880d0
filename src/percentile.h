/*-------------------------------------------------------------------------
 *
 * percentile.h
 *	  Training score distributions in models (percentile.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef BUYPOWER_PERCENTILE_H
#define BUYPOWER_PERCENTILE_H

#include "lib/stringinfo.h"

#include "model.h"

extern const char *PercentileCheckSection(const ModelSection *sec, const double *q, bool full);
extern void PercentileAppendJson(StringInfo out, const Model *m);

#endif							/* BUYPOWER_PERCENTILE_H */

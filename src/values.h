/*-------------------------------------------------------------------------
 *
 * values.h
 *	  Features passed as separate arguments of a VARIADIC "any" function or
 *	  aggregate (predict_values, and the training aggregates' argument
 *	  form) instead of in arrays: what each argument is, and its value.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BUYPOWER_VALUES_H
#define BUYPOWER_VALUES_H

#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/fmgrprotos.h"

/* what an argument is: a number (below BP_VAL_TEXT) or a category */
#define BP_VAL_FLOAT8	0
#define BP_VAL_FLOAT4	1
#define BP_VAL_INT2		2
#define BP_VAL_INT4		3
#define BP_VAL_INT8		4
#define BP_VAL_NUMERIC	5
#define BP_VAL_TEXT		6		/* text or varchar */
#define BP_VAL_CSTRING	7		/* an untyped literal: text */
#define BP_VAL_BPCHAR	8		/* character(n): text without trailing blanks */
#define BP_VAL_OTHER	(-1)	/* none of these */

/*
 * An argument form's features, sorted out at the first row
 * (BpValuesCheckArgs in aggstate.c): after the target, nnum numbers, then
 * ncat categories.
 */
typedef struct BpValueArgs
{
	int8	   *kind;			/* BP_VAL_* of each feature */
	bool		all_float8;		/* every numeric one is float8 */
	int			nnum;
	int			ncat;
} BpValueArgs;

/*
 * The kind of an argument of type t; unknown (an untyped literal) is
 * BP_VAL_CSTRING, left to the caller to accept or not.
 */
static inline int
BpValueKind(Oid t)
{
	switch (t)
	{
		case FLOAT8OID:
			return BP_VAL_FLOAT8;
		case FLOAT4OID:
			return BP_VAL_FLOAT4;
		case INT2OID:
			return BP_VAL_INT2;
		case INT4OID:
			return BP_VAL_INT4;
		case INT8OID:
			return BP_VAL_INT8;
		case NUMERICOID:
			return BP_VAL_NUMERIC;
		case TEXTOID:
		case VARCHAROID:
			return BP_VAL_TEXT;
		case BPCHAROID:
			return BP_VAL_BPCHAR;
		case UNKNOWNOID:
			return BP_VAL_CSTRING;
		default:
			return BP_VAL_OTHER;
	}
}

/*
 * A numeric argument as a double: float8 as it is, other numbers
 * converted as their casts to float8 convert them.
 */
static inline double
BpValueAsDouble(int kind, Datum d)
{
	switch (kind)
	{
		case BP_VAL_FLOAT8:
			return DatumGetFloat8(d);
		case BP_VAL_FLOAT4:
			return (double) DatumGetFloat4(d);
		case BP_VAL_INT2:
			return (double) DatumGetInt16(d);
		case BP_VAL_INT4:
			return (double) DatumGetInt32(d);
		case BP_VAL_INT8:
			return (double) DatumGetInt64(d);
		default:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8, d));
	}
}

/*
 * The length of a categorical value of n bytes at p as the cast to text
 * gives it: character(n) drops its trailing blanks (as ARRAY[c::char(3)]
 * in a text[] would).
 */
static inline int
BpValueTextLength(int kind, const char *p, int n)
{
	if (kind == BP_VAL_BPCHAR)
		while (n > 0 && p[n - 1] == ' ')
			n--;
	return n;
}

#endif							/* BUYPOWER_VALUES_H */

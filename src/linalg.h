/*-------------------------------------------------------------------------
 *
 * linalg.h
 *	  Dense kernels: streaming Householder QR, blocked cross-products,
 *	  triangular solves, Cholesky, singular values, and the row check
 *	  every transition runs.  No fmgr, no palloc inside loops.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BUYPOWER_LINALG_H
#define BUYPOWER_LINALG_H

/*
 * Four doubles side by side.  GCC and Clang lower this generic vector type
 * to whatever the target has (two SSE2 registers, or one AVX register in
 * linalg.c's AVX2 clones), always lane by lane with plain IEEE multiplies and
 * adds, so every target computes the same bits.  The type is declared
 * 8-byte aligned (palloc promises no more), so loads and stores are
 * unaligned ones; macros, not functions, so no vector crosses a call.
 */
#if defined(__GNUC__)
#define BP_VEC4 1
typedef double BpV4 __attribute__((vector_size(32), aligned(8), may_alias));
#define LOADV4(p)		(*(const BpV4 *) (p))
#define STOREV4(p, v)	(*(BpV4 *) (p) = (v))
#endif

/*
 * Are all of x[0..n-1] finite?  A double is an infinity or a NaN exactly
 * when its 11 exponent bits are all 1; adding 1 at the exponent's lowest
 * bit then carries into the sign bit, and into no other case.  So the OR
 * of (bits & exponent) + lowest exponent bit over the array has its top
 * bit set iff some element is not finite: one branch for the whole array,
 * integer operations whose only chain is the 1-cycle OR (a floating-point
 * sum of x * 0 waits on each add in turn).  Called for every row of
 * training and scoring, so it is inline here.
 */
static inline bool
LinalgAllFinite(const double *x, int n)
{
	const uint64 expmask = UINT64CONST(0x7ff0000000000000),
				explow = UINT64CONST(0x0010000000000000);
	uint64		acc0 = 0,
				acc1 = 0,
				b0,
				b1;
	int			i = 0;

	for (; i + 2 <= n; i += 2)
	{
		memcpy(&b0, x + i, sizeof(b0));
		memcpy(&b1, x + i + 1, sizeof(b1));
		acc0 |= (b0 & expmask) + explow;
		acc1 |= (b1 & expmask) + explow;
	}
	if (i < n)
	{
		memcpy(&b0, x + i, sizeof(b0));
		acc0 |= (b0 & expmask) + explow;
	}
	return ((acc0 | acc1) >> 63) == 0;
}

extern double LinalgDot(const double *a, const double *b, int n);
/* LinalgQrAddRows checks for interrupts when q is above this, else it is
 * plain arithmetic */
#define LINALG_QR_CHECK_Q	64

extern void LinalgQrAddRows(double *R, int q, double *blk, int ldb, int m);
extern void LinalgCrossAdd(double *H, int qh, double *g, int q, const double *w,
						   const double *a, const double *z, int ld, int m);
extern void LinalgAddCols(double *out, const double *cols, int ld,
						  const double *coef, int ncols, int m);
extern void LinalgScaleRows(double *out, const double *cols, int ld,
							const double *w, int ncols, int m);
extern void LinalgSolveUpper(const double *R, int ld, int n, double *b);
extern void LinalgSolveUpperTrans(const double *R, int ld, int n, double *b);
extern void LinalgInvertUpper(const double *R, int ld, int n, double *inv);
extern int	LinalgCholeskyTol(double *A, int n, double rtol);
extern void LinalgCholeskySolve(const double *L, int n, double *b);
extern double LinalgCondition(double *A, int n);

#endif							/* BUYPOWER_LINALG_H */

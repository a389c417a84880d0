/*-------------------------------------------------------------------------
 *
 * linalg.h
 *	  Dense kernels: streaming Householder QR, blocked cross-products,
 *	  triangular solves, Cholesky,
 *	  singular values.  No fmgr, no palloc inside loops.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BUYPOWER_LINALG_H
#define BUYPOWER_LINALG_H

extern bool LinalgAllFinite(const double *x, int n);
extern double LinalgDot(const double *a, const double *b, int n);
extern void LinalgQrAddRows(double *R, int q, double *blk, int ldb, int m);
extern void LinalgCrossAdd(double *H, double *g, int q, const double *w,
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

/*-------------------------------------------------------------------------
 *
 * linalg.c
 *	  Dense linear algebra for the learners.
 *
 * Matrices are row-major with an explicit leading dimension, except the
 * row blocks fed to LinalgQrAddRows, which are column-major so that every
 * inner loop runs over contiguous memory.  Loops that take long on large
 * inputs call CHECK_FOR_INTERRUPTS.  Sums use a fixed order (four
 * accumulators), so results do not depend on the compiler.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/float.h"

#include "linalg.h"

/*
 * Dot product with four independent accumulators.
 */
static inline double
Dot(const double *a, const double *b, int n)
{
	double		s0 = 0.0,
				s1 = 0.0,
				s2 = 0.0,
				s3 = 0.0;
	int			i = 0;

	for (; i + 4 <= n; i += 4)
	{
		s0 += a[i] * b[i];
		s1 += a[i + 1] * b[i + 1];
		s2 += a[i + 2] * b[i + 2];
		s3 += a[i + 3] * b[i + 3];
	}
	for (; i < n; i++)
		s0 += a[i] * b[i];
	return (s0 + s1) + (s2 + s3);
}

/*
 * Dot product, for callers outside this file.
 */
double
LinalgDot(const double *a, const double *b, int n)
{
	return Dot(a, b, n);
}

/*
 * y -= f * x
 */
static inline void
Axpy(double f, const double *restrict x, double *restrict y, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		y[i] -= f * x[i];
}

/*
 * Fold m new rows into the triangular factor R (q x q, row-major, upper).
 *
 * The rows are given column-major in blk (column k at blk + k * ldb) and are
 * destroyed.  Column by column, one Householder reflection of the stacked
 * matrix [R; blk] zeroes the block's entries below R's diagonal [1, 5.2]:
 *
 *	x = (R[k][k], blk[0..m-1][k]),  alpha = -sign(R[k][k]) * ||x||,
 *	v = x - alpha e_1,  H = I - 2 v v^T / (v^T v)
 *
 * H is orthogonal, so R^T R afterwards equals the old R^T R plus the rows'
 * cross-products, without ever forming X^T X: the condition number is not
 * squared, as it is in the normal equations.  Cost: about 4 m q^2 / 2 flops.
 *
 * This is the training hot loop, so it is compiled twice and picked at load
 * time (GCC target_clones): plain x86-64 and AVX2.  The two give the same
 * bits: the AVX2 clone only runs the same independent lanes (Axpy's
 * elements, Dot's four accumulators) side by side, and -ffp-contract=off
 * keeps it from fusing multiplies and adds.
 *
 * [1] G. H. Golub, C. F. Van Loan, Matrix Computations, 4th ed., 5.1-5.2.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void
LinalgQrAddRows(double *R, int q, double *blk, int ldb, int m)
{
	int			k,
				j;

	for (k = 0; k < q; k++)
	{
		double	   *vk = blk + (Size) k * ldb;
		double		s = Dot(vk, vk, m);
		double		rkk = R[k * q + k];
		double		alpha,
					v0,
					beta;

		if (s == 0.0)
			continue;
		if (q > 64)
			CHECK_FOR_INTERRUPTS();	/* merges of wide states take a while */
		alpha = -copysign(sqrt(rkk * rkk + s), rkk);
		v0 = rkk - alpha;
		beta = 2.0 / (v0 * v0 + s);
		R[k * q + k] = alpha;
		for (j = k + 1; j < q; j++)
		{
			double	   *vj = blk + (Size) j * ldb;
			double		f = beta * (v0 * R[k * q + j] + Dot(vk, vj, m));

			R[k * q + j] -= f * v0;
			Axpy(f, vk, vj, m);
		}
	}
}

/*
 * Solve R x = b for upper-triangular R (n x n, leading dimension ld);
 * b is overwritten by x.
 */
void
LinalgSolveUpper(const double *R, int ld, int n, double *b)
{
	int			i,
				j;

	for (i = n - 1; i >= 0; i--)
	{
		double		s = b[i];

		for (j = i + 1; j < n; j++)
			s -= R[i * ld + j] * b[j];
		b[i] = s / R[i * ld + i];
	}
}

/*
 * Solve R^T x = b for upper-triangular R; b is overwritten by x.
 */
void
LinalgSolveUpperTrans(const double *R, int ld, int n, double *b)
{
	int			i,
				j;

	for (i = 0; i < n; i++)
	{
		double		s = b[i];

		for (j = 0; j < i; j++)
			s -= R[j * ld + i] * b[j];
		b[i] = s / R[i * ld + i];
	}
}

/*
 * Invert upper-triangular R (n x n) into inv (n x n, row-major, upper).
 */
void
LinalgInvertUpper(const double *R, int ld, int n, double *inv)
{
	int			i,
				j,
				k;

	memset(inv, 0, sizeof(double) * (Size) n * n);
	for (j = n - 1; j >= 0; j--)
	{
		CHECK_FOR_INTERRUPTS();
		inv[j * n + j] = 1.0 / R[j * ld + j];
		for (i = j - 1; i >= 0; i--)
		{
			double		s = 0.0;

			for (k = i + 1; k <= j; k++)
				s += R[i * ld + k] * inv[k * n + j];
			inv[i * n + j] = -s / R[i * ld + i];
		}
	}
}

/*
 * Solve L L^T x = b given the factor from LinalgCholeskyTol; b becomes x.
 */
void
LinalgCholeskySolve(const double *L, int n, double *b)
{
	int			i,
				k;

	for (i = 0; i < n; i++)
	{
		double		s = b[i];

		for (k = 0; k < i; k++)
			s -= L[i * n + k] * b[k];
		b[i] = s / L[i * n + i];
	}
	for (i = n - 1; i >= 0; i--)
	{
		double		s = b[i];

		for (k = i + 1; k < n; k++)
			s -= L[k * n + i] * b[k];
		b[i] = s / L[i * n + i];
	}
}

/*
 * 2-norm condition number of a square matrix A (n x n, row-major), from
 * its singular values by one-sided Jacobi rotations [1, 8.6.3], which are
 * accurate even for tiny singular values.  A is destroyed.
 */
double
LinalgCondition(double *A, int n)
{
	double		smax = 0.0,
				smin = get_float8_infinity();
	int			sweep,
				i,
				j,
				k;

	for (sweep = 0; sweep < 60; sweep++)
	{
		double		off = 0.0;

		CHECK_FOR_INTERRUPTS();
		for (i = 0; i < n - 1; i++)
			for (j = i + 1; j < n; j++)
			{
				double		a = 0.0,
							b = 0.0,
							c = 0.0,
							zeta,
							t,
							cs,
							sn;

				for (k = 0; k < n; k++)
				{
					a += A[k * n + i] * A[k * n + i];
					b += A[k * n + j] * A[k * n + j];
					c += A[k * n + i] * A[k * n + j];
				}
				if (c == 0.0 || fabs(c) <= 1e-15 * sqrt(a * b))
					continue;
				off = Max(off, fabs(c) / sqrt(a * b));
				zeta = (b - a) / (2.0 * c);
				t = copysign(1.0, zeta) / (fabs(zeta) + sqrt(1.0 + zeta * zeta));
				cs = 1.0 / sqrt(1.0 + t * t);
				sn = cs * t;
				for (k = 0; k < n; k++)
				{
					double		x = A[k * n + i],
								y = A[k * n + j];

					A[k * n + i] = cs * x - sn * y;
					A[k * n + j] = sn * x + cs * y;
				}
			}
		if (off <= 1e-15)
			break;
	}
	for (j = 0; j < n; j++)
	{
		double		s = 0.0;

		for (k = 0; k < n; k++)
			s += A[k * n + j] * A[k * n + j];
		s = sqrt(s);
		smax = Max(smax, s);
		smin = Min(smin, s);
	}
	return smax / smin;
}

/*
 * In-place Cholesky factorisation A = L L^T of a symmetric positive
 * definite matrix (n x n, row-major; L is left in the lower triangle).
 * A pivot counts as zero when
 * what is left of a diagonal entry, after removing the part explained by
 * the columns before it, is at most rtol of the entry itself (1 - R^2 of
 * column j on the earlier columns, in the matrix's own metric).  The test
 * is invariant to scaling rows and columns, so unscaled features are fine.
 * Returns -1 on success, else the first column that failed.
 */
int
LinalgCholeskyTol(double *A, int n, double rtol)
{
	int			i,
				j,
				k;

	for (j = 0; j < n; j++)
	{
		double		a = A[j * n + j],
					d = a;

		CHECK_FOR_INTERRUPTS();
		for (k = 0; k < j; k++)
			d -= A[j * n + k] * A[j * n + k];
		if (!(a > 0.0) || !(d > rtol * a))
			return j;
		d = sqrt(d);
		A[j * n + j] = d;
		for (i = j + 1; i < n; i++)
		{
			double		s = A[i * n + j];

			for (k = 0; k < j; k++)
				s -= A[i * n + k] * A[j * n + k];
			A[i * n + j] = s / d;
		}
	}
	return -1;
}

/*-------------------------------------------------------------------------
 *
 * linalg.c
 *	  Dense linear algebra for the learners.
 *
 * Matrices are row-major with an explicit leading dimension, except the
 * row blocks fed to LinalgQrAddRows, which are column-major so that every
 * inner loop runs over contiguous memory.  Loops that take long on large
 * inputs call CHECK_FOR_INTERRUPTS.  Sums use a fixed order (sixteen
 * accumulators, see Dot), so results do not depend on the compiler.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/float.h"

#include "linalg.h"


#ifndef BP_VEC4
/*
 * Add up sixteen lanes and a tail in Dot's fixed order: lanes l and
 * l + 4 (and so on) belong to the same vector, so they are paired first.
 */
static pg_attribute_always_inline double
LaneSum(const double *lane, double tail)
{
	return ((((lane[0] + lane[4]) + (lane[8] + lane[12])) +
			 ((lane[1] + lane[5]) + (lane[9] + lane[13]))) +
			(((lane[2] + lane[6]) + (lane[10] + lane[14])) +
			 ((lane[3] + lane[7]) + (lane[11] + lane[15])))) + tail;
}
#else
/*
 * out = LaneSum of the lanes of s0..s3 (lanes 0-3, 4-7, 8-11, 12-15) and
 * tail: the same additions in the same order, but the first two levels in
 * vectors rather than through sixteen stores and loads, since
 * (s0 + s1) + (s2 + s3) is lane k's (l[k] + l[k + 4]) + (l[k + 8] +
 * l[k + 12]).  A macro, so no vector crosses a call (linalg.h).
 */
#define LANESUMV(out, s0, s1, s2, s3, tail) \
	do { \
		BpV4		u_ = ((s0) + (s1)) + ((s2) + (s3)); \
		(out) = ((u_[0] + u_[1]) + (u_[2] + u_[3])) + (tail); \
	} while (0)
#endif

/*
 * Dot product with sixteen independent accumulators: element i goes to
 * accumulator i % 16, the remainder (i >= n - n % 16) to a seventeenth,
 * and they are added in a fixed tree.  The sums are independent, so
 * vector units run them side by side instead of waiting on one chain of
 * additions; the order is fixed, so the result does not depend on the
 * compiler or the CPU.
 */
static pg_attribute_always_inline double
Dot(const double *a, const double *b, int n)
{
	double		tail = 0.0;
	int			i = 0;

#ifdef BP_VEC4
	BpV4		s0 = {0.0, 0.0, 0.0, 0.0},
				s1 = s0,
				s2 = s0,
				s3 = s0;

	for (; i + 16 <= n; i += 16)
	{
		s0 += LOADV4(a + i) * LOADV4(b + i);
		s1 += LOADV4(a + i + 4) * LOADV4(b + i + 4);
		s2 += LOADV4(a + i + 8) * LOADV4(b + i + 8);
		s3 += LOADV4(a + i + 12) * LOADV4(b + i + 12);
	}
	for (; i < n; i++)
		tail += a[i] * b[i];

	{
		double		sum;

		LANESUMV(sum, s0, s1, s2, s3, tail);
		return sum;
	}
#else
	double		lane[16];
	int			l;

	memset(lane, 0, sizeof(lane));
	for (; i + 16 <= n; i += 16)
		for (l = 0; l < 16; l++)
			lane[l] += a[i + l] * b[i + l];
	for (; i < n; i++)
		tail += a[i] * b[i];

	return LaneSum(lane, tail);
#endif
}

/*
 * Dot(a, b, n) and Dot(a, c, n) in one pass over a: the same lanes and the
 * same order, so the same bits as two calls.
 */
static pg_attribute_always_inline void
Dot2(const double *a, const double *b, const double *c, int n,
	 double *ab, double *ac)
{
	double		tb = 0.0,
				tc = 0.0;
	int			i = 0;

#ifdef BP_VEC4
	BpV4		b0 = {0.0, 0.0, 0.0, 0.0},
				b1 = b0,
				b2 = b0,
				b3 = b0,
				c0 = b0,
				c1 = b0,
				c2 = b0,
				c3 = b0;

	for (; i + 16 <= n; i += 16)
	{
		BpV4		a0 = LOADV4(a + i),
					a1 = LOADV4(a + i + 4),
					a2 = LOADV4(a + i + 8),
					a3 = LOADV4(a + i + 12);

		b0 += a0 * LOADV4(b + i);
		c0 += a0 * LOADV4(c + i);
		b1 += a1 * LOADV4(b + i + 4);
		c1 += a1 * LOADV4(c + i + 4);
		b2 += a2 * LOADV4(b + i + 8);
		c2 += a2 * LOADV4(c + i + 8);
		b3 += a3 * LOADV4(b + i + 12);
		c3 += a3 * LOADV4(c + i + 12);
	}
	for (; i < n; i++)
	{
		tb += a[i] * b[i];
		tc += a[i] * c[i];
	}
	LANESUMV(*ab, b0, b1, b2, b3, tb);
	LANESUMV(*ac, c0, c1, c2, c3, tc);
#else
	double		lb[16],
				lc[16];
	int			l;

	memset(lb, 0, sizeof(lb));
	memset(lc, 0, sizeof(lc));
	for (; i + 16 <= n; i += 16)
		for (l = 0; l < 16; l++)
		{
			lb[l] += a[i + l] * b[i + l];
			lc[l] += a[i + l] * c[i + l];
		}
	for (; i < n; i++)
	{
		tb += a[i] * b[i];
		tc += a[i] * c[i];
	}
	*ab = LaneSum(lb, tb);
	*ac = LaneSum(lc, tc);
#endif
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
 * y -= f * x, element by element (so vectors give the same bits).
 */
static pg_attribute_always_inline void
Axpy(double f, const double *restrict x, double *restrict y, int n)
{
	int			i = 0;

#ifdef BP_VEC4
	BpV4		fv = {f, f, f, f};

	for (; i + 4 <= n; i += 4)
		STOREV4(y + i, LOADV4(y + i) - fv * LOADV4(x + i));
#endif
	for (; i < n; i++)
		y[i] -= f * x[i];
}

/*
 * y -= f * x and z -= g * x in one pass over x (the same bits as two Axpy).
 */
static pg_attribute_always_inline void
Axpy2(double f, double g, const double *restrict x, double *restrict y,
	  double *restrict z, int n)
{
	int			i = 0;

#ifdef BP_VEC4
	BpV4		fv = {f, f, f, f},
				gv = {g, g, g, g};

	for (; i + 4 <= n; i += 4)
	{
		BpV4		xv = LOADV4(x + i);

		STOREV4(y + i, LOADV4(y + i) - fv * xv);
		STOREV4(z + i, LOADV4(z + i) - gv * xv);
	}
#endif
	for (; i < n; i++)
	{
		y[i] -= f * x[i];
		z[i] -= g * x[i];
	}
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
 * elements, Dot's sixteen accumulators) four at a time instead of two, and
 * -ffp-contract=off keeps it from fusing multiplies and adds.
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
		if (q > LINALG_QR_CHECK_Q)
			CHECK_FOR_INTERRUPTS();	/* merges of wide states take a while */
		alpha = -copysign(sqrt(rkk * rkk + s), rkk);
		v0 = rkk - alpha;
		beta = 2.0 / (v0 * v0 + s);
		R[k * q + k] = alpha;
		/* two columns per pass over vk: the same bits as one at a time */
		for (j = k + 1; j + 1 < q; j += 2)
		{
			double	   *vj = blk + (Size) j * ldb,
					   *vl = vj + ldb;
			double		dj,
						dl,
						fj,
						fl;

			Dot2(vk, vj, vl, m, &dj, &dl);
			fj = beta * (v0 * R[k * q + j] + dj);
			fl = beta * (v0 * R[k * q + j + 1] + dl);
			R[k * q + j] -= fj * v0;
			R[k * q + j + 1] -= fl * v0;
			Axpy2(fj, fl, vk, vj, vl, m);
		}
		if (j < q)
		{
			double	   *vj = blk + (Size) j * ldb;
			double		f = beta * (v0 * R[k * q + j] + Dot(vk, vj, m));

			R[k * q + j] -= f * v0;
			Axpy(f, vk, vj, m);
		}
	}
}

/*
 * Add a block of m weighted rows to a gradient and to the leading q x q
 * block of a packed upper Hessian of order qh >= q (qh = q: all of it):
 *
 *	g[i] += sum_r w[r] z[i][r],		H[i][j] += sum_r a[i][r] z[j][r]  (i <= j < q)
 *
 * where z and a (a = the rows' curvature weights times z) are column-major
 * with leading dimension ld.  Each entry is one Dot over the block, so the
 * vector units work on m rows at a time rather than one row's short
 * products; the order of every sum is fixed, as in Dot.  Compiled twice,
 * as LinalgQrAddRows is, with the same bits from both clones.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void
LinalgCrossAdd(double *H, int qh, double *g, int q, const double *w,
			   const double *a, const double *z, int ld, int m)
{
	int			i,
				j;

	for (i = 0; i < q; i++)
	{
		const double *ai = a + (Size) i * ld;
		double	   *Hi = H + (Size) i * qh - (Size) i * (i - 1) / 2;

		g[i] += Dot(w, z + (Size) i * ld, m);
		/* two entries per pass over ai: the same bits as one at a time */
		for (j = i; j + 1 < q; j += 2)
		{
			double		hj,
						hl;

			Dot2(ai, z + (Size) j * ld, z + (Size) (j + 1) * ld, m, &hj, &hl);
			Hi[j - i] += hj;
			Hi[j + 1 - i] += hl;
		}
		if (j < q)
			Hi[j - i] += Dot(ai, z + (Size) j * ld, m);
	}
}

/*
 * out[r] += sum_c coef[c] cols[c][r] for r < m, the columns (leading
 * dimension ld) added one after another, so every out[r] is summed in the
 * same order as a loop over one row's values would; the rows run side by
 * side in vectors.
 */
void
LinalgAddCols(double *restrict out, const double *restrict cols, int ld,
			  const double *coef, int ncols, int m)
{
	int			c,
				r;

	for (c = 0; c < ncols; c++)
	{
		const double *x = cols + (Size) c * ld;
		double		f = coef[c];

		r = 0;
#ifdef BP_VEC4
		{
			BpV4		fv = {f, f, f, f};

			for (; r + 4 <= m; r += 4)
				STOREV4(out + r, LOADV4(out + r) + fv * LOADV4(x + r));
		}
#endif
		for (; r < m; r++)
			out[r] += f * x[r];
	}
}

/*
 * out[c][r] = w[r] cols[c][r]: scale the rows of a column-major block.
 */
void
LinalgScaleRows(double *restrict out, const double *restrict cols, int ld,
				const double *w, int ncols, int m)
{
	int			c,
				r;

	for (c = 0; c < ncols; c++)
	{
		const double *x = cols + (Size) c * ld;
		double	   *y = out + (Size) c * ld;

		r = 0;
#ifdef BP_VEC4
		for (; r + 4 <= m; r += 4)
			STOREV4(y + r, LOADV4(w + r) * LOADV4(x + r));
#endif
		for (; r < m; r++)
			y[r] = w[r] * x[r];
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

/*-------------------------------------------------------------------------
 *
 * vecmath.h
 *	  exp and log1p for the logistic losses and gradients of the learners'
 *	  row loops, inline, one value or four at a time.
 *
 * libm's exp and log1p cost a call each per row, and the loops that use
 * them are latency-bound on that call; inlined and computed four rows at
 * a time in GCC's generic vectors (SSE2 pairs on the baseline instruction
 * set, 256-bit registers where the caller is compiled for AVX), they cost
 * a fraction.  The four-wide forms do lane by lane exactly the operations
 * of the scalar ones, in plain IEEE arithmetic (the project builds with
 * -ffp-contract=off, so no multiply-add is fused), so a value's bits do not
 * depend on which form, which CPU or which thread computed it.  Accuracy:
 * within 1 ulp of glibc's exp over 2e7 samples of [-708, 0]; log1p within
 * a few ulp on [0, 1].  Both are plain arithmetic: worker.c's helper may
 * call them.
 *
 * Vectors are passed by pointer: a vector argument by value would change
 * the calling convention between the baseline and AVX compilations.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BUYPOWER_VECMATH_H
#define BUYPOWER_VECMATH_H

#include "postgres.h"

typedef double v4df __attribute__((vector_size(32)));
typedef int64 v4di __attribute__((vector_size(32)));
typedef uint64 v4du __attribute__((vector_size(32)));

/* m ? a : b, lane by lane (m from a vector comparison) */
#define V4SELECT(m, a, b) ((v4df) (((v4di) (a) & (m)) | ((v4di) (b) & ~(m))))

#define VM_SHIFTER	6755399441055744.0	/* 1.5 * 2^52 */
#define VM_LOG2E	1.4426950408889634
#define VM_LN2HI	6.93147180369123816490e-01	/* 32 significant bits */
#define VM_LN2LO	1.90821492927058770002e-10
#define VM_SQRT2	1.4142135623730951

/*
 * e^x for x <= 0 (no NaN): x = k ln 2 + r, |r| <= ln 2 / 2 (Cody and
 * Waite's two-part ln 2, exact for the k that occur), e^r by its Taylor
 * series to r^13 (truncation below 5e-18 relative), and k added to the
 * exponent bits.  Below -708, e^-708 (about 3e-308) stands in for the
 * value, which is 0 to every use here.
 */
#define VM_EXP_POLY(p, r) \
	do { \
		(p) = (r) * (1.0 / 6227020800.0) + 1.0 / 479001600.0; \
		(p) = (p) * (r) + 1.0 / 39916800.0; \
		(p) = (p) * (r) + 1.0 / 3628800.0; \
		(p) = (p) * (r) + 1.0 / 362880.0; \
		(p) = (p) * (r) + 1.0 / 40320.0; \
		(p) = (p) * (r) + 1.0 / 5040.0; \
		(p) = (p) * (r) + 1.0 / 720.0; \
		(p) = (p) * (r) + 1.0 / 120.0; \
		(p) = (p) * (r) + 1.0 / 24.0; \
		(p) = (p) * (r) + 1.0 / 6.0; \
		(p) = (p) * (r) + 0.5; \
		(p) = (p) * (r) + 1.0; \
		(p) = (p) * (r) + 1.0; \
	} while (0)

static inline double
BpExpNonPos(double x)
{
	double		kd,
				r,
				p;
	uint64		kbits,
				pbits;

	x = x < -708.0 ? -708.0 : x;
	kd = x * VM_LOG2E + VM_SHIFTER;	/* round(x / ln 2) in the low bits */
	memcpy(&kbits, &kd, sizeof(kbits));
	kd -= VM_SHIFTER;
	r = (x - kd * VM_LN2HI) - kd * VM_LN2LO;
	VM_EXP_POLY(p, r);
	/* times 2^k: k sits in kbits' low bits (two's complement), p in [0.7, 1.5) */
	memcpy(&pbits, &p, sizeof(pbits));
	pbits += kbits << 52;
	memcpy(&p, &pbits, sizeof(p));
	return p;
}

static pg_attribute_always_inline void
BpExpNonPos4(const v4df *xin, v4df *out)
{
	const v4df lo = {-708.0, -708.0, -708.0, -708.0};
	const v4df shifter = {VM_SHIFTER, VM_SHIFTER, VM_SHIFTER, VM_SHIFTER};
	v4df		x = *xin,
				kd,
				r,
				p;
	v4du		kbits;

	x = V4SELECT(x < lo, lo, x);
	kd = x * VM_LOG2E + shifter;
	kbits = (v4du) kd;
	kd = kd - shifter;
	r = (x - kd * VM_LN2HI) - kd * VM_LN2LO;
	VM_EXP_POLY(p, r);
	*out = (v4df) ((v4du) p + (kbits << 52));
}

/*
 * log(1 + e) for 0 <= e <= 1: u = 1 + e rounded, c = e - (u - 1) its
 * rounding error (u - 1 is exact), log1p(e) = log(u) + c / u to first
 * order.  log(u): u = 2^k m with m in [sqrt(2)/2, sqrt(2)] (k = 0 or 1,
 * exact halving), f = m - 1 exact, s = f / (2 + f), log(m) = 2 atanh(s) =
 * 2 s (1 + s^2/3 + s^4/5 + ... + s^22/23) (|s| <= 0.1716: truncation below
 * 1e-18 relative).
 */
#define VM_ATANH_POLY(R, z) \
	do { \
		(R) = (z) * (1.0 / 23.0) + 1.0 / 21.0; \
		(R) = (R) * (z) + 1.0 / 19.0; \
		(R) = (R) * (z) + 1.0 / 17.0; \
		(R) = (R) * (z) + 1.0 / 15.0; \
		(R) = (R) * (z) + 1.0 / 13.0; \
		(R) = (R) * (z) + 1.0 / 11.0; \
		(R) = (R) * (z) + 1.0 / 9.0; \
		(R) = (R) * (z) + 1.0 / 7.0; \
		(R) = (R) * (z) + 1.0 / 5.0; \
		(R) = (R) * (z) + 1.0 / 3.0; \
		(R) = (R) * (z); \
	} while (0)

static inline double
BpLog1pUnit(double e)
{
	double		u = 1.0 + e,
				c = e - (u - 1.0),
				k = u > VM_SQRT2 ? 1.0 : 0.0,
				m = u > VM_SQRT2 ? u * 0.5 : u,
				f = m - 1.0,
				s = f / (2.0 + f),
				R;

	VM_ATANH_POLY(R, s * s);
	return k * VM_LN2HI + ((2.0 * s + 2.0 * s * R) + (k * VM_LN2LO + c / u));
}

static pg_attribute_always_inline void
BpLog1pUnit4(const v4df *ein, v4df *out)
{
	const v4df one = {1.0, 1.0, 1.0, 1.0};
	const v4df zero = {0.0, 0.0, 0.0, 0.0};
	const v4df two = {2.0, 2.0, 2.0, 2.0};
	const v4df sqrt2 = {VM_SQRT2, VM_SQRT2, VM_SQRT2, VM_SQRT2};
	v4df		e = *ein,
				u = one + e,
				c = e - (u - one),
				k = V4SELECT(u > sqrt2, one, zero),
				m = V4SELECT(u > sqrt2, u * 0.5, u),
				f = m - one,
				s = f / (two + f),
				z = s * s,
				R;

	VM_ATANH_POLY(R, z);
	*out = k * VM_LN2HI + ((two * s + two * s * R) + (k * VM_LN2LO + c / u));
}

/* may code compiled with target("avx") run here?  (backend thread only) */
static inline bool
BpCpuHasAvx(void)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx") != 0;
#else
	return false;
#endif
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define BP_HAVE_AVX_PATH 1
#endif

#endif							/* BUYPOWER_VECMATH_H */

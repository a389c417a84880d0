/*-------------------------------------------------------------------------
 *
 * distrib.c
 *	  p-values for the model summaries.
 *
 * The t and F tails are regularized incomplete beta functions I_x(a, b),
 * evaluated by the continued fraction of [1, 26.5.8] with the modified
 * Lentz algorithm [2].  Callers pass both x and 1 - x, each computed
 * without cancellation, and the fraction is evaluated on the side where it
 * converges fast.
 *
 * [1] M. Abramowitz, I. A. Stegun, Handbook of Mathematical Functions, 1964.
 * [2] W. J. Lentz, Generating Bessel functions in Mie scattering
 *     calculations using continued fractions, Applied Optics 15, 1976.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "utils/float.h"

#include "distrib.h"

#define TINY	1e-300

/*
 * Continued fraction for I_x(a, b) / front, valid for x < (a+1)/(a+b+2).
 */
static double
BetaFraction(double a, double b, double x)
{
	double		c = 1.0,
				d = 1.0 - (a + b) * x / (a + 1.0),
				h;
	int			m;

	if (fabs(d) < TINY)
		d = TINY;
	d = 1.0 / d;
	h = d;
	for (m = 1; m <= 10000; m++)
	{
		double		m2 = 2.0 * m,
					num,
					delta;

		/* even step */
		num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
		d = 1.0 + num * d;
		c = 1.0 + num / c;
		d = 1.0 / (fabs(d) < TINY ? TINY : d);
		c = fabs(c) < TINY ? TINY : c;
		h *= d * c;
		/* odd step */
		num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
		d = 1.0 + num * d;
		c = 1.0 + num / c;
		d = 1.0 / (fabs(d) < TINY ? TINY : d);
		c = fabs(c) < TINY ? TINY : c;
		delta = d * c;
		h *= delta;
		if (fabs(delta - 1.0) < 1e-16)
			break;
	}
	return h;
}

/*
 * Regularized incomplete beta I_x(a, b), given x and y = 1 - x.
 */
static double
IncompleteBeta(double a, double b, double x, double y)
{
	double		lfront;

	if (x <= 0.0)
		return 0.0;
	if (y <= 0.0)
		return 1.0;
	lfront = a * log(x) + b * log(y) - (lgamma(a) + lgamma(b) - lgamma(a + b));
	if (x < (a + 1.0) / (a + b + 2.0))
		return exp(lfront) * BetaFraction(a, b, x) / a;
	return 1.0 - exp(lfront) * BetaFraction(b, a, y) / b;
}

/*
 * P(|T| > |t|) for Student's t with df degrees of freedom.
 */
double
DistribTTwoSided(double t, double df)
{
	double		t2 = t * t;

	if (isnan(t) || !(df > 0))
		return get_float8_nan();
	if (isinf(t))
		return 0.0;
	return IncompleteBeta(df / 2.0, 0.5, df / (df + t2), t2 / (df + t2));
}

/*
 * P(F > f) for the F distribution with (df1, df2) degrees of freedom.
 */
double
DistribFUpper(double f, double df1, double df2)
{
	if (isnan(f) || !(df1 > 0) || !(df2 > 0))
		return get_float8_nan();
	if (isinf(f))
		return 0.0;
	if (f <= 0.0)
		return 1.0;
	return IncompleteBeta(df2 / 2.0, df1 / 2.0,
						  df2 / (df2 + df1 * f), df1 * f / (df2 + df1 * f));
}

/*
 * P(|Z| > |z|) for a standard normal Z.
 */
double
DistribNormalTwoSided(double z)
{
	if (isnan(z))
		return get_float8_nan();
	return erfc(fabs(z) / M_SQRT2);
}

/*-------------------------------------------------------------------------
 *
 * distrib.h
 *	  Tail probabilities of the t, F and normal distributions.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BUYPOWER_DISTRIB_H
#define BUYPOWER_DISTRIB_H

extern double DistribTTwoSided(double t, double df);
extern double DistribFUpper(double f, double df1, double df2);
extern double DistribNormalTwoSided(double z);

#endif							/* BUYPOWER_DISTRIB_H */

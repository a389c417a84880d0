/*-------------------------------------------------------------------------
 *
 * learn_linreg.c
 *	  buypower.linreg: least squares and ridge regression in one pass.
 *
 * Algorithm.  The state is the triangular factor R of the QR decomposition
 * of the design Z = [1, X - k, y - k_y], where k is the first row seen
 * (the "shifted data" trick that makes the intercept column nearly
 * orthogonal to the others, as centring does, without a second pass).
 * Rows are buffered in blocks of LINREG_BLOCK and folded into R with
 * Householder reflections (linalg.c), so no cross-product matrix is ever
 * formed: the normal equations square the condition number and lose every
 * digit on NIST's Filip data, where QR keeps about seven.  This is the
 * streaming-QR family of AS 274 [1] and R's biglm, with Householder blocks
 * instead of row-by-row Givens rotations for speed.
 *
 * Merging two states (parallel workers, partitionwise aggregation) stacks
 * the second R under the first after moving it to the first's shift:
 * Z' = Z T with T = I + e_0 d^T changes only R's first row, R[0][j] +=
 * R[0][0] d_j.  The merge is exact up to rounding, so serial and parallel
 * runs agree to about 1e-13.
 *
 * Solving.  A column whose part orthogonal to the columns before it is
 * below LINREG_ALIAS_TOL of its own norm is aliased (collinear, or
 * constant): its coefficient is reported as null, contributes 0 to
 * predictions, and the others are fitted without it, as R's lm does [2].
 * Ridge ("l2") appends sqrt(l2) * I rows for the slopes before solving;
 * the intercept is never penalised.
 *
 * [1] A. J. Miller, Algorithm AS 274: Least squares routines to supplement
 *     those of Gentleman, Applied Statistics 41(2), 1992.
 * [2] R Core Team, lm() and LINPACK dqrdc2 with limited column pivoting.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/float.h"

#include "buypower.h"
#include "aggstate.h"
#include "distrib.h"
#include "linalg.h"
#include "model.h"

#define LINREG_BLOCK		128
#define LINREG_ALIAS_TOL	1e-11
#define LINREG_COND_MAX_P	200		/* condition number only up to this rank */

typedef struct LinregLearner
{
	int			q;				/* columns of Z: [1,] x_1..x_p, y */
	int			xoff;			/* 1 with an intercept column, else 0 */
	bool		have_shift;		/* shift holds the first row */
	double	   *shift;			/* p + 1 values: x, then y */
	double	   *R;				/* q x q, row-major, upper triangular */
	int			nbuf;			/* rows waiting in buf */
	double	   *buf;			/* q x LINREG_BLOCK, column-major */
} LinregLearner;

/*
 * Allocate the learner for s->nfeatures features.
 */
static void
LinregCreate(BpAggState *s)
{
	LinregLearner *L = palloc0(sizeof(LinregLearner));
	int			p = s->nfeatures;

	L->xoff = s->opts.intercept ? 1 : 0;
	L->q = p + L->xoff + 1;
	L->shift = palloc0(sizeof(double) * (p + 1));
	L->R = palloc0(sizeof(double) * L->q * L->q);
	L->buf = palloc0(sizeof(double) * L->q * LINREG_BLOCK);
	s->learner = L;
}

/*
 * Fold the buffered rows into R.
 */
static void
LinregFlush(LinregLearner *L)
{
	if (L->nbuf > 0)
	{
		LinalgQrAddRows(L->R, L->q, L->buf, LINREG_BLOCK, L->nbuf);
		L->nbuf = 0;
	}
}

/*
 * Add one row: shift it and park it in the block buffer.
 */
static void
LinregAccum(BpAggState *s, double y, const double *x)
{
	LinregLearner *L = s->learner;
	int			p = s->nfeatures,
				j;

	if (!L->have_shift && L->xoff)
	{
		memcpy(L->shift, x, sizeof(double) * p);
		L->shift[p] = y;
		L->have_shift = true;
	}

	/*
	 * The row's cells are written through b alone (restrict, in this block
	 * only), so the compiler need not reload the shift after every store.
	 */
	{
		double	   *restrict b = L->buf + L->nbuf;
		const double *k = L->shift;

		if (L->xoff)
		{
			b[0] = 1.0;
			b += LINREG_BLOCK;
		}
		/* column j of the block after the intercept's; y last */
		for (j = 0; j < p; j++)
			b[(Size) j * LINREG_BLOCK] = x[j] - k[j];
		b[(Size) p * LINREG_BLOCK] = y - k[p];
	}
	if (++L->nbuf == LINREG_BLOCK)
		LinregFlush(L);
}

/*
 * LinregAccum is plain arithmetic (LinalgQrAddRows included) unless R is
 * wide enough for LinalgQrAddRows to check for interrupts.
 */
static bool
LinregAccumIsPure(const BpAggState *s)
{
	return ((const LinregLearner *) s->learner)->q <= LINALG_QR_CHECK_Q;
}

/*
 * Stack src's R and buffered rows, moved to dst's shift, under dst's R.
 */
static void
LinregMerge(BpAggState *ds, BpAggState *ss)
{
	LinregLearner *D = ds->learner;
	LinregLearner *S = ss->learner;
	int			q = D->q,
				p = ds->nfeatures,
				m = q + S->nbuf,
				i,
				c;
	double	   *blk,
			   *delta;

	if (D->q != S->q)
		elog(ERROR, "cannot merge linreg states fitted with different intercept options");
	if (!S->have_shift && S->xoff)
		return;					/* src saw no rows */
	if (!D->have_shift && D->xoff)
	{
		memcpy(D->shift, S->shift, sizeof(double) * (p + 1));
		D->have_shift = true;
	}
	delta = palloc0(sizeof(double) * q);
	for (c = D->xoff; c < q; c++)
		delta[c] = S->shift[c - D->xoff] - D->shift[c - D->xoff];

	blk = palloc0(sizeof(double) * (Size) m * q);
	for (i = 0; i < q; i++)
		for (c = i; c < q; c++)
			blk[(Size) c * m + i] = S->R[i * q + c] + (i == 0 ? S->R[0] * delta[c] : 0.0);
	for (i = 0; i < S->nbuf; i++)
		for (c = 0; c < q; c++)
			blk[(Size) c * m + q + i] = S->buf[(Size) c * LINREG_BLOCK + i] + delta[c];
	LinregFlush(D);
	LinalgQrAddRows(D->R, q, blk, m, m);
	pfree(blk);
	pfree(delta);
}

/*
 * Write the learner: shift and the upper triangle of R.
 */
static void
LinregSerialize(BpAggState *s, StringInfo buf)
{
	LinregLearner *L = s->learner;
	int			i,
				j;

	LinregFlush(L);
	pq_sendbyte(buf, L->xoff);
	pq_sendbyte(buf, L->have_shift);
	for (i = 0; i <= s->nfeatures; i++)
		pq_sendfloat8(buf, L->shift[i]);
	for (i = 0; i < L->q; i++)
		for (j = i; j < L->q; j++)
			pq_sendfloat8(buf, L->R[i * L->q + j]);
}

/*
 * Read what LinregSerialize wrote, checking the length first.
 */
static void
LinregDeserialize(BpAggState *s, StringInfo buf)
{
	LinregLearner *L = s->learner;
	int			i,
				j;
	Size		need = 2 + sizeof(double) * ((Size) s->nfeatures + 1 + (Size) L->q * (L->q + 1) / 2);

	if ((Size) (buf->len - buf->cursor) != need || pq_getmsgbyte(buf) != L->xoff)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid serialized linreg aggregate state")));
	L->have_shift = pq_getmsgbyte(buf) != 0;
	for (i = 0; i <= s->nfeatures; i++)
		L->shift[i] = pq_getmsgfloat8(buf);
	for (i = 0; i < L->q; i++)
		for (j = i; j < L->q; j++)
			L->R[i * L->q + j] = pq_getmsgfloat8(buf);
}

/* What the solver works out, in the shifted coordinates */
typedef struct LinregFit
{
	int			rank;
	int		   *kept;			/* kept[a] = column of Z for pivot a */
	char	   *aliased;		/* per column of Z, excluding y */
	double	   *Rk;				/* rank x rank upper factor of kept columns */
	double	   *beta;			/* rank coefficients (shifted) */
	double		rss;			/* residual sum of squares (ridge: + penalty) */
} LinregFit;

/*
 * Triangularise again with limited pivoting: columns of M (q x q, upper)
 * whose new information is below tolerance are set aside as aliased.
 */
static void
LinregPivot(double *M, int q, LinregFit *f)
{
	int			r = 0,
				j,
				i,
				c;
	double	   *v = palloc(sizeof(double) * q);

	f->kept = palloc(sizeof(int) * q);
	f->aliased = palloc0(q);
	for (j = 0; j < q - 1; j++)
	{
		double		colnorm = 0.0,
					resid = 0.0,
					alpha,
					vtv;

		CHECK_FOR_INTERRUPTS();
		for (i = 0; i <= j; i++)
			colnorm += M[i * q + j] * M[i * q + j];
		for (i = r; i <= j; i++)
			resid += M[i * q + j] * M[i * q + j];
		if (colnorm == 0.0 || sqrt(resid) <= LINREG_ALIAS_TOL * sqrt(colnorm))
		{
			f->aliased[j] = 1;
			continue;
		}
		/* reflect rows r..j so that column j has a single entry at row r */
		alpha = -copysign(sqrt(resid), M[r * q + j]);
		for (i = r; i <= j; i++)
			v[i] = M[i * q + j];
		v[r] -= alpha;
		vtv = resid - M[r * q + j] * M[r * q + j] + v[r] * v[r];
		for (c = j; c < q; c++)
		{
			double		w = 0.0;

			for (i = r; i <= j; i++)
				w += v[i] * M[i * q + c];
			w *= 2.0 / vtv;
			for (i = r; i <= j; i++)
				M[i * q + c] -= w * v[i];
		}
		f->kept[r++] = j;
	}
	f->rank = r;
	f->rss = 0.0;
	for (i = r; i < q; i++)
		f->rss += M[i * q + q - 1] * M[i * q + q - 1];

	f->Rk = palloc0(sizeof(double) * (r > 0 ? r * r : 1));
	f->beta = palloc0(sizeof(double) * (r + 1));
	for (i = 0; i < r; i++)
	{
		for (c = i; c < r; c++)
			f->Rk[i * r + c] = M[i * q + f->kept[c]];
		f->beta[i] = M[i * q + q - 1];
	}
	LinalgSolveUpper(f->Rk, r, r, f->beta);
	pfree(v);
}

/*
 * Residual sum of squares of coefficients b (shifted, one per column of Z
 * but y) against the data's R: ||R [b; -1]||^2.
 */
static double
LinregRss(const double *R, int q, const double *b)
{
	double		rss = 0.0;
	int			i,
				c;

	for (i = 0; i < q; i++)
	{
		double		e = -R[i * q + q - 1];

		for (c = i; c < q - 1; c++)
			e += R[i * q + c] * b[c];
		rss += e * e;
	}
	return rss;
}

/*
 * Standard errors of the coefficients (per column of Z but y): for slopes,
 * sigma * ||row of Rk^-1||; for the intercept, whose estimate is
 * b0 = b0' - k^T b, sigma * ||Rk^-T c|| with c = (1, -k).
 */
static void
LinregStdErrors(const LinregLearner *L, const LinregFit *f, double sigma,
				double *se)
{
	int			r = f->rank,
				a,
				c;
	double	   *inv = palloc(sizeof(double) * (r > 0 ? r * r : 1));

	LinalgInvertUpper(f->Rk, r, r, inv);
	for (a = 0; a < r; a++)
	{
		double		s = 0.0;

		for (c = a; c < r; c++)
			s += inv[a * r + c] * inv[a * r + c];
		se[f->kept[a]] = sigma * sqrt(s);
	}
	if (L->xoff)
	{
		double	   *u = palloc(sizeof(double) * r);

		u[0] = 1.0;
		for (a = 1; a < r; a++)
			u[a] = -L->shift[f->kept[a] - 1];
		LinalgSolveUpperTrans(f->Rk, r, r, u);
		se[0] = sigma * sqrt(LinalgDot(u, u, r));
		pfree(u);
	}
	pfree(inv);
}

/*
 * 2-norm condition number of the unshifted design [1, X] of kept columns.
 */
static double
LinregCondition(const LinregLearner *L, const LinregFit *f)
{
	int			r = f->rank,
				c;
	double	   *A;

	if (r == 0 || r > LINREG_COND_MAX_P)
		return get_float8_nan();
	A = palloc(sizeof(double) * r * r);
	memcpy(A, f->Rk, sizeof(double) * r * r);
	if (L->xoff)
		for (c = 1; c < r; c++)
			A[c] += A[0] * L->shift[f->kept[c] - 1];
	return LinalgCondition(A, r);
}

/*
 * Tell the user which coefficients could not be estimated.
 */
static void
LinregReportAliased(const BpAggState *s, const LinregFit *f)
{
	int			q = ((LinregLearner *) s->learner)->q;
	int			xoff = ((LinregLearner *) s->learner)->xoff;
	StringInfoData which;
	int			j,
				count = 0;

	initStringInfo(&which);
	for (j = xoff; j < q - 1; j++)
		if (f->aliased[j])
			appendStringInfo(&which, "%s%d", count++ > 0 ? ", " : "", j - xoff + 1);
	if (count > 0)
		ereport(NOTICE,
				(errmsg("linreg: %d of %d features are constant or collinear with earlier features",
						count, s->nfeatures),
				 errdetail_plural("Feature %s gets a null coefficient and adds nothing to predictions.",
								  "Features %s get null coefficients and add nothing to predictions.",
								  count, which.data)));
}

/*
 * Solve and build the model.
 */
static Model *
LinregFinish(BpAggState *s)
{
	LinregLearner *L = s->learner;
	int			q = L->q,
				p = s->nfeatures,
				xoff = L->xoff,
				j;
	double	   *M = palloc(sizeof(double) * q * q);
	double	   *b = palloc0(sizeof(double) * q);	/* shifted, per column */
	double	   *coef = palloc0(sizeof(double) * (p + 1));
	double	   *se = palloc(sizeof(double) * (p + 1));
	char	   *aliased = palloc0(p + 1);
	double		stats[2 * (MSTAT_MAX + 1)];
	int			nstats = 0;
	double		tss = 0.0,
				rss,
				df,
				sigma,
				r2,
				fstat,
				cond;
	bool		ridge = s->opts.l2 > 0.0;
	bool		anyalias = false;
	LinregFit	f;
	ModelBuilder mb;

	LinregFlush(L);
	for (j = 0; j < q * q; j++)
		if (!isfinite(L->R[j]))
			float_overflow_error();
	memcpy(M, L->R, sizeof(double) * q * q);
	if (ridge)
	{
		double	   *pen = palloc0(sizeof(double) * q * p);

		for (j = 0; j < p; j++)
			pen[(Size) (j + xoff) * p + j] = sqrt(s->opts.l2);
		LinalgQrAddRows(M, q, pen, p, p);
	}
	LinregPivot(M, q, &f);
	for (j = 0; j < f.rank; j++)
		b[f.kept[j]] = f.beta[j];

	/* sums of squares: TSS about the mean (uncentred without intercept) */
	for (j = xoff; j < q; j++)
		tss += L->R[j * q + q - 1] * L->R[j * q + q - 1];
	rss = ridge ? LinregRss(L->R, q, b) : f.rss;
	df = (double) s->n - f.rank;
	sigma = df > 0 ? sqrt(rss / df) : get_float8_nan();
	r2 = tss > 0 ? 1.0 - rss / tss : get_float8_nan();
	fstat = (f.rank > xoff && df > 0) ?
		((tss - rss) / (f.rank - xoff)) / (rss / df) : get_float8_nan();
	if (isnan(fstat) && f.rank > xoff && df > 0 && rss == 0.0)
		fstat = get_float8_infinity();
	cond = ridge ? get_float8_nan() : LinregCondition(L, &f);

	/* coefficients on the original scale */
	for (j = 0; j < p; j++)
	{
		coef[j + 1] = b[j + xoff];
		aliased[j + 1] = f.aliased[j + xoff];
		anyalias |= aliased[j + 1];
	}
	if (xoff)
	{
		coef[0] = b[0] + L->shift[p];
		for (j = 0; j < p; j++)
			coef[0] -= L->shift[j] * coef[j + 1];
	}
	for (j = 0; j <= p; j++)
		se[j] = get_float8_nan();
	if (!ridge && df > 0)
	{
		double	   *sez = palloc(sizeof(double) * q);

		for (j = 0; j < q; j++)
			sez[j] = get_float8_nan();
		LinregStdErrors(L, &f, sigma, sez);
		for (j = 0; j < p + xoff; j++)
			se[j + 1 - xoff] = sez[j];
	}
	if (anyalias)
		LinregReportAliased(s, &f);

	BpAddCommonStats(stats, &nstats, s);
	BpAddStat(stats, &nstats, MSTAT_RANK, f.rank);
	BpAddStat(stats, &nstats, MSTAT_DF_RESIDUAL, df);
	BpAddStat(stats, &nstats, MSTAT_R2, r2);
	BpAddStat(stats, &nstats, MSTAT_ADJ_R2, 1.0 - (1.0 - r2) * ((double) s->n - xoff) / df);
	BpAddStat(stats, &nstats, MSTAT_SIGMA, sigma);
	BpAddStat(stats, &nstats, MSTAT_RSS, rss);
	BpAddStat(stats, &nstats, MSTAT_TSS, tss);
	BpAddStat(stats, &nstats, MSTAT_F, fstat);
	BpAddStat(stats, &nstats, MSTAT_F_PVALUE, DistribFUpper(fstat, f.rank - xoff, df));
	BpAddStat(stats, &nstats, MSTAT_COND, cond);
	BpAddStat(stats, &nstats, MSTAT_L2, s->opts.l2);
	PrepAddStats(stats, &nstats, s);

	ModelBuilderInit(&mb, MODEL_LINREG, xoff ? MODEL_HAS_INTERCEPT : 0, p);
	ModelAddDoubles(&mb, MTAG_COEF, coef, p + 1);
	if (!ridge)
		ModelAddDoubles(&mb, MTAG_STDERR, se, p + 1);
	if (anyalias)
		ModelAddBytes(&mb, MTAG_ALIASED, aliased, p + 1);
	ModelAddDoubles(&mb, MTAG_STATS, stats, nstats);
	BpAddNames(&mb, s);
	return ModelFinish(&mb, ERRCODE_INTERNAL_ERROR);
}

/*
 * Means and centred sums of squares of the features, from R: with the
 * intercept column first, R[0][c] / R[0][0] is the mean of column c of the
 * shifted design, and the rest of column c (rows 1..c) has the norm of its
 * part orthogonal to the ones, the centred sum of squares: what a second
 * pass would compute, with the accuracy of the QR.
 */
static void
LinregMoments(BpAggState *s, double *center, double *css)
{
	LinregLearner *L = s->learner;
	int			q = L->q,
				j,
				i;

	Assert(L->xoff == 1);
	LinregFlush(L);
	for (j = 0; j < s->nfeatures; j++)
	{
		int			c = j + 1;
		double		acc = 0.0;

		center[j] = L->shift[j] + (L->R[0] != 0.0 ? L->R[c] / L->R[0] : 0.0);
		for (i = 1; i <= c; i++)
			acc += L->R[i * q + c] * L->R[i * q + c];
		css[j] = acc;
	}
}

/*
 * Move the learner to the design (x - center) / scale: the shifted column
 * x_j - k_j becomes (x_j - k_j) / scale_j, the new shift being the first
 * row's design value, so R's column j is divided by scale_j.
 */
static void
LinregRescale(BpAggState *s, const double *center, const double *scale)
{
	LinregLearner *L = s->learner;
	int			q = L->q,
				j,
				i;

	Assert(L->xoff == 1);
	LinregFlush(L);
	for (j = 0; j < s->nfeatures; j++)
	{
		int			c = j + 1;

		for (i = 0; i <= c; i++)
			L->R[i * q + c] /= scale[j];
		L->shift[j] = (L->shift[j] - center[j]) / scale[j];
	}
}

static const LearnerOps LinregOps = {
	.kind = MODEL_LINREG,
	.name = "linreg",
	.options = BPOPT_INTERCEPT | BPOPT_L2 | BPOPT_NAMES | BPOPT_THREADS,
	.create = LinregCreate,
	.accum = LinregAccum,
	.accum_is_pure = LinregAccumIsPure,
	.moments = LinregMoments,
	.rescale = LinregRescale,
	.merge = LinregMerge,
	.serialize = LinregSerialize,
	.deserialize = LinregDeserialize,
	.finish = LinregFinish,
};

PG_FUNCTION_INFO_V1(linreg_accum);
Datum
linreg_accum(PG_FUNCTION_ARGS)
{
	return BpAggAccum(fcinfo, &LinregOps);
}

PG_FUNCTION_INFO_V1(linreg_accum_values);
Datum
linreg_accum_values(PG_FUNCTION_ARGS)
{
	return BpAggAccumValues(fcinfo, &LinregOps);
}

PG_FUNCTION_INFO_V1(linreg_combine);
Datum
linreg_combine(PG_FUNCTION_ARGS)
{
	return BpAggCombine(fcinfo, &LinregOps);
}

PG_FUNCTION_INFO_V1(linreg_serialize);
Datum
linreg_serialize(PG_FUNCTION_ARGS)
{
	return BpAggSerialize(fcinfo, &LinregOps);
}

PG_FUNCTION_INFO_V1(linreg_deserialize);
Datum
linreg_deserialize(PG_FUNCTION_ARGS)
{
	return BpAggDeserialize(fcinfo, &LinregOps);
}

PG_FUNCTION_INFO_V1(linreg_final);
Datum
linreg_final(PG_FUNCTION_ARGS)
{
	return BpAggFinal(fcinfo, &LinregOps);
}

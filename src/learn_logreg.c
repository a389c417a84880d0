/*-------------------------------------------------------------------------
 *
 * learn_logreg.c
 *	  buypower.logreg: logistic regression (optionally L2-penalised and
 *	  class-weighted) by Newton's method.
 *
 * Storage.  Newton's method revisits every row once per iteration, so the
 * state keeps the training rows: p features and the label as p + 1
 * doubles (or, for one-hot categorical features from prep.c, the numeric
 * design values, one column number per slot and the label: "compact"
 * rows), in a RowStore (rowstore.c) in the aggregate context: blocks of
 * 16 kB at first, doubling up to 32 MB, so small groups stay small and no
 * single allocation ever approaches 1 GB.  Memory is 8 (p + 1) bytes per
 * row plus under one block; buypower.max_training_memory caps it.
 *
 * Threads.  A pass over more than 2 LOGREG_HALF rows goes in rounds of two
 * halves; with "threads": 2 (the default) the helper thread of worker.c
 * runs the second half of a round while the backend runs the first.  Each
 * half keeps its own sums across rounds and the pass adds them in a fixed
 * order, so the bytes of the model do not depend on "threads" or timing
 * (see LogregPass).  The halves call only arithmetic, libm and the linalg
 * kernels (LinalgAddCols, LinalgScaleRows, LinalgCrossAdd: no PostgreSQL
 * calls); interrupts are checked between rounds, after both halves end.
 * From LOGREG_SUB_MIN_ROWS rows on, the first pass runs on the helper
 * during the scan (see LogregPipe).
 *
 * Parallel plans.  Workers scan their share of the table and collect its
 * rows; each worker's rows are serialized (as they are in memory), sent to
 * the leader, deserialized into blocks of the aggregate context and linked
 * into the leader's state (LogregMerge).  The Newton solve then runs in
 * the leader alone, in the final function.  A worker's serialized state
 * must fit in a bytea (1 GB).
 *
 * Objective and solver: see the block comment above LogregNewton.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "buypower.h"
#include "aggstate.h"
#include "linalg.h"
#include "model.h"
#include "rowstore.h"
#include "vecmath.h"
#include "worker.h"

#define LOGREG_PIVOT_TOL	1e-10	/* singular Hessian: 1 - R^2 below this */
#define LOGREG_SEP_RHO		1e-6	/* separation: curvature ratio below this */
#define LOGREG_ARMIJO		1e-4
#define LOGREG_MAX_HALVINGS 40
#define LOGREG_SUB_MIN_ROWS 200000	/* warm start on a subsample from here */
#define LOGREG_SUB_ROWS		25000	/* about this many rows in the subsample */
#define LOGREG_SUB_TOL		1e-6
#define LOGREG_SUB_MAX_ITER 25
#define LOGREG_BLOCK		64		/* rows per LinalgCrossAdd in a full pass */
#define LOGREG_HALF			32768	/* rows per half of a round of a pass */
#define LOGREG_ROUND		(2 * LOGREG_HALF)
#define LOGREG_PIPE_BLOCKS	1024	/* row store blocks a pipe can follow */
#define LOGREG_REFINE_ROWS	(31 * LOGREG_ROUND)	/* a second warm start here */
#define LOGREG_REFINE_MAX	1e-2	/* ... if its decrement is below this */

typedef struct LogregLearner
{
	int			p;
	int64		npos;			/* rows with label 1 */
	RowStore	rows;			/* p + 1 doubles each: x, then y; or compact */
	int			ncat;			/* compact rows (adopted from prep.c): nx
								 * values, ncat one-hot column numbers, y */
	int			nx;				/* compact: design values stored (else p) */
	bool		donor;			/* deserialized into the aggregate context:
								 * a merge may take the rows over */
	bool		prefix_tried;	/* LogregPrefixStart has run */
	bool		merged;			/* rows were merged in (LogregMerge) */
	struct LogregPrefix *pre;	/* the warm start it found, or NULL */
	struct LogregPipe *pipe;	/* the first pass at it, running, or NULL */
} LogregLearner;

/*
 * A warm start taken from the first LOGREG_SUB_MIN_ROWS rows while the
 * scan goes on (LogregPrefixStart).
 */
typedef struct LogregPrefix
{
	double	   *beta;			/* where the full-data iterations begin */
	double	   *H0;				/* the subsample's starting curvature */
	int64		nsub;			/* rows in the subsample */
	int			q;
	bool		refined;		/* LogregRefine has run */
} LogregPrefix;

static void LogregRowsEvent(BpAggState *s);
static void LogregPipeHalt(LogregLearner *L);
static void LogregPipeDrop(LogregLearner *L);

/*
 * Allocate the learner for s->nfeatures features.
 */
static void
LogregCreate(BpAggState *s)
{
	LogregLearner *L = palloc0(sizeof(LogregLearner));

	L->p = L->nx = s->nfeatures;
	/* the learner's own context: the transition runs in a per-tuple one */
	RowStoreInit(&L->rows, L->p + 1, CurrentMemoryContext);
	s->learner = L;
}

/*
 * Report that the rows do not fit under buypower.max_training_memory.
 */
static void
pg_attribute_noreturn()
LogregTooMuchData(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("logreg training data exceeds buypower.max_training_memory (%d kB)",
					bp_max_training_memory),
			 errhint("Raise buypower.max_training_memory, or train on a sample of the table (TABLESAMPLE).")));
}

/*
 * Append nrows rows (p + 1 doubles each), copying them.
 */
static void
LogregAppendRows(LogregLearner *L, const double *rows, int64 nrows)
{
	if (!RowStoreAppend(&L->rows, rows, nrows, (Size) bp_max_training_memory * 1024))
		LogregTooMuchData();
}

/*
 * Add one row; the label must be 0 or 1.
 */
static void
LogregAccum(BpAggState *s, double y, const double *x)
{
	LogregLearner *L = s->learner;
	double	   *row;

	if (y != 0.0 && y != 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("logreg label must be 0 or 1, not %g", y)));
	row = RowStoreNextRow(&L->rows, (Size) bp_max_training_memory * 1024);
	if (row == NULL)
		LogregTooMuchData();
	memcpy(row, x, sizeof(double) * (L->rows.w - 1));
	row[L->rows.w - 1] = y;
	L->npos += (y == 1.0);
	if (unlikely((L->rows.nrows & (LOGREG_ROUND - 1)) == 0 ||
				 L->rows.nrows == LOGREG_SUB_MIN_ROWS))
		LogregRowsEvent(s);
}

/*
 * Take over a store of design rows (prep.c), in place of the empty one:
 * full rows, or compact ones whose last ncat values before the label name
 * the one-hot column holding 1 in each categorical slot (aggstate.h).  The
 * passes never build the one-hot columns (LogregBlockTerms); a
 * learner holding compact rows is only finished, never merged or
 * serialized.
 */
static void
LogregAdoptRows(BpAggState *s, RowStore *rows, int64 npos, int ncat)
{
	LogregLearner *L = s->learner;

	Assert(L->rows.nrows == 0);
	if (ncat == 0 ? rows->w != L->p + 1 : rows->w - 1 - ncat < 0 || rows->w - 1 - ncat > L->p)
		elog(ERROR, "logreg cannot adopt rows of %d values for %d features", rows->w, L->p);
	L->rows = *rows;
	L->npos = npos;
	L->ncat = ncat;
	L->nx = rows->w - 1 - ncat;
}

/*
 * Take compact rows from now on (prep.c's replay of one-hot encoded rows):
 * accum's x is then the nfeatures - (one-hot columns) numeric design
 * values followed by ncat design column numbers, as adopt_rows describes.
 */
static void
LogregCompact(BpAggState *s, int ncat, int nx)
{
	LogregLearner *L = s->learner;

	/* a slot may have no design column (one level): nx + ncat may pass p */
	if (L->rows.nrows != 0 || nx > L->p || nx < 0 || ncat <= 0)
		elog(ERROR, "logreg cannot switch to compact rows");
	L->ncat = ncat;
	L->nx = nx;
	RowStoreInit(&L->rows, nx + ncat + 1, L->rows.cxt);
}

/*
 * Append a copy of src's rows to dst: src may live in a short-lived context.
 */
static void
LogregMerge(BpAggState *ds, BpAggState *ss)
{
	LogregLearner *D = ds->learner;
	LogregLearner *S = ss->learner;
	RowBlock   *b;

	if (D->ncat > 0 || S->ncat > 0)
		elog(ERROR, "cannot merge logreg states holding compact rows");
	if (D->p != S->p || D->rows.w != S->rows.w)
		elog(ERROR, "cannot merge logreg states of %d and %d features (rows of %d and %d values)",
			 D->p, S->p, D->rows.w, S->rows.w);

	/*
	 * D's first rows stay first, so its warm start still holds, and its
	 * first pass so far too, but that pass follows no more rows (LogregSolve
	 * does the rest).  S's rows follow D's: an empty D takes S's warm start
	 * (its first rows are S's), never S's pass.
	 */
	D->merged = true;
	if (D->pipe != NULL)
		LogregPipeHalt(D);
	if (S->pipe != NULL)
		LogregPipeDrop(S);
	if (D->rows.nrows == 0 && !D->prefix_tried)
	{
		D->prefix_tried = S->prefix_tried;
		if (S->pre != NULL)
		{
			LogregPrefix *pre = MemoryContextAlloc(GetMemoryChunkContext(D), sizeof(LogregPrefix));
			Size		hp = (Size) S->pre->q * (S->pre->q + 1) / 2;

			*pre = *S->pre;
			pre->beta = MemoryContextAlloc(GetMemoryChunkContext(D), sizeof(double) * pre->q);
			pre->H0 = MemoryContextAlloc(GetMemoryChunkContext(D), sizeof(double) * hp);
			memcpy(pre->beta, S->pre->beta, sizeof(double) * pre->q);
			memcpy(pre->H0, S->pre->H0, sizeof(double) * hp);
			D->pre = pre;
		}
	}
	D->npos += S->npos;

	/*
	 * A state deserialized from a parallel worker has its rows in blocks of
	 * the aggregate context, which outlives it: link the blocks, in order,
	 * instead of copying every row (the rows are the same either way).
	 */
	if (S->donor && S->rows.cxt == D->rows.cxt)
	{
		if (S->rows.head == NULL)
			return;
		if (D->rows.bytes + S->rows.bytes > (Size) bp_max_training_memory * 1024)
			LogregTooMuchData();
		if (D->rows.tail != NULL)
			D->rows.tail->next = S->rows.head;
		else
			D->rows.head = S->rows.head;
		D->rows.tail = S->rows.tail;
		D->rows.nrows += S->rows.nrows;
		D->rows.bytes += S->rows.bytes;
		RowStoreInit(&S->rows, S->rows.w, S->rows.cxt);
		S->npos = 0;
		return;
	}
	for (b = S->rows.head; b != NULL; b = b->next)
		LogregAppendRows(D, b->data, b->nrows);
}

/*
 * Report a serialized state that does not hold together.
 */
static void
pg_attribute_noreturn()
LogregBadState(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid serialized logreg aggregate state")));
}

/*
 * Write the row count, then every row's doubles, as they are in memory: the
 * state only travels from a parallel worker to its leader, processes of one
 * server on one machine, so native byte order is safe and costs a memcpy.
 */
static void
LogregSerialize(BpAggState *s, StringInfo buf)
{
	LogregLearner *L = s->learner;
	int			w = L->p + 1;
	double		bytes = (double) buf->len + 8.0 + 8.0 * w * (double) L->rows.nrows;
	RowBlock   *b;

	if (L->ncat > 0)
		elog(ERROR, "cannot serialize a logreg state holding compact rows");

	if (bytes > (double) (MaxAllocSize - VARHDRSZ - 1))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("logreg aggregate state of a parallel worker is too large to send to the leader"),
				 errdetail("A worker holds %lld rows of %d features, more than 1 GB.",
						   (long long) L->rows.nrows, L->p),
				 errhint("Train with buypower.parallel_training off (the default), or with max_parallel_workers_per_gather = 0.")));
	enlargeStringInfo(buf, (int) (bytes - buf->len));
	pq_sendint64(buf, L->rows.nrows);
	for (b = L->rows.head; b != NULL; b = b->next)
	{
		Size		len = sizeof(double) * w * b->nrows;

		memcpy(buf->data + buf->len, b->data, len);
		buf->len += len;
	}
	buf->data[buf->len] = '\0';
}

/*
 * Read what LogregSerialize wrote, checking the length before allocating.
 * Rows are copied straight into the blocks, a block at a time; the blocks go
 * in the aggregate context, so that the combine can take them over.
 */
static void
LogregDeserialize(BpAggState *s, StringInfo buf)
{
	LogregLearner *L = s->learner;
	int			w = L->p + 1;
	int64		nrows;

	if (s->donor_cxt != NULL)
	{
		RowStoreInit(&L->rows, w, s->donor_cxt);
		L->donor = true;
	}

	if (buf->len - buf->cursor < 8)
		LogregBadState();
	nrows = pq_getmsgint64(buf);
	if (nrows != s->n || nrows < 0 ||
		(double) nrows * w * 8.0 != (double) (buf->len - buf->cursor))
		LogregBadState();
	while (L->rows.nrows < nrows)
	{
		int64		k,
					i;
		double	   *dst = RowStoreReserve(&L->rows, nrows - L->rows.nrows, &k,
										  (Size) bp_max_training_memory * 1024);
		const char *src = buf->data + buf->cursor;

		if (dst == NULL)
			LogregTooMuchData();
		memcpy(dst, src, sizeof(double) * w * k);
		for (i = 0; i < k; i++)
		{
			double		y = dst[i * w + w - 1];

			if (y != 0.0 && y != 1.0)
				LogregBadState();
			L->npos += (y == 1.0);
		}
		buf->cursor += (int) (8 * k * w);
	}
}

/*
 * The optimisation problem over the stored rows.  beta has q = p + xoff
 * entries: the intercept first when there is one, then the slopes.
 */
typedef struct LogregProblem
{
	const LogregLearner *L;
	int			p;
	int			w;				/* doubles per stored row */
	int			nx;				/* design values stored per row */
	int			ncat;			/* one-hot column numbers stored after them */
	int		   *hrow;			/* compact: where row i of packed H starts */
	int		   *hoff;			/* ... minus i */
	int			q;
	int			xoff;			/* 1 with an intercept, else 0 */
	double		wneg;			/* class weights */
	double		wpos;
	double		l2;				/* penalty on the slopes */
	int64		stride;			/* use every stride-th row */
	double		penscale;		/* subsample share of the rows, for l2 */
	bool		threads;		/* may use the helper thread */
	bool		avx;			/* LogregRowTermsAvx may run */
	int			nblocks;		/* the row store's blocks, for random access: */
	const double **bdata;		/* ... where each one's rows are */
	int64	   *bnrows;			/* ... how many it holds */
	int64	   *bfirst;			/* ... and the index of its first row */
	struct LogregHalf *half[2];
} LogregProblem;

/*
 * One half of a pass: the selected rows [from, to) (row i of the pass is
 * stored row i * stride), its sums and its scratch.  LogregHalfRun is a
 * BpWorkerFn: it may run in the helper thread, so it calls nothing of
 * PostgreSQL's (worker.h).
 */
typedef struct LogregHalf
{
	const LogregProblem *P;
	const double *beta;
	bool		full;			/* gradient and Hessian too */
	int64		from;
	int64		to;
	double		loss;			/* sums, carried across rounds */
	double	   *g;
	double	   *H;
	double	   *bz;				/* scratch: a block of design rows, z */
	double	   *ba;				/* ... each row times its curvature weight */
	double	   *by;				/* ... their labels */
	double	   *bm;				/* ... margins */
	double	   *bd;				/* ... curvature weights */
	double	   *br;				/* ... residuals */
	double	   *bl;				/* ... and weighted losses */
	int32	   *bcol;			/* compact rows: per row and slot, the
								 * index in beta of the one-hot column
								 * holding 1, or -1 */
} LogregHalf;

/* Objective value, gradient and packed upper Hessian at one point */
typedef struct LogregEval
{
	double		f;				/* loss + penalty */
	double		loss;			/* sum of w_i * logloss_i */
	double	   *g;
	double	   *H;				/* packed upper, q (q + 1) / 2 */
} LogregEval;

/*
 * Log-loss of margin m for label y, stably: with e = exp(-|m|),
 * -log(sigmoid(m)) = log1p(e) + max(-m, 0), and for y = 0 the mirror
 * image (liblinear's branching on the sign of the margin).  e is returned
 * for reuse.
 */
static inline double
LogLoss(double m, double y, double *e)
{
	*e = BpExpNonPos(-fabs(m));
	return BpLog1pUnit(*e) + (y != 0.0 ? Max(-m, 0.0) : Max(m, 0.0));
}

/*
 * Add the penalty (l2/2) ||slopes||^2 and its derivatives.
 */
static void
LogregAddPenalty(const LogregProblem *P, const double *beta, LogregEval *E,
				 bool full)
{
	double		l2 = P->l2 * P->penscale;
	int			j;

	E->f = E->loss;
	if (l2 == 0.0)
		return;
	for (j = P->xoff; j < P->q; j++)
	{
		E->f += 0.5 * l2 * beta[j] * beta[j];
		if (full)
		{
			int			k = j * P->q - j * (j - 1) / 2;	/* (j, j) in packed */

			E->g[j] += l2 * beta[j];
			E->H[k] += l2;
		}
	}
}

/*
 * Per row of a block: the weighted loss wt * LogLoss into bl, the
 * curvature weight into dv and the residual into br; four rows at a time
 * in vectors (vecmath.h), lane by lane the operations of the scalar tail,
 * so every value has LogLoss's bits.  Compiled for the baseline and, on
 * x86-64, for AVX (P->avx).  Plain arithmetic: the helper runs it.
 */
static pg_attribute_always_inline void
LogregRowTermsBody(const LogregProblem *P, const double *mg, const double *by,
				   double *dv, double *br, double *bl, int nb)
{
	const v4df one = {1.0, 1.0, 1.0, 1.0};
	const v4df zero = {0.0, 0.0, 0.0, 0.0};
	const v4df wpos = {P->wpos, P->wpos, P->wpos, P->wpos};
	const v4df wneg = {P->wneg, P->wneg, P->wneg, P->wneg};
	const v4di absmask = {INT64CONST(0x7fffffffffffffff), INT64CONST(0x7fffffffffffffff),
	INT64CONST(0x7fffffffffffffff), INT64CONST(0x7fffffffffffffff)};
	int			r;

	for (r = 0; r + 4 <= nb; r += 4)
	{
		v4df		m,
					y,
					wt,
					x,
					e,
					l,
					ope,
					mu,
					pos,
					neg;

		memcpy(&m, mg + r, sizeof(m));
		memcpy(&y, by + r, sizeof(y));
		wt = V4SELECT(y != zero, wpos, wneg);
		x = -(v4df) ((v4di) m & absmask);
		BpExpNonPos4(&x, &e);
		BpLog1pUnit4(&e, &l);
		pos = V4SELECT(-m > zero, -m, zero);
		neg = V4SELECT(m > zero, m, zero);
		l = wt * (l + V4SELECT(y != zero, pos, neg));
		ope = one + e;
		mu = V4SELECT(m >= zero, one, e) / ope;
		/* mu (1 - mu) = e / (1 + e)^2 for either sign of m */
		x = wt * e / (ope * ope);
		memcpy(dv + r, &x, sizeof(x));
		x = wt * (mu - y);
		memcpy(br + r, &x, sizeof(x));
		memcpy(bl + r, &l, sizeof(l));
	}
	for (; r < nb; r++)
	{
		double		y = by[r],
					wt = (y != 0.0 ? P->wpos : P->wneg),
					e,
					mu;

		bl[r] = wt * LogLoss(mg[r], y, &e);
		mu = ((mg[r] >= 0.0) ? 1.0 : e) / (1.0 + e);
		dv[r] = wt * e / ((1.0 + e) * (1.0 + e));
		br[r] = wt * (mu - y);
	}
}

static void
LogregRowTerms(const LogregProblem *P, const double *mg, const double *by,
			   double *dv, double *br, double *bl, int nb)
{
	LogregRowTermsBody(P, mg, by, dv, br, bl, nb);
}

#ifdef BP_HAVE_AVX_PATH
__attribute__((target("avx")))
static void
LogregRowTermsAvx(const LogregProblem *P, const double *mg, const double *by,
				  double *dv, double *br, double *bl, int nb)
{
	LogregRowTermsBody(P, mg, by, dv, br, bl, nb);
}
#endif

/*
 * Add one block of nb gathered rows (h->bz, labels in h->by) at h->beta:
 * margins for the whole block, then per row the loss and the weights of
 *
 *	g = sum_i w_i (mu_i - y_i) z_i,		H = sum_i w_i mu_i (1 - mu_i) z_i z_i^T,
 *
 * then the block's cross-products (LinalgCrossAdd), column by column with
 * vector dot products instead of one short row update at a time.  Every
 * margin is summed as a loop over the row would: the intercept, each
 * value's term in column order, then (compact rows) each slot's one-hot
 * coefficient, a 0 column adding b * 0 = +-0, which changes no sum, and a
 * 1 column b exactly.  The loss is added row by row.  A loss-only pass
 * (!h->full) stops there, so it and a full pass agree to the bit.
 */
static void
LogregBlockTerms(const LogregProblem *P, LogregHalf *h, int nb)
{
	double	   *restrict mg = h->bm,
			   *restrict dv = h->bd,
			   *restrict br = h->br;
	const double *by = h->by;
	const double *beta = h->beta;
	double		loss = h->loss;
	int			r;

	for (r = 0; r < nb; r++)
		mg[r] = P->xoff ? beta[0] : 0.0;
	LinalgAddCols(mg, h->bz + (Size) P->xoff * LOGREG_BLOCK, LOGREG_BLOCK,
				  beta + P->xoff, P->nx, nb);
	/* compact rows: each 1 column adds its coefficient, in column order */
	for (r = 0; r < nb; r++)
		for (int j = 0; j < P->ncat; j++)
			if (h->bcol[r * P->ncat + j] >= 0)
				mg[r] += beta[h->bcol[r * P->ncat + j]];
#ifdef BP_HAVE_AVX_PATH
	if (P->avx)
		LogregRowTermsAvx(P, mg, by, dv, br, h->bl, nb);
	else
#endif
		LogregRowTerms(P, mg, by, dv, br, h->bl, nb);
	/* the loss row by row, in order */
	for (r = 0; r < nb; r++)
		loss += h->bl[r];
	h->loss = loss;
	if (!h->full)
		return;
	if (P->ncat == 0)
	{
		LinalgScaleRows(h->ba, h->bz, LOGREG_BLOCK, dv, P->q, nb);
		LinalgCrossAdd(h->H, P->q, h->g, P->q, br, h->ba, h->bz, LOGREG_BLOCK, nb);
		return;
	}

	/*
	 * Compact rows: the stored columns (intercept and numeric, qx of them)
	 * as above, into the leading block of H; then each row's one-hot 1s,
	 * which make z_c = 1 and a_c = d there and 0 elsewhere: column c of H
	 * gains a_i for the stored columns i, d on the diagonal and for the 1s
	 * of the row's later slots, and g_c gains the residual weight.  Two
	 * columns of one slot are never 1 together: their entry stays 0.
	 */
	{
		const int	qx = P->xoff + P->nx,
					ncat = P->ncat;
		double	   *restrict H = h->H,
				   *restrict g = h->g;
		const double *restrict ba = h->ba;
		const int  *restrict hoff = P->hoff;
		const int  *restrict hrow = P->hrow;

		LinalgScaleRows(h->ba, h->bz, LOGREG_BLOCK, dv, qx, nb);
		LinalgCrossAdd(H, P->q, g, qx, br, ba, h->bz, LOGREG_BLOCK, nb);
		for (r = 0; r < nb; r++)
		{
			const int32 *cols = h->bcol + r * ncat;
			const double *restrict ar = ba + r;

			for (int j = 0; j < ncat; j++)
			{
				int			c = cols[j];
				double	   *restrict Hc = H + c;

				if (c < 0)
					continue;
				g[c] += br[r];
				/* H[i][c] at hrow[i] + c - i = Hc[hoff[i]] */
				for (int i = 0; i < qx; i++)
					Hc[hoff[i]] += ar[(Size) i * LOGREG_BLOCK];
				H[hrow[c]] += dv[r];
				for (int k = j + 1; k < ncat; k++)
					if (cols[k] >= 0)
						H[hrow[c] + cols[k] - c] += dv[r];
			}
		}
	}
}

/*
 * Gather n stored rows, every stride-th from x, into the half's block at
 * rows nb.. (column-major, as LogregBlockTerms takes them).  Data
 * movement only, through local restrict pointers: PostgreSQL compiles
 * with -fno-strict-aliasing, so a store through h->bz would make the
 * compiler reload h->bz and P's fields after every element.
 */
static void
LogregGather(const LogregProblem *P, LogregHalf *h, const double *x, int n, int nb)
{
	const int	w = P->w,
				nx = P->nx,
				ncat = P->ncat,
				xoff = P->xoff;
	const Size	step = (Size) P->stride * w;
	double	   *restrict bz = h->bz + (Size) xoff * LOGREG_BLOCK + nb;
	double	   *restrict by = h->by + nb;
	int32	   *restrict bcol = h->bcol + (Size) nb * ncat;
	int			t,
				c;

	for (t = 0; t < n; t++)
	{
		/* indexed, not stepped: no pointer past the block's last row */
		const double *restrict xr = x + (Size) t * step;

		for (c = 0; c < nx; c++)
			bz[(Size) c * LOGREG_BLOCK + t] = xr[c];
		/* compact: the one-hot columns stay implicit (LogregBlockTerms) */
		for (c = 0; c < ncat; c++)
			bcol[t * ncat + c] = xr[nx + c] >= 0.0 ? (int32) xr[nx + c] + xoff : -1;
		by[t] = xr[w - 1];
	}
}

/*
 * Add the half's rows to its sums: the loss only, or (full) the loss,
 * gradient and Hessian, LOGREG_BLOCK rows at a time gathered column-major
 * (the loss too, in vectors as the full pass computes it: a scalar loop
 * over rows took about 110 ms of CPU in a 10M-row fit).  The rows go a
 * stretch at a time, as many as lie in one stored block and fit in the
 * gathered one.
 * A BpWorkerFn: plain loops, no PostgreSQL calls.
 */
static void
LogregHalfRun(void *arg)
{
	LogregHalf *h = (LogregHalf *) arg;
	const LogregProblem *P = h->P;
	const int	w = P->w;
	const int64 stride = P->stride;
	int64		i,
				r;
	int			k = 0,
				nb = 0;

	if (h->from >= h->to)
		return;
	/* the block holding the first row: the last one starting at or before it */
	r = h->from * stride;
	{
		int			lo = 0,
					hi = P->nblocks - 1;

		while (lo < hi)
		{
			int			mid = (lo + hi + 1) / 2;

			if (P->bfirst[mid] <= r)
				lo = mid;
			else
				hi = mid - 1;
		}
		k = lo;
	}
	r -= P->bfirst[k];
	for (i = h->from; i < h->to;)
	{
		const double *x;
		int64		n;

		while (r >= P->bnrows[k])
		{
			r -= P->bnrows[k];
			k++;
		}
		/* rows i.. lying in block k: every stride-th from its row r */
		n = Min(h->to - i, (P->bnrows[k] - r + stride - 1) / stride);
		n = Min(n, LOGREG_BLOCK - nb);
		x = P->bdata[k] + r * w;
		LogregGather(P, h, x, (int) n, nb);
		nb += n;
		if (nb == LOGREG_BLOCK)
		{
			LogregBlockTerms(P, h, nb);
			nb = 0;
		}
		i += n;
		r += n * stride;
	}
	if (nb > 0)
		LogregBlockTerms(P, h, nb);
}

/*
 * The rounds of a pass over rows from to n, each cut in two halves
 * (half[0] the first, half[1] the second) that run at once when the helper
 * is free; interrupts are checked between rounds.  Rounds start at
 * multiples of LOGREG_ROUND: a pass taken up inside one (the pipe's, see
 * LogregPipeStep) goes on where each half stopped.
 */
static void
LogregRounds(const LogregProblem *P, LogregHalf *const *half, int64 from, int64 n)
{
	int64		r0;

	for (r0 = from - from % LOGREG_ROUND; r0 < n; r0 += LOGREG_ROUND)
	{
		int64		m = Min(LOGREG_ROUND, n - r0),
					mid = r0 + (m + 1) / 2;

		half[0]->from = Max(from, r0);
		half[0]->to = mid;
		half[1]->from = Max(from, mid);
		half[1]->to = r0 + m;
		BpWorkerPair(LogregHalfRun, half[0], LogregHalfRun, half[1], P->threads);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * A pass's result at beta: half 1's sums added to half 0's, then the
 * penalty.
 */
static void
LogregPassSum(const LogregProblem *P, LogregHalf *const *half, const double *beta,
			  LogregEval *E, bool full)
{
	Size		hp = (Size) P->q * (P->q + 1) / 2;
	Size		j;

	E->loss = half[0]->loss + half[1]->loss;
	if (full)
	{
		for (j = 0; j < (Size) P->q; j++)
			E->g[j] = half[0]->g[j] + half[1]->g[j];
		for (j = 0; j < hp; j++)
			E->H[j] = half[0]->H[j] + half[1]->H[j];
	}
	LogregAddPenalty(P, beta, E, full);
}

/*
 * One pass over the (sub)sampled rows at beta: the objective, and if full
 * its gradient and Hessian.
 *
 * Up to 2 LOGREG_HALF rows, one half does them all, in order.  Beyond,
 * the pass goes in rounds of 2 LOGREG_HALF rows (the last round shorter),
 * each cut into a first and a second half; half 0 sums the first halves of
 * all rounds, half 1 the second halves, and the pass adds half 1's sums to
 * half 0's.  The two halves of a round run at once when the helper thread
 * is free (BpWorkerPair), else one after the other: the same sums in the
 * same order either way, so the model does not depend on threads, load or
 * timing.  Interrupts are checked between rounds (a few ms).
 */
static void
LogregPass(const LogregProblem *P, const double *beta, LogregEval *E, bool full)
{
	int64		n = (P->L->rows.nrows + P->stride - 1) / P->stride;
	Size		hp = (Size) P->q * (P->q + 1) / 2;
	int			t;

	for (t = 0; t < 2; t++)
	{
		LogregHalf *h = P->half[t];

		h->beta = beta;
		h->full = full;
		h->loss = 0.0;
		h->from = h->to = 0;
		if (full)
		{
			memset(h->g, 0, sizeof(double) * P->q);
			memset(h->H, 0, sizeof(double) * hp);
		}
	}
	if (n <= LOGREG_ROUND)
	{
		P->half[0]->to = n;
		LogregHalfRun(P->half[0]);
		CHECK_FOR_INTERRUPTS();
	}
	else
		LogregRounds(P, P->half, 0, n);
	LogregPassSum(P, P->half, beta, E, full);
}

static void
LogregLossPass(const LogregProblem *P, const double *beta, LogregEval *E)
{
	LogregPass(P, beta, E, false);
}

static void
LogregFullPass(const LogregProblem *P, const double *beta, LogregEval *E)
{
	LogregPass(P, beta, E, true);
}

/*
 * Unpack the packed upper Hessian into the lower triangle of A (q x q).
 */
static void
UnpackLower(const double *H, int q, double *A)
{
	int			i,
				j,
				k = 0;

	for (i = 0; i < q; i++)
		for (j = i; j < q; j++)
			A[j * q + i] = H[k++];
}

/*
 * x^T H x for packed upper H.
 */
static double
PackedQuadForm(const double *H, int q, const double *x)
{
	double		s = 0.0;
	int			i,
				j,
				k = 0;

	for (i = 0; i < q; i++)
	{
		s += H[k++] * x[i] * x[i];
		for (j = i + 1; j < q; j++)
			s += 2.0 * H[k++] * x[i] * x[j];
	}
	return s;
}

/* How a Newton run ended */
typedef enum LogregStatus
{
	LOGREG_CONVERGED,
	LOGREG_MAX_ITER,
	LOGREG_SEPARATED,
	LOGREG_SINGULAR,			/* Hessian singular at the start */
	LOGREG_LINESEARCH
} LogregStatus;

/* A Newton run's working memory and outcome */
typedef struct LogregRun
{
	LogregEval	cur;			/* at beta */
	LogregEval	next;			/* at the trial point */
	double	   *H0;				/* reference curvature (packed) */
	double	   *A;				/* Cholesky factor */
	double	   *d;				/* Newton direction */
	double	   *trial;
	double		decrement;		/* last lambda^2 / 2 */
	int			badcol;			/* first singular column, if SINGULAR */
	int			iterations;
} LogregRun;

/*
 * Allocate a run's buffers for q parameters.
 */
static void
LogregRunInit(LogregRun *R, int q)
{
	Size		hp = (Size) q * (q + 1) / 2;

	memset(R, 0, sizeof(*R));
	R->cur.g = palloc0(sizeof(double) * q);
	R->cur.H = palloc0(sizeof(double) * hp);
	R->next.g = palloc0(sizeof(double) * q);
	R->next.H = palloc0(sizeof(double) * hp);
	R->H0 = palloc0(sizeof(double) * hp);
	R->A = palloc0(sizeof(double) * q * q);
	R->d = palloc0(sizeof(double) * q);
	R->trial = palloc0(sizeof(double) * q);
}

/*
 * Find the step length by halving from 1 until the Armijo condition
 * f(beta + t d) <= f(beta) - c t lambda^2 holds (up to rounding in f), and
 * leave R->next evaluated there.  Returns false if no step decreases f.
 */
static bool
LogregLineSearch(const LogregProblem *P, LogregRun *R, const double *beta,
				 double lambda2)
{
	double		t = 1.0,
				slack = 1e-13 * fabs(R->cur.f);
	int			h,
				j;

	for (h = 0; h <= LOGREG_MAX_HALVINGS; h++, t *= 0.5)
	{
		for (j = 0; j < P->q; j++)
			R->trial[j] = beta[j] + t * R->d[j];
		if (h == 0)
			LogregFullPass(P, R->trial, &R->next);
		else
			LogregLossPass(P, R->trial, &R->next);
		if (isfinite(R->next.f) &&
			R->next.f <= R->cur.f - LOGREG_ARMIJO * t * lambda2 + slack)
		{
			if (h > 0)
				LogregFullPass(P, R->trial, &R->next);
			return true;
		}
	}
	return false;
}

/*
 * Compute the Newton direction d = -H^-1 g into R->d; returns lambda^2 =
 * g^T H^-1 g, or -1 if the Hessian is numerically singular.
 */
static double
LogregDirection(const LogregProblem *P, LogregRun *R)
{
	int			q = P->q,
				j;

	UnpackLower(R->cur.H, q, R->A);
	R->badcol = LinalgCholeskyTol(R->A, q, LOGREG_PIVOT_TOL);
	if (R->badcol >= 0)
		return -1.0;
	for (j = 0; j < q; j++)
		R->d[j] = -R->cur.g[j];
	LinalgCholeskySolve(R->A, q, R->d);
	return -LinalgDot(R->cur.g, R->d, q);
}

/*
 * Newton's method with backtracking for penalised, weighted logistic
 * regression.  With z_i = (1, x_i) (or x_i without an intercept), labels
 * y_i in {0, 1}, class weights w_i and mu_i = 1 / (1 + exp(-beta^T z_i)):
 *
 *	f(beta) = sum_i w_i [log(1 + exp(-m_i))] + (l2 / 2) ||slopes||^2,
 *	  m_i = (2 y_i - 1) beta^T z_i  (the log-loss, computed stably [3])
 *	g = sum_i w_i (mu_i - y_i) z_i + l2 slopes
 *	H = sum_i w_i mu_i (1 - mu_i) z_i z_i^T + l2 I_slopes
 *
 * This is scikit-learn's LogisticRegression(C = 1 / l2) objective divided
 * by C [4]; with l2 = 0 it is the maximum-likelihood fit of statsmodels'
 * Logit and R's glm(family = binomial).  One pass over the rows gives f, g
 * and the packed upper H together; H is factorised by Cholesky and the
 * Newton step d = -H^-1 g is damped by step halving until the Armijo
 * condition holds [1, 9.5].  Newton's decrement lambda^2 = g^T H^-1 g
 * estimates twice the distance to the optimum, f - f* ~ lambda^2 / 2 [1,
 * 9.5.1]: when lambda^2 / 2 <= tol |f| the full step is taken, which in
 * the quadratic phase leaves an error of order tol^2, and the run stops.
 *
 * Separation.  Without a penalty, if some direction v separates the
 * classes (completely, or on a subset with ties elsewhere), no maximum
 * exists and the iterates grow along v while the curvature along the step
 * decays like exp(-margin).  We compare the curvature along each step with
 * that at the starting point: rho = d^T H d / d^T H0 d.  In a regular fit
 * rho stays of order 0.1 to 1 (mu (1 - mu) changes by a bounded factor);
 * rho < LOGREG_SEP_RHO, or a Hessian that becomes singular after the
 * start, means the fit is running off to infinity [2], and the run stops
 * at the current (finite) iterate.
 *
 * [1] S. Boyd, L. Vandenberghe, Convex Optimization, 2004, 9.5.
 * [2] A. Albert, J. A. Anderson, On the existence of maximum likelihood
 *     estimates in logistic regression models, Biometrika 71(1), 1984.
 * [3] R.-E. Fan et al., LIBLINEAR: a library for large linear
 *     classification, JMLR 9, 2008 (and its l2r_lr_fun).
 * [4] scikit-learn, sklearn.linear_model.LogisticRegression.
 */
static LogregStatus
LogregNewton(const LogregProblem *P, LogregRun *R, double *beta,
			 double tol, int max_iter, bool have_h0, bool have_cur)
{
	if (!have_cur)
		LogregFullPass(P, beta, &R->cur);
	if (!have_h0)
		memcpy(R->H0, R->cur.H, sizeof(double) * P->q * (P->q + 1) / 2);
	for (R->iterations = 0;; R->iterations++)
	{
		double		lambda2,
					rho;
		bool		last;
		LogregEval	tmp;

		CHECK_FOR_INTERRUPTS();
		lambda2 = LogregDirection(P, R);
		if (lambda2 < 0.0)
			return (R->iterations == 0 && !have_h0) ? LOGREG_SINGULAR :
				(P->l2 == 0.0 ? LOGREG_SEPARATED : LOGREG_LINESEARCH);
		R->decrement = lambda2 / 2.0;
		rho = lambda2 / PackedQuadForm(R->H0, P->q, R->d);
		if (P->l2 == 0.0 && lambda2 > 0.0 && rho < LOGREG_SEP_RHO)
			return LOGREG_SEPARATED;
		if (R->iterations >= max_iter)
			return LOGREG_MAX_ITER;
		last = (R->decrement <= tol * fabs(R->cur.f));
		if (!LogregLineSearch(P, R, beta, last ? 0.0 : lambda2))
			return LOGREG_LINESEARCH;
		memcpy(beta, R->trial, sizeof(double) * P->q);
		tmp = R->cur;
		R->cur = R->next;
		R->next = tmp;
		if (last)
		{
			R->iterations++;
			return LOGREG_CONVERGED;
		}
	}
}

/*
 * A half's sums and scratch, in the current memory context.
 */
static LogregHalf *
LogregNewHalf(const LogregProblem *P)
{
	LogregHalf *h = palloc0(sizeof(LogregHalf));

	h->P = P;
	h->g = palloc0(sizeof(double) * P->q);
	h->H = palloc0(sizeof(double) * P->q * (P->q + 1) / 2);
	h->bz = palloc(sizeof(double) * P->q * LOGREG_BLOCK);
	h->bcol = palloc(sizeof(int32) * (P->ncat * LOGREG_BLOCK + 1));
	h->ba = palloc(sizeof(double) * P->q * LOGREG_BLOCK);
	h->by = palloc(sizeof(double) * LOGREG_BLOCK);
	h->bm = palloc(sizeof(double) * LOGREG_BLOCK);
	h->bl = palloc(sizeof(double) * LOGREG_BLOCK);
	h->bd = palloc(sizeof(double) * LOGREG_BLOCK);
	h->br = palloc(sizeof(double) * LOGREG_BLOCK);
	if (P->xoff)
		for (int c = 0; c < LOGREG_BLOCK; c++)
			h->bz[c] = 1.0;
	return h;
}

/*
 * Set up the problem: class counts, class weights, scratch.  Complains if
 * the rows hold only one class, where no finite fit exists.
 */
static void
LogregSetup(BpAggState *s, LogregProblem *P)
{
	LogregLearner *L = s->learner;
	int64		nneg = L->rows.nrows - L->npos;
	int64		first = 0;
	RowBlock   *b;
	int			k = 0;

	if (L->npos == 0 || nneg == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("logreg needs rows of both classes"),
				 errdetail("All %lld rows have label %d.", (long long) L->rows.nrows,
						   L->npos > 0 ? 1 : 0)));
	memset(P, 0, sizeof(*P));
	P->L = L;
	P->p = L->p;
	P->w = L->rows.w;
	P->nx = L->nx;
	P->ncat = L->ncat;
	P->xoff = s->opts.intercept ? 1 : 0;
	P->q = P->p + P->xoff;
	P->hrow = palloc(sizeof(int) * (P->q + 1));
	P->hoff = palloc(sizeof(int) * (P->q + 1));
	for (int i = 0; i < P->q; i++)
	{
		P->hrow[i] = i * P->q - i * (i - 1) / 2;
		P->hoff[i] = P->hrow[i] - i;
	}
	P->l2 = s->opts.l2;
	P->stride = 1;
	P->penscale = 1.0;
	P->wneg = P->wpos = 1.0;
	if (s->opts.class_weight == CLASS_WEIGHT_BALANCED)
	{
		/* n / (2 n_class), as scikit-learn's class_weight="balanced" */
		P->wneg = (double) L->rows.nrows / (2.0 * nneg);
		P->wpos = (double) L->rows.nrows / (2.0 * L->npos);
	}
	else if (s->opts.class_weight == CLASS_WEIGHT_GIVEN)
	{
		P->wneg = s->opts.weight_neg;
		P->wpos = s->opts.weight_pos;
	}
	P->threads = s->opts.threads > 1;
	P->avx = BpCpuHasAvx();
	for (b = L->rows.head; b != NULL; b = b->next)
		P->nblocks++;
	P->bdata = palloc(sizeof(double *) * (P->nblocks + 1));
	P->bnrows = palloc(sizeof(int64) * (P->nblocks + 1));
	P->bfirst = palloc(sizeof(int64) * (P->nblocks + 1));
	for (b = L->rows.head; b != NULL; b = b->next)
	{
		P->bdata[k] = b->data;
		P->bnrows[k] = b->nrows;
		P->bfirst[k] = first;
		first += b->nrows;
		k++;
	}
	for (k = 0; k < 2; k++)
		P->half[k] = LogregNewHalf(P);
}

/*
 * Start at the intercept-only fit: the logit of the weighted positive rate
 * (the optimum when every slope is zero, penalised or not), or at zero.
 */
static void
LogregStart(const LogregProblem *P, double *beta)
{
	memset(beta, 0, sizeof(double) * P->q);
	if (P->xoff)
		beta[0] = log((P->wpos * P->L->npos) /
					  (P->wneg * (P->L->rows.nrows - P->L->npos)));
}

/*
 * Warm start for large inputs: Newton on every k-th row (about
 * LOGREG_SUB_ROWS rows, penalty scaled to match) to a loose tolerance.  It
 * only chooses where the full-data iterations begin; they alone decide
 * convergence, so the result is the same to the tolerance.  Returns the
 * subsample's size, R->H0 holding its starting curvature, or 0 (leaving
 * beta at the start) if the subsample fit fails.
 */
static int64
LogregWarmStart(LogregProblem *P, LogregRun *R, double *beta, int max_iter)
{
	int64		n = P->L->rows.nrows;
	int64		nsub;
	LogregStatus st;

	if (n < LOGREG_SUB_MIN_ROWS)
		return 0;
	P->stride = n / LOGREG_SUB_ROWS;
	nsub = (n + P->stride - 1) / P->stride;
	P->penscale = (double) nsub / n;
	st = LogregNewton(P, R, beta, LOGREG_SUB_TOL, Min(max_iter, LOGREG_SUB_MAX_ITER),
					  false, false);
	P->stride = 1;
	P->penscale = 1.0;
	if (st != LOGREG_CONVERGED)
	{
		LogregStart(P, beta);
		return 0;
	}
	return nsub;
}

/*
 * The reference curvature of a warm-started run: the subsample's starting
 * curvature H0, scaled up from its nsub rows to all of them.
 */
static void
LogregScaleH0(const LogregProblem *P, LogregRun *R, const double *H0, int64 nsub)
{
	Size		j;

	for (j = 0; j < (Size) P->q * (P->q + 1) / 2; j++)
		R->H0[j] = H0[j] * ((double) P->L->rows.nrows / nsub);
}

/*
 * The warm start during the scan, and the first pass at it.
 *
 * A fit of many rows (at least LOGREG_SUB_MIN_ROWS) starts from a fit of
 * a subsample.  When rows come from the scan, that subsample is every
 * 8th of the first LOGREG_SUB_MIN_ROWS rows, and it is fitted as soon as
 * they are stored (LogregPrefixStart, in the backend, some 20 ms): then
 * its coefficients are known while the scan goes on, and the first
 * full-data pass at them, which needs only rows already stored, can run
 * on the helper thread meanwhile, in chunks of the whole rounds the scan
 * has stored (the "pipe": LogregPipeStep).  The final function then adds
 * what the helper did not get to (LogregSolve, LogregPipeFinish).  At
 * LOGREG_REFINE_ROWS rows, the pass so far gives one Newton step from
 * that start (LogregRefine): the start of a 2M-row sample, which on large
 * inputs saves the final function one more pass, and the pipe starts over
 * there.  The helper's rounds are those of LogregPass, summed into the
 * same two halves in the same order, so the pass has the bits of
 * LogregFullPass at the same point, whoever did which part, and the model
 * is the same bytes with "threads": 1 (no pipe, the whole pass at the
 * end), with a busy helper or none.
 *
 * Where this does not apply, the warm start is the strided subsample over
 * all rows, at the end (LogregWarmStart): the first rows have one class,
 * or their fit fails; class_weight "balanced" (its weights need the final
 * class counts); rows replayed by prep.c in the final function, or
 * compact ones; states built by merging (a parallel plan); partial
 * aggregates' states, which are serialized without it.  Which warm
 * start a fit uses depends only on the rows, their order and the options,
 * never on timing.  The pipe also stays off in parallel mode and with
 * "threads": 1, and it stops following the rows at a merge (its sums so
 * far stay good: the merged rows come after).
 *
 * The pipe's arrays are in the row store's memory context, with a reset
 * callback that stops the helper's step before they are freed (an ERROR
 * or cancel during the scan); the helper reads only whole rounds that the
 * backend has published (LogregPipePublish), in blocks it described.
 */
typedef struct LogregPipe
{
	LogregProblem P;			/* the pass's problem: bdata etc. below */
	double	   *beta;			/* the point of the pass */
	int			nblocks;		/* block descriptors published (atomic) */
	int64		avail;			/* rows the helper may read (atomic) */
	int64		done;			/* rows summed, in row order */
	int64		chunk;			/* rows per step: a multiple of
								 * LOGREG_BLOCK dividing LOGREG_HALF */
	const RowBlock *last;		/* the last block described */
	bool		halted;			/* following no more rows */
	MemoryContextCallback cb;
} LogregPipe;

/*
 * The next chunk of the pipe's pass, if the scan has stored the whole round
 * it lies in (only whole rounds are sure to be cut as LogregPass will cut
 * the pass): the helper's step, a BpWorkerStepFn (plain loops, no
 * PostgreSQL calls).  Rows go in row order, the first half of each round
 * into half 0 and the second into half 1, in chunks that start on a
 * LOGREG_BLOCK boundary of their half: the same blocks, so the same sums,
 * as LogregHalfRun over the whole half.  A chunk is sized to a few
 * milliseconds' work, so stopping the helper never waits long.
 */
static bool
LogregPipeStep(void *arg)
{
	LogregPipe *pp = (LogregPipe *) arg;
	int64		avail = __atomic_load_n(&pp->avail, __ATOMIC_ACQUIRE);
	int64		r0 = pp->done - pp->done % LOGREG_ROUND;
	LogregProblem P;
	LogregHalf *h;

	if (r0 + LOGREG_ROUND > avail)
		return false;
	/* the descriptors of every block up to avail came before it */
	P = pp->P;
	P.nblocks = __atomic_load_n(&pp->nblocks, __ATOMIC_ACQUIRE);
	h = pp->P.half[pp->done - r0 < LOGREG_HALF ? 0 : 1];
	h->P = &P;
	h->from = pp->done;
	h->to = pp->done + pp->chunk;
	LogregHalfRun(h);
	h->P = &pp->P;
	pp->done += pp->chunk;
	return true;
}

/*
 * Describe the blocks the scan has added and let the helper read every
 * row stored so far (called at whole rounds).
 */
static void
LogregPipePublish(LogregLearner *L)
{
	LogregPipe *pp = L->pipe;
	const RowBlock *b = pp->last ? pp->last->next : L->rows.head;
	int			k = pp->nblocks;

	for (; b != NULL; b = b->next)
	{
		if (k == LOGREG_PIPE_BLOCKS)
		{
			LogregPipeHalt(L);
			return;
		}
		/* a block is filled before the next one is added */
		pp->P.bdata[k] = b->data;
		pp->P.bnrows[k] = b->capacity;
		pp->P.bfirst[k + 1] = pp->P.bfirst[k] + b->capacity;
		pp->last = b;
		k++;
	}
	__atomic_store_n(&pp->nblocks, k, __ATOMIC_RELEASE);
	__atomic_store_n(&pp->avail, L->rows.nrows, __ATOMIC_RELEASE);
	BpWorkerBackgroundKick();
}

/*
 * Stop the helper's steps and follow no more rows; the sums so far stand.
 */
static void
LogregPipeHalt(LogregLearner *L)
{
	BpWorkerBackgroundStop(L->pipe);
	L->pipe->halted = true;
}

/*
 * Stop the pipe and forget it.
 */
static void
LogregPipeDrop(LogregLearner *L)
{
	BpWorkerBackgroundStop(L->pipe);
	L->pipe = NULL;
}

static void
LogregPipeReset(void *arg)
{
	BpWorkerBackgroundStop(arg);
}

/*
 * Start the pipe's pass at pre->beta, with the scalars of the problem P
 * that found it (over the same store), in the store's context.  Leaves
 * L->pipe NULL if the helper cannot take it.
 */
static void
LogregPipeStart(LogregLearner *L, const LogregProblem *P, const LogregPrefix *pre)
{
	MemoryContext old;
	LogregPipe *pp;
	int			t;

	/* the background slot is this backend's alone: free now, free below */
	if (!BpWorkerBackgroundFree())
		return;
	old = MemoryContextSwitchTo(L->rows.cxt);
	pp = palloc0(sizeof(LogregPipe));
	pp->P = *P;
	pp->P.L = L;
	pp->P.stride = 1;
	pp->P.penscale = 1.0;
	pp->P.hrow = pp->P.hoff = NULL; /* no compact rows */
	pp->P.nblocks = 0;
	pp->P.bdata = palloc(sizeof(double *) * LOGREG_PIPE_BLOCKS);
	pp->P.bnrows = palloc(sizeof(int64) * LOGREG_PIPE_BLOCKS);
	pp->P.bfirst = palloc0(sizeof(int64) * (LOGREG_PIPE_BLOCKS + 1));
	pp->beta = palloc(sizeof(double) * P->q);
	memcpy(pp->beta, pre->beta, sizeof(double) * P->q);
	/* about 2^22 Hessian updates a step: the whole half up to q = 11 */
	pp->chunk = LOGREG_HALF;
	while (pp->chunk > LOGREG_BLOCK &&
		   (double) pp->chunk * P->q * (P->q + 1) / 2 > 4194304.0)
		pp->chunk /= 2;
	for (t = 0; t < 2; t++)
	{
		pp->P.half[t] = LogregNewHalf(&pp->P);
		pp->P.half[t]->beta = pp->beta;
		pp->P.half[t]->full = true;
	}
	pp->cb.func = LogregPipeReset;
	pp->cb.arg = pp;
	MemoryContextRegisterResetCallback(L->rows.cxt, &pp->cb);
	MemoryContextSwitchTo(old);
	if (!BpWorkerBackground(LogregPipeStep, pp))
		return;
	L->pipe = pp;
	LogregPipePublish(L);
}

/*
 * Bring the stopped pipe's pass up to all rows stored, over P's block
 * table (the helper stops only inside whole rounds, which LogregPass cuts
 * the same way).
 */
static void
LogregPipeCatchUp(const LogregProblem *P, LogregPipe *pp)
{
	LogregHalf *const *half = pp->P.half;

	half[0]->P = half[1]->P = P;
	LogregRounds(P, half, pp->done, P->L->rows.nrows);
	half[0]->P = half[1]->P = &pp->P;
	pp->done = P->L->rows.nrows;
}

/*
 * The first full-data pass at the pipe's point, into E.  The pipe is used
 * up.
 */
static void
LogregPipeFinish(const LogregProblem *P, LogregLearner *L, const double *beta,
				 LogregEval *E)
{
	LogregPipe *pp = L->pipe;

	LogregPipeDrop(L);
	elog(DEBUG1, "logreg: %lld of %lld rows of the first pass were summed during the scan",
		 (long long) pp->done, (long long) P->L->rows.nrows);
	LogregPipeCatchUp(P, pp);
	LogregPassSum(P, pp->P.half, beta, E, true);
}

/*
 * The second warm start, at LOGREG_REFINE_ROWS rows: the pass at the first
 * warm start over the rows so far (the pipe's, caught up, or one of its own
 * without a pipe) gives a Newton step, which is taken if it is modest
 * (decrement at most LOGREG_REFINE_MAX of the objective) and the full step
 * passes the Armijo test on those rows (one loss-only pass).  The
 * penalty counts in full, as for the first warm start, whose subsample
 * stands for these rows.  The pipe then starts over at the new point; if
 * the step is not taken it goes on where it was.  Like the first warm
 * start, this depends only on the rows so far and the options.
 */
static void
LogregRefine(BpAggState *s)
{
	LogregLearner *L = s->learner;
	LogregPrefix *pre = L->pre;
	LogregPipe *pp = L->pipe;
	MemoryContext scratch,
				old;
	LogregProblem P;
	LogregRun	R;
	double		lambda2;
	int			t;

	pre->refined = true;
	scratch = AllocSetContextCreate(CurrentMemoryContext, "logreg warm start",
									ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(scratch);
	LogregSetup(s, &P);
	LogregRunInit(&R, P.q);
	if (pp != NULL)
	{
		BpWorkerBackgroundStop(pp);
		LogregPipeCatchUp(&P, pp);
		LogregPassSum(&P, pp->P.half, pre->beta, &R.cur, true);
	}
	else
		LogregFullPass(&P, pre->beta, &R.cur);
	lambda2 = LogregDirection(&P, &R);
	if (lambda2 >= 0.0 && lambda2 / 2.0 <= LOGREG_REFINE_MAX * fabs(R.cur.f))
	{
		/* the full step, if it passes the Armijo test on these rows */
		for (t = 0; t < P.q; t++)
			R.trial[t] = pre->beta[t] + R.d[t];
		LogregLossPass(&P, R.trial, &R.next);
		if (!isfinite(R.next.f) || R.next.f > R.cur.f - LOGREG_ARMIJO * lambda2)
			lambda2 = -1.0;
	}
	else
		lambda2 = -1.0;
	if (lambda2 >= 0.0)
	{
		memcpy(pre->beta, R.trial, sizeof(double) * P.q);
		elog(DEBUG1, "logreg: warm start refined on the first %lld rows (decrement %g of the objective)",
			 (long long) L->rows.nrows, lambda2 / 2.0 / fabs(R.cur.f));
		if (pp != NULL)
		{
			memcpy(pp->beta, pre->beta, sizeof(double) * P.q);
			for (t = 0; t < 2; t++)
			{
				LogregHalf *h = pp->P.half[t];

				h->loss = 0.0;
				memset(h->g, 0, sizeof(double) * P.q);
				memset(h->H, 0, sizeof(double) * P.q * (P.q + 1) / 2);
			}
			pp->done = 0;
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(scratch);
	/* only this backend posts background jobs: the slot is still free */
	if (pp != NULL && !BpWorkerBackground(LogregPipeStep, pp))
		L->pipe = NULL;
	if (L->pipe != NULL)
		LogregPipePublish(L);
}

/*
 * Take the warm start from the first LOGREG_SUB_MIN_ROWS rows, now that the
 * scan has stored them, and start the pipe at it (see above).
 */
static void
LogregPrefixStart(BpAggState *s)
{
	LogregLearner *L = s->learner;
	MemoryContext scratch,
				old;
	LogregProblem P;
	LogregRun	R;
	double	   *beta;
	int64		nsub;

	L->prefix_tried = true;
	if (L->npos == 0 || L->npos == L->rows.nrows)
		return;
	scratch = AllocSetContextCreate(CurrentMemoryContext, "logreg warm start",
									ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(scratch);
	LogregSetup(s, &P);
	LogregRunInit(&R, P.q);
	beta = palloc(sizeof(double) * P.q);
	LogregStart(&P, beta);
	nsub = LogregWarmStart(&P, &R, beta, s->opts.max_iter);
	if (nsub > 0)
	{
		Size		hp = (Size) P.q * (P.q + 1) / 2;
		LogregPrefix *pre;

		MemoryContextSwitchTo(GetMemoryChunkContext(L));
		pre = palloc(sizeof(LogregPrefix));
		pre->q = P.q;
		pre->refined = false;
		pre->nsub = nsub;
		pre->beta = palloc(sizeof(double) * P.q);
		pre->H0 = palloc(sizeof(double) * hp);
		memcpy(pre->beta, beta, sizeof(double) * P.q);
		memcpy(pre->H0, R.H0, sizeof(double) * hp);
		L->pre = pre;
		if (s->opts.threads > 1 && !IsInParallelMode())
			LogregPipeStart(L, &P, pre);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(scratch);
}

/*
 * LogregAccum's hook at whole rounds and at LOGREG_SUB_MIN_ROWS rows.
 */
static void
LogregRowsEvent(BpAggState *s)
{
	LogregLearner *L = s->learner;

	if (L->rows.nrows == LOGREG_SUB_MIN_ROWS && !L->prefix_tried && !s->finishing &&
		!s->partial && L->ncat == 0 && s->opts.class_weight != CLASS_WEIGHT_BALANCED)
		LogregPrefixStart(s);
	else if (L->rows.nrows == LOGREG_REFINE_ROWS && L->pre != NULL && !L->pre->refined &&
			 !s->finishing && !L->merged)
		LogregRefine(s);
	else if (L->pipe != NULL && !L->pipe->halted &&
			 (L->rows.nrows & (LOGREG_ROUND - 1)) == 0)
		LogregPipePublish(L);
}

/*
 * Fit: warm start if large, then Newton on all rows.  A warm-started run
 * that ends in separation or a failed line search is repeated from the
 * cold start, so the warm start can never change the verdict.
 */
static LogregStatus
LogregSolve(LogregProblem *P, LogregRun *R, double *beta, const BpOptions *o,
			LogregLearner *L)
{
	LogregStatus st;
	bool		warm = true;

	LogregStart(P, beta);
	if (L->pre != NULL)
	{
		/* taken during the scan, and maybe the first pass too */
		memcpy(beta, L->pre->beta, sizeof(double) * P->q);
		LogregScaleH0(P, R, L->pre->H0, L->pre->nsub);
		if (L->pipe != NULL)
			LogregPipeFinish(P, L, beta, &R->cur);
		else
			LogregFullPass(P, beta, &R->cur);
		st = LogregNewton(P, R, beta, o->tol, o->max_iter, true, true);
	}
	else
	{
		int64		nsub = LogregWarmStart(P, R, beta, o->max_iter);

		warm = nsub > 0;
		if (warm)
			LogregScaleH0(P, R, R->H0, nsub);
		st = LogregNewton(P, R, beta, o->tol, o->max_iter, warm, false);
	}
	if (warm && (st == LOGREG_SEPARATED || st == LOGREG_LINESEARCH))
	{
		LogregStart(P, beta);
		st = LogregNewton(P, R, beta, o->tol, o->max_iter, false, false);
	}
	return st;
}

/*
 * Turn the outcome into an error (singular design) or a notice.
 */
static void
LogregReport(const LogregProblem *P, const LogregRun *R, LogregStatus st,
			 const BpOptions *o)
{
	if (st == LOGREG_SINGULAR)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("logreg features are constant or collinear"),
				 errdetail("%s is constant, or a linear combination of the terms before it.",
						   R->badcol < P->xoff ? "The intercept" :
						   psprintf("Feature %d", R->badcol - P->xoff + 1)),
				 errhint("Drop the feature, or add an \"l2\" penalty.")));
	if (st == LOGREG_MAX_ITER)
		ereport(NOTICE,
				(errmsg("logreg did not converge in %d iterations", o->max_iter),
				 errdetail("The last Newton decrement was %g; convergence needs at most %g.",
						   R->decrement, o->tol * fabs(R->cur.f)),
				 errhint("Raise the \"max_iter\" option, loosen \"tol\", or rescale the features.")));
	else if (st == LOGREG_SEPARATED)
		ereport(NOTICE,
				(errmsg("logreg training data are separable or quasi-separable"),
				 errdetail("No maximum-likelihood estimate exists: some coefficients grow without bound. The model holds the iterate after %d Newton steps, has no standard errors and is marked not converged.",
						   R->iterations),
				 errhint("Add an \"l2\" penalty, or drop the features that separate the classes.")));
	else if (st == LOGREG_LINESEARCH)
		ereport(NOTICE,
				(errmsg("logreg stopped after %d iterations: no step decreases the objective",
						R->iterations),
				 errdetail("The model holds the last iterate and is marked not converged."),
				 errhint("Rescale the features, or add an \"l2\" penalty.")));
}

/*
 * Standard errors sqrt(diag(H^-1)) from the Hessian at the solution,
 * H = R^T R with R = L^T; diag(H^-1)_j = ||row j of R^-1||^2.  NaN where
 * unavailable (numerically singular H).
 */
static void
LogregStdErrors(const LogregProblem *P, LogregRun *R, double *se)
{
	int			q = P->q,
				i,
				j;
	double	   *U = palloc0(sizeof(double) * q * q);
	double	   *inv = palloc(sizeof(double) * q * q);

	for (j = 0; j <= P->p; j++)
		se[j] = get_float8_nan();
	UnpackLower(R->cur.H, q, R->A);
	if (LinalgCholeskyTol(R->A, q, LOGREG_PIVOT_TOL) >= 0)
		return;
	for (i = 0; i < q; i++)
		for (j = i; j < q; j++)
			U[i * q + j] = R->A[j * q + i];
	LinalgInvertUpper(U, q, q, inv);
	for (i = 0; i < q; i++)
		se[i + 1 - P->xoff] = sqrt(LinalgDot(inv + i * q, inv + i * q, q));
}

/*
 * Append the fit statistics.  The log-likelihood is the (class-weighted)
 * data part of the objective, without the penalty.
 */
static void
LogregStats(const BpAggState *s, const LogregProblem *P, const LogregRun *R,
			double *stats, int *nstats)
{
	double		w1 = P->wpos * P->L->npos,
				w0 = P->wneg * (P->L->rows.nrows - P->L->npos),
				k = P->q,
				n = (double) P->L->rows.nrows,
				ll = -R->cur.loss,
				ll0;

	ll0 = P->xoff ? w1 * log(w1 / (w0 + w1)) + w0 * log(w0 / (w0 + w1)) :
		-(w0 + w1) * M_LN2;
	BpAddCommonStats(stats, nstats, s);
	/* in ascending id order, the order model_in stores */
	BpAddStat(stats, nstats, MSTAT_DF_RESIDUAL, n - k);
	BpAddStat(stats, nstats, MSTAT_L2, P->l2);
	BpAddStat(stats, nstats, MSTAT_LOGLIK, ll);
	BpAddStat(stats, nstats, MSTAT_NULL_DEVIANCE, -2.0 * ll0);
	BpAddStat(stats, nstats, MSTAT_DEVIANCE, -2.0 * ll);
	BpAddStat(stats, nstats, MSTAT_AIC, -2.0 * ll + 2.0 * k);
	BpAddStat(stats, nstats, MSTAT_BIC, -2.0 * ll + k * log(n));
	BpAddStat(stats, nstats, MSTAT_ITERATIONS, R->iterations);
	BpAddStat(stats, nstats, MSTAT_POS_WEIGHT, P->wpos);
	BpAddStat(stats, nstats, MSTAT_NEG_WEIGHT, P->wneg);
	BpAddStat(stats, nstats, MSTAT_TOL, s->opts.tol);
	PrepAddStats(stats, nstats, s);
}

/*
 * Solve in a scratch context and build the model in the caller's.
 */
static Model *
LogregFinish(BpAggState *s)
{
	MemoryContext scratch = AllocSetContextCreate(CurrentMemoryContext,
												  "logreg solver",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(scratch);
	int			p = s->nfeatures;
	double	   *beta = palloc0(sizeof(double) * (p + 1));
	double	   *coef = palloc0(sizeof(double) * (p + 1));
	double	   *se = palloc(sizeof(double) * (p + 1));
	double		stats[2 * (MSTAT_MAX + 1)];
	int			nstats = 0;
	bool		have_se;
	LogregProblem P;
	LogregRun	R;
	LogregStatus st;
	ModelBuilder mb;
	Model	   *m;

	LogregSetup(s, &P);
	LogregRunInit(&R, P.q);
	st = LogregSolve(&P, &R, beta, &s->opts, s->learner);
	LogregReport(&P, &R, st, &s->opts);
	memcpy(coef + 1 - P.xoff, beta, sizeof(double) * P.q);
	have_se = (P.l2 == 0.0 && st != LOGREG_SEPARATED);
	if (have_se)
		LogregStdErrors(&P, &R, se);
	LogregStats(s, &P, &R, stats, &nstats);

	MemoryContextSwitchTo(old);
	ModelBuilderInit(&mb, MODEL_LOGREG,
					 (P.xoff ? MODEL_HAS_INTERCEPT : 0) |
					 (st == LOGREG_CONVERGED ? MODEL_CONVERGED : 0), p);
	ModelAddDoubles(&mb, MTAG_COEF, coef, p + 1);
	if (have_se)
		ModelAddDoubles(&mb, MTAG_STDERR, se, p + 1);
	ModelAddDoubles(&mb, MTAG_STATS, stats, nstats);
	BpAddNames(&mb, s);
	m = ModelFinish(&mb, ERRCODE_INTERNAL_ERROR);
	MemoryContextDelete(scratch);
	return m;
}

static const LearnerOps LogregOps = {
	.kind = MODEL_LOGREG,
	.name = "logreg",
	.binary_target = true,
	.options = BPOPT_INTERCEPT | BPOPT_L2 | BPOPT_NAMES | BPOPT_MAX_ITER |
	BPOPT_TOL | BPOPT_CLASS_WEIGHT | BPOPT_THREADS,
	.create = LogregCreate,
	.accum = LogregAccum,
	.adopt_rows = LogregAdoptRows,
	.compact = LogregCompact,
	.merge = LogregMerge,
	.serialize = LogregSerialize,
	.deserialize = LogregDeserialize,
	.finish = LogregFinish,
};

PG_FUNCTION_INFO_V1(logreg_accum);
Datum
logreg_accum(PG_FUNCTION_ARGS)
{
	return BpAggAccum(fcinfo, &LogregOps);
}

PG_FUNCTION_INFO_V1(logreg_accum_values);
Datum
logreg_accum_values(PG_FUNCTION_ARGS)
{
	return BpAggAccumValues(fcinfo, &LogregOps);
}

PG_FUNCTION_INFO_V1(logreg_combine);
Datum
logreg_combine(PG_FUNCTION_ARGS)
{
	return BpAggCombine(fcinfo, &LogregOps);
}

PG_FUNCTION_INFO_V1(logreg_serialize);
Datum
logreg_serialize(PG_FUNCTION_ARGS)
{
	return BpAggSerialize(fcinfo, &LogregOps);
}

PG_FUNCTION_INFO_V1(logreg_deserialize);
Datum
logreg_deserialize(PG_FUNCTION_ARGS)
{
	return BpAggDeserialize(fcinfo, &LogregOps);
}

PG_FUNCTION_INFO_V1(logreg_final);
Datum
logreg_final(PG_FUNCTION_ARGS)
{
	return BpAggFinal(fcinfo, &LogregOps);
}

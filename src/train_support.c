/*-------------------------------------------------------------------------
 *
 * train_support.c
 *	  Planner support for the training aggregates' array form.
 *
 * linreg(y, ARRAY[x1, ..., xn] [, ARRAY[c1, ..., ck]] [, options]) makes
 * PostgreSQL build the arrays for every input row before the transition
 * function sees them: at 10M rows x 10 features about 1 s of a 3.3 s
 * logreg fit.  The argument forms (linreg_values and the like, aggstate.c)
 * take the same values as separate arguments, share the states, combine
 * and final functions, and give the same model bytes.  predict has a
 * planner support function that makes this rewrite for its own calls
 * (predict.c), but PostgreSQL has no support requests for aggregates.
 *
 * What the planner does call for an aggregate is the cost request of its
 * transition function: get_agg_clause_costs asks every transition
 * function's support function for a SupportRequestCost, with the
 * PlannerInfo, right after preprocess_aggrefs has listed the query level's
 * Aggrefs (root->agginfos) and before any plan is built from them.  The
 * array forms' transition functions carry this support function, which
 * answers no cost (the planner uses procost) and, as a side effect,
 * rewrites each of the level's Aggrefs of linreg, logreg, gbdt or forest
 * whose arrays are written as one-dimensional ARRAY[...] into the argument
 * form's Aggref: aggfnoid, args and aggargtypes, in place, as
 * preprocess_aggrefs itself fills in aggtranstype, aggno and aggtransno.
 * The plan's later copies of the Aggref (partial aggregation, setrefs) are
 * made from the rewritten node, the elements are evaluated as before, once
 * each and in the same order, and EXPLAIN VERBOSE shows the argument form.
 *
 * Left alone (the array form runs, as before): arrays that are not
 * ARRAY[...] (columns, parameters, constants), multidimensional or empty
 * ones, more arguments than a call takes, ORDER BY or DISTINCT inside the
 * aggregate, window calls (not costed this way), an Aggref whose
 * transition state the planner shares with another aggregate's, a call
 * inside an ORDER BY, DISTINCT or window ordering expression of the query
 * (query_planner has copied those into its pathkeys before the costing,
 * and the sort must find them in the target list as they are), a caller
 * without EXECUTE on the argument form, and PostgreSQL versions other
 * than 14 and 15, whose AggInfo differs.  Identical calls in one query
 * (the select list and HAVING) are all rewritten; if the executor met one
 * that was not, it would still give the same bytes.  EXECUTE is checked
 * for the role that plans: a plan cached across SET ROLE by a role with
 * EXECUTE on the argument form fails for a role with EXECUTE on the array
 * form only, which needs a REVOKE from PUBLIC to arise.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_aggregate.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "nodes/supportnodes.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "buypower.h"
#include "aggstate.h"
#include "prep.h"

#if PG_VERSION_NUM >= 140000 && PG_VERSION_NUM < 160000
#define BP_REWRITE_AGGREFS 1
#endif

/*
 * The elements of a feature array argument written as ARRAY[...] of
 * elemtype, one-dimensional and with at least one element, or NIL if it is
 * anything else (a column, a constant, a multidimensional array).  Shared
 * with predict's support function.
 */
List *
BpArrayExprElements(Node *arg, Oid elemtype)
{
	ArrayExpr  *arr;

	if (!IsA(arg, ArrayExpr))
		return NIL;
	arr = (ArrayExpr *) arg;
	if (arr->multidims || arr->element_typeid != elemtype)
		return NIL;
	return arr->elements;
}

/*
 * The function name(firstarg, "any") in namespace nsp, or InvalidOid: the
 * argument form a support function rewrites to, found without a search
 * path and without checking USAGE on the schema, which the caller of a
 * view need not have (EXECUTE is checked when the plan starts, as for the
 * call it replaces).
 */
Oid
BpArgumentFormOid(Oid nsp, const char *name, Oid firstarg)
{
	Oid			argtypes[2] = {firstarg, ANYOID};
	oidvector  *args = buildoidvector(argtypes, 2);
	HeapTuple	tup;
	Oid			result = InvalidOid;

	tup = SearchSysCache3(PROCNAMEARGSNSP, CStringGetDatum(name),
						  PointerGetDatum(args), ObjectIdGetDatum(nsp));
	if (HeapTupleIsValid(tup))
	{
		result = ((Form_pg_proc) GETSTRUCT(tup))->oid;
		ReleaseSysCache(tup);
	}
	pfree(args);
	return result;
}

#ifdef BP_REWRITE_AGGREFS

/*
 * The argument-form Aggref's fields for an array-form Aggref of one of our
 * learners, or false to leave it alone.  transfn is the transition
 * function being costed: the aggregate's own, in the extension's schema.
 */
static bool
ArgumentForm(Aggref *a, Oid transfn, Oid *target, List **args, List **argtypes)
{
	static const char *const learners[] = {"linreg", "logreg", "gbdt", "forest"};
	Oid			nsp = get_func_namespace(transfn);
	List	   *num,
			   *cat = NIL;
	Node	   *options = NULL;
	char	   *name;
	char		values_name[NAMEDATALEN];
	int			nargs = list_length(a->args);
	int			resno = 1;
	bool		ours = false;
	ListCell   *lc;

	if (a->aggsplit != AGGSPLIT_SIMPLE || a->aggkind != AGGKIND_NORMAL ||
		a->agglevelsup != 0 || a->aggstar || a->aggvariadic ||
		a->aggorder != NIL || a->aggdistinct != NIL || a->aggdirectargs != NIL ||
		nargs < 2 || nargs > 4 || list_length(a->aggargtypes) != nargs)
		return false;
	if (get_func_namespace(a->aggfnoid) != nsp)
		return false;
	name = get_func_name(a->aggfnoid);
	if (name == NULL)
		return false;
	for (int i = 0; i < lengthof(learners); i++)
		ours |= strcmp(name, learners[i]) == 0;
	if (!ours)
		return false;

	/* (target, float8[] [, jsonb]) or (target, float8[], text[], jsonb) */
	if (list_nth_oid(a->aggargtypes, 1) != FLOAT8ARRAYOID)
		return false;
	num = BpArrayExprElements((Node *) ((TargetEntry *) lsecond(a->args))->expr, FLOAT8OID);
	if (num == NIL)
		return false;
	if (nargs == 4)
	{
		if (list_nth_oid(a->aggargtypes, 2) != TEXTARRAYOID)
			return false;
		cat = BpArrayExprElements((Node *) ((TargetEntry *) lthird(a->args))->expr, TEXTOID);
		if (cat == NIL || list_length(cat) > PREP_MAX_CATEGORICAL)
			return false;
	}
	if (nargs >= 3)
	{
		if (llast_oid(a->aggargtypes) != JSONBOID)
			return false;
		options = (Node *) ((TargetEntry *) llast(a->args))->expr;
	}
	/* the transition function takes the state too */
	if (1 + list_length(num) + list_length(cat) + (options != NULL) + 1 > FUNC_MAX_ARGS)
		return false;

	snprintf(values_name, sizeof(values_name), "%s_values", name);
	*target = BpArgumentFormOid(nsp, values_name, linitial_oid(a->aggargtypes));
	if (!OidIsValid(*target) || get_func_prokind(*target) != PROKIND_AGGREGATE ||
		get_func_rettype(*target) != a->aggtype ||
		pg_proc_aclcheck(*target, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
		return false;

	*args = *argtypes = NIL;
	*args = lappend(*args, makeTargetEntry(((TargetEntry *) linitial(a->args))->expr,
										   resno++, NULL, false));
	foreach(lc, list_concat_copy(num, cat))
		*args = lappend(*args, makeTargetEntry(lfirst(lc), resno++, NULL, false));
	if (options != NULL)
		*args = lappend(*args, makeTargetEntry((Expr *) options, resno++, NULL, false));
	foreach(lc, *args)
		*argtypes = lappend_oid(*argtypes, exprType((Node *) ((TargetEntry *) lfirst(lc))->expr));
	return true;
}

typedef struct RewriteContext
{
	Oid			transfn;
	Bitmapset  *aggnos;			/* the calls to rewrite */
} RewriteContext;

/*
 * Collect the aggnos of this level's Aggrefs under node.
 */
static bool
AggnoWalker(Node *node, Bitmapset **aggnos)
{
	if (node == NULL)
		return false;
	if (IsA(node, Aggref))
	{
		if (((Aggref *) node)->agglevelsup == 0)
			*aggnos = bms_add_member(*aggnos, ((Aggref *) node)->aggno);
		return false;
	}
	return expression_tree_walker(node, AggnoWalker, (void *) aggnos);
}

/*
 * Rewrite an Aggref in place; false if it stays as it is.
 */
static bool
RewriteAggref(Aggref *a, Oid transfn)
{
	Oid			target;
	List	   *args,
			   *argtypes;

	if (!ArgumentForm(a, transfn, &target, &args, &argtypes))
		return false;
	a->aggfnoid = target;
	a->args = args;
	a->aggargtypes = argtypes;
	return true;
}

/*
 * Rewrite the other Aggrefs of the calls in cxt->aggnos (duplicates of a
 * representative: the same call written twice).
 */
static bool
RewriteWalker(Node *node, RewriteContext *cxt)
{
	if (node == NULL)
		return false;
	if (IsA(node, Aggref))
	{
		Aggref	   *a = (Aggref *) node;

		if (a->agglevelsup == 0 && bms_is_member(a->aggno, cxt->aggnos))
			(void) RewriteAggref(a, cxt->transfn);
		/* no aggregates of this level inside an aggregate's arguments */
		return false;
	}
	return expression_tree_walker(node, RewriteWalker, (void *) cxt);
}

/*
 * Rewrite the calls of root's query level whose transition function is
 * transfn and whose state is theirs alone.
 */
static void
RewriteLevel(PlannerInfo *root, Oid transfn)
{
	RewriteContext cxt;
	Bitmapset  *sorted = NULL;
	int			ntrans = list_length(root->aggtransinfos);
	int		   *users;
	int			aggno = 0;
	ListCell   *lc;

	cxt.transfn = transfn;
	cxt.aggnos = NULL;

	/*
	 * A call inside an ORDER BY, DISTINCT or window ordering expression
	 * stays as it is: query_planner has already copied that expression
	 * into the pathkeys' equivalence classes, and the sort must find the
	 * copy in the target list.
	 */
	foreach(lc, root->processed_tlist)
	{
		TargetEntry *tle = lfirst(lc);

		if (tle->ressortgroupref != 0)
			(void) AggnoWalker((Node *) tle->expr, &sorted);
	}
	users = palloc0(sizeof(int) * Max(ntrans, 1));
	foreach(lc, root->agginfos)
	{
		AggInfo    *agginfo = lfirst(lc);

		if (agginfo->transno >= 0 && agginfo->transno < ntrans)
			users[agginfo->transno]++;
	}
	foreach(lc, root->agginfos)
	{
		AggInfo    *agginfo = lfirst(lc);
		AggTransInfo *transinfo;
		Aggref	   *a = agginfo->representative_aggref;

		if (agginfo->transno >= 0 && agginfo->transno < ntrans &&
			users[agginfo->transno] == 1 && !bms_is_member(aggno, sorted))
		{
			transinfo = list_nth(root->aggtransinfos, agginfo->transno);
			if (transinfo->transfn_oid == transfn && RewriteAggref(a, transfn))
			{
				/* so that the rest of the costing sees the new arguments */
				transinfo->args = a->args;
				cxt.aggnos = bms_add_member(cxt.aggnos, aggno);
			}
		}
		aggno++;
	}
	if (cxt.aggnos != NULL)
	{
		(void) RewriteWalker((Node *) root->processed_tlist, &cxt);
		(void) RewriteWalker(root->parse->havingQual, &cxt);
	}
	pfree(users);
}
#endif							/* BP_REWRITE_AGGREFS */

PG_FUNCTION_INFO_V1(training_array_support);
Datum
training_array_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);

#ifdef BP_REWRITE_AGGREFS
	if (IsA(rawreq, SupportRequestCost))
	{
		SupportRequestCost *req = (SupportRequestCost *) rawreq;

		/* get_agg_clause_costs asks with the root and no call node */
		if (bp_rewrite_arrays && req->root != NULL && req->node == NULL &&
			req->root->parse->hasAggs)
			RewriteLevel(req->root, req->funcid);
	}
#endif
	PG_RETURN_POINTER(NULL);
}

/*
 * Planner support for the serialize functions of the learners that keep
 * their rows (logreg, gbdt, forest).  A partial aggregate of theirs sends
 * every row it read to the leader as one bytea (at most 1 GB), through the
 * 64 kB tuple queue, and the leader then solves alone: on the 2-core test
 * machine a forced parallel plan took 10.7 s for a 10M-row logreg against
 * 3.3 s serial, and a worker's rows beyond 1 GB are an error.  PostgreSQL's
 * default costs still prefer that plan from about 1M rows on, because they
 * see only the scan divided among the workers.  Serialization is only
 * costed on partial paths (get_agg_clause_costs with a serializing split),
 * so a cost as high as the planner's own disable_cost there, unless
 * buypower.parallel_training is on, makes it choose the serial plan as
 * enable_* settings do; the parallel plan stays possible and correct.
 */
#define BP_DISABLE_COST 1.0e10

PG_FUNCTION_INFO_V1(training_serialize_support);
Datum
training_serialize_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);

	if (IsA(rawreq, SupportRequestCost) && !bp_parallel_training)
	{
		SupportRequestCost *req = (SupportRequestCost *) rawreq;

		req->startup = BP_DISABLE_COST;
		req->per_tuple = 0;
		PG_RETURN_POINTER(req);
	}
	PG_RETURN_POINTER(NULL);
}

/*-------------------------------------------------------------------------
 *
 * vocab.c
 *	  Exact counts of a categorical feature's distinct values.
 *
 * A Vocab is a small open-addressing hash table (linear probing, table
 * at most half full) over the distinct values, each with its row count.
 * Ids are positions in order of first sight, so they depend on row order;
 * everything stored in a model is derived from the counts alone (see
 * VocabRanking), which is why serial and parallel runs agree exactly.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "vocab.h"

/*
 * Allocate an empty vocabulary.
 */
Vocab *
VocabCreate(void)
{
	Vocab	   *v = palloc0(sizeof(Vocab));

	v->cap = 16;
	v->entries = palloc(sizeof(VocabEntry) * v->cap);
	v->nbuckets = 32;
	v->buckets = palloc0(sizeof(int32) * v->nbuckets);
	return v;
}

/*
 * Return the id of value, or -1 if it was never added.
 */
int32
VocabLookup(const Vocab *v, const char *value, int len)
{
	uint32		h = hash_bytes((const unsigned char *) value, len);
	uint32		mask = (uint32) v->nbuckets - 1;
	uint32		b;

	for (b = h & mask;; b = (b + 1) & mask)
	{
		int32		id = v->buckets[b] - 1;

		if (id < 0)
			return -1;
		if (v->entries[id].hash == h && v->entries[id].len == len &&
			memcmp(v->entries[id].value, value, len) == 0)
			return id;
	}
}

/*
 * Double the bucket array and reinsert every id.
 */
static void
VocabGrow(Vocab *v)
{
	int32		nb = v->nbuckets * 2;
	int32	   *buckets = palloc0(sizeof(int32) * nb);
	uint32		mask = (uint32) nb - 1;
	int32		id;

	for (id = 0; id < v->n; id++)
	{
		uint32		b = v->entries[id].hash & mask;

		while (buckets[b] != 0)
			b = (b + 1) & mask;
		buckets[b] = id + 1;
	}
	pfree(v->buckets);
	v->bytes += sizeof(int32) * (Size) (nb - v->nbuckets);
	v->buckets = buckets;
	v->nbuckets = nb;
}

/*
 * Add count rows with value; return its id.  slot (1-based) only names
 * the categorical feature in the error raised past VOCAB_MAX_DISTINCT.
 */
int32
VocabAdd(Vocab *v, const char *value, int len, int64 count, int slot)
{
	uint32		h = hash_bytes((const unsigned char *) value, len);
	uint32		mask = (uint32) v->nbuckets - 1;
	uint32		b;
	VocabEntry *e;

	for (b = h & mask;; b = (b + 1) & mask)
	{
		int32		id = v->buckets[b] - 1;

		if (id < 0)
			break;
		if (v->entries[id].hash == h && v->entries[id].len == len &&
			memcmp(v->entries[id].value, value, len) == 0)
		{
			v->entries[id].count += count;
			return id;
		}
	}
	if (v->n >= VOCAB_MAX_DISTINCT)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("categorical feature %d has more than %d distinct values",
						slot, VOCAB_MAX_DISTINCT),
				 errhint("Group rare values in SQL first (for example with CASE), or pass the column as a numeric feature.")));
	if (v->n == v->cap)
	{
		v->cap *= 2;
		v->entries = repalloc(v->entries, sizeof(VocabEntry) * v->cap);
	}
	e = &v->entries[v->n];
	e->count = count;
	e->len = len;
	e->hash = h;
	e->value = palloc(len + 1);
	memcpy(e->value, value, len);
	e->value[len] = '\0';
	v->bytes += len + 1 + sizeof(VocabEntry);
	v->buckets[b] = ++v->n;
	if (2 * v->n >= v->nbuckets)
		VocabGrow(v);
	return v->n - 1;
}

/*
 * Add src's counts to dst.  If remap is not NULL, remap[id in src] is set
 * to the value's id in dst, for moving rows that refer to src ids.
 */
void
VocabMerge(Vocab *dst, const Vocab *src, int32 *remap, int slot)
{
	int32		id;

	for (id = 0; id < src->n; id++)
	{
		int32		to = VocabAdd(dst, src->entries[id].value, src->entries[id].len,
								  src->entries[id].count, slot);

		if (remap)
			remap[id] = to;
	}
	dst->nnull += src->nnull;
}

/*
 * Write the NULL count, then (count, length, bytes) per id.
 */
void
VocabSerialize(const Vocab *v, StringInfo buf)
{
	int32		id;

	pq_sendint64(buf, v->nnull);
	pq_sendint32(buf, v->n);
	for (id = 0; id < v->n; id++)
	{
		pq_sendint64(buf, v->entries[id].count);
		pq_sendint32(buf, v->entries[id].len);
		pq_sendbytes(buf, v->entries[id].value, v->entries[id].len);
	}
}

/*
 * Report a serialized vocabulary that does not hold together.
 */
static void
pg_attribute_noreturn()
VocabBad(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid serialized categorical vocabulary")));
}

/*
 * Read what VocabSerialize wrote, checking every length first.  Ids are
 * preserved: values are added in id order and must be distinct.
 */
Vocab *
VocabDeserialize(StringInfo buf, int slot)
{
	Vocab	   *v = VocabCreate();
	int32		n,
				id;

	if (buf->len - buf->cursor < 12)
		VocabBad();
	v->nnull = pq_getmsgint64(buf);
	n = pq_getmsgint(buf, 4);
	if (v->nnull < 0 || n < 0 || n > VOCAB_MAX_DISTINCT)
		VocabBad();
	for (id = 0; id < n; id++)
	{
		int64		count;
		int32		len;

		if (buf->len - buf->cursor < 12)
			VocabBad();
		count = pq_getmsgint64(buf);
		len = pq_getmsgint(buf, 4);
		if (count < 1 || len < 0 || len > buf->len - buf->cursor)
			VocabBad();
		if (VocabLookup(v, buf->data + buf->cursor, len) >= 0)
			VocabBad();
		VocabAdd(v, buf->data + buf->cursor, len, count, slot);
		buf->cursor += len;
	}
	return v;
}

/*
 * Order ids by count, descending, then by value bytes, ascending (shorter
 * first on a common prefix): an order that depends only on the counts.
 */
static int
RankCompare(const void *a, const void *b, void *arg)
{
	const Vocab *v = arg;
	const VocabEntry *x = &v->entries[*(const int32 *) a];
	const VocabEntry *y = &v->entries[*(const int32 *) b];
	int			c;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	c = memcmp(x->value, y->value, Min(x->len, y->len));
	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

/*
 * Return the ids ranked by frequency (a palloc'd array of v->n ids).
 */
int32 *
VocabRanking(const Vocab *v)
{
	int32	   *ids = palloc(sizeof(int32) * (v->n + 1));
	int32		id;

	for (id = 0; id < v->n; id++)
		ids[id] = id;
	qsort_arg(ids, v->n, sizeof(int32), RankCompare, (void *) v);
	return ids;
}

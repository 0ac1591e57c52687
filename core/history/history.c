/*
 * history.c - the derived index of a chain's changed plan files: building
 * it from the trees, reading and writing its cache file.
 *
 * The cache file, <git dir>/keikaku/history.idx, in host byte order (it is
 * a local cache, not an interchange format):
 *
 *   "KKHIST\0" version:u8
 *   ncommits:u32 nchanges:u32 npaths:u32 pathbytes:u32
 *   ncommits x { oid[20] time:i64 offset:i32 first:u32 }
 *   nchanges x { path:u32 blob[20] }
 *   pathbytes of NUL-terminated paths
 *   checksum:u64 (FNV-1a of everything before it)
 *
 * A file that fails any check is ignored and rebuilt.
 */
#include "history_index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "dates.h"
#include "i18n.h"
#include "plan.h"

#define CACHE_DIR     "keikaku"
#define CACHE_NAME    "history.idx"
#define CACHE_MAGIC   "KKHIST"
#define CACHE_VERSION 1
#define HEADER_SIZE   24
#define COMMIT_SIZE   (GIT_OID_RAWSZ + 8 + 4 + 4)
#define CHANGE_SIZE   (4 + GIT_OID_RAWSZ)

/* The plan-wide files the history follows, besides items/. */
static const char *const plan_files[] = {KK_PATH_SETTINGS, KK_PATH_DEPARTMENTS, KK_PATH_STRUCTURE};

static int nomem(kk_diag *diag)
{
	return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
}

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define FNV_INIT 0xcbf29ce484222325ULL

static size_t hash_oid(const git_oid *oid)
{
	size_t h;

	memcpy(&h, oid->id, sizeof(h));
	return h;
}

static size_t hash_str(const char *s)
{
	return (size_t)fnv1a(FNV_INIT, (const unsigned char *)s, strlen(s));
}

static size_t slots_for(size_t n)
{
	size_t slots = 64;

	while (slots < 2 * n)
		slots <<= 1;
	return slots;
}

uint32_t kk_hist_find_commit(const kk_history *h, const git_oid *oid)
{
	size_t mask = h->oid_slots - 1;

	for (size_t i = hash_oid(oid) & mask;; i = (i + 1) & mask) {
		uint32_t v = h->oid_table[i];

		if (!v)
			return KK_HIST_NONE;
		if (git_oid_equal(&h->commits[v - 1].oid, oid))
			return v - 1;
	}
}

uint32_t kk_hist_find_path(const kk_history *h, const char *path)
{
	size_t mask = h->path_slots - 1;

	if (!h->path_slots)
		return KK_HIST_NONE;
	for (size_t i = hash_str(path) & mask;; i = (i + 1) & mask) {
		uint32_t v = h->path_table[i];

		if (!v)
			return KK_HIST_NONE;
		if (strcmp(h->paths[v - 1], path) == 0)
			return v - 1;
	}
}

/* (Re)builds the oid table over all commits. */
static int index_commits(kk_history *h)
{
	size_t slots = slots_for(h->ncommits);
	uint32_t *table = calloc(slots, sizeof(*table));

	if (!table)
		return KK_ENOMEM;
	free(h->oid_table);
	h->oid_table = table;
	h->oid_slots = slots;
	for (size_t c = 0; c < h->ncommits; c++) {
		size_t i = hash_oid(&h->commits[c].oid) & (slots - 1);

		while (table[i])
			i = (i + 1) & (slots - 1);
		table[i] = (uint32_t)c + 1;
	}
	return 0;
}

static void insert_path(uint32_t *table, size_t slots, const char *path, uint32_t id)
{
	size_t i = hash_str(path) & (slots - 1);

	while (table[i])
		i = (i + 1) & (slots - 1);
	table[i] = id + 1;
}

/* The id of `path`, adding it when new. */
static int intern(uint32_t *out, kk_history *h, const char *path)
{
	uint32_t id = kk_hist_find_path(h, path);

	if (id != KK_HIST_NONE) {
		*out = id;
		return 0;
	}
	if (KK_ARRAY_GROW(h->paths, h->npaths + 1, h->apaths) < 0)
		return KK_ENOMEM;
	if (2 * (h->npaths + 1) > h->path_slots) {
		size_t slots = slots_for(h->npaths + 1);
		uint32_t *table = calloc(slots, sizeof(*table));

		if (!table)
			return KK_ENOMEM;
		for (size_t i = 0; i < h->npaths; i++)
			insert_path(table, slots, h->paths[i], (uint32_t)i);
		free(h->path_table);
		h->path_table = table;
		h->path_slots = slots;
	}
	if (!(h->paths[h->npaths] = strdup(path)))
		return KK_ENOMEM;
	insert_path(h->path_table, h->path_slots, path, (uint32_t)h->npaths);
	*out = (uint32_t)h->npaths++;
	return 0;
}

static int push_commit(kk_history *h, const git_oid *oid, int64_t time, int offset)
{
	kk_hist_commit *c;

	if (h->ncommits >= UINT32_MAX - 1)
		return KK_ELIMIT;
	if (KK_ARRAY_GROW(h->commits, h->ncommits + 1, h->acommits) < 0)
		return KK_ENOMEM;
	c = &h->commits[h->ncommits++];
	c->oid = *oid;
	c->time = time;
	c->offset = offset;
	c->first = (uint32_t)h->nchanges;
	return 0;
}

static int push_change(kk_history *h, const char *path, const git_oid *blob)
{
	kk_hist_change *c;
	uint32_t id;
	int error;

	if ((error = intern(&id, h, path)) < 0)
		return error;
	if (h->nchanges >= UINT32_MAX - 1)
		return KK_ELIMIT;
	if (KK_ARRAY_GROW(h->changes, h->nchanges + 1, h->achanges) < 0)
		return KK_ENOMEM;
	c = &h->changes[h->nchanges++];
	c->path = id;
	c->blob = *blob;
	c->commit = (uint32_t)h->ncommits - 1;
	c->prev = KK_HIST_NONE;
	return 0;
}

/* --- building from trees --- */

static const git_oid zero_oid;

static const git_tree_entry *blob_entry(const git_tree *tree, const char *name)
{
	const git_tree_entry *e = tree ? git_tree_entry_byname(tree, name) : NULL;

	return e && git_tree_entry_type(e) == GIT_OBJECT_BLOB ? e : NULL;
}

static int item_change(kk_history *h, const char *name, size_t len, const git_oid *blob)
{
	char path[KK_ITEM_PATH_MAX + 8];
	json_int_t id;

	if (len > KK_ITEM_PATH_MAX)
		return 0;
	snprintf(path, sizeof(path), "%s%.*s", KK_PATH_ITEMS, (int)len, name);
	if (!kk_item_path_parse(&id, path))
		return 0; /* not a plan file: verify reports it */
	return push_change(h, path, blob);
}

/*
 * One entry of a raw tree object: "<mode> <name>\0<20-byte id>".  The
 * items/ tree of a large plan has 10,000 entries and consecutive commits
 * differ in one, so trees are compared as bytes rather than parsed whole.
 */
typedef struct raw_entry {
	const unsigned char *start, *name, *id; /* `id` ends the entry */
	size_t name_len;
	int blob;
} raw_entry;

/* Reads the entry at `p` (before `end`); returns 0, or -1 at the end or when malformed. */
static int raw_next(raw_entry *e, const unsigned char *p, const unsigned char *end)
{
	const unsigned char *sp, *nul;

	if (p >= end || !(sp = memchr(p, ' ', (size_t)(end - p))) ||
	    !(nul = memchr(sp, '\0', (size_t)(end - sp))) || end - nul - 1 < GIT_OID_RAWSZ)
		return -1;
	e->start = p;
	e->name = sp + 1;
	e->name_len = (size_t)(nul - sp - 1);
	e->id = nul + 1;
	/* 40000 is a tree, 160000 a submodule; everything else names a blob. */
	e->blob = !((sp - p == 5 && memcmp(p, "40000", 5) == 0) ||
		    (sp - p == 6 && memcmp(p, "160000", 6) == 0));
	return 0;
}

static const unsigned char *raw_after(const raw_entry *e)
{
	return e->id + GIT_OID_RAWSZ;
}

static int raw_cmp(const raw_entry *a, const raw_entry *b)
{
	size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
	int c = memcmp(a->name, b->name, n);

	return c ? c : (a->name_len > b->name_len) - (a->name_len < b->name_len);
}

static int raw_change(kk_history *h, const raw_entry *e, int removed)
{
	git_oid oid;

	if (!e->blob)
		return 0;
	git_oid_fromraw(&oid, e->id);
	return item_change(h, (const char *)e->name, e->name_len, removed ? &zero_oid : &oid);
}

/*
 * Records the item files that differ between two raw items/ trees (either
 * may be empty), walking both in name order (blob names sort as plain
 * bytes) from the first byte where they differ, and stopping as soon as
 * what is left of both is the same.
 */
static int diff_items(kk_history *h, const unsigned char *a, size_t la, const unsigned char *b,
		      size_t lb)
{
	const unsigned char *ea = a + la, *eb = b + lb, *pa = a, *pb = b;
	size_t common = 0, limit = la < lb ? la : lb;
	raw_entry x, y;
	int error = 0;

	/* The entries wholly inside the common prefix are the same in both. */
	for (size_t step = 4096; step > 0; step /= 8)
		while (common + step <= limit && memcmp(a + common, b + common, step) == 0)
			common += step;
	while (raw_next(&x, pa, ea) == 0 && raw_after(&x) <= a + common)
		pa = raw_after(&x);
	pb = b + (pa - a);

	for (;;) {
		int ha, hb, cmp;

		if ((size_t)(ea - pa) == (size_t)(eb - pb) &&
		    memcmp(pa, pb, (size_t)(ea - pa)) == 0)
			break;
		ha = raw_next(&x, pa, ea) == 0;
		hb = raw_next(&y, pb, eb) == 0;
		if (!ha && !hb)
			break;
		cmp = !ha ? 1 : !hb ? -1 : raw_cmp(&x, &y);
		if (cmp < 0) {
			error = raw_change(h, &x, 1);
			pa = raw_after(&x);
		} else if (cmp > 0) {
			error = raw_change(h, &y, 0);
			pb = raw_after(&y);
		} else {
			if (memcmp(x.id, y.id, GIT_OID_RAWSZ) != 0 || x.blob != y.blob) {
				if (x.blob != y.blob)
					error = raw_change(h, &x, 1);
				if (!error)
					error = raw_change(h, &y, 0);
			}
			pa = raw_after(&x);
			pb = raw_after(&y);
		}
		if (error < 0)
			return error;
		/* Equal entries that follow are skipped without a tail check each. */
		while (raw_next(&x, pa, ea) == 0 && raw_next(&y, pb, eb) == 0 &&
		       raw_after(&x) - x.start == raw_after(&y) - y.start &&
		       memcmp(x.start, y.start, (size_t)(raw_after(&x) - x.start)) == 0) {
			pa = raw_after(&x);
			pb = raw_after(&y);
		}
	}
	return 0;
}

/*
 * The state of a walk: the previous commit's root tree and raw items/
 * tree, so that each tree is read once.
 */
typedef struct build_state {
	git_tree *root;
	git_odb_object *items;
} build_state;

static void build_state_clear(build_state *st)
{
	git_tree_free(st->root);
	git_odb_object_free(st->items);
	st->root = NULL;
	st->items = NULL;
}

static int load_tree(git_tree **out, kk_history *h, const git_oid *commit_id, kk_diag *diag)
{
	git_commit *commit = NULL;
	int error;

	if (!commit_id) {
		*out = NULL;
		return 0;
	}
	if ((error = git_commit_lookup(&commit, h->repo, commit_id)) == 0)
		error = git_commit_tree(out, commit);
	git_commit_free(commit);
	return error < 0 ? kk_diag_git(diag, KK_EIO, _("cannot read the history")) : 0;
}

static int items_tree(git_odb_object **out, kk_history *h, const git_tree *root, kk_diag *diag)
{
	const git_tree_entry *e = root ? git_tree_entry_byname(root, "items") : NULL;
	git_odb *odb = NULL;
	int error;

	*out = NULL;
	if (!e || git_tree_entry_type(e) != GIT_OBJECT_TREE)
		return 0;
	if ((error = git_repository_odb(&odb, h->repo)) == 0)
		error = git_odb_read(out, odb, git_tree_entry_id(e));
	git_odb_free(odb);
	return error < 0 ? kk_diag_git(diag, KK_EIO, _("cannot read the history")) : 0;
}

static const unsigned char *raw_data(git_odb_object *o, size_t *len)
{
	*len = o ? git_odb_object_size(o) : 0;
	return o ? git_odb_object_data(o) : (const unsigned char *)"";
}

/* Appends `commit`, whose parent's trees are in `st`, and moves `st` on to it. */
static int add_commit(kk_history *h, build_state *st, const git_commit *commit, kk_diag *diag)
{
	git_tree *root = NULL;
	git_odb_object *items = NULL;
	const git_tree_entry *eo, *en;
	int error;

	if ((error = push_commit(h, git_commit_id(commit), git_commit_time(commit),
				 git_commit_time_offset(commit))) < 0)
		return kk_diag_set(diag, error, _("out of memory"));
	if ((error = load_tree(&root, h, git_commit_id(commit), diag)) < 0)
		return error;
	for (size_t i = 0; i < sizeof(plan_files) / sizeof(*plan_files); i++) {
		eo = blob_entry(st->root, plan_files[i]);
		en = blob_entry(root, plan_files[i]);
		if (!eo && !en)
			continue;
		if (eo && en && git_oid_equal(git_tree_entry_id(eo), git_tree_entry_id(en)))
			continue;
		if ((error = push_change(h, plan_files[i],
					 en ? git_tree_entry_id(en) : &zero_oid)) < 0)
			goto done;
	}
	eo = st->root ? git_tree_entry_byname(st->root, "items") : NULL;
	en = git_tree_entry_byname(root, "items");
	if (eo && en && git_oid_equal(git_tree_entry_id(eo), git_tree_entry_id(en))) {
		items = st->items;
		st->items = NULL;
	} else {
		const unsigned char *a, *b;
		size_t la, lb;

		if ((error = items_tree(&items, h, root, diag)) < 0)
			goto done;
		a = raw_data(st->items, &la);
		b = raw_data(items, &lb);
		if ((error = diff_items(h, a, la, b, lb)) < 0)
			goto done;
	}
	build_state_clear(st);
	st->root = root;
	st->items = items;
	return 0;
done:
	git_tree_free(root);
	git_odb_object_free(items);
	if (error == KK_ENOMEM || error == KK_ELIMIT)
		kk_diag_set(diag, error, _("out of memory"));
	return error;
}

/*
 * Extends the index from commit `from` (the index's commits[0 .. n) are
 * its chain, n may be 0) to `tip`: `chain` holds the new commits' ids,
 * newest first.
 */
static int extend(kk_history *h, const git_oid *chain, size_t n, kk_diag *diag)
{
	build_state st = {0};
	git_commit *commit = NULL;
	int error = 0;

	if (h->ncommits &&
	    (error = load_tree(&st.root, h, &h->commits[h->ncommits - 1].oid, diag)) < 0)
		return error;
	if ((error = items_tree(&st.items, h, st.root, diag)) < 0)
		goto done;
	for (size_t i = n; i-- > 0;) {
		if (git_commit_lookup(&commit, h->repo, &chain[i]) < 0) {
			error = kk_diag_git(diag, KK_EIO, _("cannot read the history"));
			goto done;
		}
		error = add_commit(h, &st, commit, diag);
		git_commit_free(commit);
		if (error < 0)
			goto done;
	}
done:
	build_state_clear(&st);
	return error;
}

/* --- the cache file --- */

static void cache_path(char *buf, size_t size, kk_history *h, const char *name)
{
	snprintf(buf, size, "%s%s/%s", git_repository_path(h->repo), CACHE_DIR, name);
}

static void put32(unsigned char **p, uint32_t v)
{
	memcpy(*p, &v, 4);
	*p += 4;
}

static uint32_t get32(const unsigned char **p)
{
	uint32_t v;

	memcpy(&v, *p, 4);
	*p += 4;
	return v;
}

/* Reads the cache file into `h` (which is empty); returns 0 when it was usable. */
static int cache_read(kk_history *h)
{
	char path[4096];
	unsigned char *buf = NULL;
	const unsigned char *p, *paths_end;
	uint32_t ncommits, nchanges, npaths, pathbytes, id;
	uint64_t sum;
	struct stat st;
	size_t size;
	int fd, ok = 0;

	cache_path(path, sizeof(path), h, CACHE_NAME);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size < HEADER_SIZE + 8 || st.st_size > (1LL << 32))
		goto done;
	size = (size_t)st.st_size;
	if (!(buf = malloc(size)))
		goto done;
	for (size_t got = 0; got < size;) {
		ssize_t r = read(fd, buf + got, size - got);

		if (r <= 0)
			goto done;
		got += (size_t)r;
	}
	memcpy(&sum, buf + size - 8, 8);
	if (memcmp(buf, CACHE_MAGIC "\0", 7) != 0 || buf[7] != CACHE_VERSION ||
	    fnv1a(FNV_INIT, buf, size - 8) != sum)
		goto done;
	p = buf + 8;
	ncommits = get32(&p);
	nchanges = get32(&p);
	npaths = get32(&p);
	pathbytes = get32(&p);
	if ((uint64_t)HEADER_SIZE + (uint64_t)ncommits * COMMIT_SIZE +
		    (uint64_t)nchanges * CHANGE_SIZE + pathbytes + 8 !=
	    size)
		goto done;
	for (uint32_t i = 0; i < ncommits; i++) {
		git_oid oid;
		int64_t time;
		int32_t offset;
		uint32_t first;

		git_oid_fromraw(&oid, p);
		p += GIT_OID_RAWSZ;
		memcpy(&time, p, 8);
		memcpy(&offset, p + 8, 4);
		memcpy(&first, p + 12, 4);
		p += 16;
		if (first > nchanges ||
		    (h->ncommits && first < h->commits[h->ncommits - 1].first) ||
		    push_commit(h, &oid, time, offset) < 0)
			goto done;
		h->commits[h->ncommits - 1].first = first;
	}
	/* Paths come after the changes in the file; read them first. */
	paths_end = p + (size_t)nchanges * CHANGE_SIZE + pathbytes;
	for (const unsigned char *s = p + (size_t)nchanges * CHANGE_SIZE; s < paths_end;) {
		const unsigned char *nul = memchr(s, '\0', (size_t)(paths_end - s));

		if (!nul || intern(&id, h, (const char *)s) < 0 || id != h->npaths - 1)
			goto done;
		s = nul + 1;
	}
	if (h->npaths != npaths || KK_ARRAY_GROW(h->changes, nchanges, h->achanges) < 0)
		goto done;
	for (uint32_t i = 0, c = 0; i < nchanges; i++) {
		kk_hist_change *ch = &h->changes[h->nchanges++];

		ch->path = get32(&p);
		git_oid_fromraw(&ch->blob, p);
		p += GIT_OID_RAWSZ;
		ch->prev = KK_HIST_NONE;
		if (ch->path >= npaths)
			goto done;
		while (c + 1 < ncommits && h->commits[c + 1].first <= i)
			c++;
		ch->commit = c;
	}
	ok = 1;
done:
	close(fd);
	free(buf);
	if (!ok) {
		/* Forget whatever was read. */
		for (size_t i = 0; i < h->npaths; i++)
			free(h->paths[i]);
		h->npaths = h->ncommits = h->nchanges = 0;
		if (h->path_table)
			memset(h->path_table, 0, h->path_slots * sizeof(*h->path_table));
	}
	return ok ? 0 : -1;
}

/* Writes the index beside the cache file and renames it into place; failure is not an error. */
static void cache_write(kk_history *h)
{
	char dir[4096], tmp[4096], path[4096];
	size_t pathbytes = 0, size;
	unsigned char *buf, *p;
	uint64_t sum;
	int fd;

	for (size_t i = 0; i < h->npaths; i++)
		pathbytes += strlen(h->paths[i]) + 1;
	size = HEADER_SIZE + h->ncommits * COMMIT_SIZE + h->nchanges * CHANGE_SIZE + pathbytes + 8;
	if (!(buf = malloc(size)))
		return;
	p = buf;
	memcpy(p, CACHE_MAGIC "\0", 7);
	p[7] = CACHE_VERSION;
	p += 8;
	put32(&p, (uint32_t)h->ncommits);
	put32(&p, (uint32_t)h->nchanges);
	put32(&p, (uint32_t)h->npaths);
	put32(&p, (uint32_t)pathbytes);
	for (size_t i = 0; i < h->ncommits; i++) {
		const kk_hist_commit *c = &h->commits[i];

		memcpy(p, c->oid.id, GIT_OID_RAWSZ);
		memcpy(p + GIT_OID_RAWSZ, &c->time, 8);
		memcpy(p + GIT_OID_RAWSZ + 8, &c->offset, 4);
		memcpy(p + GIT_OID_RAWSZ + 12, &c->first, 4);
		p += COMMIT_SIZE;
	}
	for (size_t i = 0; i < h->nchanges; i++) {
		put32(&p, h->changes[i].path);
		memcpy(p, h->changes[i].blob.id, GIT_OID_RAWSZ);
		p += GIT_OID_RAWSZ;
	}
	for (size_t i = 0; i < h->npaths; i++) {
		size_t n = strlen(h->paths[i]) + 1;

		memcpy(p, h->paths[i], n);
		p += n;
	}
	sum = fnv1a(FNV_INIT, buf, size - 8);
	memcpy(p, &sum, 8);

	cache_path(dir, sizeof(dir), h, "");
	/* A name of its own: the daemon's read workers may write at the same time. */
	cache_path(tmp, sizeof(tmp), h, CACHE_NAME ".XXXXXX");
	cache_path(path, sizeof(path), h, CACHE_NAME);
	if ((mkdir(dir, 0755) == 0 || errno == EEXIST) && (fd = mkostemp(tmp, O_CLOEXEC)) >= 0) {
		fchmod(fd, 0644);
		size_t done = 0;

		while (done < size) {
			ssize_t w = write(fd, buf + done, size - done);

			if (w <= 0)
				break;
			done += (size_t)w;
		}
		if (close(fd) < 0 || done != size || rename(tmp, path) < 0)
			unlink(tmp);
	}
	free(buf);
}

/* --- opening --- */

size_t kk_history_count(const kk_history *h)
{
	return h->count;
}

size_t kk_history_cached(const kk_history *h)
{
	return h->cached;
}

void kk_history_free(kk_history *h)
{
	if (!h)
		return;
	if (h->is_view) {
		free(h);
		return;
	}
	for (size_t i = 0; i < h->npaths; i++)
		free(h->paths[i]);
	free(h->paths);
	free(h->commits);
	free(h->changes);
	free(h->oid_table);
	free(h->path_table);
	free(h->last);
	kk_hist_people_free(h->people);
	free(h);
}

/* Links each change to the previous one of its path, and notes each path's last change in view. */
static int link_changes(kk_history *h)
{
	uint32_t end = h->count ? kk_hist_changes_end(h, h->count - 1) : 0;

	free(h->last);
	if (!(h->last = malloc((h->npaths ? h->npaths : 1) * sizeof(*h->last))))
		return KK_ENOMEM;
	for (size_t i = 0; i < h->npaths; i++)
		h->last[i] = KK_HIST_NONE;
	for (uint32_t i = 0; i < h->nchanges; i++) {
		h->changes[i].prev = h->last[h->changes[i].path];
		h->last[h->changes[i].path] = i;
	}
	/* Changes past the view are linked, but are nobody's last. */
	for (size_t i = 0; i < h->npaths; i++)
		while (h->last[i] != KK_HIST_NONE && h->last[i] >= end)
			h->last[i] = h->changes[h->last[i]].prev;
	return 0;
}

int kk_history_open(kk_history **out, kk_store *store, const git_oid *tip, int use_cache,
		    kk_diag *diag)
{
	kk_history *h = calloc(1, sizeof(*h));
	git_oid *chain = NULL, cur = *tip;
	size_t nchain = 0, achain = 0;
	uint32_t joined = KK_HIST_NONE;
	git_commit *commit = NULL;
	int error = 0;

	if (!h || !(h->people = kk_hist_people_new())) {
		free(h);
		return nomem(diag);
	}
	h->store = store;
	h->repo = kk_store_repository(store);
	if (use_cache && cache_read(h) == 0)
		h->cached = h->ncommits;
	if ((error = index_commits(h)) < 0) {
		nomem(diag);
		goto done;
	}

	/* Walk back from the tip until the chain meets the index. */
	for (;;) {
		if ((joined = kk_hist_find_commit(h, &cur)) != KK_HIST_NONE)
			break;
		if ((error = git_commit_lookup(&commit, h->repo, &cur)) < 0) {
			/* Only a tip that is not there is "not found"; anything else says why. */
			error = nchain == 0 && error == GIT_ENOTFOUND
					? kk_diag_set(diag, KK_ENOTFOUND,
						      _("no commit '%s' in the repository"),
						      git_oid_tostr_s(&cur))
					: kk_diag_git(diag, KK_EIO, _("cannot read the history"));
			goto done;
		}
		if (KK_ARRAY_GROW(chain, nchain + 1, achain) < 0) {
			error = nomem(diag);
			goto done;
		}
		chain[nchain++] = cur;
		if (git_commit_parentcount(commit) == 0) {
			git_commit_free(commit);
			commit = NULL;
			break;
		}
		cur = *git_commit_parent_id(commit, 0);
		git_commit_free(commit);
		commit = NULL;
	}

	if (nchain == 0) {
		/* The tip is in the index: its chain is a prefix. */
		h->count = joined + 1;
	} else {
		/* Keep the part of the index the new chain shares, then add the rest. */
		size_t keep = joined == KK_HIST_NONE ? 0 : joined + 1;

		if (keep < h->ncommits) {
			h->nchanges = h->commits[keep].first;
			h->ncommits = keep;
			if (h->cached > keep)
				h->cached = keep;
		}
		if ((error = extend(h, chain, nchain, diag)) < 0)
			goto done;
		h->count = h->ncommits;
		if ((error = index_commits(h)) < 0) {
			nomem(diag);
			goto done;
		}
		if (use_cache)
			cache_write(h);
	}
	if ((error = link_changes(h)) < 0) {
		nomem(diag);
		goto done;
	}
	*out = h;
	h = NULL;
done:
	git_commit_free(commit);
	free(chain);
	kk_history_free(h);
	return error;
}

void kk_history_set_docs(kk_history *h, kk_doccache *docs)
{
	h->docs = docs;
}

void kk_history_set_budget(kk_history *h, kk_budget *budget)
{
	h->budget = budget;
}

int kk_history_view(kk_history **out, const kk_history *base, const git_oid *tip,
		    kk_diag *diag)
{
	uint32_t at = kk_hist_find_commit(base, tip);
	kk_history *h;

	if (at == KK_HIST_NONE || at >= base->count)
		return kk_diag_set(diag, KK_ENOTFOUND, _("no commit '%s' in the history"),
				   git_oid_tostr_s(tip));
	if (!(h = malloc(sizeof(*h))))
		return nomem(diag);
	*h = *base;
	h->is_view = 1;
	h->count = at + 1;
	/* Each path's last change in the shorter view is found when asked (kk_hist_last()). */
	h->end = kk_hist_changes_end(h, at);
	*out = h;
	return 0;
}

int kk_history_at_time(git_oid *out, const kk_history *h, int64_t when, kk_diag *diag)
{
	char date[32];

	for (size_t i = h->count; i-- > 0;) {
		if (h->commits[i].time <= when) {
			*out = h->commits[i].oid;
			return 0;
		}
	}
	kk_time_format(date, sizeof(date), when, 0);
	return kk_diag_set(diag, KK_ENOTFOUND, _("no commit at or before %s"), date);
}

int kk_history_time(int64_t *out, const kk_history *h, const git_oid *commit)
{
	uint32_t i = kk_hist_find_commit(h, commit);

	if (i == KK_HIST_NONE || i >= h->count)
		return KK_ENOTFOUND;
	*out = h->commits[i].time;
	return 0;
}

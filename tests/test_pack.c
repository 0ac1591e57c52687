/* Tests for core/git/pack: packs written for group commit, listed and merged, checked by stock git.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pack.h"

#define AUTHOR "Keikaku Test <test@keikaku.invalid> 1617235200 +0900"

typedef struct {
	char *dir;
	char *repo;
	char *pack_dir;
} sandbox;

/* Objects and the buffers they point into, freed together. */
typedef struct {
	kk_pack_object objects[8];
	size_t count;
	char *buffers[8];
} batch;

static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));

	assert_non_null(sb);
	git_libgit2_init();
	sb->dir = kk_test_mkdtemp();
	assert_true(asprintf(&sb->repo, "%s/plan.git", sb->dir) > 0);
	assert_true(asprintf(&sb->pack_dir, "%s/objects/pack", sb->repo) > 0);
	assert_int_equal(kk_test_system("git init -q --bare --initial-branch=main '%s'", sb->repo),
			 0);
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	sandbox *sb = *state;

	kk_test_rmrf(sb->dir);
	free(sb->dir);
	free(sb->repo);
	free(sb->pack_dir);
	free(sb);
	git_libgit2_shutdown();
	return 0;
}

/* Adds an object to `b`, which takes `data` (malloc'd, or NULL for static data). */
static const git_oid *add(batch *b, git_object_t type, const void *data, size_t len, char *owned)
{
	kk_pack_object *obj = &b->objects[b->count];

	assert_true(b->count < 8);
	obj->type = type;
	obj->data = data;
	obj->len = len;
	assert_int_equal(git_odb_hash(&obj->oid, data, len, type), 0);
	b->buffers[b->count++] = owned;
	return &obj->oid;
}

static void batch_free(batch *b)
{
	size_t i;

	for (i = 0; i < b->count; i++)
		free(b->buffers[i]);
	b->count = 0;
}

/* Appends a tree entry "<mode> <name>\0<raw id>" at buf + *len. */
static void tree_entry(char *buf, size_t *len, const char *mode, const char *name,
		       const git_oid *oid)
{
	*len += (size_t)sprintf(buf + *len, "%s %s", mode, name) + 1;
	memcpy(buf + *len, oid->id, GIT_OID_RAWSZ);
	*len += GIT_OID_RAWSZ;
}

/*
 * A small plan commit: plan.json, an empty file and items/0001.json, in the
 * order a writer would produce them (commit first); returns the commit id.
 */
static git_oid fill_commit(batch *b, const char *message)
{
	const git_oid *plan, *empty, *item, *items, *tree;
	char *sub = malloc(256), *root = malloc(256), *commit = NULL, hex[GIT_OID_HEXSZ + 1];
	size_t sub_len = 0, root_len = 0;
	git_oid commit_id;
	batch tail = {0};
	size_t i;

	assert_non_null(sub);
	assert_non_null(root);
	plan = add(&tail, GIT_OBJECT_BLOB, "{}\n", 3, NULL);
	empty = add(&tail, GIT_OBJECT_BLOB, "", 0, NULL);
	item = add(&tail, GIT_OBJECT_BLOB, "{\"id\": 1}\n", 10, NULL);
	tree_entry(sub, &sub_len, "100644", "0001.json", item);
	items = add(&tail, GIT_OBJECT_TREE, sub, sub_len, sub);
	tree_entry(root, &root_len, "100644", "empty", empty);
	tree_entry(root, &root_len, "40000", "items", items);
	tree_entry(root, &root_len, "100644", "plan.json", plan);
	tree = add(&tail, GIT_OBJECT_TREE, root, root_len, root);
	git_oid_tostr(hex, sizeof(hex), tree);
	assert_true(asprintf(&commit, "tree %s\nauthor %s\ncommitter %s\n\n%s\n", hex, AUTHOR,
			     AUTHOR, message) > 0);
	commit_id = *add(b, GIT_OBJECT_COMMIT, commit, strlen(commit), commit);
	for (i = tail.count; i-- > 0;)
		add(b, tail.objects[i].type, tail.objects[i].data, tail.objects[i].len,
		    tail.buffers[i]);
	return commit_id;
}

/* "<pack_dir>/pack-<checksum><ext>", malloc'd. */
static char *pack_file(const sandbox *sb, const git_oid *checksum, const char *ext)
{
	char hex[GIT_OID_HEXSZ + 1], *path = NULL;

	git_oid_tostr(hex, sizeof(hex), checksum);
	assert_true(asprintf(&path, "%s/pack-%s%s", sb->pack_dir, hex, ext) > 0);
	return path;
}

static int count_files(const sandbox *sb)
{
	return kk_test_system("exit $(ls -A '%s' | wc -l)", sb->pack_dir);
}

/*
 * The pack passes git's checks, its name is its trailer, git's own index of
 * it is byte for byte ours, and it holds `count` whole objects.
 */
static void check_pack(const sandbox *sb, const git_oid *checksum, size_t count)
{
	char *pack = pack_file(sb, checksum, ".pack"), *idx = pack_file(sb, checksum, ".idx");
	char *data = NULL;
	struct stat st;
	size_t len = 0;

	assert_non_null(data = kk_test_slurp(pack, &len));
	assert_true(len > 32);
	assert_memory_equal(data + len - GIT_OID_RAWSZ, checksum->id, GIT_OID_RAWSZ);
	free(data);
	assert_int_equal(stat(pack, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0444);
	assert_int_equal(stat(idx, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0444);
	assert_int_equal(kk_test_system("git -C '%s' verify-pack '%s'", sb->repo, idx), 0);
	assert_int_equal(kk_test_system("test \"$(git -C '%s' verify-pack -v '%s' | "
					"grep '^non delta:')\" = 'non delta: %zu object%s'",
					sb->repo, idx, count, count == 1 ? "" : "s"),
			 0);
	assert_int_equal(kk_test_system("git index-pack -o '%s/check.idx' '%s' >/dev/null && "
					"cmp '%s/check.idx' '%s' && rm -f '%s/check.idx'",
					sb->dir, pack, sb->dir, idx, sb->dir),
			 0);
	assert_int_equal(kk_test_system("test -z \"$(ls '%s' | grep -v '^pack-')\"", sb->pack_dir),
			 0);
	free(pack);
	free(idx);
}

/* Each object of `b` reads back through libgit2 with its type and content. */
static void check_read(git_odb *odb, const batch *b)
{
	size_t i;

	for (i = 0; i < b->count; i++) {
		git_odb_object *obj = NULL;

		assert_int_equal(git_odb_read(&obj, odb, &b->objects[i].oid), 0);
		assert_int_equal(git_odb_object_type(obj), b->objects[i].type);
		assert_int_equal(git_odb_object_size(obj), b->objects[i].len);
		if (b->objects[i].len)
			assert_memory_equal(git_odb_object_data(obj), b->objects[i].data,
					    b->objects[i].len);
		git_odb_object_free(obj);
	}
}

/* A batch's pack is what stock git and libgit2 expect; a ref can point into it. */
static void test_write_stock_git(void **state)
{
	sandbox *sb = *state;
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid checksum, commit;
	batch b = {0};

	commit = fill_commit(&b, "First");
	git_oid_tostr(hex, sizeof(hex), &commit);

	/* A reader that looked before the pack existed finds it after a refresh. */
	assert_int_equal(git_repository_open(&repo, sb->repo), 0);
	assert_int_equal(git_repository_odb(&odb, repo), 0);
	assert_false(git_odb_exists(odb, &commit));

	assert_int_equal(kk_pack_write(&checksum, sb->pack_dir, b.objects, b.count, NULL), 0);
	check_pack(sb, &checksum, 6);
	assert_int_equal(count_files(sb), 2);

	assert_int_equal(git_odb_refresh(odb), 0);
	check_read(odb, &b);
	git_odb_free(odb);
	git_repository_free(repo);

	assert_int_equal(
		kk_test_system("test \"$(git -C '%s' cat-file -p %s:plan.json)\" = '{}' && "
			       "test \"$(git -C '%s' cat-file -p %s:items/0001.json)\" = "
			       "'{\"id\": 1}' && test \"$(git -C '%s' cat-file -t %s)\" = "
			       "commit && test \"$(git -C '%s' cat-file -s %s:empty)\" = 0",
			       sb->repo, hex, sb->repo, hex, sb->repo, hex, sb->repo, hex),
		0);
	assert_int_equal(kk_test_system("git -C '%s' update-ref refs/heads/main %s && "
					"git -C '%s' fsck --strict --no-progress --no-dangling && "
					"test \"$(git -C '%s' log --format=%%s main)\" = First",
					sb->repo, hex, sb->repo, sb->repo),
			 0);
	batch_free(&b);
}

/* An empty batch writes nothing: it is refused. */
static void test_write_empty(void **state)
{
	sandbox *sb = *state;
	kk_diag diag = {0};
	git_oid checksum;

	assert_int_equal(kk_pack_write(&checksum, sb->pack_dir, NULL, 0, &diag), KK_EINVALID);
	assert_int_equal(diag.code, KK_EINVALID);
	assert_string_equal(diag.message, "refusing to write an empty pack");
	assert_int_equal(count_files(sb), 0);
}

/* A bad type, a wrong id or a duplicate is refused, and nothing is left behind. */
static void test_write_invalid(void **state)
{
	sandbox *sb = *state;
	kk_pack_object objects[2];
	kk_diag diag = {0};
	char hex[GIT_OID_HEXSZ + 1], *expected = NULL;
	git_oid checksum;
	batch b = {0};

	fill_commit(&b, "First");
	memcpy(objects, b.objects, sizeof(objects));

	objects[1].type = GIT_OBJECT_OFS_DELTA;
	git_oid_tostr(hex, sizeof(hex), &objects[1].oid);
	assert_int_equal(kk_pack_write(&checksum, sb->pack_dir, objects, 2, &diag), KK_EINVALID);
	assert_true(asprintf(&expected, "object %s is not a blob, tree, commit or tag", hex) > 0);
	assert_string_equal(diag.message, expected);
	free(expected);
	assert_int_equal(count_files(sb), 0);

	/* A blob's content under the tree's id. */
	objects[1] = b.objects[1];
	objects[1].data = "{}\n";
	objects[1].len = 3;
	assert_int_equal(kk_pack_write(&checksum, sb->pack_dir, objects, 2, &diag), KK_EINVALID);
	assert_true(asprintf(&expected, "object %s does not match its content", hex) > 0);
	assert_string_equal(diag.message, expected);
	free(expected);
	assert_int_equal(count_files(sb), 0);

	objects[1] = b.objects[0];
	git_oid_tostr(hex, sizeof(hex), &objects[0].oid);
	assert_int_equal(kk_pack_write(&checksum, sb->pack_dir, objects, 2, &diag), KK_EINVALID);
	assert_true(asprintf(&expected, "object %s is given twice", hex) > 0);
	assert_string_equal(diag.message, expected);
	free(expected);
	assert_int_equal(count_files(sb), 0);
	batch_free(&b);
}

/* A directory that does not exist: KK_EIO naming it, and nothing created. */
static void test_write_missing_dir(void **state)
{
	sandbox *sb = *state;
	kk_diag diag = {0};
	char *dir = NULL, *expected = NULL;
	git_oid checksum;
	batch b = {0};

	fill_commit(&b, "First");
	assert_true(asprintf(&dir, "%s/missing/pack", sb->dir) > 0);
	assert_int_equal(kk_pack_write(&checksum, dir, b.objects, b.count, &diag), KK_EIO);
	assert_int_equal(diag.code, KK_EIO);
	assert_true(asprintf(&expected,
			     "cannot create a temporary file in '%s': No such file or directory",
			     dir) > 0);
	assert_string_equal(diag.message, expected);
	assert_string_equal(diag.path, dir);
	assert_int_equal(kk_test_system("test ! -e '%s/missing'", sb->dir), 0);
	assert_int_equal(count_files(sb), 0);
	free(expected);
	free(dir);
	batch_free(&b);
}

/* The same objects in the same order give the same pack, and writing it again succeeds. */
static void test_write_again(void **state)
{
	sandbox *sb = *state;
	git_oid first, second;
	batch b = {0};

	fill_commit(&b, "First");
	assert_int_equal(kk_pack_write(&first, sb->pack_dir, b.objects, b.count, NULL), 0);
	assert_int_equal(kk_pack_write(&second, sb->pack_dir, b.objects, b.count, NULL), 0);
	assert_true(git_oid_equal(&first, &second));
	assert_int_equal(count_files(sb), 2);
	check_pack(sb, &first, 6);
	batch_free(&b);
}

/*
 * A kept pack has its .keep file, with the reason, when its index appears (git's
 * repack leaves it alone), and kk_pack_unkeep() removes it; a second removal is no
 * error.
 */
static void test_write_kept(void **state)
{
	sandbox *sb = *state;
	git_oid checksum;
	kk_diag diag = {0};
	char *keep, *text;
	size_t len = 0;
	batch b = {0};

	fill_commit(&b, "First");
	assert_int_equal(kk_pack_write_kept(&checksum, sb->pack_dir, b.objects, b.count,
					    "keikakud: mirroring", &diag),
			 0);
	check_pack(sb, &checksum, 6);
	keep = pack_file(sb, &checksum, ".keep");
	assert_non_null(text = kk_test_slurp(keep, &len));
	assert_string_equal(text, "keikakud: mirroring\n");
	assert_int_equal(count_files(sb), 3);
	assert_int_equal(kk_pack_unkeep(sb->pack_dir, &checksum, &diag), 0);
	assert_int_equal(kk_test_system("test ! -e '%s'", keep), 0);
	assert_int_equal(kk_pack_unkeep(sb->pack_dir, &checksum, &diag), 0);
	assert_int_equal(count_files(sb), 2);

	free(text);
	free(keep);
	batch_free(&b);
}

/* When the index cannot be renamed into place, the pack renamed before it is removed again. */
static void test_write_rename_fails(void **state)
{
	sandbox *sb = *state;
	char *pack = NULL, *idx = NULL, *expected = NULL;
	kk_diag diag = {0};
	git_oid checksum;
	batch b = {0};

	fill_commit(&b, "First");
	assert_int_equal(kk_pack_write(&checksum, sb->pack_dir, b.objects, b.count, NULL), 0);
	pack = pack_file(sb, &checksum, ".pack");
	idx = pack_file(sb, &checksum, ".idx");
	assert_int_equal(kk_test_system("rm -f '%s' '%s' && mkdir '%s' && touch '%s/x'", pack, idx,
					idx, idx),
			 0);
	assert_int_equal(kk_pack_write(&checksum, sb->pack_dir, b.objects, b.count, &diag), KK_EIO);
	assert_true(asprintf(&expected, "' to '%s': Is a directory", idx) > 0);
	assert_non_null(strstr(diag.message, expected));
	free(expected);
	assert_true(asprintf(&expected, "cannot rename '%s/tmp_idx_", sb->pack_dir) > 0);
	assert_memory_equal(diag.message, expected, strlen(expected));
	assert_string_equal(diag.path, idx);
	assert_int_equal(kk_test_system("test ! -e '%s'", pack), 0);
	assert_int_equal(count_files(sb), 1);

	/* A pack that was there before is not removed. */
	assert_int_equal(kk_test_system("rm -r '%s'", idx), 0);
	assert_int_equal(kk_pack_write(&checksum, sb->pack_dir, b.objects, b.count, NULL), 0);
	assert_int_equal(kk_test_system("rm '%s' && mkdir '%s' && touch '%s/x'", idx, idx, idx), 0);
	assert_int_equal(kk_pack_write(&checksum, sb->pack_dir, b.objects, b.count, &diag), KK_EIO);
	assert_int_equal(kk_test_system("test -f '%s'", pack), 0);
	assert_int_equal(count_files(sb), 2);
	free(expected);
	free(pack);
	free(idx);
	batch_free(&b);
}

/* 1 MiB that does not compress and 4 MiB that does come back byte for byte. */
static void test_write_large(void **state)
{
	sandbox *sb = *state;
	size_t noise_len = 1 << 20, text_len = 4 << 20, i;
	char *noise = malloc(noise_len), *text = malloc(text_len), *path = NULL;
	char hex[2][GIT_OID_HEXSZ + 1];
	uint32_t x = 2463534242u;
	git_oid checksum;
	batch b = {0};

	assert_non_null(noise);
	assert_non_null(text);
	for (i = 0; i < noise_len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		noise[i] = (char)(x >> 24);
	}
	for (i = 0; i < text_len; i++)
		text[i] = "{\"id\": 1, \"title\": \"plan\"}\n"[i % 27];
	git_oid_tostr(hex[0], sizeof(hex[0]), add(&b, GIT_OBJECT_BLOB, noise, noise_len, noise));
	git_oid_tostr(hex[1], sizeof(hex[1]), add(&b, GIT_OBJECT_BLOB, text, text_len, text));
	assert_int_equal(kk_pack_write(&checksum, sb->pack_dir, b.objects, b.count, NULL), 0);
	check_pack(sb, &checksum, 2);

	assert_true(asprintf(&path, "%s/noise", sb->dir) > 0);
	kk_test_write(path, noise, noise_len);
	assert_int_equal(
		kk_test_system("git -C '%s' cat-file blob %s | cmp - '%s'", sb->repo, hex[0], path),
		0);
	kk_test_write(path, text, text_len);
	assert_int_equal(
		kk_test_system("git -C '%s' cat-file blob %s | cmp - '%s'", sb->repo, hex[1], path),
		0);
	free(path);
	batch_free(&b);
}

/* `count` blobs "<tag> <i>\n" and their texts, freed with blobs_free(). */
typedef struct {
	kk_pack_object *objects;
	char **texts;
	size_t count;
} blobs;

static void make_blobs(blobs *b, const char *tag, size_t count)
{
	b->count = count;
	assert_non_null(b->objects = calloc(count, sizeof(*b->objects)));
	assert_non_null(b->texts = calloc(count, sizeof(*b->texts)));
	for (size_t i = 0; i < count; i++) {
		int len = asprintf(&b->texts[i], "%s %zu\n", tag, i);

		assert_true(len > 0);
		b->objects[i].type = GIT_OBJECT_BLOB;
		b->objects[i].data = b->texts[i];
		b->objects[i].len = (size_t)len;
		assert_int_equal(
			git_odb_hash(&b->objects[i].oid, b->texts[i], (size_t)len, GIT_OBJECT_BLOB),
			0);
	}
}

static void blobs_free(blobs *b)
{
	for (size_t i = 0; i < b->count; i++)
		free(b->texts[i]);
	free(b->texts);
	free(b->objects);
}

/* 5,000 objects: every fanout bucket used, git agrees on each. */
static void test_write_many(void **state)
{
	sandbox *sb = *state;
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	git_oid checksum;
	batch sample = {0};
	blobs many;

	make_blobs(&many, "many", 5000);
	assert_int_equal(kk_pack_write(&checksum, sb->pack_dir, many.objects, many.count, NULL), 0);
	check_pack(sb, &checksum, many.count);

	assert_int_equal(git_repository_open(&repo, sb->repo), 0);
	assert_int_equal(git_repository_odb(&odb, repo), 0);
	for (size_t i = 0; i < 8; i++)
		sample.objects[sample.count++] = many.objects[i * 613];
	check_read(odb, &sample);
	git_odb_free(odb);
	git_repository_free(repo);
	blobs_free(&many);
}

/* Writes `n` blobs "<tag> <i>" as one pack; returns its checksum. */
static git_oid write_blobs(const sandbox *sb, const char *tag, size_t n)
{
	git_oid checksum;
	blobs b;

	make_blobs(&b, tag, n);
	assert_int_equal(kk_pack_write(&checksum, sb->pack_dir, b.objects, b.count, NULL), 0);
	blobs_free(&b);
	return checksum;
}

/* Smallest first; an index without its pack, a pack without an index and temp files don't count. */
static void test_list_order(void **state)
{
	sandbox *sb = *state;
	git_oid *packs = NULL, big, small, middle;
	kk_diag diag = {0};
	size_t count = 99;
	char *missing = NULL;

	assert_int_equal(kk_pack_list(&packs, &count, sb->pack_dir, NULL), 0);
	assert_int_equal(count, 0);
	assert_null(packs);

	big = write_blobs(sb, "big", 100);
	small = write_blobs(sb, "small", 1);
	middle = write_blobs(sb, "middle", 10);
	assert_int_equal(
		kk_test_system(
			"cd '%s' && touch pack-0123456789abcdef0123456789abcdef01234567.idx "
			"pack-89abcdef0123456789abcdef0123456789abcdef.pack "
			"PACK-0123456789ABCDEF0123456789ABCDEF01234567.idx tmp_pack_x tmp_idx_y",
			sb->pack_dir),
		0);
	assert_int_equal(kk_pack_list(&packs, &count, sb->pack_dir, NULL), 0);
	assert_int_equal(count, 3);
	assert_true(git_oid_equal(&packs[0], &small));
	assert_true(git_oid_equal(&packs[1], &middle));
	assert_true(git_oid_equal(&packs[2], &big));
	free(packs);

	assert_true(asprintf(&missing, "%s/missing", sb->dir) > 0);
	assert_int_equal(kk_pack_list(&packs, &count, missing, &diag), KK_ENOTFOUND);
	free(missing);
}

/*
 * Three packs, one written by git with deltas and one repeating an object
 * of another, become one pack of whole objects; the old ones are gone.
 */
static void test_merge(void **state)
{
	sandbox *sb = *state;
	git_oid *packs = NULL, checksum, commit, before[3];
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	size_t count = 0, i;
	batch a = {0}, b = {0};

	commit = fill_commit(&a, "First");
	assert_int_equal(kk_pack_write(NULL, sb->pack_dir, a.objects, a.count, NULL), 0);
	add(&b, GIT_OBJECT_BLOB, "{}\n", 3, NULL); /* also in the first pack */
	add(&b, GIT_OBJECT_BLOB, "{\"id\": 2}\n", 10, NULL);
	assert_int_equal(kk_pack_write(NULL, sb->pack_dir, b.objects, b.count, NULL), 0);

	/* Three versions of a file, packed by git as a base and deltas. */
	assert_int_equal(
		kk_test_system(
			"cd '%s' && seq 1 3000 > v1 && (seq 1 3000; echo 3001) > v2 && "
			"(seq 2 3001) > v3 && for v in v1 v2 v3; do git --git-dir=plan.git hash-object "
			"-w $v; done > list && p=$(git -C plan.git pack-objects -q objects/pack/pack "
			"< list) && git -C plan.git prune-packed && test -z \"$(ls plan.git/objects | "
			"grep -v '^info$\\|^pack$')\" && git verify-pack -v "
			"plan.git/objects/pack/pack-$p.idx | grep -q '^chain length = '",
			sb->dir),
		0);

	assert_int_equal(kk_pack_list(&packs, &count, sb->pack_dir, NULL), 0);
	assert_int_equal(count, 3);
	memcpy(before, packs, sizeof(before));
	/* Files git may keep beside a pack go with it. */
	for (i = 0; i < 2; i++) {
		char *path = pack_file(sb, &before[i], i ? ".rev" : ".bitmap");

		kk_test_write(path, "", 0);
		free(path);
	}
	assert_int_equal(kk_pack_merge(&checksum, sb->pack_dir, packs, count, NULL), 0);
	free(packs);

	assert_int_equal(kk_pack_list(&packs, &count, sb->pack_dir, NULL), 0);
	assert_int_equal(count, 1);
	assert_true(git_oid_equal(&packs[0], &checksum));
	free(packs);
	for (i = 0; i < 3; i++)
		assert_false(git_oid_equal(&before[i], &checksum));
	check_pack(sb, &checksum, 6 + 1 + 3);
	assert_int_equal(count_files(sb), 2);

	git_oid_tostr(hex, sizeof(hex), &commit);
	assert_int_equal(kk_test_system("cd '%s' && test \"$(git -C plan.git count-objects -v | "
					"grep -E '^(count|packs):' | tr '\\n' ' ')\" = "
					"'count: 0 packs: 1 ' && "
					"for v in v1 v2 v3; do git -C plan.git cat-file blob "
					"$(git hash-object $v) | cmp - $v || exit 1; done && "
					"git -C plan.git update-ref refs/heads/main %s && "
					"git -C plan.git fsck --strict --no-progress --no-dangling",
					sb->dir, hex),
			 0);

	assert_int_equal(git_repository_open(&repo, sb->repo), 0);
	assert_int_equal(git_repository_odb(&odb, repo), 0);
	check_read(odb, &a);
	check_read(odb, &b);
	git_odb_free(odb);
	git_repository_free(repo);
	batch_free(&a);
	batch_free(&b);
}

/* A kept pack is neither read nor removed; if every pack is kept there is nothing to do. */
static void test_merge_keep(void **state)
{
	sandbox *sb = *state;
	git_oid packs[2], checksum;
	kk_diag diag = {0};
	char *keep = NULL, *kept_pack = NULL;

	packs[0] = write_blobs(sb, "loose", 3);
	packs[1] = write_blobs(sb, "kept", 2);
	keep = pack_file(sb, &packs[1], ".keep");
	kept_pack = pack_file(sb, &packs[1], ".pack");
	kk_test_write(keep, "", 0);

	assert_int_equal(kk_pack_merge(&checksum, sb->pack_dir, packs, 2, NULL), 0);
	check_pack(sb, &checksum, 3);
	assert_false(git_oid_equal(&checksum, &packs[0]));
	assert_int_equal(count_files(sb), 5);
	assert_int_equal(kk_test_system("test -e '%s' && test -e '%s'", keep, kept_pack), 0);

	assert_int_equal(kk_pack_merge(&checksum, sb->pack_dir, &packs[1], 1, &diag), KK_EINVALID);
	assert_string_equal(diag.message, "no packs to merge: every one is kept");
	assert_int_equal(kk_pack_merge(&checksum, sb->pack_dir, packs, 0, &diag), KK_EINVALID);
	assert_string_equal(diag.message, "no packs to merge");
	assert_int_equal(count_files(sb), 5);
	free(keep);
	free(kept_pack);
}

/* Rewriting a pack that is already what a merge writes keeps it, rather than removing it. */
static void test_merge_same(void **state)
{
	sandbox *sb = *state;
	kk_pack_object objects[2];
	git_oid written, merged;
	batch b = {0};

	add(&b, GIT_OBJECT_BLOB, "one\n", 4, NULL);
	add(&b, GIT_OBJECT_BLOB, "two\n", 4, NULL);
	/* The merge writes in id order. */
	objects[0] = b.objects[git_oid_cmp(&b.objects[0].oid, &b.objects[1].oid) < 0 ? 0 : 1];
	objects[1] = b.objects[git_oid_cmp(&b.objects[0].oid, &b.objects[1].oid) < 0 ? 1 : 0];
	/* A batch's pack is stored uncompressed; a merge compresses it ... */
	assert_int_equal(kk_pack_write(&written, sb->pack_dir, objects, 2, NULL), 0);
	assert_int_equal(kk_pack_merge(&merged, sb->pack_dir, &written, 1, NULL), 0);
	assert_false(git_oid_equal(&written, &merged));
	assert_int_equal(count_files(sb), 2);
	/* ... and merging that again writes the very same pack, which stays. */
	written = merged;
	assert_int_equal(kk_pack_merge(&merged, sb->pack_dir, &written, 1, NULL), 0);
	assert_true(git_oid_equal(&written, &merged));
	check_pack(sb, &merged, 2);
	assert_int_equal(count_files(sb), 2);
	batch_free(&b);
}

/* The first deflate block type (0: stored) of object `oid`'s entry in pack `checksum`. */
static int entry_block_type(const sandbox *sb, const git_oid *checksum, const git_oid *oid)
{
	char *pack = pack_file(sb, checksum, ".pack"), *idx = pack_file(sb, checksum, ".idx");
	size_t pack_len = 0, idx_len = 0, n, i, h = 1;
	unsigned char *p, *x;
	uint32_t off = 0;

	assert_non_null(p = (unsigned char *)kk_test_slurp(pack, &pack_len));
	assert_non_null(x = (unsigned char *)kk_test_slurp(idx, &idx_len));
	n = (size_t)x[8 + 255 * 4] << 24 | x[8 + 255 * 4 + 1] << 16 | x[8 + 255 * 4 + 2] << 8 |
	    x[8 + 255 * 4 + 3];
	for (i = 0; i < n && memcmp(x + 8 + 1024 + i * 20, oid->id, 20) != 0; i++)
		;
	assert_true(i < n);
	for (int k = 0; k < 4; k++)
		off = off << 8 | x[8 + 1024 + n * 24 + i * 4 + k];
	while (p[off + h - 1] & 0x80)
		h++;
	h = (size_t)((p[off + h + 2] >> 1) & 3);
	free(p);
	free(x);
	free(pack);
	free(idx);
	return (int)h;
}

/*
 * A merge compresses blobs and stores trees and commits, whose ids do not
 * compress; merging again copies every entry as it is.
 */
static void test_merge_levels(void **state)
{
	sandbox *sb = *state;
	char blob[2000], tree[64], commit[256], hex[GIT_OID_HEXSZ + 1];
	const git_oid *blob_id, *tree_id, *commit_id;
	git_oid written, merged, again;
	batch b = {0};
	int len;

	memset(blob, 'a', sizeof(blob));
	blob_id = add(&b, GIT_OBJECT_BLOB, blob, sizeof(blob), NULL);
	len = snprintf(tree, sizeof(tree), "100644 a.json%c", 0);
	memcpy(tree + len, blob_id->id, 20);
	tree_id = add(&b, GIT_OBJECT_TREE, tree, (size_t)len + 20, NULL);
	len = snprintf(commit, sizeof(commit),
		       "tree %s\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n\nm\n",
		       git_oid_tostr(hex, sizeof(hex), tree_id));
	commit_id = add(&b, GIT_OBJECT_COMMIT, commit, (size_t)len, NULL);
	assert_int_equal(kk_pack_write(&written, sb->pack_dir, b.objects, b.count, NULL), 0);
	assert_int_equal(entry_block_type(sb, &written, blob_id), 0);
	assert_int_equal(entry_block_type(sb, &written, tree_id), 0);
	assert_int_equal(kk_pack_merge(&merged, sb->pack_dir, &written, 1, NULL), 0);
	check_pack(sb, &merged, 3);
	assert_int_not_equal(entry_block_type(sb, &merged, blob_id), 0);
	assert_int_equal(entry_block_type(sb, &merged, tree_id), 0);
	assert_int_equal(entry_block_type(sb, &merged, commit_id), 0);
	assert_int_equal(kk_pack_merge(&again, sb->pack_dir, &merged, 1, NULL), 0);
	assert_true(git_oid_equal(&again, &merged));
	assert_int_equal(kk_test_system("git -C '%s' cat-file -p %s | grep -q '^author A'",
					sb->repo, git_oid_tostr(hex, sizeof(hex), commit_id)),
			 0);
	batch_free(&b);
}

/* A pack that does not exist: KK_ENOTFOUND, and the others are untouched. */
static void test_merge_missing(void **state)
{
	sandbox *sb = *state;
	git_oid packs[2], checksum;
	kk_diag diag = {0};
	char *path = NULL, *expected = NULL;

	packs[0] = write_blobs(sb, "present", 2);
	assert_int_equal(git_oid_fromstr(&packs[1], "0123456789abcdef0123456789abcdef01234567"), 0);
	path = pack_file(sb, &packs[1], ".pack");
	assert_int_equal(kk_pack_merge(&checksum, sb->pack_dir, packs, 2, &diag), KK_ENOTFOUND);
	assert_true(asprintf(&expected, "cannot read '%s': No such file or directory", path) > 0);
	assert_string_equal(diag.message, expected);
	assert_string_equal(diag.path, path);
	assert_int_equal(count_files(sb), 2);
	check_pack(sb, &packs[0], 2);
	free(expected);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_stock_git, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_missing_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_rename_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_keep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_same, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_missing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

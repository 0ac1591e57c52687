/*
 * pack_merge.c - keeping the number of packs bounded (pack.h): listing a
 * repository's packs, smallest first, and merging some of them into one
 * new pack, written as pack.c writes a batch's, before the old ones are
 * removed, each index before its pack.
 */
#include "pack.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2/sys/odb_backend.h>

#include "array.h"
#include "i18n.h"
#include "pack_internal.h"

/* The extra files git keeps beside a pack, removed with it (.idx is handled apart). */
static const char *const pack_companions[] = {".rev", ".bitmap", ".mtimes"};

typedef struct {
	git_oid oid;
	uint64_t size;
} listed_pack;

static int listed_cmp(const void *a, const void *b)
{
	const listed_pack *x = a, *y = b;

	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return git_oid_cmp(&x->oid, &y->oid);
}

/* Parses "pack-<40 lower-case hex>.idx"; git names packs in lower case only. */
static bool idx_name(git_oid *out, const char *name)
{
	size_t i;

	if (strlen(name) != 5 + GIT_OID_HEXSZ + 4 || strncmp(name, "pack-", 5) != 0 ||
	    strcmp(name + 5 + GIT_OID_HEXSZ, ".idx") != 0)
		return false;
	for (i = 5; i < 5 + GIT_OID_HEXSZ; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return git_oid_fromstrn(out, name + 5, GIT_OID_HEXSZ) == 0;
}

int kk_pack_list(git_oid **out, size_t *count_out, const char *pack_dir, kk_diag *diag)
{
	listed_pack *packs = NULL;
	size_t count = 0, alloc = 0, i;
	git_oid *oids = NULL;
	struct dirent *de;
	DIR *dir = NULL;
	int error = 0;

	assert(out && count_out && pack_dir);
	if (!(dir = opendir(pack_dir))) {
		error = kk_pack_read_error(diag, pack_dir, errno);
		goto done;
	}
	for (;;) {
		char pack_name[5 + GIT_OID_HEXSZ + 6];
		struct stat st;
		git_oid oid;

		errno = 0;
		if (!(de = readdir(dir))) {
			if (errno)
				error = kk_pack_read_error(diag, pack_dir, errno);
			break;
		}
		if (!idx_name(&oid, de->d_name))
			continue;
		memcpy(pack_name, de->d_name, 5 + GIT_OID_HEXSZ);
		memcpy(pack_name + 5 + GIT_OID_HEXSZ, ".pack", 6);
		/* An index without its pack is half of a pack being removed. */
		if (fstatat(dirfd(dir), pack_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (KK_ARRAY_GROW(packs, count + 1, alloc) < 0) {
			error = kk_pack_oom(diag);
			goto done;
		}
		packs[count].oid = oid;
		packs[count].size = (uint64_t)st.st_size;
		count++;
	}
	if (error < 0)
		goto done;
	if (count > 0) {
		qsort(packs, count, sizeof(*packs), listed_cmp);
		if (!(oids = malloc(count * sizeof(*oids)))) {
			error = kk_pack_oom(diag);
			goto done;
		}
		for (i = 0; i < count; i++)
			oids[i] = packs[i].oid;
	}
	*out = oids;
	*count_out = count;

done:
	if (dir)
		closedir(dir);
	free(packs);
	return error;
}

typedef struct {
	git_oid *oids;
	size_t count;
	size_t alloc;
	bool failed; /* out of memory */
} oid_list;

static int collect_oid(const git_oid *oid, void *payload)
{
	oid_list *list = payload;

	if (KK_ARRAY_GROW(list->oids, list->count + 1, list->alloc) < 0) {
		list->failed = true;
		return -1;
	}
	list->oids[list->count++] = *oid;
	return 0;
}

static int oid_cmp(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* *out = `base` + `ext`, malloc'ed. */
static int file_path(char **out, const char *base, const char *ext, kk_diag *diag)
{
	if (asprintf(out, "%s%s", base, ext) < 0) {
		*out = NULL;
		return kk_pack_oom(diag);
	}
	return 0;
}

/* Removes `base` + `ext`; a file already gone is fine. */
static int remove_file(const char *base, const char *ext, kk_diag *diag)
{
	char *path = NULL;
	int error;

	if ((error = file_path(&path, base, ext, diag)) < 0)
		return error;
	if (unlink(path) < 0 && errno != ENOENT)
		error = kk_pack_sys_error(diag, KK_EIO, path, errno, _("cannot remove '%s'"), path);
	free(path);
	return error;
}

/*
 * Adds the pack `checksum` to `odb` unless it is kept; *base_out is
 * "<pack_dir>/pack-<hex>" for removal later, or NULL for a kept pack.
 */
static int add_pack(char **base_out, git_odb *odb, const char *pack_dir, const git_oid *checksum,
		    kk_diag *diag)
{
	static const char *const needed[] = {".pack", ".idx"};
	git_odb_backend *backend = NULL;
	char *base = NULL, *path = NULL;
	int error;

	*base_out = NULL;
	if ((error = kk_pack_path(&base, pack_dir, checksum, "", diag)) < 0 ||
	    (error = file_path(&path, base, ".keep", diag)) < 0 || exists(path))
		goto done;
	/* libgit2 would report a missing pack only when it first reads from it. */
	for (size_t i = 0; i < sizeof(needed) / sizeof(*needed); i++) {
		free(path);
		if ((error = file_path(&path, base, needed[i], diag)) < 0)
			goto done;
		if (!exists(path)) {
			error = kk_pack_read_error(diag, path, errno);
			goto done;
		}
	}
	if (git_odb_backend_one_pack(&backend, path) < 0) {
		kk_diag_set_path(diag, path);
		error = kk_diag_git(diag, KK_EIO, _("cannot open pack index"));
		goto done;
	}
	if (git_odb_add_backend(odb, backend, 1) < 0) {
		backend->free(backend);
		error = kk_diag_git(diag, KK_EIO, _("cannot open pack index"));
		goto done;
	}
	*base_out = base;
	base = NULL;

done:
	free(base);
	free(path);
	return error;
}

int kk_pack_merge(git_oid *checksum_out, const char *pack_dir, const git_oid *packs, size_t count,
		  kk_diag *diag)
{
	kk_pack_reader src;
	oid_list objects = {0};
	git_odb *odb = NULL;
	char **bases = NULL;
	size_t i, j, merged = 0;
	git_oid checksum;
	int error;

	assert(pack_dir && (packs || count == 0));
	if (count == 0)
		return kk_diag_set(diag, KK_EINVALID, _("no packs to merge"));
	if (git_libgit2_init() < 0)
		return kk_diag_git(diag, KK_ERROR, _("cannot initialise libgit2"));
	kk_pack_reader_init(&src, NULL);
	if (!(bases = calloc(count, sizeof(*bases)))) {
		error = kk_pack_oom(diag);
		goto done;
	}
	if (git_odb_new(&odb) < 0) {
		error = kk_diag_git(diag, KK_ERROR, _("cannot create an object database"));
		goto done;
	}
	src.odb = odb;
	for (i = 0; i < count; i++) {
		bool seen = false;

		for (j = 0; j < i && !seen; j++)
			seen = git_oid_equal(&packs[i], &packs[j]);
		if (seen)
			continue;
		if ((error = add_pack(&bases[i], odb, pack_dir, &packs[i], diag)) < 0)
			goto done;
		if (bases[i] && kk_pack_reader_map(&src, bases[i]) < 0) {
			error = kk_pack_oom(diag);
			goto done;
		}
		merged += bases[i] != NULL;
	}
	if (merged == 0) {
		error = kk_diag_set(diag, KK_EINVALID, _("no packs to merge: every one is kept"));
		goto done;
	}

	if (git_odb_foreach(odb, collect_oid, &objects) < 0) {
		error = objects.failed ? kk_pack_oom(diag)
				       : kk_diag_git(diag, KK_EIO, _("cannot list objects"));
		goto done;
	}
	qsort(objects.oids, objects.count, sizeof(*objects.oids), oid_cmp);
	for (i = 0, j = 0; i < objects.count; i++)
		if (j == 0 || !git_oid_equal(&objects.oids[j - 1], &objects.oids[i]))
			objects.oids[j++] = objects.oids[i];
	objects.count = j;
	if (objects.count == 0) {
		error = kk_diag_set(diag, KK_EINVALID, _("no packs to merge: they are empty"));
		goto done;
	}

	kk_pack_reader_ready(&src, objects.oids, objects.count);
	if ((error = kk_pack_write_source(&checksum, pack_dir, &src.base, diag)) < 0)
		goto done;

	/*
	 * Every index first: a reader that still finds an old index may also
	 * need its pack.  The new pack may be one of the old ones, rewritten.
	 */
	for (i = 0; i < count; i++)
		if (bases[i] && git_oid_equal(&packs[i], &checksum)) {
			free(bases[i]);
			bases[i] = NULL;
		}
	for (i = 0; i < count; i++)
		if (bases[i] && (error = remove_file(bases[i], ".idx", diag)) < 0)
			goto done;
	for (i = 0; i < count; i++) {
		if (!bases[i])
			continue;
		for (j = 0; j < sizeof(pack_companions) / sizeof(*pack_companions); j++)
			if ((error = remove_file(bases[i], pack_companions[j], diag)) < 0)
				goto done;
		if ((error = remove_file(bases[i], ".pack", diag)) < 0)
			goto done;
	}
	if ((error = kk_pack_sync_dir(pack_dir, diag)) < 0)
		goto done;
	if (checksum_out)
		*checksum_out = checksum;

done:
	src.base.release(&src.base); /* again, after a failure before the pack was written */
	/* The odb holds the old packs open; they are gone from the directory already. */
	git_odb_free(odb);
	for (i = 0; bases && i < count; i++)
		free(bases[i]);
	free(bases);
	free(objects.oids);
	git_libgit2_shutdown();
	return error;
}

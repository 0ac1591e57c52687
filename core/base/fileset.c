/*
 * fileset.c - sets of plan files (fileset.h): kept sorted by path, each
 * with the blob id git gives its bytes, read from a directory or put one by
 * one, with paths checked so that none can leave the tree.
 */
#include "fileset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "i18n.h"

/* Plan files are small; anything larger is not a plan file. */
#define KK_FILE_MAX (16u * 1024u * 1024u)

void kk_fileset_clear(kk_fileset *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->count; i++) {
		free(set->files[i].path);
		free(set->files[i].data);
	}
	free(set->files);
	set->files = NULL;
	set->count = set->alloc = 0;
}

/* Binary search; returns the index of `path` or where it would go. */
static size_t find(const kk_fileset *set, const char *path, int *found)
{
	size_t lo = 0, hi = set->count;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(set->files[mid].path, path);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int kk_fileset_path_valid(const char *path)
{
	const char *p = path;

	if (!*path || *path == '/' || strncmp(path, ".git", 4) == 0)
		return 0;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += n;
		if (*p == '/')
			p++;
		if (end && !*p)
			return 0;
	}
	return 1;
}

/* Gives `f` the bytes `bytes` (which it takes) and their blob id: `oid`, or else hashed. */
static void set_content(kk_file *f, char *bytes, size_t len, const git_oid *oid)
{
	f->data = bytes;
	f->len = len;
	if (oid)
		f->oid = *oid;
	else
		git_odb_hash(&f->oid, bytes, len, GIT_OBJECT_BLOB);
}

/* Adds or replaces a file; `oid` (may be NULL) is its blob id when the caller knows it. */
static int put(kk_fileset *set, const char *path, const char *data, size_t len, const git_oid *oid,
	       kk_diag *diag)
{
	char *copy = NULL, *bytes = NULL;
	size_t at;
	int found;

	if (!kk_fileset_path_valid(path)) {
		kk_diag_set_path(diag, path);
		return kk_diag_set(diag, KK_EINVALID, _("'%s' is not a valid file path"), path);
	}
	if (!(bytes = malloc(len + 1)))
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	memcpy(bytes, data, len);
	bytes[len] = '\0';

	at = find(set, path, &found);
	if (found) {
		free(set->files[at].data);
		set_content(&set->files[at], bytes, len, oid);
		return 0;
	}
	if (!(copy = strdup(path)))
		goto nomem;
	if (KK_ARRAY_GROW(set->files, set->count + 1, set->alloc) < 0)
		goto nomem;
	memmove(&set->files[at + 1], &set->files[at], (set->count - at) * sizeof(*set->files));
	set->files[at].path = copy;
	set_content(&set->files[at], bytes, len, oid);
	set->count++;
	return 0;
nomem:
	free(copy);
	free(bytes);
	return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
}

const kk_file *kk_fileset_get(const kk_fileset *set, const char *path)
{
	int found;
	size_t at = find(set, path, &found);

	return found ? &set->files[at] : NULL;
}

static int read_file(char **out, size_t *len_out, int dirfd, const char *name, const char *shown,
		     kk_diag *diag)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	char *data = NULL;
	size_t got = 0;

	if (fd < 0)
		goto io_error;
	if (fstat(fd, &st) < 0)
		goto io_error;
	if ((size_t)st.st_size > KK_FILE_MAX) {
		close(fd);
		kk_diag_set_path(diag, shown);
		return kk_diag_set(diag, KK_ELIMIT, _("'%s' is larger than %u bytes"), shown,
				   KK_FILE_MAX);
	}
	if (!(data = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto io_error;
		got += (size_t)n;
	}
	close(fd);
	data[got] = '\0';
	*out = data;
	*len_out = got;
	return 0;
io_error : {
	int saved = errno;

	if (fd >= 0)
		close(fd);
	free(data);
	kk_diag_set_path(diag, shown);
	return kk_diag_set(diag, KK_EIO, _("cannot read '%s': %s"), shown,
			   strerror(saved ? saved : EIO));
}
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_dir(kk_fileset *set, int dirfd, const char *prefix, const char *shown_dir,
		    int (*accept)(const char *), int depth, kk_diag *diag)
{
	DIR *dir = NULL;
	struct dirent *de;
	char **names = NULL;
	size_t count = 0, alloc = 0;
	int error = 0;

	if (depth > 16)
		return kk_diag_set(diag, KK_ELIMIT, _("'%s' is nested too deeply"), shown_dir);
	if (!(dir = fdopendir(dirfd))) {
		close(dirfd);
		return kk_diag_set(diag, KK_EIO, _("cannot read '%s': %s"), shown_dir,
				   strerror(errno));
	}
	/* Sorted, so that errors come in a stable order.  NULL with errno set is an error. */
	while ((errno = 0, de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (KK_ARRAY_GROW(names, count + 1, alloc) < 0 ||
		    !(names[count] = strdup(de->d_name))) {
			error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
			goto done;
		}
		count++;
	}
	if (errno) {
		error = kk_diag_set(diag, KK_EIO, _("cannot read '%s': %s"), shown_dir,
				    strerror(errno));
		goto done;
	}
	qsort(names, count, sizeof(*names), cmp_names);

	for (size_t i = 0; i < count && !error; i++) {
		char *rel = NULL, *shown = NULL;
		struct stat st;

		if (asprintf(&rel, "%s%s", prefix, names[i]) < 0 ||
		    asprintf(&shown, "%s/%s", shown_dir, names[i]) < 0) {
			free(rel);
			error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
			break;
		}
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			error = kk_diag_set(diag, KK_EIO, _("cannot read '%s': %s"), shown,
					    strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			char *sub = NULL;
			int fd;

			if (asprintf(&sub, "%s/", rel) < 0) {
				error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
			} else if ((fd = openat(dirfd, names[i],
						O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
				error = kk_diag_set(diag, KK_EIO, _("cannot read '%s': %s"), shown,
						    strerror(errno));
			} else {
				error = read_dir(set, fd, sub, shown, accept, depth + 1, diag);
			}
			free(sub);
		} else if (!accept || accept(rel)) {
			char *data = NULL;
			size_t len = 0;

			if (!S_ISREG(st.st_mode)) {
				kk_diag_set_path(diag, shown);
				error = kk_diag_set(diag, KK_EINVALID,
						    _("'%s' is not a regular file"), shown);
			} else if ((error = read_file(&data, &len, dirfd, names[i], shown, diag)) ==
				   0) {
				error = kk_fileset_put(set, rel, data, len, diag);
				free(data);
			}
		}
		free(rel);
		free(shown);
	}
done:
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	closedir(dir);
	return error;
}

int kk_fileset_read_dir(kk_fileset *set, const char *dir, int (*accept)(const char *path),
			kk_diag *diag)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return kk_diag_set(diag, errno == ENOENT ? KK_ENOTFOUND : KK_EIO,
				   _("cannot read '%s': %s"), dir, strerror(errno));
	return read_dir(set, fd, "", dir, accept, 0, diag);
}

int kk_fileset_put(kk_fileset *set, const char *path, const char *data, size_t len, kk_diag *diag)
{
	return put(set, path, data, len, NULL, diag);
}

int kk_fileset_put_file(kk_fileset *set, const kk_file *file, kk_diag *diag)
{
	return put(set, file->path, file->data, file->len, &file->oid, diag);
}

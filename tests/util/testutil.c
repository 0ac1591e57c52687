/*
 * testutil.c - what the unit tests share (testutil.h): sandboxes in
 * temporary directories, files read and written whole, JSON loaded from
 * files, and commands run through the shell.
 */
#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileset.h"
#include "json.h"

char *kk_test_mkdtemp(void)
{
	const char *tmp = getenv("TMPDIR");
	char *path = NULL;

	if (asprintf(&path, "%s/kktest.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
		fail_msg("out of memory");
	if (!mkdtemp(path))
		fail_msg("mkdtemp: %s", strerror(errno));
	return path;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void kk_test_rmrf(const char *path)
{
	if (path)
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *kk_test_slurp(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)len + 1)) != NULL) {
		if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
			free(buf);
			buf = NULL;
		} else {
			buf[len] = '\0';
			if (len_out)
				*len_out = (size_t)len;
		}
	}
	fclose(f);
	return buf;
}

static void mkparents(const char *path)
{
	char *copy = strdup(path);
	char *p;

	assert_non_null(copy);
	for (p = copy + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(copy, 0777);
			*p = '/';
		}
	}
	free(copy);
}

void kk_test_write(const char *path, const char *data, size_t len)
{
	FILE *f;

	mkparents(path);
	f = fopen(path, "wb");
	if (!f)
		fail_msg("cannot write '%s': %s", path, strerror(errno));
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

int kk_test_system(const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	int status;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		fail_msg("out of memory");
	va_end(ap);
	status = system(cmd);
	free(cmd);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

json_t *kk_test_parse(const char *text)
{
	json_t *value = NULL;
	kk_diag diag = {0};

	if (kk_json_parse(&value, text, strlen(text), NULL, &diag) < 0)
		fail_msg("cannot parse %s: %s", text, diag.message);
	return value;
}

json_t *kk_test_load_json(const char *path)
{
	json_t *doc = NULL;
	kk_diag diag = {0};

	if (kk_json_load_file(&doc, path, NULL, &diag) < 0)
		fail_msg("cannot load '%s': %s (line %zu, column %zu)", path, diag.message,
			 diag.line, diag.column);
	return doc;
}

json_t *kk_test_fileset_json(const kk_fileset *set, const char *path)
{
	const kk_file *f = kk_fileset_get(set, path);
	json_t *doc = NULL;

	if (f && kk_json_parse(&doc, f->data, f->len, NULL, NULL) < 0)
		fail_msg("%s does not parse", path);
	return doc;
}

static int is_json(const char *path)
{
	return strstr(path, ".json") != NULL;
}

void kk_test_load_schemas(kk_fileset *set)
{
	kk_fileset schemas = {0};

	assert_int_equal(kk_fileset_read_dir(&schemas, KK_SOURCE_DIR "/schema", is_json, NULL), 0);
	for (size_t i = 0; i < schemas.count; i++) {
		char path[256];

		snprintf(path, sizeof(path), "schema/%s", schemas.files[i].path);
		assert_int_equal(kk_fileset_put(set, path, schemas.files[i].data,
						schemas.files[i].len, NULL),
				 0);
	}
	kk_fileset_clear(&schemas);
}

void kk_test_load_example(kk_fileset *set)
{
	assert_int_equal(
		kk_fileset_read_dir(set, KK_SOURCE_DIR "/examples/dx-plan-r3", is_json, NULL), 0);
	kk_test_load_schemas(set);
}

void kk_test_assert_json_(const json_t *got, const char *expected, int exact, const char *file,
			  int line)
{
	json_t *want = kk_test_parse(expected);
	char *g = got ? json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	char *w = json_dumps(want, JSON_ENCODE_ANY | JSON_COMPACT);
	int same = got && (exact ? g && w && strcmp(g, w) == 0 : json_equal(got, want));

	if (!same)
		print_error("expected %s\n     got %s\n", w ? w : "?", g ? g : "(NULL)");
	free(g);
	free(w);
	json_decref(want);
	if (!same)
		_fail(file, line);
}

/*
 * pack_bench - how long kk_pack_write takes for one group-commit batch,
 * fsyncs included.  Not a test: it prints figures.
 *
 *   pack_bench [dir [iterations]]
 *
 * Writes packs of 16 and of 512 objects into a fresh bare repository under
 * `dir` (default $TMPDIR or /tmp) and prints min / median / p90 / max in
 * milliseconds.  Objects are JSON-like blobs of about 600 bytes, with one
 * in eight a 32 KiB tree-sized object, all distinct.  On tmpfs (/dev/shm)
 * fsync costs nothing, so the same run there gives the CPU part alone.
 *
 * Built with everything else: cmake --build build-bench --target pack_bench,
 * then build-bench/bench/pack_bench [dir [iterations]].
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "pack.h"

/* Fills `objects` with `count` distinct objects; `round` keeps rounds distinct. */
static int make_objects(kk_pack_object *objects, char **texts, size_t count, int round)
{
	size_t i, j;

	for (i = 0; i < count; i++) {
		size_t len = i % 8 == 7 ? 32 * 1024 : 600;
		char *text = malloc(len);
		int n;

		if (!text)
			return -1;
		n = snprintf(text, len, "{\"round\": %d, \"id\": %zu, \"title\": \"", round, i);
		for (j = (size_t)n; j < len - 3; j++)
			text[j] = "abcdefghij klmnopqrstuvwxyz"[(i * 7 + j * 13) % 27];
		memcpy(text + len - 3, "\"}\n", 3);
		texts[i] = text;
		objects[i].type = GIT_OBJECT_BLOB;
		objects[i].data = text;
		objects[i].len = len;
		if (git_odb_hash(&objects[i].oid, text, len, GIT_OBJECT_BLOB) < 0)
			return -1;
	}
	return 0;
}

static int run(const char *pack_dir, size_t count, int iterations)
{
	kk_pack_object *objects = calloc(count, sizeof(*objects));
	char **texts = calloc(count, sizeof(*texts));
	double *ms = calloc((size_t)iterations, sizeof(*ms));
	kk_diag diag = {0};
	size_t bytes = 0, i;
	int it, error = -1;

	if (!objects || !texts || !ms)
		goto done;
	for (it = 0; it < iterations; it++) {
		double start;

		if (make_objects(objects, texts, count, it) < 0)
			goto done;
		start = bench_now_ms();
		if (kk_pack_write(NULL, pack_dir, objects, count, &diag) < 0) {
			fprintf(stderr, "pack_bench: %s\n", diag.message);
			goto done;
		}
		ms[it] = bench_now_ms() - start;
		for (i = 0; i < count; i++) {
			bytes += objects[i].len;
			free(texts[i]);
			texts[i] = NULL;
		}
	}
	bench_sort(ms, (size_t)iterations);
	printf("%4zu objects (%6zu KiB): min %6.2f  median %6.2f  p90 %6.2f  max %6.2f ms\n", count,
	       bytes / (size_t)iterations / 1024, ms[0], ms[iterations / 2],
	       ms[iterations * 9 / 10], ms[iterations - 1]);
	error = 0;

done:
	for (i = 0; texts && i < count; i++)
		free(texts[i]);
	free(texts);
	free(objects);
	free(ms);
	return error;
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = NULL, *repo_path = NULL, *pack_dir = NULL, *cmd = NULL;
	git_repository *repo = NULL;
	int iterations = argc > 2 ? atoi(argv[2]) : 50, status = 1;

	if (asprintf(&dir, "%s/pack_bench.XXXXXX",
		     argc > 1	   ? argv[1]
		     : tmp && *tmp ? tmp
				   : "/tmp") < 0 ||
	    !mkdtemp(dir)) {
		fprintf(stderr, "pack_bench: cannot create a directory: %s\n", strerror(errno));
		return 1;
	}
	git_libgit2_init();
	if (asprintf(&repo_path, "%s/plan.git", dir) < 0 ||
	    asprintf(&pack_dir, "%s/objects/pack", repo_path) < 0 ||
	    git_repository_init(&repo, repo_path, 1) < 0) {
		fprintf(stderr, "pack_bench: cannot create a repository in '%s'\n", dir);
		goto done;
	}
	printf("pack_bench: %s, %d iterations each\n", dir, iterations);
	if (iterations < 1 || run(pack_dir, 16, iterations) < 0 ||
	    run(pack_dir, 512, iterations) < 0)
		goto done;
	status = 0;

done:
	git_repository_free(repo);
	git_libgit2_shutdown();
	if (asprintf(&cmd, "rm -rf '%s'", dir) > 0 && system(cmd) != 0)
		status = 1;
	free(cmd);
	free(pack_dir);
	free(repo_path);
	free(dir);
	return status;
}

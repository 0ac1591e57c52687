/*
 * standalone.c - main() for a fuzz target built without libFuzzer.
 *
 *   fuzz_TARGET PATH...
 *
 * Runs every file given, and every regular file in every directory given
 * (not recursively, in name order), through LLVMFuzzerTestOneInput() once.
 * A target reports a finding by crashing or aborting; this exits 1 only when
 * an input cannot be read, or when there was none at all.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long len;
	int ok = 0;

	if (!f)
		goto done;
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto done;
	/* malloc(len), not a larger buffer: ASan then sees a read past the input's end. */
	if (!(data = malloc(len ? (size_t)len : 1)) ||
	    (len && fread(data, 1, (size_t)len, f) != (size_t)len))
		goto done;
	LLVMFuzzerTestOneInput((const uint8_t *)data, (size_t)len);
	ok = 1;
done:
	if (!ok)
		fprintf(stderr, "cannot read '%s'\n", path);
	free(data);
	if (f)
		fclose(f);
	return ok ? 0 : -1;
}

static int run_dir(const char *dir, size_t *count)
{
	struct dirent **names = NULL;
	int n, i, error = 0;

	if ((n = scandir(dir, &names, NULL, alphasort)) < 0) {
		fprintf(stderr, "cannot read '%s'\n", dir);
		return -1;
	}
	for (i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(path) < 0)
				error = -1;
			(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return error;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int error = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i], &count) < 0)
				error = 1;
		} else {
			if (run_file(argv[i]) < 0)
				error = 1;
			count++;
		}
	}
	printf("%s: %zu inputs\n", argc ? argv[0] : "fuzz", count);
	if (count == 0) {
		fprintf(stderr, "no input\n");
		return 1;
	}
	return error;
}

/*
 * fault.c - fault injection for the unit tests (fault.h): the wrappers that
 * -Wl,--wrap puts between core's static libraries and the C library, the
 * allocators handed to jansson and libgit2, and the loop that runs an
 * operation with its Nth call failing.
 *
 * Only calls made by the objects linked into the program are wrapped:
 * shared libraries (glibc itself, libxlsxwriter, libgit2's own I/O) keep
 * their calls, which is why jansson and libgit2 get their allocators set.
 * The wrappers call the real functions through __real_*, so that the
 * sanitizers' interceptors still see every allocation.
 */
#include "fault.h"

#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/alloc.h>
#include <jansson.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <utf8proc.h>

#include "testutil.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

static struct {
	int trace;	      /* $KK_FAULT_TRACE: say where each failure is injected */
	const char *git_file; /* where libgit2 allocates, while it does */
	int git_line;
	int armed;
	kk_fault_kind kind;
	unsigned long nth;	/* the call that fails first; 0 for none */
	int persistent;		/* and every one after it */
	unsigned long calls;	/* calls of `kind` since armed */
	unsigned long injected; /* failures injected since armed */
	int last_errno;		/* what the last injected I/O failure set */
	int first_in_git;	/* the first failure was one of libgit2's allocations */
	int fail_git;		/* libgit2's allocations are counted and fail too */
	int child;		/* in the child process that fails them */
	int leaks_each_run;	/* $KK_FAULT_LEAKS=each: look for leaks after every run */
	FILE *failed_file;	/* the stream whose fread() was made to fail */
} fault;

/* Counts a call of `kind`; tells whether it is to fail. */
static int fault_hit(kk_fault_kind kind)
{
	if (!fault.armed || fault.kind != kind)
		return 0;
	fault.calls++;
	if (!fault.nth || fault.calls < fault.nth || (fault.calls > fault.nth && !fault.persistent))
		return 0;
	if (!fault.injected++)
		fault.first_in_git = fault.git_file != NULL;
	if (fault.trace) {
		void *frames[12];

		fprintf(stderr, "fault: %s call %lu fails",
			kind == KK_FAULT_OOM ? "allocation" : "I/O", fault.calls);
		if (fault.git_file)
			fprintf(stderr, " in libgit2 at %s:%d", fault.git_file, fault.git_line);
		fprintf(stderr, ":\n");
		backtrace_symbols_fd(frames, backtrace(frames, 12), 2);
	}
	return 1;
}

static int oom(void)
{
	return fault_hit(KK_FAULT_OOM);
}

/* An I/O call to fail: sets errno to `errnum` and remembers it. */
static int io_fails(int errnum)
{
	if (!fault_hit(KK_FAULT_IO))
		return 0;
	errno = fault.last_errno = errnum;
	return 1;
}

void kk_fault_arm(kk_fault_kind kind, unsigned long nth, int persistent)
{
	fault.kind = kind;
	fault.nth = nth;
	fault.persistent = persistent;
	fault.calls = fault.injected = 0;
	fault.last_errno = 0;
	fault.first_in_git = 0;
	fault.failed_file = NULL;
	fault.armed = 1;
}

unsigned long kk_fault_disarm(void)
{
	fault.armed = 0;
	return fault.injected;
}

unsigned long kk_fault_calls(void)
{
	return fault.calls;
}

/* --- allocations: core's, through --wrap --- */

/*
 * The real function, __real_NAME, and its wrapper, __wrap_NAME, that
 * -Wl,--wrap=NAME puts in its place.
 */
#define WRAP(type, name, params)                                                                   \
	type __real_##name params;                                                                 \
	type __wrap_##name params

WRAP(void *, malloc, (size_t n));
WRAP(void *, calloc, (size_t nmemb, size_t size));
WRAP(void *, realloc, (void *p, size_t n));
WRAP(char *, strdup, (const char *s));
WRAP(char *, strndup, (const char *s, size_t n));
WRAP(int, vasprintf, (char **strp, const char *fmt, va_list ap));
WRAP(int, asprintf, (char **strp, const char *fmt, ...));
WRAP(iconv_t, iconv_open, (const char *to, const char *from));
WRAP(char *, realpath, (const char *path, char *resolved));
WRAP(utf8proc_ssize_t, utf8proc_map,
     (const utf8proc_uint8_t *str, utf8proc_ssize_t len, utf8proc_uint8_t **dst,
      utf8proc_option_t options));
WRAP(pcre2_code *, pcre2_compile_8,
     (PCRE2_SPTR pattern, PCRE2_SIZE len, uint32_t options, int *errorcode, PCRE2_SIZE *erroroffset,
      pcre2_compile_context *ctx));
WRAP(pcre2_match_data *, pcre2_match_data_create_8,
     (uint32_t ovecsize, pcre2_general_context *ctx));
WRAP(int, pcre2_match_8,
     (const pcre2_code *code, PCRE2_SPTR subject, PCRE2_SIZE len, PCRE2_SIZE start,
      uint32_t options, pcre2_match_data *match, pcre2_match_context *ctx));

void *__wrap_malloc(size_t n)
{
	if (oom()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_malloc(n);
}

void *__wrap_calloc(size_t nmemb, size_t size)
{
	if (oom()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(nmemb, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	if (oom()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	if (oom()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	if (oom()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_strndup(s, n);
}

/* glibc leaves *strp undefined on failure: so do we (it keeps what it held). */
int __wrap_vasprintf(char **strp, const char *fmt, va_list ap)
{
	if (oom()) {
		errno = ENOMEM;
		return -1;
	}
	return __real_vasprintf(strp, fmt, ap);
}

int __wrap_asprintf(char **strp, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (oom()) {
		errno = ENOMEM;
		return -1;
	}
	va_start(ap, fmt);
	n = __real_vasprintf(strp, fmt, ap);
	va_end(ap);
	return n;
}

iconv_t __wrap_iconv_open(const char *to, const char *from)
{
	if (oom()) {
		errno = ENOMEM;
		return (iconv_t)-1;
	}
	return __real_iconv_open(to, from);
}

/* Only the form that allocates its answer can run out of memory. */
char *__wrap_realpath(const char *path, char *resolved)
{
	if (!resolved && oom()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_realpath(path, resolved);
}

utf8proc_ssize_t __wrap_utf8proc_map(const utf8proc_uint8_t *str, utf8proc_ssize_t len,
				     utf8proc_uint8_t **dst, utf8proc_option_t options)
{
	if (oom()) {
		*dst = NULL;
		return UTF8PROC_ERROR_NOMEM;
	}
	return __real_utf8proc_map(str, len, dst, options);
}

pcre2_code *__wrap_pcre2_compile_8(PCRE2_SPTR pattern, PCRE2_SIZE len, uint32_t options,
				   int *errorcode, PCRE2_SIZE *erroroffset,
				   pcre2_compile_context *ctx)
{
	if (oom()) {
		*errorcode = PCRE2_ERROR_HEAP_FAILED;
		*erroroffset = 0;
		return NULL;
	}
	return __real_pcre2_compile_8(pattern, len, options, errorcode, erroroffset, ctx);
}

pcre2_match_data *__wrap_pcre2_match_data_create_8(uint32_t ovecsize, pcre2_general_context *ctx)
{
	if (oom())
		return NULL;
	return __real_pcre2_match_data_create_8(ovecsize, ctx);
}

int __wrap_pcre2_match_8(const pcre2_code *code, PCRE2_SPTR subject, PCRE2_SIZE len,
			 PCRE2_SIZE start, uint32_t options, pcre2_match_data *match,
			 pcre2_match_context *ctx)
{
	if (oom())
		return PCRE2_ERROR_NOMEMORY;
	return __real_pcre2_match_8(code, subject, len, start, options, match, ctx);
}

/*
 * jansson's reader does not survive a failed allocation: lex_save() drops
 * a byte its token buffer has no room for, so that a string comes out cut
 * short or the text reads as a syntax error.  Its allocations are not
 * failed one by one: the call fails as a whole, as it does when its first
 * allocation fails (NULL, and an error without a message).
 */
WRAP(json_t *, json_loadb, (const char *buf, size_t len, size_t flags, json_error_t *error));

json_t *__wrap_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *error)
{
	int armed = fault.armed;
	json_t *value;

	if (oom()) {
		if (error) {
			memset(error, 0, sizeof(*error));
			error->line = error->column = -1;
			snprintf(error->source, sizeof(error->source), "<buffer>");
		}
		return NULL;
	}
	fault.armed = 0;
	value = __real_json_loadb(buf, len, flags, error);
	fault.armed = armed;
	return value;
}

/* --- allocations: jansson's and libgit2's, through their hooks --- */

static void *json_alloc(size_t n)
{
	return __wrap_malloc(n);
}

static void json_release(void *p)
{
	free(p);
}

/*
 * Allocations libgit2 1.5 does not survive failing: it crashes (SIGSEGV in
 * git_repository_open_ext()) when one of these fails.  They are made, and
 * not counted, so that the rest of libgit2's can fail.  Line 0: any line.
 */
static const struct {
	const char *file;
	int line;
} git_spared[] = {
	{"./src/libgit2/oidmap.c", 26},	       /* git_cache_init(), the object cache's map */
	{"./src/libgit2/config_entries.c", 0}, /* a configuration file's entries */
	{"./src/util/strmap.c", 19},	       /* the maps of those entries */
	{"./src/libgit2/refs.c", 0},	       /* a reference read (HEAD) */
};

/* Tells whether the allocation at libgit2's `file`:`line` must not fail. */
static int spared(const char *file, int line)
{
	if (!fault.fail_git)
		return 1;
	for (size_t i = 0; i < sizeof(git_spared) / sizeof(*git_spared); i++)
		if ((!git_spared[i].line || line == git_spared[i].line) &&
		    strcmp(file, git_spared[i].file) == 0)
			return 1;
	fault.git_file = file;
	fault.git_line = line;
	return 0;
}

/* As libgit2's own allocator does, a failure sets libgit2's error. */
static void *git_oom(void *p)
{
	fault.git_file = NULL;
	if (!p)
		git_error_set_oom();
	return p;
}

static void *git_alloc(size_t n, const char *file, int line)
{
	if (spared(file, line))
		return __real_malloc(n);
	return git_oom(__wrap_malloc(n));
}

static void *git_alloc_zero(size_t nelem, size_t elsize, const char *file, int line)
{
	if (spared(file, line))
		return __real_calloc(nelem, elsize);
	return git_oom(__wrap_calloc(nelem, elsize));
}

static char *git_alloc_strdup(const char *s, const char *file, int line)
{
	if (spared(file, line))
		return __real_strdup(s);
	return git_oom(__wrap_strdup(s));
}

static char *git_alloc_strndup(const char *s, size_t n, const char *file, int line)
{
	if (spared(file, line))
		return __real_strndup(s, n);
	return git_oom(__wrap_strndup(s, n));
}

/* Exactly `n` bytes of `s`, and a NUL. */
static char *git_alloc_substrdup(const char *s, size_t n, const char *file, int line)
{
	char *p;

	if (n == SIZE_MAX || !(p = git_alloc(n + 1, file, line)))
		return git_oom(NULL);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void *git_alloc_resize(void *p, size_t n, const char *file, int line)
{
	if (spared(file, line))
		return __real_realloc(p, n);
	return git_oom(__wrap_realloc(p, n));
}

static void *git_alloc_resize_array(void *p, size_t nelem, size_t elsize, const char *file,
				    int line)
{
	if (elsize && nelem > SIZE_MAX / elsize)
		return git_oom(NULL);
	return git_alloc_resize(p, nelem * elsize, file, line);
}

static void *git_alloc_array(size_t nelem, size_t elsize, const char *file, int line)
{
	return git_alloc_resize_array(NULL, nelem, elsize, file, line);
}

static void git_release(void *p)
{
	free(p);
}

void kk_fault_install(void)
{
	static git_allocator alloc = {
		.gmalloc = git_alloc,
		.gcalloc = git_alloc_zero,
		.gstrdup = git_alloc_strdup,
		.gstrndup = git_alloc_strndup,
		.gsubstrdup = git_alloc_substrdup,
		.grealloc = git_alloc_resize,
		.greallocarray = git_alloc_resize_array,
		.gmallocarray = git_alloc_array,
		.gfree = git_release,
	};

	fault.trace = getenv("KK_FAULT_TRACE") != NULL;
	fault.leaks_each_run =
		getenv("KK_FAULT_LEAKS") && strcmp(getenv("KK_FAULT_LEAKS"), "each") == 0;
	json_set_alloc_funcs(json_alloc, json_release);
	if (git_libgit2_opts(GIT_OPT_SET_ALLOCATOR, &alloc) < 0 || git_libgit2_init() < 0)
		fail_msg("cannot set libgit2's allocator");
}

/* --- I/O: core's system calls, through --wrap --- */

WRAP(int, open, (const char *path, int flags, ...));
WRAP(int, openat, (int dirfd, const char *path, int flags, ...));
WRAP(ssize_t, read, (int fd, void *buf, size_t n));
WRAP(ssize_t, write, (int fd, const void *buf, size_t n));
WRAP(int, fsync, (int fd));
WRAP(int, rename, (const char *from, const char *to));
WRAP(int, mkostemp, (char *tmpl, int flags));
WRAP(int, mkdir, (const char *path, mode_t mode));
WRAP(char *, mkdtemp, (char *tmpl));
WRAP(int, stat, (const char *path, struct stat *st));
WRAP(int, lstat, (const char *path, struct stat *st));
WRAP(int, fstat, (int fd, struct stat *st));
WRAP(int, fstatat, (int dirfd, const char *path, struct stat *st, int flags));
WRAP(DIR *, opendir, (const char *path));
WRAP(DIR *, fdopendir, (int fd));
WRAP(struct dirent *, readdir, (DIR * dir));
WRAP(FILE *, fopen, (const char *path, const char *mode));
WRAP(size_t, fread, (void *buf, size_t size, size_t n, FILE *f));
WRAP(int, ferror, (FILE * f));
WRAP(int, fclose, (FILE * f));

static mode_t open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int __wrap_openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	if (io_fails(EIO))
		return -1;
	return __real_openat(dirfd, path, flags, mode);
}

int __wrap_open(const char *path, int flags, ...)
{
	va_list ap;
	int fd;

	va_start(ap, flags);
	fd = __wrap_openat(AT_FDCWD, path, flags, open_mode(flags, ap));
	va_end(ap);
	return fd;
}

ssize_t __wrap_read(int fd, void *buf, size_t n)
{
	return io_fails(EIO) ? -1 : __real_read(fd, buf, n);
}

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
	return io_fails(ENOSPC) ? -1 : __real_write(fd, buf, n);
}

int __wrap_fsync(int fd)
{
	return io_fails(EIO) ? -1 : __real_fsync(fd);
}

int __wrap_rename(const char *from, const char *to)
{
	return io_fails(EIO) ? -1 : __real_rename(from, to);
}

int __wrap_mkostemp(char *tmpl, int flags)
{
	return io_fails(EIO) ? -1 : __real_mkostemp(tmpl, flags);
}

int __wrap_mkdir(const char *path, mode_t mode)
{
	return io_fails(EIO) ? -1 : __real_mkdir(path, mode);
}

char *__wrap_mkdtemp(char *tmpl)
{
	return io_fails(EIO) ? NULL : __real_mkdtemp(tmpl);
}

int __wrap_stat(const char *path, struct stat *st)
{
	return io_fails(EIO) ? -1 : __real_stat(path, st);
}

int __wrap_lstat(const char *path, struct stat *st)
{
	return io_fails(EIO) ? -1 : __real_lstat(path, st);
}

int __wrap_fstat(int fd, struct stat *st)
{
	return io_fails(EIO) ? -1 : __real_fstat(fd, st);
}

int __wrap_fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	return io_fails(EIO) ? -1 : __real_fstatat(dirfd, path, st, flags);
}

DIR *__wrap_opendir(const char *path)
{
	return io_fails(EIO) ? NULL : __real_opendir(path);
}

/* As fdopendir(3), which leaves `fd` open when it fails. */
DIR *__wrap_fdopendir(int fd)
{
	return io_fails(EIO) ? NULL : __real_fdopendir(fd);
}

struct dirent *__wrap_readdir(DIR *dir)
{
	return io_fails(EIO) ? NULL : __real_readdir(dir);
}

FILE *__wrap_fopen(const char *path, const char *mode)
{
	return io_fails(EIO) ? NULL : __real_fopen(path, mode);
}

/* A stream cannot be put in its error state from outside: ferror() is told instead. */
size_t __wrap_fread(void *buf, size_t size, size_t n, FILE *f)
{
	if (io_fails(EIO)) {
		fault.failed_file = f;
		return 0;
	}
	return __real_fread(buf, size, n, f);
}

int __wrap_ferror(FILE *f)
{
	return (f && f == fault.failed_file) || __real_ferror(f);
}

int __wrap_fclose(FILE *f)
{
	if (f == fault.failed_file)
		fault.failed_file = NULL;
	return __real_fclose(f);
}

/* --- the loop --- */

typedef struct fault_stats {
	unsigned long tries, failed, succeeded, misreported;
} fault_stats;

/* Fails the test; in the child that fails libgit2's allocations, ends it. */
static void __attribute__((format(printf, 1, 2), noreturn)) failf(const char *fmt, ...)
{
	char text[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (fault.child) {
		fprintf(stderr, "ERROR: %s\n", text);
		_exit(1);
	}
	fail_msg("%s", text);
	abort(); /* fail_msg() does not return */
}

/* What a failure under an injected fault must look like. */
static void check_failure(const kk_fault_op *op, kk_fault_kind kind, int persistent,
			  unsigned long n, int rc, const kk_diag *diag, int errnum,
			  int git_said_oom, fault_stats *stats)
{
	const char *mode = persistent ? "persistent" : "transient";
	const char *what = kind == KK_FAULT_OOM ? "allocation" : "I/O call";

	if (op->has_diag && (diag->code != rc || !diag->message[0]))
		failf("%s: %s %s %lu failed: returned %d, but the diagnostic has code %d and "
		      "message '%s'",
		      op->name, mode, what, n, rc, diag->code, diag->message);
	if (kind == KK_FAULT_OOM) {
		if (rc == KK_ENOMEM || strcasestr(diag->message, "out of memory"))
			return;
		/*
		 * libgit2 1.5 reports some of its failed allocations as other
		 * errors (a configuration it could not read says "invalid
		 * argument", a path it could not build "not found"): core can
		 * only pass on what it is told.  When libgit2 did say "out of
		 * memory", core must too.
		 */
		if (fault.first_in_git && !git_said_oom) {
			stats->misreported++;
			return;
		}
		failf("%s: %s allocation %lu failed: returned %d '%s', not out of memory", op->name,
		      mode, n, rc, diag->message);
	}
	if (rc != KK_EIO)
		failf("%s: %s I/O call %lu failed with %s: returned %d '%s', not KK_EIO", op->name,
		      mode, n, strerror(errnum), rc, diag->message);
	if (op->has_diag && !strstr(diag->message, strerror(errnum)))
		failf("%s: %s I/O call %lu failed with %s: the message '%s' does not say so",
		      op->name, mode, n, strerror(errnum), diag->message);
	if (diag->sys_errno && diag->sys_errno != errnum)
		failf("%s: %s I/O call %lu failed with %s: the diagnostic keeps errno %d", op->name,
		      mode, n, strerror(errnum), diag->sys_errno);
}

/*
 * Tells whether memory has leaked since the last check, in the ASan build
 * (LeakSanitizer prints what and where); 0 in the others.
 */
static int leaked(void)
{
#ifdef __SANITIZE_ADDRESS__
	return __lsan_do_recoverable_leak_check();
#else
	return 0;
#endif
}

/* Where `got` and `want` part, in a few lines of each, for a message. */
static const char *difference(const char *got, const char *want)
{
	static char text[1024];
	size_t at = 0, from;

	if (!got)
		return "(none)";
	while (got[at] && got[at] == want[at])
		at++;
	for (from = at; from > 0 && at - from < 120; from--)
		;
	snprintf(text, sizeof(text), "at byte %zu:\n%.200s\n--- instead of ---\n%.200s", at,
		 got + from, want + from);
	return text;
}

static void loop(const kk_fault_op *op, const char *reference, kk_fault_kind kind,
		 unsigned long total, int persistent, fault_stats *stats)
{
	const char *mode = persistent ? "persistent" : "transient";
	const char *what = kind == KK_FAULT_OOM ? "allocation" : "I/O call";
	unsigned long limit = op->max_tries ? op->max_tries : 300;
	unsigned long step = total <= limit ? 1 : (total + limit - 1) / limit;

	for (unsigned long n = 1;; n += step) {
		unsigned long injected;
		kk_diag diag;
		char *result;
		int rc, errnum, git_said_oom;

		if (n > 4 * total + 1000)
			failf("%s: still failing at call %lu of %lu", op->name, n, total);
		kk_diag_clear(&diag);
		git_error_clear();
		kk_fault_arm(kind, n, persistent);
		rc = op->run(op->ctx, &diag);
		injected = kk_fault_disarm();
		errnum = fault.last_errno;
		git_said_oom = git_error_last() && git_error_last()->klass == GIT_ERROR_NOMEMORY;
		result = NULL;
		if (op->finish(op->ctx, rc, &result) < 0)
			failf("%s: cannot describe the result", op->name);
		if (fault.leaks_each_run && !fault.child && leaked())
			failf("%s: %s %s %lu failed: memory leaked (LeakSanitizer says where above)",
			      op->name, mode, what, n);
		stats->tries++;
		if (rc == 0) {
			if (!result || strcmp(result, reference) != 0)
				failf("%s: %s %s %lu failed, yet it succeeded with another result: %s",
				      op->name, mode, what, n, difference(result, reference));
			free(result);
			if (!injected)
				return;
			stats->succeeded++;
			continue;
		}
		free(result);
		if (!injected)
			failf("%s: failed with no fault injected (call %lu of %lu): %d '%s'",
			      op->name, n, total, rc, diag.message);
		check_failure(op, kind, persistent, n, rc, &diag, errnum, git_said_oom, stats);
		stats->failed++;
	}
}

/* Counts the calls of `kind` that `op` makes; its result must not change. */
static unsigned long count(const kk_fault_op *op, const char *reference, kk_fault_kind kind)
{
	unsigned long total;
	char *counted = NULL;
	kk_diag diag = {0};
	int rc;

	kk_fault_arm(kind, 0, 0);
	rc = op->run(op->ctx, &diag);
	total = kk_fault_calls();
	kk_fault_disarm();
	if (op->finish(op->ctx, rc, &counted) < 0 || rc < 0 || !counted ||
	    strcmp(counted, reference) != 0)
		failf("%s: counting its calls gives another result: %d '%s'", op->name, rc,
		      diag.message);
	free(counted);
	return total;
}

/* Both modes, and a line of what they did: runs failed / made, +runs that succeeded all the same.
 */
static void loops(const kk_fault_op *op, const char *reference, kk_fault_kind kind,
		  unsigned long total, const char *what)
{
	fault_stats stats[2] = {{0}};

	for (int persistent = 0; persistent <= 1; persistent++) {
		loop(op, reference, kind, total, persistent, &stats[persistent]);
		/* Once a loop: each check stops the process for a while. */
		if (!fault.child && leaked())
			failf("%s: %s %s failing: memory leaked (LeakSanitizer says where above; "
			      "KK_FAULT_LEAKS=each names the run)",
			      op->name, persistent ? "persistent" : "transient",
			      kind == KK_FAULT_OOM ? "allocations" : "I/O calls");
	}
	print_message("%-26s %6lu %-20s transient %3lu/%3lu +%lu, persistent %3lu/%3lu +%lu%s\n",
		      op->name, total, what, stats[0].failed, stats[0].tries, stats[0].succeeded,
		      stats[1].failed, stats[1].tries, stats[1].succeeded,
		      stats[0].misreported + stats[1].misreported ? " (libgit2 said another error)"
								  : "");
}

/*
 * libgit2 1.5 leaks some of what it allocated when an allocation of the
 * same call fails, and no suppression could tell those leaks from core
 * forgetting to free an object libgit2 gave it.  So its allocations fail
 * in a child process that ends with _exit(), before LeakSanitizer looks:
 * there every run must still end cleanly, without a crash; core's own
 * leaks are found by the runs above, where libgit2's allocations succeed.
 */
static void loops_failing_git(const kk_fault_op *op, const char *reference)
{
	unsigned long total;
	int status;
	pid_t pid;

	fault.fail_git = 1;
	total = count(op, reference, KK_FAULT_OOM);
	fault.fail_git = 0;
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0)
		failf("%s: fork: %s", op->name, strerror(errno));
	if (pid == 0) {
		fault.child = 1;
		fault.fail_git = 1;
		loops(op, reference, KK_FAULT_OOM, total, "with libgit2's");
		fflush(stdout);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		failf("%s: with libgit2's allocations failing: %s %d", op->name,
		      WIFSIGNALED(status) ? "killed by signal" : "exit status",
		      WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

void kk_fault_check(const kk_fault_op *op)
{
	const char *only = getenv("KK_FAULT_ONLY");
	unsigned long total;
	char *reference = NULL;
	kk_diag diag = {0};
	int rc;

	/* To look into one operation: $KK_FAULT_ONLY is part of its name. */
	if (only && !strstr(op->name, only))
		return;

	rc = op->run(op->ctx, &diag);
	if (op->finish(op->ctx, rc, &reference) < 0 || rc < 0 || !reference)
		failf("%s: fails without faults: %d '%s'", op->name, rc, diag.message);
	total = count(op, reference, KK_FAULT_OOM);
	loops(op, reference, KK_FAULT_OOM, total, "allocations");
	if (op->io) {
		if (!(total = count(op, reference, KK_FAULT_IO)))
			failf("%s: makes no I/O call of core's own", op->name);
		loops(op, reference, KK_FAULT_IO, total, "I/O calls");
	}
	if (op->uses_git)
		loops_failing_git(op, reference);
	free(reference);
}

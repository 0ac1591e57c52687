/*
 * common.h - error codes and diagnostics shared by every core module.
 *
 * Conventions (libgit2's): a function that can fail returns 0 or a negative
 * KK_E* code; out-parameters come first and are written only on success;
 * error detail goes into a caller-provided kk_diag, never into a global.
 */
#ifndef KK_COMMON_H
#define KK_COMMON_H

#include <stddef.h>

enum {
	KK_OK = 0,
	KK_ERROR = -1,	   /* generic failure; the diagnostic says more */
	KK_ENOMEM = -2,	   /* allocation failed */
	KK_ENOTFOUND = -3, /* object, file, revision or item does not exist */
	KK_EEXISTS = -4,   /* refusing to overwrite something that exists */
	KK_EINVALID = -5,  /* input does not validate or is malformed */
	KK_EIO = -6,	   /* reading or writing failed (errno in diag) */
	KK_ECONFLICT = -7, /* concurrent change; reserved for writes */
	KK_ELIMIT = -8,	   /* input over a configured limit */
	KK_ETIMEOUT = -9,  /* work ran past its time budget (budget.h) */
};

#define KK_DIAG_PATH_MAX    256
#define KK_DIAG_POINTER_MAX 256
#define KK_DIAG_MESSAGE_MAX 512

/*
 * Detail about a single failure.  `path` names the file concerned (a path
 * inside a plan repository, or a file name given by the user), or is "".
 * `pointer` is an RFC 6901 JSON Pointer to
 * the offending value ("" is the document root); `line`, `column` and
 * `position` locate a parse error in the input (1-based line and column,
 * 0-based byte offset), or are 0 when not applicable.
 */
typedef struct kk_diag {
	int code;
	char path[KK_DIAG_PATH_MAX];
	char pointer[KK_DIAG_POINTER_MAX];
	char message[KK_DIAG_MESSAGE_MAX];
	size_t line;
	size_t column;
	size_t position;
	int sys_errno; /* the errno of the system call behind a KK_EIO, or 0 */
} kk_diag;

/* Clears a diagnostic; accepts NULL. */
void kk_diag_clear(kk_diag *diag);

/*
 * Records `code` and a printf-style message in `diag` (which may be NULL)
 * and returns `code`, so that callers can write `return kk_diag_set(...)`.
 */
int kk_diag_set(kk_diag *diag, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Records `code` in `diag` (which may be NULL) with the message "WHAT:
 * libgit2's last error" and returns `code`, for failures of libgit2 calls;
 * when libgit2 ran out of memory, the code is KK_ENOMEM instead.
 */
int kk_diag_git(kk_diag *diag, int code, const char *what);

/*
 * Records the errno of the system call that failed, after kk_diag_set() (which
 * forgets any earlier one): a caller can then say why in its own words, such
 * as keikakud telling a client "No space left on device" in the client's
 * language.  `diag` may be NULL.
 */
void kk_diag_set_errno(kk_diag *diag, int errnum);

/* Sets the JSON Pointer of `diag` (which may be NULL); truncates safely. */
void kk_diag_set_pointer(kk_diag *diag, const char *pointer);

/* Sets the file path of `diag` (which may be NULL); truncates safely. */
void kk_diag_set_path(kk_diag *diag, const char *path);

/*
 * A growable list of diagnostics, for operations that report every problem
 * rather than the first (schema validation, verify).  Zero-initialise, then
 * release with kk_diaglist_clear().
 */
typedef struct kk_diaglist {
	kk_diag *items;
	size_t count;
	size_t alloc;
} kk_diaglist;

/* Appends a copy of `diag`; returns 0 or KK_ENOMEM. */
int kk_diaglist_add(kk_diaglist *list, const kk_diag *diag);

/* Appends a new entry with `code`, `pointer` and a formatted message. */
int kk_diaglist_addf(kk_diaglist *list, int code, const char *pointer, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Releases the entries; the list itself may be reused afterwards. */
void kk_diaglist_clear(kk_diaglist *list);

#endif

/*
 * fault.h - fault injection for the unit tests, in the manner of SQLite's
 * faultsim: while armed, the Nth allocation (or the Nth I/O call) core makes
 * fails, once ("transient") or with every one after it ("persistent"), and
 * kk_fault_check() runs an operation for N = 1, 2, ... until it runs with no
 * failure injected, checking each time that it failed cleanly or gave the
 * same answer as without faults.
 *
 * Core's own calls reach the wrappers in fault.c because the program is
 * linked with -Wl,--wrap=malloc,... (tests/CMakeLists.txt, KK_FAULT_WRAP);
 * jansson's allocations come through json_set_alloc_funcs() and libgit2's
 * through GIT_OPT_SET_ALLOCATOR.  Only a program linked that way may use
 * this header.  Leaks are LeakSanitizer's to find, in the ASan build.
 * docs/development.md ("Fault injection") says what is not failed, and why.
 */
#ifndef KK_FAULT_H
#define KK_FAULT_H

#include <stddef.h>

#include "common.h"

typedef enum kk_fault_kind {
	KK_FAULT_OOM, /* malloc, calloc, realloc, strdup, ..., jansson, libgit2, pcre2 */
	KK_FAULT_IO,  /* open, read, write, fsync, rename, mkdir, ... */
} kk_fault_kind;

/*
 * Routes jansson's and libgit2's allocations through the counting
 * allocator.  Call once at the start of main(), before anything allocates
 * through them; it initialises libgit2 (git_libgit2_shutdown() at the end).
 */
void kk_fault_install(void);

/*
 * Arms injection of `kind`: the `nth` call of that kind from now on fails
 * (counted from 1; 0: none fails, calls are only counted), and with
 * `persistent` every one after it too.  An allocation fails with ENOMEM, an
 * I/O call with EIO (a write with ENOSPC).
 */
void kk_fault_arm(kk_fault_kind kind, unsigned long nth, int persistent);

/* Disarms; returns how many failures were injected since kk_fault_arm(). */
unsigned long kk_fault_disarm(void);

/* How many calls of the armed kind were made since kk_fault_arm(). */
unsigned long kk_fault_calls(void);

/*
 * One operation of core to run under faults.  run() does it once from the
 * same starting state each time and keeps what it made in `ctx`; it returns
 * 0 or a negative KK_E* code with `diag`.  finish() is then called with
 * injection off and run()'s code: it puts into *result (on success) a
 * malloc'd text standing for what run() made (a canonical dump, a rendered
 * report), which must not change with faults, releases what run() made
 * and undoes whatever it left behind (a file written, a cache); it returns
 * 0, or -1 when it cannot.
 */
typedef struct kk_fault_op {
	const char *name;
	int (*run)(void *ctx, kk_diag *diag);
	int (*finish)(void *ctx, int rc, char **result);
	void *ctx;
	/*
	 * The API puts its detail in a kk_diag: a failure must then have a
	 * code equal to the one returned and a message.  0 for functions that
	 * only return a code (kk_rules_check_item(), kk_diff_inline()).
	 */
	int has_diag;
	/* Also fail core's I/O calls (the operation must make some). */
	int io;
	/* It calls libgit2: fail libgit2's allocations too (in a child process; see fault.c). */
	int uses_git;
	/* Try at most this many values of N per mode (0: 300); see kk_fault_check(). */
	unsigned long max_tries;
} kk_fault_op;

/*
 * Runs `op` once without faults (it must succeed), counts the calls of
 * each kind it makes (T), then, for each kind, transient and persistent,
 * runs it with the Nth call failing for N = 1, 1 + s, 1 + 2s, ... until a
 * run has no failure injected, where s = 1 when T <= max_tries and
 * ceil(T / max_tries) above (big operations are sampled).  Each run must
 * either succeed with the same result, or fail with KK_ENOMEM or a message
 * saying "out of memory" (allocations), or with KK_EIO and the reason
 * "Input/output error" or "No space left on device" in the message, and
 * any errno it keeps being the one injected (I/O).  In the ASan build,
 * nothing may leak (checked after each loop).  With `uses_git`, the
 * allocations run once more with libgit2's failing too, in a child process
 * (fault.c says why).  A failure names the operation, the kind and N, so
 * that it can be replayed under a debugger with kk_fault_arm().  Prints one
 * line of counts per kind.  $KK_FAULT_ONLY, $KK_FAULT_TRACE and
 * $KK_FAULT_LEAKS help look into a failure (docs/development.md).
 */
void kk_fault_check(const kk_fault_op *op);

#endif

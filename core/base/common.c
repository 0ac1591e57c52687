/*
 * common.c - diagnostics (common.h): setting their message, path, JSON
 * Pointer and errno, lists of them, and libgit2's last error as one.
 */
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "array.h"

void kk_diag_clear(kk_diag *diag)
{
	if (diag)
		memset(diag, 0, sizeof(*diag));
}

static void diag_vset(kk_diag *diag, int code, const char *fmt, va_list ap)
{
	diag->code = code;
	diag->sys_errno = 0;
	vsnprintf(diag->message, sizeof(diag->message), fmt, ap);
}

void kk_diag_set_errno(kk_diag *diag, int errnum)
{
	if (diag)
		diag->sys_errno = errnum;
}

int kk_diag_set(kk_diag *diag, int code, const char *fmt, ...)
{
	va_list ap;

	if (!diag)
		return code;
	va_start(ap, fmt);
	diag_vset(diag, code, fmt, ap);
	va_end(ap);
	return code;
}

int kk_diag_git(kk_diag *diag, int code, const char *what)
{
	const git_error *e = git_error_last();

	/* Running out of memory is not the I/O error the caller expected. */
	if (e && e->klass == GIT_ERROR_NOMEMORY)
		code = KK_ENOMEM;
	return kk_diag_set(diag, code, "%s: %s", what, e && e->message ? e->message : "?");
}

void kk_diag_set_pointer(kk_diag *diag, const char *pointer)
{
	if (diag)
		snprintf(diag->pointer, sizeof(diag->pointer), "%s", pointer ? pointer : "");
}

void kk_diag_set_path(kk_diag *diag, const char *path)
{
	if (diag)
		snprintf(diag->path, sizeof(diag->path), "%s", path ? path : "");
}

int kk_diaglist_add(kk_diaglist *list, const kk_diag *diag)
{
	if (KK_ARRAY_GROW(list->items, list->count + 1, list->alloc) < 0)
		return KK_ENOMEM;
	list->items[list->count++] = *diag;
	return 0;
}

int kk_diaglist_addf(kk_diaglist *list, int code, const char *pointer, const char *fmt, ...)
{
	kk_diag diag = {0};
	va_list ap;

	kk_diag_set_pointer(&diag, pointer);
	va_start(ap, fmt);
	diag_vset(&diag, code, fmt, ap);
	va_end(ap);
	return kk_diaglist_add(list, &diag);
}

void kk_diaglist_clear(kk_diaglist *list)
{
	if (!list)
		return;
	free(list->items);
	list->items = NULL;
	list->count = list->alloc = 0;
}

/*
 * update.h - turning a submission into new plan files, or into the reasons
 * it is refused (docs/design.md §3).
 *
 * This is the whole decision the daemon makes for a write, kept in core so
 * that it is tested without a daemon and shared with any future offline
 * path: apply each merge patch to the current version, check the fields it
 * touches against the version the submitter read (rule 6), check who may
 * change what (rules 2-4), validate the result (rule 5), and describe the
 * change in plan terms.  Storing it is the caller's business.
 */
#ifndef KK_UPDATE_H
#define KK_UPDATE_H

#include <jansson.h>

#include "common.h"
#include "fileset.h"
#include "identity.h"
#include "verify.h"

/* One item of a submission. */
typedef struct kk_update_item {
	json_int_t id;
	const json_t *patch;	 /* merge patch; or NULL with `item` */
	const json_t *item;	 /* a whole new item (item.create); or NULL with `patch` */
	const json_t *base_item; /* the item as the submitter read it (at base); NULL if absent */
} kk_update_item;

/*
 * One plan-wide file of a submission (plan.update): a JSON file and a
 * merge patch, or the allowed signers file (KK_PATH_SIGNERS) and its whole
 * new text.
 */
typedef struct kk_update_file {
	const char *path; /* KK_PATH_SETTINGS, _DEPARTMENTS, _STRUCTURE or _SIGNERS */
	const json_t *patch;
	const json_t *base_doc; /* the file as the submitter read it; NULL if absent */
	const char *text;	/* KK_PATH_SIGNERS: the new text, NUL-terminated */
	const char *base_text;	/* KK_PATH_SIGNERS: as the submitter read it; NULL if absent */
} kk_update_file;

typedef struct kk_update_request {
	const kk_identity *who;
	const char *reason; /* NULL or blank when none */
	int correction;
	const kk_update_item *items;
	size_t item_count;
	const kk_update_file *files;
	size_t file_count;
} kk_update_request;

/* Why a submission is refused; KK_UPDATE_OK when it is accepted. */
typedef enum kk_update_verdict {
	KK_UPDATE_OK = 0,
	KK_UPDATE_CONFLICT,  /* rule 6: `conflict` says which fields and the current version */
	KK_UPDATE_FORBIDDEN, /* rule 2: see `violations` */
	KK_UPDATE_RULES,     /* rules 3-4, or 6 for co-owned texts: see `violations` */
	KK_UPDATE_INVALID,   /* rule 5: see `errors` */
	KK_UPDATE_NOT_FOUND, /* an item to update does not exist, or one to create does */
} kk_update_verdict;

typedef struct kk_update_result {
	kk_update_verdict verdict;
	json_t *changes;    /* [{"item"|"file", "path", "old", "new"}] */
	json_t *violations; /* rule violations, as kk_rules_check_item() gives them */
	json_t *errors;	    /* [{"file", "pointer", "message"}] */
	json_t *conflict; /* {"fields": [{"item"|"file", "path"}], "items": [current...]} or NULL */
	kk_fileset files; /* the files that change, in canonical form */
	json_t *items;	  /* ids of the items that change, ascending */
	json_t *years;	  /* fiscal years whose fields change, as strings, ascending */
	char *summary;	  /* the commit's first line, in plan terms; NULL when nothing changes */
	int corrects_closed_year; /* a change touches a closed fiscal year */
} kk_update_result;

/*
 * Decides `req` against `head`, the plan as it is now (every file of the
 * current commit, schemas included).  The verdict and its details go into
 * `out`, which the caller clears with kk_update_result_clear().  Returns 0
 * whatever the verdict, or a negative code when deciding failed (KK_ENOMEM,
 * KK_EINVALID for a malformed request, with `diag`).  An accepted update
 * that changes nothing has an empty `files`.
 */
int kk_update_prepare(kk_update_result *out, const kk_fileset *head, const kk_update_request *req,
		      kk_verifier *verifier, kk_diag *diag);

void kk_update_result_clear(kk_update_result *result);

/* Trailers of a commit message, in docs/design.md §4's order. */
typedef struct kk_commit_info {
	const char *summary;
	const char *reason;	 /* may be NULL */
	const json_t *items;	 /* ids */
	const json_t *years;	 /* fiscal years */
	const char *department;	 /* the department the author acted for; may be NULL */
	const char *request_id;	 /* may be NULL */
	int correction;		 /* adds "Keikaku-Correction: yes" */
	const kk_fileset *files; /* the files that change (plan-wide ones are named); may be NULL */
} kk_commit_info;

/*
 * Builds the commit message: the summary, a blank line, the reason, a blank
 * line, then the trailers Keikaku-Item, Keikaku-File (plan-wide files),
 * Fiscal-Year, Department, Request-Id and Keikaku-Correction, as `git
 * interpret-trailers` reads them.  Returns a string the caller frees, or NULL when out of memory.
 */
char *kk_commit_message(const kk_commit_info *info);

/*
 * Finds the value of trailer `key` in a commit message (the last paragraph
 * only, as git does).  Writes it into `buf` and returns 1, or returns 0
 * when there is none.
 */
int kk_commit_trailer(char *buf, size_t size, const char *message, const char *key);

/*
 * Calls `fn` with every value of trailer `key` in a commit message (the
 * last paragraph only), in order: `value` is not NUL-terminated, `len`
 * bytes long.  Returns how many there were.
 */
size_t kk_commit_trailers(const char *message, const char *key,
			  void (*fn)(const char *value, size_t len, void *ctx), void *ctx);

#endif

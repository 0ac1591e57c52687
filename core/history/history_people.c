/*
 * history_people.c - who made each commit of a history index, and for
 * which department: the author's name and e-mail and the Department
 * trailer, read from the commits once and kept by commit, so that a trail
 * filtered by author or department skips the commits of others without
 * reading them.  Not written to the index file:
 * it is made when first asked for, and a memo hands it on to the history
 * of HEAD's next commit (kk_hist_people_carry).
 */
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "history_index.h"
#include "i18n.h"
#include "keytext.h"
#include "update.h"

/* An author as git records them, or a department as its trailer names it. */
typedef struct person {
	char *name, *email; /* a department: its name, and email NULL */
} person;

/* A commit's: indexes into `names`; the department KK_HIST_NONE when it names none. */
typedef struct commit_people {
	uint32_t author, department;
} commit_people;

struct kk_hist_people {
	commit_people *by; /* per commit of the history */
	size_t done, alloc; /* commits[0 .. done) are read */
	person *names;
	size_t nnames, anames;
};

kk_hist_people *kk_hist_people_new(void)
{
	return calloc(1, sizeof(kk_hist_people));
}

void kk_hist_people_free(kk_hist_people *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nnames; i++) {
		free(p->names[i].name);
		free(p->names[i].email);
	}
	free(p->names);
	free(p->by);
	free(p);
}

/* The index of the person (email NULL: a department) in `p->names`, added when new. */
static int intern(uint32_t *out, kk_hist_people *p, const char *name, const char *email)
{
	person *n;

	/* Few people make many commits: the one asked for last is the likeliest. */
	for (size_t i = p->nnames; i-- > 0;) {
		n = &p->names[i];
		if (strcmp(n->name, name) == 0 &&
		    (email ? n->email && strcmp(n->email, email) == 0 : !n->email)) {
			*out = (uint32_t)i;
			return 0;
		}
	}
	if (KK_ARRAY_GROW(p->names, p->nnames + 1, p->anames) < 0)
		return KK_ENOMEM;
	n = &p->names[p->nnames];
	n->name = strdup(name);
	n->email = email ? strdup(email) : NULL;
	if (!n->name || (email && !n->email)) {
		free(n->name);
		free(n->email);
		return KK_ENOMEM;
	}
	*out = (uint32_t)p->nnames++;
	return 0;
}

int kk_hist_people_read(kk_history *h, kk_diag *diag)
{
	kk_hist_people *p = h->people;
	char dept[256];
	int error;

	/* The chain's commits only: the index may hold another tip's, gone since. */
	if (!p || KK_ARRAY_GROW(p->by, h->count, p->alloc) < 0)
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	for (; p->done < h->count; p->done++) {
		git_commit *commit = NULL;
		const git_signature *author;

		if ((error = kk_budget_check(h->budget, diag)) < 0)
			return error;
		if (git_commit_lookup(&commit, h->repo, &h->commits[p->done].oid) < 0)
			return kk_diag_git(diag, KK_EIO, _("cannot read the history"));
		author = git_commit_author(commit);
		p->by[p->done].department = KK_HIST_NONE;
		error = intern(&p->by[p->done].author, p, author->name, author->email);
		if (error == 0 &&
		    kk_commit_trailer(dept, sizeof(dept), git_commit_message(commit), "Department"))
			error = intern(&p->by[p->done].department, p, dept, NULL);
		git_commit_free(commit);
		if (error < 0)
			return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	}
	return 0;
}

void kk_hist_people_carry(kk_history *to, kk_history *from)
{
	kk_hist_people *p = from->people;

	/* Only onto a history that has the commits read at the same places (a copy's worth). */
	if (!p || !p->done || p->done > to->ncommits || p->done > from->ncommits)
		return;
	for (size_t i = 0; i < p->done; i++)
		if (!git_oid_equal(&to->commits[i].oid, &from->commits[i].oid))
			return;
	kk_hist_people_free(to->people);
	to->people = p;
	from->people = NULL;
}

int kk_hist_people_complete(const kk_history *h)
{
	return h->people && h->people->done >= h->count;
}

int kk_hist_author_is(const char *name, const char *email, const char *who)
{
	const char *at = email ? strchr(email, '@') : NULL;

	if ((name && strcmp(name, who) == 0) || (email && strcmp(email, who) == 0))
		return 1;
	return at && strlen(who) == (size_t)(at - email) && strncmp(email, who, strlen(who)) == 0;
}

int kk_hist_people_select(uint8_t **out, kk_history *h, const char *author, const char *department,
			  kk_diag *diag)
{
	kk_hist_people *p = h->people;
	uint8_t *author_ok = NULL, *dept_ok = NULL, *selected;
	int error;

	*out = NULL;
	if ((error = kk_hist_people_read(h, diag)) < 0)
		return error;
	if (!(selected = calloc(h->ncommits ? h->ncommits : 1, 1)) ||
	    !(author_ok = calloc(p->nnames ? p->nnames : 1, 1)) ||
	    !(dept_ok = calloc(p->nnames ? p->nnames : 1, 1))) {
		free(selected);
		free(author_ok);
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	}
	for (size_t i = 0; i < p->nnames; i++) {
		const person *n = &p->names[i];

		author_ok[i] = n->email && (!author || kk_hist_author_is(n->name, n->email, author));
		dept_ok[i] = !n->email && (!department || kk_key_equal(n->name, department));
	}
	for (size_t c = 0; c < p->done && c < h->ncommits; c++) {
		uint32_t d = p->by[c].department;

		selected[c] = author_ok[p->by[c].author] &&
			      (!department || (d != KK_HIST_NONE && dept_ok[d]));
	}
	free(author_ok);
	free(dept_ok);
	*out = selected;
	return 0;
}

/*
 * mirror_push.c - one push to a mirror: what the mirror holds, whether our
 * history continues it, and then the refs it lacks, by libgit2's push or,
 * for a mirror on this machine, by mirror_local.c.  Never forced: a mirror
 * whose branch is not an ancestor of ours, or whose tag differs, is
 * reported as diverged and left as it is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "log.h"
#include "mirror_push.h"
#include "mirror_ssh.h"

/* Pushes on one handle of the repositories before they are opened again. */
#define KD_MIRROR_REOPEN 64

/*
 * The pusher's handle on keikakud's repository, kept from push to push:
 * opening it again each time mapped and unmapped every pack index, and the
 * unmaps' TLB shootdowns stopped the writer's CPU too.  New packs are seen
 * by a refresh; the handles are opened afresh every KD_MIRROR_REOPEN
 * pushes and after a failure, which lets go of packs the maintainer merged
 * away.
 */
static git_repository *source(kd_pusher *p, char *error, size_t size)
{
	git_odb *odb = NULL;
	int refreshed;

	if (p->repo && (p->uses >= KD_MIRROR_REOPEN || p->fresh))
		kd_pusher_clear(p);
	p->fresh = 0;
	if (!p->repo) {
		if (git_repository_open_bare(&p->repo, p->source) < 0) {
			snprintf(error, size, "cannot open '%s': %s", p->source, kd_git_message());
			return NULL;
		}
		p->uses = 0;
		return p->repo;
	}
	refreshed = git_repository_odb(&odb, p->repo) == 0 && git_odb_refresh(odb) == 0;
	git_odb_free(odb);
	if (!refreshed) {
		snprintf(error, size, "cannot read the new packs: %s", kd_git_message());
		return NULL;
	}
	p->uses++;
	return p->repo;
}

void kd_pusher_clear(kd_pusher *p)
{
	git_repository_free(p->repo);
	git_repository_free(p->dest);
	p->repo = p->dest = NULL;
	p->uses = 0;
}

typedef struct {
	git_repository *repo;
	kd_push_refs *refs;
} kd_tag_ctx;

/* Adds a tag to the list; stops the iteration (-1) when out of memory or over-long. */
static int collect_tag(const char *name, void *data)
{
	kd_tag_ctx *ctx = data;
	kd_push_refs *refs = ctx->refs;
	kd_push_tag *tag;

	if (strlen(name) >= sizeof(refs->tags->name)) {
		git_error_set(GIT_ERROR_REFERENCE, "the tag name '%s' is too long", name);
		return -1;
	}
	if (KK_ARRAY_GROW(refs->tags, refs->tag_count + 1, refs->tag_alloc) < 0) {
		git_error_set_oom();
		return -1;
	}
	tag = &refs->tags[refs->tag_count];
	memset(tag, 0, sizeof(*tag));
	snprintf(tag->name, sizeof(tag->name), "%s", name);
	if (git_reference_name_to_id(&tag->oid, ctx->repo, name) < 0)
		return -1;
	refs->tag_count++;
	return 0;
}

/* Our branch and tags. */
static int read_ours(git_repository *repo, kd_push_refs *refs, char *error, size_t size)
{
	kd_tag_ctx ctx = {repo, refs};

	if (git_reference_name_to_id(&refs->ours, repo, KD_MIRROR_BRANCH) < 0) {
		snprintf(error, size, "cannot read %s: %s", KD_MIRROR_BRANCH, kd_git_message());
		return -1;
	}
	if (git_reference_foreach_glob(repo, "refs/tags/*", collect_tag, &ctx) < 0) {
		snprintf(error, size, "cannot read the tags: %s", kd_git_message());
		return -1;
	}
	return 0;
}

int kd_push_decide(git_repository *repo, kd_push_refs *refs, int *diverged, char *error,
		   size_t size)
{
	/* The branch goes only where it fast-forwards. */
	if (refs->has_theirs && !git_oid_equal(&refs->theirs, &refs->ours)) {
		git_odb *odb = NULL;
		int known =
			git_repository_odb(&odb, repo) == 0 && git_odb_exists(odb, &refs->theirs);

		git_odb_free(odb);
		if (!known || git_graph_descendant_of(repo, &refs->ours, &refs->theirs) != 1) {
			*diverged = 1;
			snprintf(error, size,
				 "diverged: the mirror's %s is at %s, which is not in this "
				 "repository's history; it is not overwritten",
				 KD_MIRROR_BRANCH, git_oid_tostr_s(&refs->theirs));
			return -1;
		}
	}
	refs->send = !refs->has_theirs || !git_oid_equal(&refs->theirs, &refs->ours);
	for (size_t i = 0; i < refs->tag_count; i++) {
		kd_push_tag *tag = &refs->tags[i];

		if (tag->has_theirs && !git_oid_equal(&tag->theirs, &tag->oid)) {
			/* Two ids: git_oid_tostr_s() has one buffer. */
			char theirs[GIT_OID_HEXSZ + 1], ours[GIT_OID_HEXSZ + 1];

			*diverged = 1;
			snprintf(error, size,
				 "diverged: the mirror's %s is %s, not this repository's %s; it is "
				 "not overwritten",
				 tag->name, git_oid_tostr(theirs, sizeof(theirs), &tag->theirs),
				 git_oid_tostr(ours, sizeof(ours), &tag->oid));
			return -1;
		}
		tag->send = !tag->has_theirs;
	}
	return 0;
}

/* --- libgit2's push: ssh, https, and a local mirror's first push. --- */

typedef struct {
	const char *url;
	int credential_tries;
	char rejected[512];  /* what the mirror said about a ref it refused */
	char untrusted[256]; /* the host whose TLS certificate failed libgit2's check */
} kd_push_ctx;

static int on_update_reference(const char *refname, const char *status, void *data)
{
	kd_push_ctx *ctx = data;

	if (status && !ctx->rejected[0])
		snprintf(ctx->rejected, sizeof(ctx->rejected), "the mirror refused %s: %s", refname,
			 status);
	return 0;
}

static int on_credentials(git_credential **out, const char *url, const char *user_from_url,
			  unsigned int allowed, void *data)
{
	kd_push_ctx *ctx = data;
	char shown[1024];

	/*
	 * https: libgit2 offers the user and password of the URL itself, once,
	 * and asks here only when there are none, or the mirror refused them.
	 */
	if (strncmp(ctx->url, "https://", 8) == 0) {
		kd_mirror_url_redact(shown, sizeof(shown), ctx->url);
		git_error_set_str(GIT_ERROR_HTTP,
				  strcmp(shown, ctx->url) != 0
					  ? "authentication failed: the mirror refused the user "
					    "name and password (token) of its URL"
					  : "authentication required: give the mirror's user name "
					    "and password (token) in its URL, "
					    "https://USER:TOKEN@HOST/PATH");
		return GIT_EAUTH;
	}
	return kd_mirror_ssh_credentials(out, url, user_from_url, allowed, ctx->credential_tries++);
}

static int on_certificate(git_cert *cert, int valid, const char *host, void *data)
{
	kd_push_ctx *ctx = data;

	/* TLS: libgit2's check of the system's CAs (or SSL_CERT_FILE's) stands, with its reason. */
	if (cert->cert_type == GIT_CERT_X509) {
		if (!valid)
			snprintf(ctx->untrusted, sizeof(ctx->untrusted), "%s", host);
		return GIT_PASSTHROUGH;
	}
	return kd_mirror_ssh_check_host(cert, valid, host, ctx->url);
}

/* Fills in the remote's side of `refs` from its advertisement. */
static void their_refs(kd_push_refs *refs, const git_remote_head **heads, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(heads[i]->name, KD_MIRROR_BRANCH) == 0) {
			refs->theirs = heads[i]->oid;
			refs->has_theirs = 1;
			continue;
		}
		for (size_t k = 0; k < refs->tag_count; k++)
			if (strcmp(heads[i]->name, refs->tags[k].name) == 0) {
				refs->tags[k].theirs = heads[i]->oid;
				refs->tags[k].has_theirs = 1;
			}
	}
}

/*
 * libgit2's push.  To a local mirror (`local` its path), the branch goes to
 * KD_MIRROR_INCOMING and then moves by compare-and-swap (kd_push_local_land):
 * libgit2's local transport moves refs without checking what they held.
 */
static int push_remote(kd_pusher *p, git_repository *repo, kd_push_refs *refs, const char *local,
		       int *diverged, char *error, size_t size)
{
	git_remote *remote = NULL;
	git_remote_callbacks cbs;
	git_remote_create_options create;
	git_push_options opts;
	const git_remote_head **heads = NULL;
	char **specs = NULL;
	char spec_main[] = KD_MIRROR_BRANCH ":" KD_MIRROR_BRANCH,
	     spec_incoming[] = "+" KD_MIRROR_BRANCH ":" KD_MIRROR_INCOMING;
	git_strarray arr = {NULL, 0};
	kd_push_ctx ctx = {.url = p->url};
	size_t n = 0;
	int rc = -1;

	git_remote_init_callbacks(&cbs, GIT_REMOTE_CALLBACKS_VERSION);
	git_push_options_init(&opts, GIT_PUSH_OPTIONS_VERSION);
	git_remote_create_options_init(&create, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	/* The branch and each tag, at most. */
	if (!(specs = calloc(refs->tag_count + 1, sizeof(*specs)))) {
		snprintf(error, size, "out of memory");
		return -1;
	}
	arr.strings = specs;
	cbs.credentials = on_credentials;
	cbs.certificate_check = on_certificate;
	cbs.push_update_reference = on_update_reference;
	cbs.payload = &ctx;
	/*
	 * Anonymous, the URL as given: no url.*.insteadOf of the repository's
	 * configuration (whose lookup, in libgit2 1.5, leaks its regex's match
	 * data for every entry that does not match, at each push).
	 */
	create.repository = repo;
	create.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF;
	if (git_remote_create_with_opts(&remote, p->url, &create) < 0 ||
	    git_remote_connect(remote, GIT_DIRECTION_PUSH, &cbs, NULL, NULL) < 0 ||
	    git_remote_ls(&heads, &n, remote) < 0) {
		if (ctx.untrusted[0])
			snprintf(error, size,
				 "the certificate of %s is not trusted (%s): if the CA that signed "
				 "it is not one of the system's, name it in SSL_CERT_FILE or "
				 "SSL_CERT_DIR",
				 ctx.untrusted, kd_git_message());
		else
			snprintf(error, size, "%s", kd_git_message());
		goto done;
	}
	their_refs(refs, heads, n);
	if (kd_push_decide(repo, refs, diverged, error, size) < 0)
		goto done;
	if (refs->send)
		specs[arr.count++] = local ? spec_incoming : spec_main;
	for (size_t i = 0; i < refs->tag_count; i++) {
		/* "refs/tags/X:refs/tags/X", no '+': never forced. */
		size_t len = 2 * strlen(refs->tags[i].name) + 2;

		if (!refs->tags[i].send)
			continue;
		if (!(specs[arr.count] = malloc(len))) {
			snprintf(error, size, "out of memory");
			goto done;
		}
		snprintf(specs[arr.count++], len, "%s:%s", refs->tags[i].name, refs->tags[i].name);
	}
	if (arr.count) {
		opts.callbacks = cbs;
		opts.pb_parallelism = 1;
		if (git_remote_upload(remote, &arr, &opts) < 0) {
			snprintf(error, size, "%s", kd_git_message());
			if (git_error_last() && git_error_last()->klass == GIT_ERROR_REFERENCE &&
			    strstr(kd_git_message(), "fastforward"))
				*diverged = 1;
			goto done;
		}
		if (ctx.rejected[0]) {
			snprintf(error, size, "%s", ctx.rejected);
			goto done;
		}
	}
	rc = 0;
done:
	for (size_t i = 0; i < arr.count; i++)
		if (specs[i] != spec_main && specs[i] != spec_incoming)
			free(specs[i]);
	free(specs);
	if (remote)
		git_remote_disconnect(remote);
	git_remote_free(remote);
	return rc;
}

int kd_push(kd_pusher *p, git_oid *pushed, int *diverged, char *error, size_t size)
{
	kd_push_refs refs = {0};
	const char *path = kd_push_local_path(p->url);
	git_repository *repo;
	int rc = -1;

	*diverged = 0;
	if (!(repo = source(p, error, size)) || read_ours(repo, &refs, error, size) < 0)
		goto done;
	if (path) {
		rc = kd_push_local_refs(p, path, &refs, error, size);
		if (rc == 0 && (rc = kd_push_decide(repo, &refs, diverged, error, size)) == 0)
			rc = kd_push_local(p, path, &refs, error, size);
		if (rc <= 0)
			goto done;
		/* libgit2's push, then: it reads the mirror's refs itself. */
		refs.has_theirs = 0;
		for (size_t i = 0; i < refs.tag_count; i++)
			refs.tags[i].has_theirs = 0;
	}
	rc = push_remote(p, repo, &refs, path, diverged, error, size);
	if (rc == 0 && path && refs.send)
		rc = kd_push_local_land(p, path, &refs, error, size);
done:
	if (rc == 0)
		*pushed = refs.ours;
	else
		p->fresh = 1;
	free(refs.tags);
	return rc;
}

/*
 * store.c - plan repositories on disk through libgit2 (store.h): finding
 * and opening one, creating a new one whole or not at all, resolving
 * revisions and reading a commit's files.
 */
#include "store.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"

struct kk_store {
	git_repository *repo;
	char *path;
};

static int store_wrap(kk_store **out, git_repository *repo, kk_diag *diag)
{
	kk_store *store = calloc(1, sizeof(*store));
	const char *path = git_repository_is_bare(repo) ? git_repository_path(repo)
							: git_repository_workdir(repo);

	if (!store || !(store->path = strdup(path))) {
		free(store);
		git_repository_free(repo);
		git_libgit2_shutdown();
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	}
	store->repo = repo;
	*out = store;
	return 0;
}

/*
 * The owner of `path` when it is a git repository (bare, or with .git)
 * that someone other than the caller owns, else -1.
 */
static long foreign_owner(const char *path)
{
	struct stat st;
	char *head = NULL, *dotgit = NULL;
	long owner = -1;

	if (stat(path, &st) < 0 || st.st_uid == geteuid())
		return -1;
	if (asprintf(&head, "%s/HEAD", path) < 0)
		head = NULL;
	if (asprintf(&dotgit, "%s/.git", path) < 0)
		dotgit = NULL;
	if (head && dotgit && (access(head, F_OK) == 0 || access(dotgit, F_OK) == 0))
		owner = (long)st.st_uid;
	free(head);
	free(dotgit);
	return owner;
}

int kk_store_discover(kk_store **out, const char *start, kk_diag *diag)
{
	git_repository *repo = NULL;
	long owner;
	int error;

	git_libgit2_init();
	error = git_repository_open_ext(&repo, start, 0, NULL);
	/* libgit2 1.5 says "not found" of a search that ran out of memory, too. */
	if (error == GIT_ENOTFOUND && git_error_last() &&
	    git_error_last()->klass == GIT_ERROR_NOMEMORY)
		error = -1;
	if (error == GIT_ENOTFOUND) {
		git_libgit2_shutdown();
		/*
		 * libgit2 says "not found" of a repository it refuses for its owner,
		 * too.  The message names the absolute path, which is what
		 * safe.directory takes, not "." or a path relative to a directory
		 * the reader cannot see.
		 */
		if ((owner = foreign_owner(start)) >= 0) {
			char *real = realpath(start, NULL);

			error = kk_diag_set(
				diag, KK_EINVALID,
				_("'%s' belongs to another user (uid %ld), and git opens only "
				  "the caller's own repositories: run as its owner, or list it "
				  "in git's safe.directory"),
				real ? real : start, owner);
			free(real);
			return error;
		}
		return kk_diag_set(diag, KK_ENOTFOUND, _("no plan repository at or above '%s'"),
				   start);
	}
	if (error < 0) {
		error = kk_diag_git(diag, KK_EIO, _("cannot open repository"));
		git_libgit2_shutdown();
		return error;
	}
	return store_wrap(out, repo, diag);
}

void kk_store_free(kk_store *store)
{
	if (!store)
		return;
	git_repository_free(store->repo);
	free(store->path);
	free(store);
	git_libgit2_shutdown();
}

git_repository *kk_store_repository(kk_store *store)
{
	return store->repo;
}

const char *kk_store_path(const kk_store *store)
{
	return store->path;
}

/*
 * Whether libgit2 1.5 would try `rev`'s name (what comes before ~, ^, : or
 * @{) as `git describe` output: a name with "-g" that no ref has.  It tests
 * that with a regex whose match data it leaks when the name is no such
 * output (about 20 KB a time; libgit2 #6382, fixed in 1.6).
 */
static int describe_like(git_repository *repo, const char *rev)
{
	size_t n = strcspn(rev, "~^:@");
	git_reference *ref = NULL;
	char *name;
	int found;

	while (rev[n] == '@' && rev[n + 1] != '{')
		n += 1 + strcspn(rev + n + 1, "~^:@");
	if (!memmem(rev, n, "-g", 2))
		return 0;
	if (!(name = strndup(rev, n)))
		return 1;
	found = git_reference_dwim(&ref, repo, name) == 0;
	git_reference_free(ref);
	free(name);
	return !found;
}

int kk_store_resolve(git_oid *out, kk_store *store, const char *rev, kk_diag *diag)
{
	git_object *obj = NULL, *commit = NULL;
	int error;

	if (!rev || !*rev)
		rev = "HEAD";
	/*
	 * ":/text" and "REV^{/text}" search commit messages with a regex, and a
	 * name with "-g" is tried as `git describe` output with one, whose match
	 * data libgit2 1.5 leaks (about 20 KB a time, which anyone could repeat
	 * through keikakud or keikaku serve): no revisions Keikaku reads.
	 */
	if (strstr(rev, ":/") || strstr(rev, "{/") || describe_like(store->repo, rev))
		return kk_diag_set(diag, KK_ENOTFOUND, _("unknown revision '%s'"), rev);
	error = git_revparse_single(&obj, store->repo, rev);
	/*
	 * ":path" and ":0:path" name the index, which a bare repository has
	 * not: libgit2 fails them with an error of class "invalid"
	 * ("unimplemented").  A revision that cannot be used, then, and no
	 * repository that cannot be read.
	 */
	if (error == GIT_ERROR && git_error_last() && git_error_last()->klass == GIT_ERROR_INVALID)
		error = GIT_EINVALIDSPEC;
	if (error == GIT_ENOTFOUND || error == GIT_EINVALIDSPEC || error == GIT_EAMBIGUOUS) {
		if (strcmp(rev, "HEAD") == 0)
			return kk_diag_set(diag, KK_ENOTFOUND, _("the repository has no commits"));
		return kk_diag_set(diag, KK_ENOTFOUND, _("unknown revision '%s'"), rev);
	}
	if (error < 0)
		return kk_diag_git(diag, KK_EIO, rev);
	if (git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0) {
		git_object_free(obj);
		return kk_diag_set(diag, KK_EINVALID, _("revision '%s' is not a commit"), rev);
	}
	git_oid_cpy(out, git_object_id(commit));
	git_object_free(commit);
	git_object_free(obj);
	return 0;
}

int kk_store_read(char **out, size_t *len_out, kk_store *store, const git_oid *commit_id,
		  const char *path, kk_diag *diag)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	char *data = NULL;
	size_t len;
	int error;

	if (git_commit_lookup(&commit, store->repo, commit_id) < 0 ||
	    git_commit_tree(&tree, commit) < 0) {
		error = kk_diag_git(diag, KK_EIO, _("cannot read commit"));
		goto done;
	}
	/*
	 * Only a path the trees do not name "does not exist".  libgit2 says
	 * GIT_ENOTFOUND of a missing subtree object too (a damaged repository):
	 * that is an I/O error, told apart by the error's class.
	 */
	if ((error = git_tree_entry_bypath(&entry, tree, path)) < 0 &&
	    (error != GIT_ENOTFOUND || !git_error_last() ||
	     git_error_last()->klass != GIT_ERROR_TREE)) {
		kk_diag_set_path(diag, path);
		error = kk_diag_git(diag, KK_EIO, path);
		goto done;
	}
	if (error == GIT_ENOTFOUND || git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
		char hex[GIT_OID_HEXSZ + 1];

		git_oid_tostr(hex, 8, commit_id);
		kk_diag_set_path(diag, path);
		error = kk_diag_set(diag, KK_ENOTFOUND, _("'%s' does not exist in commit %s"), path,
				    hex);
		goto done;
	}
	if (git_blob_lookup(&blob, store->repo, git_tree_entry_id(entry)) < 0) {
		error = kk_diag_git(diag, KK_EIO, path);
		goto done;
	}
	len = (size_t)git_blob_rawsize(blob);
	if (!(data = malloc(len + 1))) {
		error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
		goto done;
	}
	memcpy(data, git_blob_rawcontent(blob), len);
	data[len] = '\0';
	*out = data;
	if (len_out)
		*len_out = len;
	error = 0;
done:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(commit);
	return error;
}

typedef struct {
	git_repository *repo;
	kk_fileset *set;
	kk_diag *diag;
	int error;
} walk_ctx;

static int read_entry(const char *root, const git_tree_entry *entry, void *payload)
{
	walk_ctx *ctx = payload;
	git_blob *blob = NULL;
	char *path = NULL;

	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB)
		return 0;
	if (asprintf(&path, "%s%s", root, git_tree_entry_name(entry)) < 0) {
		ctx->error = kk_diag_set(ctx->diag, KK_ENOMEM, _("out of memory"));
		return -1;
	}
	if (git_blob_lookup(&blob, ctx->repo, git_tree_entry_id(entry)) < 0)
		ctx->error = kk_diag_git(ctx->diag, KK_EIO, path);
	else
		ctx->error = kk_fileset_put(ctx->set, path, git_blob_rawcontent(blob),
					    (size_t)git_blob_rawsize(blob), ctx->diag);
	git_blob_free(blob);
	free(path);
	return ctx->error < 0 ? -1 : 0;
}

int kk_store_read_all(kk_fileset *out, kk_store *store, const git_oid *commit_id, kk_diag *diag)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	walk_ctx ctx = {store->repo, out, diag, 0};
	int error = 0;

	if (git_commit_lookup(&commit, store->repo, commit_id) < 0 ||
	    git_commit_tree(&tree, commit) < 0) {
		error = kk_diag_git(diag, KK_EIO, _("cannot read commit"));
		goto done;
	}
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, read_entry, &ctx) < 0)
		error = ctx.error < 0 ? ctx.error
				      : kk_diag_git(diag, KK_EIO, _("cannot read tree"));
done:
	git_tree_free(tree);
	git_commit_free(commit);
	return error;
}

/*
 * Writes files[start, end), all of which begin with the same `prefix_len`
 * bytes of directory path, as one tree.  The set is sorted by path, so a
 * subdirectory's files are contiguous.
 */
static int write_tree(git_oid *out, git_repository *repo, const kk_fileset *set, size_t start,
		      size_t end, size_t prefix_len, kk_diag *diag)
{
	git_treebuilder *tb = NULL;
	int error = 0;

	if (git_treebuilder_new(&tb, repo, NULL) < 0)
		return kk_diag_git(diag, KK_EIO, _("cannot build tree"));
	for (size_t i = start; i < end && !error;) {
		const char *rel = set->files[i].path + prefix_len;
		const char *slash = strchr(rel, '/');
		git_oid oid;

		if (!slash) {
			if (git_blob_create_from_buffer(&oid, repo, set->files[i].data,
							set->files[i].len) < 0 ||
			    git_treebuilder_insert(NULL, tb, rel, &oid, GIT_FILEMODE_BLOB) < 0)
				error = kk_diag_git(diag, KK_EIO, set->files[i].path);
			i++;
		} else {
			size_t dirlen = (size_t)(slash - rel), j = i;
			char name[NAME_MAX + 1];

			if (dirlen > NAME_MAX)
				return kk_diag_set(diag, KK_EINVALID,
						   _("'%s' is not a valid file path"),
						   set->files[i].path);
			memcpy(name, rel, dirlen);
			name[dirlen] = '\0';
			while (j < end &&
			       strncmp(set->files[j].path + prefix_len, rel, dirlen + 1) == 0)
				j++;
			error = write_tree(&oid, repo, set, i, j, prefix_len + dirlen + 1, diag);
			if (!error &&
			    git_treebuilder_insert(NULL, tb, name, &oid, GIT_FILEMODE_TREE) < 0)
				error = kk_diag_git(diag, KK_EIO, name);
			i = j;
		}
	}
	if (!error && git_treebuilder_write(out, tb) < 0)
		error = kk_diag_git(diag, KK_EIO, _("cannot write tree"));
	git_treebuilder_free(tb);
	return error;
}

int kk_store_write_tree(git_oid *out, git_repository *repo, const kk_fileset *files, kk_diag *diag)
{
	return write_tree(out, repo, files, 0, files->count, 0, diag);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Refuses anything at `path` but an empty directory. */
static int check_target(const char *path, kk_diag *diag)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return kk_diag_set(diag, KK_EIO, _("cannot use '%s': %s"), path, strerror(errno));
	}
	if (S_ISDIR(st.st_mode) && rmdir(path) == 0)
		return 0;
	return kk_diag_set(diag, KK_EEXISTS, _("'%s' already exists; refusing to overwrite it"),
			   path);
}

int kk_store_init(kk_store **out, git_oid *commit_out, const char *path, const kk_fileset *files,
		  const kk_signature *sig, const char *message, kk_diag *diag)
{
	git_repository_init_options opts;
	git_repository *repo = NULL;
	git_signature *gsig = NULL;
	git_tree *tree = NULL;
	git_oid tree_id, commit_id;
	char *tmp = NULL;
	kk_store *store = NULL;
	int error;

	git_libgit2_init();
	if ((error = check_target(path, diag)) < 0)
		goto done;
	if (asprintf(&tmp, "%s.kk-init-XXXXXX", path) < 0) {
		tmp = NULL;
		error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
		goto done;
	}
	if (!mkdtemp(tmp)) {
		error = kk_diag_set(diag, KK_EIO, _("cannot create '%s': %s"), path,
				    strerror(errno));
		free(tmp);
		tmp = NULL;
		goto done;
	}
	git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_NO_REINIT;
	opts.initial_head = "main";
	if (git_repository_init_ext(&repo, tmp, &opts) < 0) {
		error = kk_diag_git(diag, KK_EIO, _("cannot create repository"));
		goto done;
	}
	if ((error = kk_store_write_tree(&tree_id, repo, files, diag)) < 0)
		goto done;
	if (git_tree_lookup(&tree, repo, &tree_id) < 0 ||
	    (sig->when < 0 ? git_signature_now(&gsig, sig->name, sig->email)
			   : git_signature_new(&gsig, sig->name, sig->email, (git_time_t)sig->when,
					       sig->offset)) < 0 ||
	    git_commit_create(&commit_id, repo, "HEAD", gsig, gsig, NULL, message, tree, 0, NULL) <
		    0) {
		error = kk_diag_git(diag, KK_EIO, _("cannot create the first commit"));
		goto done;
	}
	git_repository_free(repo);
	repo = NULL;
	if (rename(tmp, path) < 0) {
		error = errno == EEXIST || errno == ENOTEMPTY
				? kk_diag_set(diag, KK_EEXISTS,
					      _("'%s' already exists; refusing to overwrite it"),
					      path)
				: kk_diag_set(diag, KK_EIO, _("cannot create '%s': %s"), path,
					      strerror(errno));
		goto done;
	}
	free(tmp);
	tmp = NULL;
	if (out) {
		if ((error = kk_store_discover(&store, path, diag)) < 0)
			goto done;
		*out = store;
	}
	if (commit_out)
		git_oid_cpy(commit_out, &commit_id);
	error = 0;
done:
	git_signature_free(gsig);
	git_tree_free(tree);
	git_repository_free(repo);
	if (tmp) {
		nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		free(tmp);
	}
	git_libgit2_shutdown();
	return error;
}

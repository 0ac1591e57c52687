/*
 * page_report.c - / and /report/Y: the progress report of a fiscal year,
 * written by core's report writer (core/report), in the report's own page
 * with the site's navigation; as JSON, keikaku report --json (written as
 * text straight from the report, as the CLI writes it).
 *
 * The report reads the whole plan.  On a plan of 10,000 items the items
 * parsed at once take more memory than anything else a page does, so this
 * page reads and parses them one at a time, straight from the commit's
 * items/ tree, and keeps only the report's rows (kk_report_begin,
 * kk_report_add_file, kk_report_end), each file checked as kk_plan_load()
 * checks it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "page.h"
#include "plan.h"
#include "report.h"

/* The navigation bar's own style, for the report's page, whose style sheet is its own. */
static const char nav_style[] =
	"<style>nav.kw{background:#1f3a5f;padding:.4rem 1rem;display:flex;flex-wrap:wrap;"
	"gap:.2rem 1.2rem;font-family:sans-serif}nav.kw a{color:#fff;text-decoration:none}"
	"@media print{nav.kw{display:none}}</style>\n";

/* Adds every item of `commit`'s items/ tree to `bd`, one read and parsed at a time. */
static int add_items(kk_report_builder *bd, git_repository *repo, const git_commit *commit,
		     kk_diag *diag)
{
	git_tree *root = NULL, *items = NULL;
	git_tree_entry *entry = NULL;
	int error = 0, found;

	if (git_commit_tree(&root, commit) < 0) {
		error = kk_diag_git(diag, KK_EIO, _("cannot read commit"));
		goto done;
	}
	/* No items/ is a plan without items, as kk_plan_load() takes it. */
	if ((found = git_tree_entry_bypath(&entry, root, "items")) == GIT_ENOTFOUND ||
	    (found == 0 && git_tree_entry_type(entry) != GIT_OBJECT_TREE))
		goto done;
	if (found < 0 || git_tree_lookup(&items, repo, git_tree_entry_id(entry)) < 0) {
		error = kk_diag_git(diag, KK_EIO, "items/");
		goto done;
	}
	for (size_t i = 0; i < git_tree_entrycount(items) && error == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(items, i);
		char path[KK_ITEM_PATH_MAX + 256];
		git_blob *blob = NULL;
		json_int_t id;

		snprintf(path, sizeof(path), "%s%s", KK_PATH_ITEMS, git_tree_entry_name(e));
		if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || !kk_item_path_parse(&id, path))
			continue;
		if (git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0) {
			error = kk_diag_git(diag, KK_EIO, path);
			break;
		}
		error = kk_report_add_file(bd, path, git_blob_rawcontent(blob),
					   (size_t)git_blob_rawsize(blob), diag);
		if (error < 0 && error != KK_ENOMEM && diag->path[0]) {
			/* The file and its commit, as the trail's pages name an item that is no plan's. */
			char where[sizeof(path) + GIT_OID_HEXSZ];

			snprintf(where, sizeof(where), "%s@%.12s", path,
				 git_oid_tostr_s(git_commit_id(commit)));
			kk_diag_set_path(diag, where);
		}
		git_blob_free(blob);
	}
done:
	git_tree_free(items);
	git_tree_entry_free(entry);
	git_tree_free(root);
	return error;
}

/*
 * The report on `year` at the view's commit.  keikaku.json, departments.json and plan.json
 * are loaded and checked by kk_plan_load(), the items after them one at a time.
 */
static int build_report(kk_report **out, const kw_view *v, int year, kk_diag *diag)
{
	static const char *const paths[] = {KK_PATH_SETTINGS, KK_PATH_DEPARTMENTS,
					    KK_PATH_STRUCTURE};
	git_repository *repo = kk_store_repository(v->req->store);
	kk_report_source source = {.commit = v->commit_hex};
	kk_report_builder *bd = NULL;
	kk_fileset files = {0};
	kk_plan *plan = NULL;
	git_commit *commit = NULL;
	int error = 0;

	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths) && error == 0; i++) {
		char *data = NULL;
		size_t len = 0;

		error = kk_store_read(&data, &len, v->req->store, &v->commit, paths[i], diag);
		if (error == 0)
			error = kk_fileset_put(&files, paths[i], data, len, diag);
		else if (error == KK_ENOTFOUND)
			error = 0; /* kk_plan_load() says it is missing */
		free(data);
	}
	if (error < 0 || (error = kk_plan_load(&plan, &files, diag)) < 0)
		goto done;
	if (git_commit_lookup(&commit, repo, &v->commit) < 0) {
		error = kk_diag_git(diag, KK_EIO, _("cannot read commit"));
		goto done;
	}
	source.time = (int64_t)git_commit_time(commit);
	if ((error = kk_report_begin(&bd, plan->settings, plan->structure, year, &source, diag)) <
		    0 ||
	    (error = add_items(bd, repo, commit, diag)) < 0)
		goto done;
	error = kk_report_end(out, bd, diag);
	bd = NULL;
done:
	kk_report_builder_free(bd);
	git_commit_free(commit);
	kk_plan_free(plan);
	kk_fileset_clear(&files);
	return error;
}

void kw_page_report(kw_response *res, const kw_view *v, const char *year_text)
{
	const kw_request *req = v->req;
	kk_report_text_opts opts = {.html_head = nav_style};
	kk_report *report = NULL;
	kk_diag diag = {0};
	kk_buf nav = {0};
	char *text = NULL;
	size_t len = 0;
	int year = kw_default_year(v->settings), error;

	if (year_text && kk_fy_parse(&year, year_text, v->settings, &diag) < 0) {
		kw_error_page(res, req, 404, diag.message);
		return;
	}
	if ((error = build_report(&report, v, year, &diag)) < 0) {
		if (error == KK_ENOTFOUND && !diag.path[0])
			kw_error_page(res, req, 404, diag.message); /* not a year of the plan */
		else /* a file named, not valid JSON or too large or deep for it: no plan's */
			kw_query_error(res, req,
				       error != KK_ENOMEM && diag.path[0] ? KK_EINVALID : KK_ERROR,
				       &diag);
		return;
	}
	if (!req->json) {
		kw_html_nav(&nav, v);
		opts.html_body = nav.data;
	}
	if (nav.failed ||
	    kk_report_render(&text, &len, report, req->json ? KK_REPORT_JSON : KK_REPORT_HTML,
			     &opts, &diag) < 0) {
		kw_error_page(res, req, 500, nav.failed ? _("out of memory") : diag.message);
	} else {
		/* The text is the page: not copied (on 10,000 items it is 20 MB). */
		kk_buf_clear(&res->body);
		res->status = 200;
		res->type = req->json ? "application/json" : "text/html; charset=utf-8";
		res->body.data = text;
		res->body.len = len;
		res->body.alloc = len + 1;
	}
	kk_buf_clear(&nav);
	kk_report_free(report);
}

/*
 * cmd_edit.c - keikaku edit: an item changed in the user's editor.
 *
 * The item goes to the user's editor in canonical form under a header of
 * '#' lines; what they save is parsed strictly, turned into a merge patch
 * against what they were shown and submitted.  When the parser or keikakud
 * refuses it, the editor opens again on the text exactly as they saved it,
 * with the reasons in '#' lines on top: nothing typed is ever thrown away.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "canon.h"
#include "cli.h"
#include "client.h"
#include "json.h"
#include "patch.h"
#include "plan.h"

#define REASON_PREFIX "# reason:"
#define EDIT_FILE_MAX (8u * 1024u * 1024u)

typedef struct {
	cli_ctx *ctx;
	json_int_t id;
	const char *reason_opt;
	int dry_run;
	char base[41];	  /* the commit the next submission is based on */
	json_t *orig;	  /* the item as shown to the user: the diff's "from" */
	json_t *settings; /* keikaku.json, for printing changes */
	json_t *items;	  /* [orig], for printing changes */
	char path[PATH_MAX];
	char *written;	/* what the file held when the editor last opened */
	char *errblock; /* the '#' lines with the last error, at the top of `written` */
	int told;	/* the user has been told where the file is kept */
} edit_session;

static const cli_option edit_options[] = {
	CLI_OPT_STRING('m', "message", edit_session, reason_opt, "REASON",
		       N_("変更理由: fills in the reason line")),
	CLI_OPT_DRY_RUN(edit_session, dry_run),
	CLI_OPT_END(),
};

static const char *const edit_synopsis[] = {"keikaku edit ID [-m REASON] [--dry-run]", NULL};

const cli_usage cmd_edit_usage = {
	.name = "edit",
	.summary = N_("edit an item in your editor and submit it"),
	.synopsis = edit_synopsis,
	.description = N_("Opens item ID in your editor ($VISUAL, $EDITOR, or vi) as JSON and "
			  "submits what you change.  Lines starting with '#' are ignored, except "
			  "that the text after '# reason:' is the reason for the change.  When the "
			  "change is refused, the editor opens again on your text with the reasons "
			  "on top; save it unchanged, or empty it, to give up (your text is then "
			  "kept in its file)."),
	.options = edit_options,
};

static void session_clear(edit_session *s)
{
	json_decref(s->orig);
	json_decref(s->settings);
	json_decref(s->items);
	free(s->written);
	free(s->errblock);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Writes `text` to the session's file; -1 after printing why not. */
static int write_file(edit_session *s, const char *text)
{
	FILE *f = fopen(s->path, "w");

	if (!f || fputs(text, f) == EOF || fclose(f) != 0) {
		cli_error(_("cannot write '%s': %s"), s->path, strerror(errno));
		return -1;
	}
	return 0;
}

static int read_file(char **out, const char *path)
{
	kk_diag diag = {0};
	size_t len = 0, n;
	char *buf = NULL;
	FILE *f = fopen(path, "r");

	if (!f) {
		cli_error(_("cannot read '%s': %s"), path, strerror(errno));
		return -1;
	}
	if (!(buf = malloc(EDIT_FILE_MAX + 1))) {
		fclose(f);
		cli_error("%s", _("out of memory"));
		return -1;
	}
	while ((n = fread(buf + len, 1, EDIT_FILE_MAX + 1 - len, f)) > 0)
		len += n;
	if (ferror(f) || len > EDIT_FILE_MAX) {
		fclose(f);
		free(buf);
		if (len > EDIT_FILE_MAX)
			kk_diag_set(&diag, KK_ELIMIT, _("'%s' is larger than %u MiB"), path,
				    EDIT_FILE_MAX >> 20);
		else
			kk_diag_set(&diag, KK_EIO, _("cannot read '%s': %s"), path,
				    strerror(errno));
		cli_error("%s", diag.message);
		return -1;
	}
	fclose(f);
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/*
 * Runs the editor on the file through /bin/sh, so that $EDITOR may carry
 * arguments, as git does.  Returns 0 when it exits with 0.
 */
static int run_editor(const char *path)
{
	const char *editor = getenv("VISUAL");
	struct sigaction ignore = {.sa_handler = SIG_IGN}, old_int, old_quit;
	char *script = NULL;
	int status = 0, error = -1;
	pid_t pid, w;

	if (!editor || !*editor)
		editor = getenv("EDITOR");
	if (!editor || !*editor)
		editor = "vi";
	if (asprintf(&script, "%s \"$@\"", editor) < 0) {
		cli_error("%s", _("out of memory"));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	/* As system() does: ^C is for the editor, and keikaku waits for it. */
	sigaction(SIGINT, &ignore, &old_int);
	sigaction(SIGQUIT, &ignore, &old_quit);
	if ((pid = fork()) < 0) {
		cli_error(_("cannot run editor '%s': %s"), editor, strerror(errno));
		goto done;
	}
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		execl("/bin/sh", "sh", "-c", script, editor, path, (char *)NULL);
		_exit(127);
	}
	while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (w < 0)
		cli_error(_("cannot run editor '%s': %s"), editor, strerror(errno));
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		cli_error(_("editor '%s' failed"), editor);
	else
		error = 0;
done:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	free(script);
	return error;
}

/*
 * Turns the saved file into the JSON text (each '#' line blanked, so that
 * line numbers stay those of the file) and the reason line's text.
 */
static void split_comments(char *body, char **reason_out)
{
	char *line = body;

	*reason_out = NULL;
	while (*line) {
		char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (line[0] == '#') {
			if (!*reason_out &&
			    strncmp(line, REASON_PREFIX, strlen(REASON_PREFIX)) == 0) {
				char *r = line + strlen(REASON_PREFIX), *e = line + len;

				while (r < e && (*r == ' ' || *r == '\t'))
					r++;
				while (e > r && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
					e--;
				*reason_out = strndup(r, (size_t)(e - r));
			}
			memset(line, ' ', len);
		}
		line += len + (end ? 1 : 0);
	}
}

static int blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

/* Writes `text` as a '#' line; a line break inside it is flattened. */
static void comment_line(FILE *m, const char *text)
{
	fputs(*text ? "# " : "#", m);
	for (; *text; text++)
		fputc(*text == '\n' || *text == '\r' ? ' ' : *text, m);
	fputc('\n', m);
}

/*
 * Makes the block of '#' lines that heads the file when the editor opens
 * again: each line of `plain`, then how to go on.  The caller frees it.
 */
static char *error_block(const char *plain)
{
	char *block = NULL, *copy = strdup(plain), *line, *next;
	size_t size = 0;
	FILE *m = open_memstream(&block, &size);

	if (!m || !copy) {
		if (m)
			fclose(m);
		free(block);
		free(copy);
		return NULL;
	}
	for (line = copy; *line; line = next) {
		next = strchr(line, '\n');
		next = next ? (*next = '\0', next + 1) : line + strlen(line);
		comment_line(m, line);
	}
	comment_line(m, _("correct the text below and save it; save it unchanged, or empty it, "
			  "to give up"));
	comment_line(m, "");
	free(copy);
	if (fclose(m) != 0) {
		free(block);
		return NULL;
	}
	return block;
}

/*
 * Rewrites the file as `block` (which this takes) followed by `user_text`,
 * the file as the user saved it less the block of the previous round.
 * Returns 0, or -1 after printing why not.
 */
static int reopen(edit_session *s, char *block, const char *user_text)
{
	char *text = NULL;

	if (!block || asprintf(&text, "%s%s", block, user_text) < 0) {
		free(block);
		cli_error("%s", _("out of memory"));
		return -1;
	}
	free(s->errblock);
	free(s->written);
	s->errblock = block;
	s->written = text;
	return write_file(s, text);
}

/* The conflicting fields as the user read them and as they are now, as changes. */
static json_t *conflict_changes(const edit_session *s, const json_t *data, const json_t *current)
{
	json_t *changes = json_array(), *f;
	size_t i;

	json_array_foreach(json_object_get(data, "fields"), i, f) {
		const char *path = json_is_string(f)
					   ? json_string_value(f)
					   : json_string_value(json_object_get(f, "path"));
		const json_t *was = path ? cli_json_path(s->orig, path) : NULL;
		const json_t *now = path ? cli_json_path(current, path) : NULL;
		json_t *c;

		if (!path || !changes ||
		    !(c = json_pack("{s:I, s:s}", "item", s->id, "path", path)))
			continue;
		if (was)
			json_object_set(c, "old", (json_t *)was);
		if (now)
			json_object_set(c, "new", (json_t *)now);
		json_array_append_new(changes, c);
	}
	return changes;
}

/* The error block for a refusal by keikakud; `current` is the item now, after a conflict. */
static char *refusal_block(const edit_session *s, const cli_rpc_error *err, const json_t *current)
{
	cli_view view = {s->settings, s->items};
	char *plain = NULL, *block;
	size_t size = 0;
	FILE *m = open_memstream(&plain, &size);

	if (!m)
		return NULL;
	fprintf(m, _("keikakud refused this edit: %s"), err->message);
	fputc('\n', m);
	cli_print_problems(m, "  ", err->data, &view);
	if (err->code == KK_RPC_ECONFLICT && current) {
		json_t *changes = conflict_changes(s, err->data, current);

		fprintf(m, "%s\n", _("what you read → what it is now:"));
		cli_print_changes(m, "  ", changes, &view);
		fprintf(m, "%s\n", _("save your text again to replace what is there now"));
		json_decref(changes);
	}
	if (fclose(m) != 0) {
		free(plain);
		return NULL;
	}
	block = error_block(plain);
	free(plain);
	return block;
}

/* Tells the user where their text stays after a failure. */
static void kept(const edit_session *s)
{
	cli_error(_("your text is kept in '%s'"), s->path);
}

/*
 * Submits `item` (what the user saved).  Returns an exit code, or -1 when
 * keikakud refused it and the editor should open again (the file has been
 * rewritten with the reasons).
 */
static int submit(edit_session *s, const json_t *item, const char *reason, const char *user_text)
{
	json_t *patch = NULL, *params = NULL, *result = NULL, *current = NULL;
	cli_rpc_error err = {0};
	kk_diag diag = {0};
	cli_view view = {s->settings, s->items};
	char commit[41];
	int code = EXIT_FAIL;

	if (kk_patch_diff(&patch, s->orig, item, &diag) < 0)
		return reopen(s, error_block(diag.message), user_text) < 0 ? EXIT_FAIL : -1;
	if (!(params =
		      json_pack("{s:I, s:s, s:O}", "id", s->id, "base", s->base, "patch", patch)) ||
	    cli_write_params(params, reason, s->dry_run) < 0)
		goto done;
	code = cli_write(&result, s->ctx->client, "item.update", params, &view, &err);
	params = NULL; /* taken by cli_write() */
	if (code == EXIT_OK) {
		code = cli_print_write_result(result, s->dry_run, NULL, &view);
		goto done;
	}
	if (code < 0) {
		/* After a conflict, the next attempt is based on the current version. */
		if (err.code == KK_RPC_ECONFLICT &&
		    (code = cli_item_get(&current, commit, s->ctx->client, s->id, NULL)) != EXIT_OK)
			goto done;
		if (current)
			memcpy(s->base, commit, sizeof(commit));
		code = reopen(s, refusal_block(s, &err, current), user_text) < 0 ? EXIT_FAIL : -1;
	}
done:
	cli_rpc_error_clear(&err);
	json_decref(patch);
	json_decref(params);
	json_decref(result);
	json_decref(current);
	return code;
}

/* One round: the editor, then the checks and the submission.  Same returns as submit(). */
static int round_trip(edit_session *s, int round)
{
	char *saved = NULL, *body = NULL, *reason = NULL, *message = NULL;
	const char *user_text;
	json_t *item = NULL;
	kk_diag diag = {0};
	size_t shift = 0;
	int code = EXIT_FAIL;

	if (run_editor(s->path) < 0)
		goto done;
	if (read_file(&saved, s->path) < 0)
		goto done;
	if (round > 0 && strcmp(saved, s->written) == 0) {
		cli_error(_("item %lld not updated; your text is kept in '%s'"), (long long)s->id,
			  s->path);
		s->told = 1;
		code = EXIT_NO;
		goto done;
	}
	/* The user's text is what they saved, less the block of the last error. */
	user_text = saved;
	if (s->errblock && strncmp(saved, s->errblock, strlen(s->errblock)) == 0) {
		user_text = saved + strlen(s->errblock);
		shift = count_lines(s->errblock);
	}
	if (!(body = strdup(saved))) {
		cli_error("%s", _("out of memory"));
		goto done;
	}
	split_comments(body, &reason);
	if (blank(body)) {
		if (round == 0) {
			unlink(s->path);
			cli_error(_("the file is empty; item %lld not updated"), (long long)s->id);
		} else {
			cli_error(_("item %lld not updated; your text is kept in '%s'"),
				  (long long)s->id, s->path);
			s->told = 1;
		}
		code = EXIT_NO;
		goto done;
	}
	if (kk_json_parse(&item, body, strlen(body), NULL, &diag) < 0) {
		/* Where the error is in the file as reopened, under three lines of error. */
		if (diag.line && asprintf(&message, _("error: line %zu, column %zu: %s"),
					  diag.line - shift + 3, diag.column, diag.message) < 0)
			message = NULL;
		code = reopen(s, error_block(message ? message : diag.message), user_text) < 0
			       ? EXIT_FAIL
			       : -1;
		goto done;
	}
	if (!json_is_object(item) ||
	    !json_equal(json_object_get(item, "id"), json_object_get(s->orig, "id"))) {
		if (asprintf(&message, _("error: the item must stay an object with \"id\": %lld"),
			     (long long)s->id) < 0)
			message = NULL;
		code = reopen(s, error_block(message ? message : ""), user_text) < 0 ? EXIT_FAIL
										     : -1;
		goto done;
	}
	if (kk_json_equal(item, s->orig)) {
		unlink(s->path);
		puts(_("no changes"));
		code = EXIT_OK;
		goto done;
	}
	code = submit(s, item, reason && *reason ? reason : s->reason_opt, user_text);
done:
	free(saved);
	free(body);
	free(reason);
	free(message);
	json_decref(item);
	return code;
}

/*
 * The report's words the file may be written in, as '#' lines: the marks
 * and 達成度 words beside the codes keikakud stores, and the spellings of a
 * fiscal year (`year`, one of the item's) that a "years" key may take.
 */
static void legend(FILE *m, const json_t *settings, int year)
{
	static const char *const progress[] = {"ahead", "on_track", "behind"};
	static const char *const achievement[] = {"completed", "withdrawn", "open"};
	char line[512], name[KK_FY_NAME_MAX];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "%s", _("progress (進捗度):"));
	for (size_t i = 0; i < 3 && n < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s %s (%s)%s",
				      kk_progress_mark(progress[i]), progress[i],
				      kk_progress_legend(progress[i]), i < 2 ? "," : "");
	comment_line(m, line);
	n = (size_t)snprintf(line, sizeof(line), "%s", _("achievement (達成度):"));
	for (size_t i = 0; i < 3 && n < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s %s%s",
				      kk_achievement_label(achievement[i]), achievement[i],
				      i < 2 ? "," : "");
	comment_line(m, line);
	kk_fy_format(name, sizeof(name), settings, year);
	/* TRANSLATORS: "2021, R3 or 令和3年度": the ways a fiscal year may be written. */
	if (strncmp(name, "令和", strlen("令和")) == 0)
		snprintf(line, sizeof(line), _("a year in \"years\": %d, R%d or %s"), year,
			 atoi(name + strlen("令和")), name);
	else
		snprintf(line, sizeof(line), _("a year in \"years\": %d or %s"), year, name);
	comment_line(m, line);
	comment_line(m, _("the marks and words are turned into the codes beside them; other "
			  "text is kept as you write it"));
}

/* The item's first fiscal year, or 2021 when it has none. */
static int first_year(const json_t *item)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)json_object_get(item, "years"), key, v)
		return atoi(key);
	return 2021;
}

/* Writes the item under its header into a new file in $TMPDIR. */
static int start_file(edit_session *s)
{
	const char *tmp = getenv("TMPDIR");
	const char *title = json_string_value(json_object_get(s->orig, "title"));
	char *canon = NULL, *schema_path = NULL, *text = NULL;
	json_t *schema = NULL;
	kk_diag diag = {0};
	size_t size = 0;
	int fd, error = -1;
	FILE *m;

	/* The canonical key order comes from the schema this program was installed with. */
	if (asprintf(&schema_path, "%s/%s", cli_datadir(), KK_SCHEMA_ITEM) < 0) {
		schema_path = NULL;
		cli_error("%s", _("out of memory"));
		goto done;
	}
	if (kk_json_load_file(&schema, schema_path, NULL, &diag) < 0 ||
	    kk_canon_dump(&canon, NULL, s->orig, schema, &diag) < 0) {
		cli_error_diag(&diag);
		goto done;
	}
	if (!(m = open_memstream(&text, &size))) {
		cli_error("%s", _("out of memory"));
		goto done;
	}
	fputs("# ", m);
	fprintf(m, _("keikaku edit: item %lld %s, as of commit %.10s"), (long long)s->id,
		title ? title : "", s->base);
	fputc('\n', m);
	comment_line(m, _("change the JSON below and save to submit it; lines starting with '#' "
			  "are ignored"));
	comment_line(m, _("write the reason for the change after 'reason:'; save the file "
			  "unchanged to change nothing"));
	legend(m, s->settings, first_year(s->orig));
	fprintf(m, "%s %s\n", REASON_PREFIX, s->reason_opt ? s->reason_opt : "");
	fputs(canon, m);
	if (fclose(m) != 0) {
		cli_error("%s", _("out of memory"));
		goto done;
	}

	snprintf(s->path, sizeof(s->path), "%s/keikaku-item-%04lld-XXXXXX.json",
		 tmp && *tmp ? tmp : "/tmp", (long long)s->id);
	if ((fd = mkstemps(s->path, 5)) < 0) {
		cli_error(_("cannot create '%s': %s"), s->path, strerror(errno));
		s->path[0] = '\0';
		goto done;
	}
	close(fd);
	if (write_file(s, text) < 0) {
		unlink(s->path);
		s->path[0] = '\0';
		goto done;
	}
	s->written = text;
	text = NULL;
	error = 0;
done:
	free(canon);
	free(schema_path);
	free(text);
	json_decref(schema);
	return error;
}

int cmd_edit(cli_ctx *ctx, int argc, char **argv)
{
	edit_session s = {.ctx = ctx};
	char at[41];
	int code, round;

	if ((code = cli_parse_options(&argc, argv, &cmd_edit_usage, &s, 0)) != CLI_PARSED)
		return code;
	if (argc != 1)
		return cli_usage_error("edit", _("expected one item id"));
	if (cli_parse_item_id(&s.id, argv[0]) < 0)
		return cli_usage_error("edit", _("'%s' is not an item id"), argv[0]);
	if (s.reason_opt && strchr(s.reason_opt, '\n'))
		return cli_usage_error("edit", _("the reason must be one line"));

	if ((code = cli_item_get(&s.orig, s.base, ctx->client, s.id, NULL)) != EXIT_OK ||
	    (code = cli_plan_get(&s.settings, at, ctx->client, KK_PATH_SETTINGS, s.base)) !=
		    EXIT_OK)
		goto done;
	if (!(s.items = json_pack("[O]", s.orig))) {
		code = EXIT_FAIL;
		goto done;
	}
	if (start_file(&s) < 0) {
		code = EXIT_FAIL;
		goto done;
	}
	for (round = 0; (code = round_trip(&s, round)) < 0; round++)
		;
	/* The file goes once its text is committed (or was never changed); else it stays. */
	if (code == EXIT_OK && !s.dry_run)
		unlink(s.path);
	else if (!s.told && access(s.path, F_OK) == 0)
		kept(&s);
done:
	session_clear(&s);
	return code;
}

/*
 * cmd_dept.c - keikaku dept list [--json]
 *              keikaku dept add NAME [--user U]... [--group G]... [--admin] [-m REASON] [--dry-run]
 *              keikaku dept remove NAME [-m REASON] [--dry-run]
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "plan.h"

static void usage(FILE *out)
{
	fprintf(out,
		_("usage: keikaku dept list [--json]\n"
		  "       keikaku dept add NAME [--user U]... [--group G]... [--admin] [-m REASON]\n"
		  "                            [--dry-run]\n"
		  "       keikaku dept remove NAME [-m REASON] [--dry-run]\n"
		  "       keikaku dept map NAME [--user U]... [--group G]... [-m REASON] [--dry-run]\n"
		  "       keikaku dept unmap NAME [--user U]... [--group G]... [-m REASON] [--dry-run]\n\n"
		  "Lists the departments of departments.json, with the Unix users and groups who\n"
		  "act for each and whether it administers the plan; adds or removes one, or maps\n"
		  "users and groups to one or takes them off (the plan's administrators only).\n\n"
		  "  --json        print departments.json as JSON\n"
		  "  --user U      a Unix user who acts for the department (repeatable)\n"
		  "  --group G     a Unix group whose members act for it (repeatable)\n"
		  "  --admin       the department administers the plan\n"
		  "  -m, --message REASON\n"
		  "                why (goes into the commit message)\n"
		  "  --dry-run     check the change and show it; commit nothing\n"));
}

/* Names joined by ", ". The caller frees the string. */
static char *joined(const json_t *array)
{
	char *text = NULL;
	size_t size = 0, i;
	json_t *v;
	FILE *m = open_memstream(&text, &size);

	if (!m)
		return NULL;
	json_array_foreach(array, i, v)
		if (json_is_string(v))
			fprintf(m, "%s%s", i ? ", " : "", json_string_value(v));
	if (fclose(m) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* Writes one row of the table, its last column unpadded. */
static void table_row(const char *cells[4], const size_t widths[3])
{
	char *line = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&line, &size);

	if (!m)
		return;
	for (int i = 0; i < 3; i++) {
		render_padded(m, cells[i], widths[i]);
		fputs("  ", m);
	}
	fputs(cells[3], m);
	if (fclose(m) == 0) {
		while (size > 0 && line[size - 1] == ' ')
			line[--size] = '\0';
		puts(line);
	}
	free(line);
}

static int dept_list(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *header[4] = {_("name"), _("users"), _("groups"), _("admin")};
	const char *paths[] = {KK_PATH_DEPARTMENTS, NULL};
	json_t *content = NULL, *dept, *departments;
	cli_snapshot snap;
	size_t widths[3], i;
	int json = 0, c, code;

	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: return cli_bad_option("dept list", c, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("dept list", _("unexpected argument '%s'"), argv[optind]);
	/* From the repository or a clone when there is one, else through keikakud. */
	if ((code = cli_open_reads(ctx, 0)) != EXIT_OK ||
	    (code = cli_snapshot_read(&snap, ctx, NULL, paths)) != EXIT_OK)
		return code;
	if (cli_snapshot_json(&content, &snap, KK_PATH_DEPARTMENTS) < 0) {
		cli_snapshot_clear(&snap);
		return EXIT_FAIL;
	}
	cli_snapshot_clear(&snap);
	if (json) {
		json_dumpf(content, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(content);
		return EXIT_OK;
	}
	departments = json_object_get(content, "departments");
	for (int k = 0; k < 3; k++)
		widths[k] = render_width(header[k]);
	json_array_foreach(departments, i, dept) {
		const char *name = json_string_value(json_object_get(dept, "name"));
		char *users = joined(json_object_get(dept, "users"));
		char *groups = joined(json_object_get(dept, "groups"));

		if (name && render_width(name) > widths[0])
			widths[0] = render_width(name);
		if (users && render_width(users) > widths[1])
			widths[1] = render_width(users);
		if (groups && render_width(groups) > widths[2])
			widths[2] = render_width(groups);
		free(users);
		free(groups);
	}
	table_row(header, widths);
	json_array_foreach(departments, i, dept) {
		const char *name = json_string_value(json_object_get(dept, "name"));
		char *users = joined(json_object_get(dept, "users"));
		char *groups = joined(json_object_get(dept, "groups"));
		const char *cells[4] = {name ? name : "?", users ? users : "", groups ? groups : "",
					json_is_true(json_object_get(dept, "admin")) ? _("yes")
										     : ""};

		table_row(cells, widths);
		free(users);
		free(groups);
	}
	json_decref(content);
	return EXIT_OK;
}

/* Appends `name` to `array` unless it is there already. */
static int add_unique(json_t *array, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(array, i, v)
		if (strcmp(json_string_value(v), name) == 0)
			return 0;
	return json_array_append_new(array, json_string(name));
}

/* Sends departments.json with `departments` as its new array. */
static int send_departments(cli_ctx *ctx, const char *base, json_t *departments, const char *reason,
			    int dry_run, const char *summary)
{
	json_t *params, *result = NULL;
	int code;

	params = json_pack("{s:s, s:{s:{s:O}}}", "base", base, "files", KK_PATH_DEPARTMENTS,
			   "departments", departments);
	if (!params || cli_write_params(params, reason, dry_run) < 0) {
		json_decref(params);
		return EXIT_FAIL;
	}
	code = cli_write(&result, ctx->client, "plan.update", params, NULL, NULL);
	if (code == EXIT_OK)
		code = cli_print_write_result(result, dry_run, summary, NULL);
	json_decref(result);
	return code;
}

enum dept_mode { DEPT_ADD, DEPT_REMOVE, DEPT_MAP, DEPT_UNMAP };

/* Adds `names` to, or with `remove` takes them off, `dept`'s `member` list. */
static int change_members(json_t *dept, const char *member, const json_t *names, int remove,
			  const char *command, const char *dept_name)
{
	json_t *list = json_object_get(dept, member), *v;
	size_t i, j;

	if (!list) {
		if (remove || json_array_size(names) == 0)
			goto check_missing;
		if (json_object_set_new(dept, member, json_array()) < 0)
			return -1;
		list = json_object_get(dept, member);
	}
	json_array_foreach(names, i, v) {
		const char *name = json_string_value(v);
		size_t found = json_array_size(list);
		json_t *w;

		json_array_foreach(list, j, w)
			if (strcmp(json_string_value(w), name) == 0)
				found = j;
		if (remove && found == json_array_size(list))
			return cli_usage_error(command, _("'%s' is not mapped to department '%s'"),
					       name, dept_name);
		if (remove)
			json_array_remove(list, found);
		else if (found == json_array_size(list) && add_unique(list, name) < 0)
			return -1;
	}
	if (json_array_size(list) == 0)
		json_object_del(dept, member);
	return 0;
check_missing:
	if (json_array_size(names))
		return cli_usage_error(command, _("'%s' is not mapped to department '%s'"),
				       json_string_value(json_array_get(names, 0)), dept_name);
	return 0;
}

static int dept_change(cli_ctx *ctx, int argc, char **argv, enum dept_mode mode)
{
	static const char *const commands[] = {"dept add", "dept remove", "dept map", "dept unmap"};
	int add = mode == DEPT_ADD;
	static const struct option add_options[] = {
		{"user", required_argument, NULL, 'u'},
		{"group", required_argument, NULL, 'g'},
		{"admin", no_argument, NULL, 'a'},
		{"message", required_argument, NULL, 'm'},
		{"dry-run", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const struct option remove_options[] = {
		{"message", required_argument, NULL, 'm'},
		{"dry-run", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *command = commands[mode], *reason = NULL, *name;
	json_t *users = json_array(), *groups = json_array(), *content = NULL, *departments = NULL;
	json_t *dept = NULL;
	char base[41], summary[512];
	int admin = 0, dry_run = 0, c, code = EXIT_FAIL;
	size_t i;

	if (!users || !groups) {
		cli_error("%s", _("out of memory"));
		goto done;
	}
	while ((c = getopt_long(argc, argv, ":hm:",
				mode == DEPT_REMOVE ? remove_options : add_options, NULL)) != -1) {
		switch (c) {
		case 'u': add_unique(users, optarg); break;
		case 'g': add_unique(groups, optarg); break;
		case 'a':
			if (mode != DEPT_ADD) {
				code = cli_usage_error(command, _("--admin is for 'dept add'"));
				goto done;
			}
			admin = 1;
			break;
		case 'm': reason = optarg; break;
		case 'n': dry_run = 1; break;
		case 'h':
			usage(stdout);
			code = EXIT_OK;
			goto done;
		default: code = cli_bad_option(command, c, argv); goto done;
		}
	}
	if (optind + 1 != argc) {
		code = cli_usage_error(command, _("expected one department name"));
		goto done;
	}
	name = argv[optind];
	if (!*name) {
		code = cli_usage_error(command, _("a department needs a name"));
		goto done;
	}

	if ((code = cli_plan_get(&content, base, ctx->client, KK_PATH_DEPARTMENTS, NULL)) !=
	    EXIT_OK)
		goto done;
	if (!json_is_array(json_object_get(content, "departments")) ||
	    !(departments = json_copy(json_object_get(content, "departments")))) {
		cli_error("%s", _("departments.json has no list of departments"));
		code = EXIT_FAIL;
		goto done;
	}
	json_array_foreach(departments, i, dept) {
		const char *n = json_string_value(json_object_get(dept, "name"));

		if (n && strcmp(n, name) == 0)
			break;
	}
	if (add && i < json_array_size(departments)) {
		code = cli_usage_error(command, _("department '%s' already exists"), name);
		goto done;
	}
	if (mode >= DEPT_MAP && json_array_size(users) + json_array_size(groups) == 0) {
		code = cli_usage_error(command, _("expected --user or --group"));
		goto done;
	}
	if (!add && i == json_array_size(departments)) {
		code = cli_usage_error(command, _("department '%s' does not exist"), name);
		goto done;
	}
	if (add) {
		if (!(dept = json_pack("{s:s}", "name", name)) ||
		    (json_array_size(users) && json_object_set(dept, "users", users) < 0) ||
		    (json_array_size(groups) && json_object_set(dept, "groups", groups) < 0) ||
		    (admin && json_object_set_new(dept, "admin", json_true()) < 0) ||
		    json_array_append_new(departments, dept) < 0) {
			cli_error("%s", _("out of memory"));
			code = EXIT_FAIL;
			goto done;
		}
		snprintf(summary, sizeof(summary), _("add department '%s'"), name);
	} else if (mode == DEPT_REMOVE) {
		json_array_remove(departments, i);
		snprintf(summary, sizeof(summary), _("remove department '%s'"), name);
	} else {
		int r = change_members(dept, "users", users, mode == DEPT_UNMAP, command, name);

		if (r == 0)
			r = change_members(dept, "groups", groups, mode == DEPT_UNMAP, command,
					   name);
		if (r != 0) {
			code = r < 0 && r != EXIT_USAGE ? EXIT_FAIL : r;
			if (r == -1)
				cli_error("%s", _("out of memory"));
			goto done;
		}
		snprintf(summary, sizeof(summary), _("change who acts for department '%s'"), name);
	}
	code = send_departments(ctx, base, departments, reason, dry_run, summary);
done:
	json_decref(users);
	json_decref(groups);
	json_decref(content);
	json_decref(departments);
	return code;
}

int cmd_dept(cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error("dept", _("expected list, add, remove, map or unmap"));
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "list") == 0)
		return dept_list(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "add") == 0)
		return dept_change(ctx, argc - 1, argv + 1, DEPT_ADD);
	if (strcmp(argv[1], "remove") == 0)
		return dept_change(ctx, argc - 1, argv + 1, DEPT_REMOVE);
	if (strcmp(argv[1], "map") == 0)
		return dept_change(ctx, argc - 1, argv + 1, DEPT_MAP);
	if (strcmp(argv[1], "unmap") == 0)
		return dept_change(ctx, argc - 1, argv + 1, DEPT_UNMAP);
	return cli_usage_error(
		"dept", _("'%s' is not a dept command (list, add, remove, map, unmap)"), argv[1]);
}

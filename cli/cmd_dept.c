/*
 * cmd_dept.c - keikaku dept: the departments of departments.json, and who acts
 * for each; list, add, remove, map and unmap.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "keytext.h"
#include "plan.h"

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

typedef struct dept_list_args {
	int json;
} dept_list_args;

static const cli_option list_options[] = {
	CLI_OPT_BOOL(0, "json", dept_list_args, json, N_("print departments.json as JSON")),
	CLI_OPT_END(),
};

static const char *const list_synopsis[] = {"keikaku dept list [--json]", NULL};

static const cli_usage list_usage = {
	.name = "dept list",
	.summary = N_("list the departments"),
	.synopsis = list_synopsis,
	.description = N_("Lists the departments of departments.json, with the Unix users and "
			  "groups who act for each and whether it administers the plan."),
	.options = list_options,
};

static int dept_list(cli_ctx *ctx, int argc, char **argv)
{
	const char *header[4] = {_("name"), _("users"), _("groups"), _("admin")};
	const char *paths[] = {KK_PATH_DEPARTMENTS, NULL};
	json_t *content = NULL, *dept, *departments;
	cli_snapshot snap;
	dept_list_args args = {0};
	size_t widths[3], i;
	int code;

	if ((code = cli_parse_options(&argc, argv, &list_usage, &args, 0)) != CLI_PARSED)
		return code;
	if (argc != 0)
		return cli_usage_error("dept list", _("unexpected argument '%s'"), argv[0]);
	/* From the repository or a clone when there is one, else through keikakud. */
	if ((code = cli_open_reads(ctx, 0)) != EXIT_OK ||
	    (code = cli_snapshot_read(&snap, ctx, NULL, paths)) != EXIT_OK)
		return code;
	if (cli_snapshot_json(&content, &snap, KK_PATH_DEPARTMENTS) < 0) {
		cli_snapshot_clear(&snap);
		return EXIT_FAIL;
	}
	cli_snapshot_clear(&snap);
	if (args.json) {
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

/* Who a change names (--user, --group), each once. */
typedef struct dept_members {
	json_t *users, *groups;
} dept_members;

/* What every change takes. */
typedef struct dept_change_args {
	const char *reason;
	int dry_run;
} dept_change_args;

typedef struct dept_args {
	dept_members members;
	dept_change_args change;
	int admin;
} dept_args;

static int add_member(json_t *list, const char *name)
{
	if (add_unique(list, name) < 0) {
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	return 0;
}

static int add_user(const cli_option *opt, const char *arg, void *values)
{
	return add_member(((dept_members *)values)->users, arg);
}

static int add_group(const cli_option *opt, const char *arg, void *values)
{
	return add_member(((dept_members *)values)->groups, arg);
}

static const cli_option member_options[] = {
	CLI_OPT_CALLBACK(0, "user", "U", N_("a Unix user who acts for the department (repeatable)"),
			 add_user),
	CLI_OPT_CALLBACK(0, "group", "G", N_("a Unix group whose members act for it (repeatable)"),
			 add_group),
	CLI_OPT_END(),
};

static const cli_option change_options[] = {
	CLI_OPT_STRING('m', "message", dept_change_args, reason, "REASON",
		       N_("why (goes into the commit message)")),
	CLI_OPT_DRY_RUN(dept_change_args, dry_run),
	CLI_OPT_END(),
};

static const cli_option add_options[] = {
	CLI_OPT_INCLUDE(dept_args, members, member_options),
	CLI_OPT_BOOL(0, "admin", dept_args, admin, N_("the department administers the plan")),
	CLI_OPT_INCLUDE(dept_args, change, change_options),
	CLI_OPT_END(),
};

static const cli_option remove_options[] = {
	CLI_OPT_INCLUDE(dept_args, change, change_options),
	CLI_OPT_END(),
};

static const cli_option map_options[] = {
	CLI_OPT_INCLUDE(dept_args, members, member_options),
	CLI_OPT_INCLUDE(dept_args, change, change_options),
	CLI_OPT_END(),
};

static const char *const add_synopsis[] = {
	"keikaku dept add NAME [--user U]... [--group G]... [--admin] [-m REASON] [--dry-run]",
	NULL,
};
static const char *const remove_synopsis[] = {
	"keikaku dept remove NAME [-m REASON] [--dry-run]",
	NULL,
};
static const char *const map_synopsis[] = {
	"keikaku dept map NAME [--user U]... [--group G]... [-m REASON] [--dry-run]",
	NULL,
};
static const char *const unmap_synopsis[] = {
	"keikaku dept unmap NAME [--user U]... [--group G]... [-m REASON] [--dry-run]",
	NULL,
};

static const cli_usage add_usage = {
	.name = "dept add",
	.summary = N_("add a department"),
	.synopsis = add_synopsis,
	.description = N_("Adds department NAME to departments.json, with the Unix users and "
			  "groups who act for it (the plan's administrators only)."),
	.options = add_options,
};

static const cli_usage remove_usage = {
	.name = "dept remove",
	.summary = N_("remove a department"),
	.synopsis = remove_synopsis,
	.description = N_("Removes department NAME from departments.json (the plan's "
			  "administrators only); keikakud refuses while an item names it."),
	.options = remove_options,
};

static const cli_usage map_usage = {
	.name = "dept map",
	.summary = N_("map users and groups to a department"),
	.synopsis = map_synopsis,
	.description = N_("Maps Unix users or groups to department NAME, so that they act for it "
			  "from their next request (the plan's administrators only)."),
	.options = map_options,
};

static const cli_usage unmap_usage = {
	.name = "dept unmap",
	.summary = N_("take users and groups off a department"),
	.synopsis = unmap_synopsis,
	.description = N_("Takes Unix users or groups off department NAME (the plan's "
			  "administrators only)."),
	.options = map_options,
};

static const cli_usage *const dept_subcommands[] = {
	&list_usage, &add_usage, &remove_usage, &map_usage, &unmap_usage, NULL,
};

const cli_usage cmd_dept_usage = {
	.name = "dept",
	.summary = N_("list, add or remove departments; map or unmap their users"),
	.description = N_("Lists the departments of departments.json, with the Unix users and "
			  "groups who act for each and whether it administers the plan; adds or "
			  "removes one, or maps users and groups to one or takes them off (the "
			  "plan's administrators only)."),
	.subcommands = dept_subcommands,
};

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
	static const cli_usage *const usages[] = {&add_usage, &remove_usage, &map_usage,
						  &unmap_usage};
	int add = mode == DEPT_ADD;
	dept_args args = {{json_array(), json_array()}, {NULL, 0}, 0};
	json_t *users = args.members.users, *groups = args.members.groups;
	const char *command = usages[mode]->name, *name;
	json_t *content = NULL, *departments = NULL, *dept = NULL;
	char base[41], summary[512], key[KK_KEY_MAX];
	int code = EXIT_FAIL;
	size_t i;

	if (!users || !groups) {
		cli_error("%s", _("out of memory"));
		goto done;
	}
	if ((code = cli_parse_options(&argc, argv, usages[mode], &args, 0)) != CLI_PARSED)
		goto done;
	if (argc != 1) {
		code = cli_usage_error(command, _("expected one department name"));
		goto done;
	}
	/* A department's name is a key: as an input method types it, "秘書課　" is 秘書課. */
	name = kk_key_normalize(key, sizeof(key), argv[0]);
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

		if (n && kk_key_equal(n, name))
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
		    (args.admin && json_object_set_new(dept, "admin", json_true()) < 0) ||
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
	code = send_departments(ctx, base, departments, args.change.reason, args.change.dry_run,
				summary);
done:
	json_decref(users);
	json_decref(groups);
	json_decref(content);
	json_decref(departments);
	return code;
}

int cmd_dept(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const changes[] = {"add", "remove", "map", "unmap"};
	int code;

	if ((code = cli_parse_options(&argc, argv, &cmd_dept_usage, NULL,
				      CLI_PARSE_STOP_AT_NON_OPTION)) != CLI_PARSED)
		return code;
	if (argc == 0)
		return cli_usage_error("dept", _("expected list, add, remove, map or unmap"));
	if (strcmp(argv[0], "list") == 0)
		return dept_list(ctx, argc, argv);
	for (int mode = DEPT_ADD; mode <= DEPT_UNMAP; mode++)
		if (strcmp(argv[0], changes[mode]) == 0)
			return dept_change(ctx, argc, argv, mode);
	if ((code = cli_unknown_subcommand(&cmd_dept_usage, argv[0])))
		return code;
	return cli_usage_error(
		"dept", _("'%s' is not a dept command (list, add, remove, map, unmap)"), argv[0]);
}

/*
 * cmd_status.c - keikaku status: the state of keikakud.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "client.h"

static const char *const status_synopsis[] = {"keikaku status [--json]", NULL};

const cli_usage cmd_status_usage = {
	.name = "status",
	.summary = N_("show the state of keikakud"),
	.synopsis = status_synopsis,
	.description = N_("Shows the state of keikakud: its version, the repository it keeps and "
			  "that repository's head, how long it has run, its connections, the "
			  "writes queued and the commits made; with mirrors, each mirror's last "
			  "pushed commit, how far behind it is and its last error."),
	.options = cli_simple_query_options,
};

/* The label of a member of the result; members this version does not know show as named. */
static const char *label(const char *key)
{
	static const struct {
		const char *key, *label;
	} labels[] = {
		{"version", N_("version")},
		{"repository", N_("repository")},
		{"head", N_("head")},
		{"uptime", N_("uptime")},
		{"connections", N_("connections")},
		{"queued", N_("queued")},
		{"commits", N_("commits")},
		{"batches", N_("batches")},
		{"packs", N_("packs")},
		{"documents", N_("parsed files")},
		{"mirrors", N_("mirrors")},
		{"sync_mirrors", N_("writes wait for")},
	};

	for (size_t i = 0; i < sizeof(labels) / sizeof(*labels); i++)
		if (strcmp(key, labels[i].key) == 0)
			return _(labels[i].label);
	return key;
}

/* "3d 4h 5m 6s", leaving out the larger units that are zero. */
static void duration(char *buf, size_t size, json_int_t s)
{
	json_int_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;

	if (d)
		snprintf(buf, size, "%lldd %lldh %lldm %llds", (long long)d, (long long)h,
			 (long long)m, (long long)(s % 60));
	else if (h)
		snprintf(buf, size, "%lldh %lldm %llds", (long long)h, (long long)m,
			 (long long)(s % 60));
	else if (m)
		snprintf(buf, size, "%lldm %llds", (long long)m, (long long)(s % 60));
	else
		snprintf(buf, size, "%llds", (long long)s);
}

/* How long ago `member` of `m` (a Unix time) was, into buf; 0 when it is null. */
static int ago(char *buf, size_t size, const json_t *m, const char *member)
{
	const json_t *t = json_object_get(m, member);
	json_int_t s;

	if (!json_is_integer(t))
		return 0;
	s = (json_int_t)time(NULL) - json_integer_value(t);
	duration(buf, size, s < 0 ? 0 : s);
	return 1;
}

/* One line per mirror, the first after the label, the rest under it. */
static void print_mirrors(const json_t *mirrors, size_t width)
{
	size_t i;
	const json_t *m;

	json_array_foreach(mirrors, i, m) {
		const char *url = json_string_value(json_object_get(m, "url"));
		const char *pushed = json_string_value(json_object_get(m, "pushed"));
		const char *error = json_string_value(json_object_get(m, "error"));
		const json_t *behind = json_object_get(m, "behind");
		const json_t *commits = json_object_get(behind, "commits");
		char lag[64], when[64];

		if (i)
			render_padded(stdout, "", width + 2);
		duration(lag, sizeof(lag), json_integer_value(json_object_get(behind, "seconds")));
		if (json_is_true(json_object_get(m, "diverged")))
			printf(_("%s: diverged, not overwritten"), url ? url : "?");
		else if (!pushed)
			printf(_("%s: not reached yet (%s)"), url ? url : "?", lag);
		else if (json_integer_value(commits) == 0)
			printf(_("%s: current, at %.10s"), url ? url : "?", pushed);
		else
			printf(P_("%s: %lld commit behind (%s), at %.10s",
				  "%s: %lld commits behind (%s), at %.10s",
				  (unsigned long)json_integer_value(commits)),
			       url ? url : "?", (long long)json_integer_value(commits), lag,
			       pushed);
		if (error && ago(when, sizeof(when), m, "error_at"))
			printf(_("; last error %s ago: %s"), when, error);
		putchar('\n');
	}
	if (!json_array_size(mirrors))
		putchar('\n');
}

int cmd_status(cli_ctx *ctx, int argc, char **argv)
{
	json_t *result = NULL, *v;
	const char *key;
	size_t width = 0;
	int code;

	if ((code = cli_simple_query(&result, ctx, &cmd_status_usage, "status", argc, argv)) >= 0)
		return code;
	/* Every member, as the daemon orders them: newer daemons may tell more. */
	json_object_foreach(result, key, v)
		if (render_width(label(key)) > width)
			width = render_width(label(key));
	json_object_foreach(result, key, v) {
		char buf[64];

		render_padded(stdout, label(key), width + 2);
		if (strcmp(key, "uptime") == 0 && json_is_integer(v)) {
			duration(buf, sizeof(buf), json_integer_value(v));
			puts(buf);
		} else if (strcmp(key, "mirrors") == 0 && json_is_array(v)) {
			print_mirrors(v, width);
		} else if (strcmp(key, "sync_mirrors") == 0 && json_is_integer(v)) {
			if (json_integer_value(v))
				printf(P_("%lld mirror\n", "%lld mirrors\n",
					  (unsigned long)json_integer_value(v)),
				       (long long)json_integer_value(v));
			else
				puts(_("no mirror"));
		} else if (json_is_string(v)) {
			puts(json_string_value(v));
		} else if (strcmp(key, "documents") == 0 && json_is_object(v)) {
			json_int_t n[4];
			const char *keys[] = {"kept", "bytes", "hits", "misses"};

			for (size_t i = 0; i < 4; i++)
				n[i] = json_integer_value(json_object_get(v, keys[i]));
			printf(_("%lld kept (%lld bytes), %lld hits, %lld misses\n"),
			       (long long)n[0], (long long)n[1], (long long)n[2], (long long)n[3]);
		} else {
			json_dumpf(v, stdout, JSON_COMPACT | JSON_ENCODE_ANY);
			putchar('\n');
		}
	}
	json_decref(result);
	return EXIT_OK;
}

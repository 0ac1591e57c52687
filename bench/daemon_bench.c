/*
 * daemon_bench - keikakud's write throughput and latency under concurrent
 * clients.  Not a test: it prints figures.
 *
 *   daemon_bench --socket S --clients N --updates M [--items LIST]
 *                [--years Y1,Y2] [--window K] [--daemon-pid PID] [--reason TEXT]
 *
 * N threads, each with its own blocking connection, each make M item.update
 * calls in a row as fast as the answers come, every one on the commit the
 * previous one returned (the first on item.get's).  Each patch sets one
 * field to a text no run has used before, so every update is a commit.
 *
 * Client i takes item LIST[i % L] (L items; LIST defaults to 1-35) and the
 * field years.Y1.result for i < L, years.Y2.result for L <= i < 2L, and so
 * on round again (Y1 and Y2 default to 2021 and 2022; --years 2022 alone
 * gives Y1 = Y2).  Up to 2L clients therefore never touch the same
 * field.  Past that, clients share fields: a conflict (-32002) is retried
 * on the head the error carries and counted as a retry, not as an error.
 *
 * Printed: with --window K, one line per K acknowledged updates with the
 * rate of that window, how many clients are still running (fewer near the
 * end, as clients finish), the daemon's RSS when --daemon-pid is given and
 * the share of the machine's CPU time the hypervisor gave to others (steal);
 * then acknowledged updates/s over the whole run (from the moment every
 * client is connected and has its base to the last answer), the p50 / p99
 * / max latency of the acknowledged calls (one request to its answer; a
 * retried conflict's own round trip is not counted), the steal over the
 * whole run, errors by code, and the daemon's peak RSS (VmHWM).  Exits 1
 * when anything failed.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "array.h"
#include "bench_util.h"

#define MAX_ERROR_CODES 16
#define MAX_RETRIES	1000
#define RECV_TIMEOUT_S	120
#define EXIT_CONN_LOST	1000 /* pseudo error code: the connection went away */

static const char *years[] = {"2021", "2022"};

typedef struct {
	long code;
	unsigned long count;
	char message[160]; /* the first one seen */
} error_count;

typedef struct {
	int index;
	long item;
	const char *year;
	pthread_t thread;
	int fd;
	char *buf;
	size_t len, cap;
	long next_id;
	char base[64];

	double *latency; /* ms, one per acknowledged update */
	size_t acked;
	unsigned long retries, noops;
	error_count errors[MAX_ERROR_CODES];
	size_t error_kinds;
	int lost; /* the connection is gone: the client stopped */
	char failure[256];
} client;

static struct {
	const char *socket;
	int clients;
	long updates;
	long *items;
	size_t item_count, items_alloc;
	unsigned long window;
	long daemon_pid;
	const char *reason;
} opt = {.clients = 1, .updates = 100};

static pthread_barrier_t ready, go;
static pthread_mutex_t ack_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long total_acked;
static int clients_running; /* under ack_lock */
static double window_start;
static unsigned long long window_ticks, window_steal; /* cpu_ticks() at its start */
static char run_tag[32];

/* Nearest-rank percentile of sorted `v`. */
static double percentile(const double *v, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (size_t)ceil(p / 100.0 * (double)n);
	return v[rank ? rank - 1 : 0];
}

/* A "VmHWM:" or "VmRSS:" figure of /proc/PID/status in KiB; -1 when unreadable. */
static long proc_status_kib(long pid, const char *field)
{
	char path[64], line[256];
	size_t n = strlen(field);
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			kib = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kib;
}

/*
 * The machine's CPU time so far (/proc/stat, in ticks): all of it, and the
 * part the hypervisor gave to others ("steal").  0 and 0 when unreadable.
 */
static void cpu_ticks(unsigned long long *total, unsigned long long *steal)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");

	*total = *steal = 0;
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) == 8) {
		for (int i = 0; i < 8; i++)
			*total += v[i];
		*steal = v[7];
	}
	fclose(f);
}

static void note_error(client *c, long code, const char *message)
{
	size_t i;

	for (i = 0; i < c->error_kinds; i++)
		if (c->errors[i].code == code)
			break;
	if (i == c->error_kinds) {
		if (i == MAX_ERROR_CODES)
			i--; /* lumped into the last kind: should never happen */
		else
			c->error_kinds++;
		c->errors[i].code = code;
		snprintf(c->errors[i].message, sizeof(c->errors[i].message), "%s",
			 message ? message : "");
	}
	c->errors[i].count++;
}

static int connect_socket(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = RECV_TIMEOUT_S};
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one line (without its '\n') into c->buf; returns its length, or -1. */
static ssize_t read_line(client *c, size_t *consumed)
{
	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		ssize_t n;

		if (nl) {
			*consumed = (size_t)(nl - c->buf) + 1;
			return nl - c->buf;
		}
		if (c->cap - c->len < 4096 && KK_ARRAY_GROW(c->buf, c->len + 65536, c->cap) < 0)
			return -1;
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ECONNRESET;
			return -1;
		}
		c->len += (size_t)n;
	}
}

/* Sends one request (taking `params`) and returns its parsed answer, or NULL. */
static json_t *call(client *c, const char *method, json_t *params)
{
	json_t *req = json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0", "id",
				(json_int_t)c->next_id++, "method", method, "params", params);
	json_t *resp = NULL;
	json_error_t jerr;
	size_t consumed = 0, size;
	ssize_t len;
	char *text;

	if (!req || !(text = json_dumps(req, JSON_COMPACT))) {
		json_decref(req);
		snprintf(c->failure, sizeof(c->failure), "out of memory");
		return NULL;
	}
	json_decref(req);
	size = strlen(text);
	text[size] = '\n'; /* json_dumps's terminator becomes the line's end */
	if (send_all(c->fd, text, size + 1) < 0 || (len = read_line(c, &consumed)) < 0) {
		snprintf(c->failure, sizeof(c->failure), "%s: %s", method, strerror(errno));
		free(text);
		return NULL;
	}
	free(text);
	if (!(resp = json_loadb(c->buf, (size_t)len, 0, &jerr)))
		snprintf(c->failure, sizeof(c->failure), "%s: bad answer: %s", method, jerr.text);
	memmove(c->buf, c->buf + consumed, c->len - consumed);
	c->len -= consumed;
	return resp;
}

/* What the daemon's status says of its batches and parsed files, after the run. */
static void print_daemon_status(void)
{
	client c = {.fd = connect_socket(opt.socket)};
	json_t *resp = c.fd >= 0 ? call(&c, "status", json_object()) : NULL;
	json_t *st = json_object_get(resp, "result"), *docs = json_object_get(st, "documents");
	json_int_t commits = json_integer_value(json_object_get(st, "commits"));
	json_int_t batches = json_integer_value(json_object_get(st, "batches"));
	json_int_t hits = json_integer_value(json_object_get(docs, "hits"));
	json_int_t misses = json_integer_value(json_object_get(docs, "misses"));

	if (!json_is_object(st)) {
		printf("daemon status:       unknown (%s)\n",
		       c.failure[0] ? c.failure : strerror(errno));
	} else {
		printf("daemon batches:      %lld commits in %lld batches (%.1f per batch), %lld "
		       "packs\n",
		       (long long)commits, (long long)batches,
		       batches ? (double)commits / (double)batches : 0.0,
		       (long long)json_integer_value(json_object_get(st, "packs")));
		printf("daemon parsed files: %lld kept (%.1f KiB), %lld hits, %lld misses "
		       "(%.1f%% hits)\n",
		       (long long)json_integer_value(json_object_get(docs, "kept")),
		       (double)json_integer_value(json_object_get(docs, "bytes")) / 1024,
		       (long long)hits, (long long)misses,
		       hits + misses ? 100.0 * (double)hits / (double)(hits + misses) : 0.0);
	}
	json_decref(resp);
	if (c.fd >= 0)
		close(c.fd);
	free(c.buf);
}

static int set_base(client *c, const json_t *commit)
{
	const char *s = json_string_value(commit);

	if (!s || strlen(s) >= sizeof(c->base))
		return -1;
	strcpy(c->base, s);
	return 0;
}

static void acknowledged(client *c, double ms)
{
	unsigned long n;

	c->latency[c->acked++] = ms;
	if (!opt.window)
		return;
	pthread_mutex_lock(&ack_lock);
	n = ++total_acked;
	if (n % opt.window == 0) {
		double t = bench_now_ms();
		long rss = opt.daemon_pid ? proc_status_kib(opt.daemon_pid, "VmRSS") : -1;
		unsigned long long ticks, steal;

		cpu_ticks(&ticks, &steal);
		printf("window %lu: updates %lu-%lu: %.1f updates/s, %d clients running",
		       n / opt.window, n - opt.window + 1, n,
		       (double)opt.window * 1e3 / (t - window_start), clients_running);
		if (rss >= 0)
			printf(", daemon RSS %.1f MiB", (double)rss / 1024);
		/* A virtual machine's cores, given to others: the rate falls with them. */
		if (ticks > window_ticks)
			printf(", machine steal %.0f%%",
			       100.0 * (double)(steal - window_steal) / (double)(ticks - window_ticks));
		printf("\n");
		fflush(stdout);
		window_start = t;
		window_ticks = ticks;
		window_steal = steal;
	}
	pthread_mutex_unlock(&ack_lock);
}

/* Connects and reads the item's head; 0 or -1 (with c->failure set). */
static int setup(client *c)
{
	json_t *resp;
	int error = -1;

	if ((c->fd = connect_socket(opt.socket)) < 0) {
		snprintf(c->failure, sizeof(c->failure), "cannot connect to '%s': %s", opt.socket,
			 strerror(errno));
		return -1;
	}
	if (!(resp = call(c, "item.get", json_pack("{s:I}", "id", (json_int_t)c->item))))
		return -1;
	if (set_base(c, json_object_get(json_object_get(resp, "result"), "commit")) == 0)
		error = 0;
	else {
		const char *message = json_string_value(
			json_object_get(json_object_get(resp, "error"), "message"));

		snprintf(c->failure, sizeof(c->failure), "item.get %ld: %s", c->item,
			 message ? message : "no commit in the answer");
	}
	json_decref(resp);
	return error;
}

/* The client's M updates; returns early when the connection is gone. */
static void run_updates(client *c)
{
	for (long u = 0; u < opt.updates; u++) {
		char text[128];
		int tries = 0;

		snprintf(text, sizeof(text), "bench %s client %d update %ld", run_tag, c->index, u);
		for (;;) {
			json_t *params = json_pack("{s:I, s:s, s:{s:{s:{s:s}}}}", "id",
						   (json_int_t)c->item, "base", c->base, "patch",
						   "years", c->year, "result", text);
			json_t *resp, *result, *err;
			double start;

			if (params && opt.reason)
				json_object_set_new(params, "reason", json_string(opt.reason));
			start = bench_now_ms();
			if (!(resp = call(c, "item.update", params))) {
				note_error(c, EXIT_CONN_LOST, c->failure);
				c->lost = 1;
				return;
			}
			result = json_object_get(resp, "result");
			err = json_object_get(resp, "error");
			if (result) {
				const json_t *commit = json_object_get(result, "commit");

				if (json_is_string(commit)) {
					set_base(c, commit);
					acknowledged(c, bench_now_ms() - start);
				} else {
					/* Changed nothing: cannot happen with unique texts. */
					c->noops++;
					set_base(c, json_object_get(result, "head"));
				}
				json_decref(resp);
				break;
			}
			{
				long code = (long)json_integer_value(json_object_get(err, "code"));
				const char *message =
					json_string_value(json_object_get(err, "message"));
				const json_t *head =
					json_object_get(json_object_get(err, "data"), "head");

				if (code == -32002 && json_is_string(head) &&
				    ++tries < MAX_RETRIES) {
					c->retries++;
					set_base(c, head);
					json_decref(resp);
					continue;
				}
				note_error(c, code, message);
				json_decref(resp);
				if (code == -32007) { /* shutting down: stop */
					c->lost = 1;
					return;
				}
				break;
			}
		}
	}
}

static void *client_main(void *arg)
{
	client *c = arg;
	int ok = setup(c) == 0;

	if (ok) {
		pthread_mutex_lock(&ack_lock);
		clients_running++;
		pthread_mutex_unlock(&ack_lock);
	}
	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&go);
	if (!ok) {
		c->lost = 1;
		return NULL;
	}
	run_updates(c);
	pthread_mutex_lock(&ack_lock);
	clients_running--;
	pthread_mutex_unlock(&ack_lock);
	return NULL;
}

/* Parses "1-35" or "1,4,7-9" into opt.items. */
static int parse_items(const char *text)
{
	const char *p = text;

	while (*p) {
		char *end;
		long from = strtol(p, &end, 10), to = from;

		if (end == p || from < 1 || from > 99999)
			return -1;
		p = end;
		if (*p == '-') {
			to = strtol(p + 1, &end, 10);
			if (end == p + 1 || to < from || to > 99999)
				return -1;
			p = end;
		}
		for (long id = from; id <= to; id++) {
			if (KK_ARRAY_GROW(opt.items, opt.item_count + 1, opt.items_alloc) < 0)
				return -1;
			opt.items[opt.item_count++] = id;
		}
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	return opt.item_count ? 0 : -1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: daemon_bench --socket PATH --clients N --updates M [options]\n\n"
		"  --socket PATH     keikakud's socket\n"
		"  --clients N       concurrent clients, one connection and thread each (default 1)\n"
		"  --updates M       item.update calls per client, one after the other (default "
		"100)\n"
		"  --items LIST      item ids the clients spread over, e.g. 1-35 or 1,4,7-9 "
		"(default 1-35)\n"
		"  --years Y1,Y2     the fiscal years whose results are updated (default "
		"2021,2022)\n"
		"  --window K        print the rate of every K acknowledged updates\n"
		"  --daemon-pid PID  report the daemon's peak RSS (VmHWM of /proc/PID/status)\n"
		"  --reason TEXT     send this reason with every update (default: none)\n");
}

static long parse_long(const char *text, const char *option, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max) {
		fprintf(stderr, "daemon_bench: %s takes a number from %ld to %ld, not '%s'\n",
			option, min, max, text);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"socket", required_argument, NULL, 's'},
		{"clients", required_argument, NULL, 'c'},
		{"updates", required_argument, NULL, 'u'},
		{"items", required_argument, NULL, 'i'},
		{"window", required_argument, NULL, 'w'},
		{"years", required_argument, NULL, 'y'},
		{"daemon-pid", required_argument, NULL, 'p'},
		{"reason", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	error_count errors[MAX_ERROR_CODES];
	size_t error_kinds = 0, total = 0, n_per_year[2] = {0, 0};
	unsigned long retries = 0, noops = 0, failed_errors = 0;
	double start, end, *all;
	unsigned long long ticks0, steal0, ticks1, steal1;
	client *clients;
	int c, lost = 0, status = 0;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 's': opt.socket = optarg; break;
		case 'c': opt.clients = (int)parse_long(optarg, "--clients", 1, 10000); break;
		case 'u': opt.updates = parse_long(optarg, "--updates", 1, 100000000); break;
		case 'w':
			opt.window = (unsigned long)parse_long(optarg, "--window", 1, 100000000);
			break;
		case 'p': opt.daemon_pid = parse_long(optarg, "--daemon-pid", 1, 1L << 30); break;
		case 'r': opt.reason = optarg; break;
		case 'y':
			years[0] = strtok(optarg, ",");
			years[1] = strtok(NULL, ",");
			if (!years[0] || strtok(NULL, ",")) {
				fprintf(stderr, "daemon_bench: bad --years '%s'\n", optarg);
				return 2;
			}
			if (!years[1])
				years[1] = years[0];
			break;
		case 'i':
			if (parse_items(optarg) < 0) {
				fprintf(stderr, "daemon_bench: bad --items '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!opt.socket || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!opt.items && parse_items("1-35") < 0)
		return 2;
	snprintf(run_tag, sizeof(run_tag), "%lx.%ld", (unsigned long)time(NULL), (long)getpid());

	if (!(clients = calloc((size_t)opt.clients, sizeof(*clients))))
		return 1;
	pthread_barrier_init(&ready, NULL, (unsigned)opt.clients + 1);
	pthread_barrier_init(&go, NULL, (unsigned)opt.clients + 1);
	for (int i = 0; i < opt.clients; i++) {
		client *cl = &clients[i];
		size_t round = (size_t)i / opt.item_count;

		cl->index = i;
		cl->fd = -1;
		cl->next_id = 1;
		cl->item = opt.items[(size_t)i % opt.item_count];
		cl->year = years[round % 2];
		n_per_year[round % 2]++;
		if (!(cl->latency = malloc((size_t)opt.updates * sizeof(double))) ||
		    pthread_create(&cl->thread, NULL, client_main, cl) != 0) {
			fprintf(stderr, "daemon_bench: cannot start client %d\n", i);
			return 1; /* the others wait at the barrier: just leave */
		}
	}

	printf("daemon_bench: %d clients x %ld updates on %zu items (%zu on years.%s.result, "
	       "%zu on years.%s.result)\n",
	       opt.clients, opt.updates, opt.item_count, n_per_year[0], years[0], n_per_year[1],
	       years[1]);
	if ((size_t)opt.clients > 2 * opt.item_count)
		printf("daemon_bench: more than %zu clients: some share a field and will retry "
		       "conflicts\n",
		       2 * opt.item_count);
	fflush(stdout);

	pthread_barrier_wait(&ready); /* every client connected, with its base */
	start = window_start = bench_now_ms();
	cpu_ticks(&window_ticks, &window_steal);
	ticks0 = window_ticks;
	steal0 = window_steal;
	pthread_barrier_wait(&go);
	for (int i = 0; i < opt.clients; i++)
		pthread_join(clients[i].thread, NULL);
	end = bench_now_ms();
	cpu_ticks(&ticks1, &steal1);

	for (int i = 0; i < opt.clients; i++)
		total += clients[i].acked;
	if (!(all = malloc((total ? total : 1) * sizeof(*all))))
		return 1;
	total = 0;
	for (int i = 0; i < opt.clients; i++) {
		client *cl = &clients[i];

		memcpy(all + total, cl->latency, cl->acked * sizeof(*all));
		total += cl->acked;
		retries += cl->retries;
		noops += cl->noops;
		lost += cl->lost;
		if (cl->lost && cl->failure[0] && lost <= 5)
			fprintf(stderr, "daemon_bench: client %d (item %ld): %s\n", i, cl->item,
				cl->failure);
		for (size_t k = 0; k < cl->error_kinds; k++) {
			size_t j;

			for (j = 0; j < error_kinds; j++)
				if (errors[j].code == cl->errors[k].code)
					break;
			if (j == error_kinds) {
				if (error_kinds == MAX_ERROR_CODES)
					j--;
				else
					error_kinds++;
				errors[j] = cl->errors[k];
				errors[j].count = 0;
			}
			errors[j].count += cl->errors[k].count;
			failed_errors += cl->errors[k].count;
		}
	}
	bench_sort(all, total);

	printf("\n");
	printf("clients:             %d (%d stopped early)\n", opt.clients, lost);
	printf("updates per client:  %ld\n", opt.updates);
	printf("acknowledged:        %zu in %.2f s\n", total, (end - start) / 1e3);
	printf("rate:                %.1f updates/s\n", (double)total * 1e3 / (end - start));
	printf("latency p50:         %.2f ms\n", percentile(all, total, 50));
	printf("latency p90:         %.2f ms\n", percentile(all, total, 90));
	printf("latency p99:         %.2f ms\n", percentile(all, total, 99));
	printf("latency max:         %.2f ms\n", total ? all[total - 1] : 0.0);
	if (ticks1 > ticks0)
		printf("machine steal:       %.1f%% of the CPU time during the run\n",
		       100.0 * (double)(steal1 - steal0) / (double)(ticks1 - ticks0));
	printf("conflict retries:    %lu\n", retries);
	if (noops)
		printf("no-op answers:       %lu\n", noops);
	if (!error_kinds)
		printf("errors:              none\n");
	for (size_t j = 0; j < error_kinds; j++) {
		if (errors[j].code == EXIT_CONN_LOST)
			printf("errors:              connection lost x %lu (%s)\n", errors[j].count,
			       errors[j].message);
		else
			printf("errors:              %ld x %lu (%s)\n", errors[j].code,
			       errors[j].count, errors[j].message);
	}
	if (opt.daemon_pid) {
		long hwm = proc_status_kib(opt.daemon_pid, "VmHWM");

		if (hwm >= 0)
			printf("daemon peak RSS:     %.1f MiB (VmHWM of pid %ld)\n",
			       (double)hwm / 1024, opt.daemon_pid);
		else
			printf("daemon peak RSS:     unknown (cannot read /proc/%ld/status)\n",
			       opt.daemon_pid);
	}
	print_daemon_status();
	if (lost || failed_errors || noops || total != (size_t)opt.clients * (size_t)opt.updates)
		status = 1;

	for (int i = 0; i < opt.clients; i++) {
		if (clients[i].fd >= 0)
			close(clients[i].fd);
		free(clients[i].buf);
		free(clients[i].latency);
	}
	free(clients);
	free(all);
	free(opt.items);
	return status;
}

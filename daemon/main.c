/*
 * main.c - keikakud: options, the repository lock, crash leftovers, and
 * the server's lifetime.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "i18n.h"
#include "log.h"
#include "mirror.h"
#include "server.h"
#include "signers.h"
#include "writer.h"

#define LOCK_NAME "keikakud.pid"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: keikakud --repo PATH [options]\n\n"
		"Serves a plan repository: validates departments' updates and commits them.\n\n"
		"  --repo PATH                    the bare plan repository (required)\n"
		"  --socket PATH                  the socket to listen on (default %s);\n"
		"                                 ignored when systemd passes one in\n"
		"  --socket-mode MODE             octal mode of that socket (default 0660)\n"
		"  --email-domain DOMAIN          authors are login@DOMAIN (default: host name)\n"
		"  --signing-key [FILE]           sign every commit and tag with this OpenSSH\n"
		"                                 Ed25519 key; without FILE, systemd's credential\n"
		"                                 $CREDENTIALS_DIRECTORY/signing-key\n"
		"  --mirror URL                   push the branch and the tags to this mirror\n"
		"                                 after each durable batch (repeatable): a path,\n"
		"                                 ssh://, user@host:path or https:// (whose\n"
		"                                 certificate is checked against the system's\n"
		"                                 CAs, or those $SSL_CERT_FILE and $SSL_CERT_DIR\n"
		"                                 name)\n"
		"  --sync-mirrors K               answer a write only once K mirrors hold it\n"
		"                                 (default 0: mirrors never delay an answer)\n"
		"  --sync-mirrors-timeout SECONDS how long a write waits for them before it is\n"
		"                                 answered -32009 (default 10)\n"
		"  --mirror-retry-max SECONDS     longest wait between a failing mirror's\n"
		"                                 attempts (default 60)\n"
		"  --max-line BYTES               longest request line (default 1048576)\n"
		"  --max-connections N            connections in total (default 256)\n"
		"  --max-connections-per-user N   connections per user (default 32)\n"
		"  --idle-timeout SECONDS         close idle connections (default 300)\n"
		"  --max-items N                  items per submission (default 1000)\n"
		"  --max-batch N                  submissions per group commit (default 512)\n"
		"  --max-batch-requests N         requests per JSON-RPC batch (default 64)\n"
		"  --max-in-flight N              a connection's unanswered requests before\n"
		"                                 it is read no further (default 16)\n"
		"  --max-unsent BYTES             a connection's unsent answers before it is\n"
		"                                 read no further (default 4194304)\n"
		"  --max-queued-per-user N        a user's reads waiting for a thread, across\n"
		"                                 all their connections (default 64)\n"
		"  -v, --verbose                  log debug messages\n"
		"  --version                      print the version\n",
		KK_DEFAULT_SOCKET);
}

static int parse_number(unsigned long long *out, const char *text, const char *option,
			unsigned long long min, unsigned long long max, int base)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, base);
	if (errno || end == text || *end || v < min || v > max || text[0] == '-') {
		fprintf(stderr, "keikakud: %s takes a number from %llu to %llu, not '%s'\n", option,
			min, max, text);
		return -1;
	}
	*out = v;
	return 0;
}

static int remove_leftover(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *name = path + ftw->base;
	size_t n = strlen(name);

	(void)st;
	if (flag != FTW_F)
		return 0;
	/*
	 * Lock files and temporary objects a crashed writer leaves behind, and
	 * half-written copies of the history index (keikaku/history.idx.XXXXXX).
	 */
	if ((n > 5 && strcmp(name + n - 5, ".lock") == 0) || strncmp(name, "tmp_", 4) == 0 ||
	    strncmp(name, "history.idx.", 12) == 0) {
		if (unlink(path) < 0)
			log_warn("cannot remove stale '%s'", path);
		else
			log_warnx("removed stale '%s' left by an earlier crash", path);
	}
	return 0;
}

/*
 * Resolves --repo into repo (PATH_MAX bytes) and checks that it is a git
 * repository keikakud may serve, before anything is written into it: the lock
 * and the clean-up of crash leftovers must not touch any other directory.
 */
static int check_repository(char *repo, const char *arg)
{
	git_repository *r = NULL;
	struct stat st;
	int error;

	if (!realpath(arg, repo) || stat(repo, &st) < 0) {
		if (errno == ENOENT)
			log_error("cannot start: there is no repository at '%s': create it with "
				  "'keikaku init %s', or give --repo the plan repository's path",
				  arg, arg);
		else if (errno == EACCES)
			log_error("cannot start: cannot reach '%s': permission denied: run "
				  "keikakud as the repository's owner",
				  arg);
		else
			log_error("cannot start: cannot use '%s': %s", arg, strerror(errno));
		return -1;
	}
	/* git opens only its user's own repositories; keikakud reads no safe.directory. */
	if (st.st_uid != geteuid()) {
		log_error("cannot start: '%s' belongs to another user (uid %ld): run keikakud as "
			  "its owner",
			  repo, (long)st.st_uid);
		return -1;
	}
	if ((error = git_repository_open_bare(&r, repo)) == GIT_ENOTFOUND) {
		log_error(
			"cannot start: '%s' is not a git repository: create it with 'keikaku init "
			"PATH', or give --repo the plan repository's path",
			repo);
		return -1;
	}
	if (error < 0) {
		log_error("cannot start: cannot open '%s': %s", repo, kd_git_message());
		return -1;
	}
	git_repository_free(r);
	return 0;
}

/* Takes the repository's lock; -1 when another keikakud holds it. */
static int lock_repository(const char *repo)
{
	char path[PATH_MAX + sizeof("/" LOCK_NAME)], pid[32];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", repo, LOCK_NAME);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		log_error("cannot start: cannot open '%s': %s: keikakud writes into its "
			  "repository, so run it as the repository's owner",
			  path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = errno == EWOULDBLOCK ? read(fd, pid, sizeof(pid) - 1) : -1;

		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (errno == EWOULDBLOCK || n >= 0)
			log_error("another keikakud (pid %s) is serving '%s'", *pid ? pid : "?",
				  repo);
		else
			log_error("cannot start: cannot lock '%s': %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, strlen(pid), 0) < 0)
		log_warn("cannot write '%s', ignoring", path);
	return fd; /* held open, and so locked, until exit */
}

/*
 * Loads the signing key: `arg`, or with no path the credential systemd's
 * LoadCredential=signing-key:… passes in $CREDENTIALS_DIRECTORY.
 */
static int load_signing_key(kk_sshkey **out, const char *arg)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char path[PATH_MAX];
	kk_diag diag = {0};
	struct stat st;

	if (!arg) {
		if (!dir || !*dir) {
			log_error("cannot start: --signing-key names no file and systemd "
				  "passed no credentials: give the key's path, or "
				  "LoadCredential=signing-key:PATH in the unit");
			return -1;
		}
		snprintf(path, sizeof(path), "%s/signing-key", dir);
		arg = path;
	}
	/* As ssh does: a private key others may read is no longer private. */
	if (stat(arg, &st) == 0 && (st.st_mode & 0077)) {
		log_error("cannot start: signing key '%s' is accessible by others (mode %04o): "
			  "make it readable by keikakud's user only (chmod 0400), and make a new "
			  "key if others may have read it",
			  arg, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (kk_sshkey_load(out, arg, &diag) < 0) {
		log_error("cannot start: %s", diag.message);
		return -1;
	}
	log_info("signing with key %s", kk_sshkey_fingerprint(*out));
	return 0;
}

/*
 * libgit2 reads the global, XDG and system git configuration whenever it
 * opens a repository.  keikakud needs nothing from them (the repository's own
 * config is enough), and reading them made its start-up depend on $HOME: an
 * unreadable ~/.gitconfig, or root's HOME left in the environment, stopped
 * every connection.  An empty search path makes a level absent.
 */
static int ignore_user_git_config(void)
{
	static const int levels[] = {GIT_CONFIG_LEVEL_PROGRAMDATA, GIT_CONFIG_LEVEL_SYSTEM,
				     GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL};
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, levels[i], "") < 0) {
			log_error("cannot start: cannot set git's configuration search path: %s",
				  kd_git_message());
			return -1;
		}
	}
	return 0;
}

/*
 * The CAs an https mirror's certificate is checked against: the system's
 * (libgit2's default), or, as OpenSSL and git do, those SSL_CERT_FILE (a
 * file of PEM certificates) and SSL_CERT_DIR (a directory of them) name,
 * for a city's own CA.  They replace the system's.  A name that cannot be
 * read stops the start: said once here, not at every push.  Only with an
 * https mirror: without one keikakud makes no TLS connection, and a shell
 * or a container that sets them for its other programs changes nothing.
 */
static int load_ca_certificates(const kd_config *cfg)
{
	const char *file = getenv("SSL_CERT_FILE"), *dir = getenv("SSL_CERT_DIR");
	char what[2 * PATH_MAX + 64];
	struct stat st;
	size_t https = 0;

	for (size_t i = 0; i < cfg->mirror_count; i++)
		https += strncmp(cfg->mirrors[i], "https://", 8) == 0;
	if (file && !*file)
		file = NULL;
	if (dir && !*dir)
		dir = NULL;
	if (!https || (!file && !dir))
		return 0;
	if (file && (stat(file, &st) < 0 || (!S_ISDIR(st.st_mode) && access(file, R_OK) < 0))) {
		log_error("cannot start: cannot read SSL_CERT_FILE '%s', the CA certificates to "
			  "check https mirrors with: %s",
			  file, strerror(errno));
		return -1;
	}
	if (file && S_ISDIR(st.st_mode)) {
		log_error("cannot start: SSL_CERT_FILE '%s' is a directory: name it in "
			  "SSL_CERT_DIR",
			  file);
		return -1;
	}
	if (dir && (stat(dir, &st) < 0 || (S_ISDIR(st.st_mode) && access(dir, R_OK | X_OK) < 0))) {
		log_error("cannot start: cannot read SSL_CERT_DIR '%s', the CA certificates to "
			  "check https mirrors with: %s",
			  dir, strerror(errno));
		return -1;
	}
	if (dir && !S_ISDIR(st.st_mode)) {
		log_error("cannot start: SSL_CERT_DIR '%s' is not a directory", dir);
		return -1;
	}
	if (file && dir)
		snprintf(what, sizeof(what), "SSL_CERT_FILE '%s' and SSL_CERT_DIR '%s'", file, dir);
	else
		snprintf(what, sizeof(what), "SSL_CERT_%s '%s'", file ? "FILE" : "DIR",
			 file ? file : dir);
	if (git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, dir) < 0) {
		log_error("cannot start: cannot load the CA certificates of %s: %s", what,
			  kd_git_message());
		return -1;
	}
	log_info("https mirrors' certificates are checked against the CAs of %s", what);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"repo", required_argument, NULL, 'r'},
		{"socket", required_argument, NULL, 's'},
		{"socket-mode", required_argument, NULL, 'M'},
		{"email-domain", required_argument, NULL, 'e'},
		{"signing-key", optional_argument, NULL, 'K'},
		{"mirror", required_argument, NULL, 'm'},
		{"sync-mirrors", required_argument, NULL, 'S'},
		{"sync-mirrors-timeout", required_argument, NULL, 'T'},
		{"mirror-retry-max", required_argument, NULL, 'R'},
		{"max-line", required_argument, NULL, 'L'},
		{"max-connections", required_argument, NULL, 'C'},
		{"max-connections-per-user", required_argument, NULL, 'U'},
		{"idle-timeout", required_argument, NULL, 'I'},
		{"max-items", required_argument, NULL, 'N'},
		{"max-batch", required_argument, NULL, 'B'},
		{"max-batch-requests", required_argument, NULL, 'Q'},
		{"max-in-flight", required_argument, NULL, 'F'},
		{"max-unsent", required_argument, NULL, 'W'},
		{"max-queued-per-user", required_argument, NULL, 'P'},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	kd_config cfg = {
		.socket_path = KK_DEFAULT_SOCKET,
		.socket_mode = 0660,
		.max_line = 1024 * 1024,
		.max_conns = 256,
		.max_conns_user = 32,
		.idle_seconds = 300,
		.max_items = 1000,
		.max_batch = 512,
		.max_batch_requests = 64,
		.max_in_flight = 16,
		.max_unsent = 4 << 20,
		/* Four connections' worth at the full --max-in-flight (docs/protocol.md). */
		.max_queued_user = 64,
		.sync_timeout = 10,
		.mirror_retry_max = 60,
	};
	static const char *mirrors[KD_MIRRORS_MAX];
	char why[1024];
	char host[256] = "localhost", errbuf[1024] = "", repo[PATH_MAX];
	unsigned long long v;
	const char *signing_key = NULL;
	int sign = 0;
	kk_sshkey *key = NULL;
	kd_server *server = NULL;
	uv_loop_t loop;
	int c, lock_fd = -1, listen_fd = -1, n, code = 1;

	setlocale(LC_ALL, "");
	{
		const char *dir = getenv("KEIKAKU_LOCALEDIR");

		/* Callers may ask for their own language; the daemon's own stays as set. */
		bindtextdomain(KK_TEXTDOMAIN, dir && *dir ? dir : KK_LOCALEDIR);
		bind_textdomain_codeset(KK_TEXTDOMAIN, "UTF-8");
		/* The system's reasons (strerror) a caller is told in their language, as UTF-8. */
		bind_textdomain_codeset("libc", "UTF-8");
	}
	while ((c = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
		switch (c) {
		case 'r': cfg.repo = optarg; break;
		case 's': cfg.socket_path = optarg; break;
		case 'e': cfg.email_domain = optarg; break;
		case 'K':
			/* "--signing-key FILE" or "--signing-key=FILE"; alone, systemd's. */
			if (!optarg && optind < argc && argv[optind][0] != '-')
				optarg = argv[optind++];
			sign = 1;
			signing_key = optarg;
			break;
		case 'm':
			if (kd_mirror_url_check(optarg, why, sizeof(why)) < 0) {
				fprintf(stderr, "keikakud: %s\n", why);
				return 2;
			}
			if (cfg.mirror_count == KD_MIRRORS_MAX) {
				fprintf(stderr, "keikakud: at most %d mirrors\n", KD_MIRRORS_MAX);
				return 2;
			}
			mirrors[cfg.mirror_count++] = optarg;
			cfg.mirrors = mirrors;
			break;
		case 'S':
			if (parse_number(&v, optarg, "--sync-mirrors", 0, 100, 10) < 0)
				return 2;
			cfg.sync_mirrors = (unsigned)v;
			break;
		case 'T':
			if (parse_number(&v, optarg, "--sync-mirrors-timeout", 1, 3600, 10) < 0)
				return 2;
			cfg.sync_timeout = (unsigned)v;
			break;
		case 'R':
			if (parse_number(&v, optarg, "--mirror-retry-max", 1, 3600, 10) < 0)
				return 2;
			cfg.mirror_retry_max = (unsigned)v;
			break;
		case 'v': cfg.verbose = 1; break;
		case 'V': printf("keikakud %s\n", KK_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		case 'M':
			if (parse_number(&v, optarg, "--socket-mode", 0, 0777, 8) < 0)
				return 2;
			cfg.socket_mode = (unsigned)v;
			break;
		case 'L':
			if (parse_number(&v, optarg, "--max-line", 1024, 64u << 20, 10) < 0)
				return 2;
			cfg.max_line = (size_t)v;
			break;
		case 'C':
			if (parse_number(&v, optarg, "--max-connections", 1, 100000, 10) < 0)
				return 2;
			cfg.max_conns = (unsigned)v;
			break;
		case 'U':
			if (parse_number(&v, optarg, "--max-connections-per-user", 1, 100000, 10) <
			    0)
				return 2;
			cfg.max_conns_user = (unsigned)v;
			break;
		case 'I':
			if (parse_number(&v, optarg, "--idle-timeout", 1, 86400, 10) < 0)
				return 2;
			cfg.idle_seconds = (unsigned)v;
			break;
		case 'N':
			if (parse_number(&v, optarg, "--max-items", 1, 100000, 10) < 0)
				return 2;
			cfg.max_items = (size_t)v;
			break;
		case 'B':
			if (parse_number(&v, optarg, "--max-batch", 1, 100000, 10) < 0)
				return 2;
			cfg.max_batch = (size_t)v;
			break;
		case 'Q':
			if (parse_number(&v, optarg, "--max-batch-requests", 1, 100000, 10) < 0)
				return 2;
			cfg.max_batch_requests = (size_t)v;
			break;
		case 'F':
			if (parse_number(&v, optarg, "--max-in-flight", 1, 100000, 10) < 0)
				return 2;
			cfg.max_in_flight = (unsigned)v;
			break;
		case 'W':
			if (parse_number(&v, optarg, "--max-unsent", 4096, 1ull << 30, 10) < 0)
				return 2;
			cfg.max_unsent = (size_t)v;
			break;
		case 'P':
			if (parse_number(&v, optarg, "--max-queued-per-user", 1, 100000, 10) < 0)
				return 2;
			cfg.max_queued_user = (unsigned)v;
			break;
		default:
			fprintf(stderr, "keikakud: unknown option '%s'\ntry 'keikakud --help'\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (!cfg.repo || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (cfg.sync_mirrors > cfg.mirror_count) {
		fprintf(stderr,
			"keikakud: --sync-mirrors %u asks for more mirrors than the %zu given with "
			"--mirror\n",
			cfg.sync_mirrors, cfg.mirror_count);
		return 2;
	}
	if (kd_mirrors_check(cfg.repo, cfg.mirrors, cfg.mirror_count, why, sizeof(why)) < 0) {
		fprintf(stderr, "keikakud: %s\n", why);
		return 2;
	}
	if (!cfg.email_domain) {
		gethostname(host, sizeof(host) - 1);
		cfg.email_domain = host;
	}
	log_init(cfg.verbose);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Without TZ, glibc's mktime() (behind every commit's signature) stats
	 * /etc/localtime and copies its name again each time; with TZ naming it,
	 * the zone is read once.  A changed /etc/localtime then takes a restart.
	 */
	if (!getenv("TZ"))
		setenv("TZ", ":/etc/localtime", 0);
	tzset();

	git_libgit2_init();
	/* Refs are written through libgit2: make them durable too. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	/*
	 * No object cache.  Once libgit2's is full, every object it takes in
	 * first evicts a few, scanning its hash table from the first bucket each
	 * time, over more and more buckets it emptied before: after 100,000 updates
	 * that scan was 3% of the writer and its churn of the heap most of another
	 * 6%.  What keikakud reads again and again it keeps itself (parsed
	 * documents, the trees it wrote last, its recent commits).
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
	/* A long-running process: bound the pack windows libgit2 maps (8 GiB by default). */
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)(64 << 20));
	/*
	 * Reads do not hash every object again (git does not either): a 10,000-item
	 * plan's items/ tree is 380 KB, and re-hashing it was three quarters of
	 * the history index's cost.  `keikaku verify` and `git fsck` check objects.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	if (ignore_user_git_config() < 0 || load_ca_certificates(&cfg) < 0 ||
	    check_repository(repo, cfg.repo) < 0 ||
	    (sign && load_signing_key(&key, signing_key) < 0))
		goto out;
	cfg.signing_key = key;
	cfg.repo = repo;
	if ((lock_fd = lock_repository(cfg.repo)) < 0)
		goto out;
	nftw(cfg.repo, remove_leftover, 16, FTW_PHYS);
	if (key && kd_signers_start(cfg.repo, geteuid(), key, cfg.email_domain) < 0)
		goto out;

	if ((n = sd_listen_fds(1)) > 1) {
		log_error("systemd passed %d sockets; expected one", n);
		goto out;
	}
	if (n == 1)
		listen_fd = SD_LISTEN_FDS_START;

	uv_loop_init(&loop);
	if (kd_server_start(&server, &cfg, &loop, listen_fd, errbuf, sizeof(errbuf)) < 0) {
		log_error("cannot start: %s", errbuf);
		kd_server_abort(server);
		uv_run(&loop, UV_RUN_DEFAULT);
	} else {
		kd_server_run(server);
		code = 0;
	}
	if (uv_loop_close(&loop) != 0) {
		log_error("handles left open at exit");
		code = 1;
	}
	kd_server_free(server);
	if (code == 0)
		log_info("stopped");
out:
	git_libgit2_shutdown();
	if (lock_fd >= 0)
		close(lock_fd);
	kk_sshkey_free(key);
	return code;
}

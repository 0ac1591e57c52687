/*
 * mirror_ssh.c - ssh for the mirrors: the keys keikakud offers (its user's
 * agent, then its key files in ~/.ssh) and the check of a mirror's host key
 * against ~/.ssh/known_hosts, plain or hashed (HMAC-SHA1, nettle), with
 * @revoked honoured.  libgit2 1.5 checks no host key itself: without this,
 * anyone between keikakud and a mirror could take the pushes.
 */
#include <fnmatch.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nettle/base64.h>
#include <nettle/hmac.h>

#include "mirror_ssh.h"

static const char *home_dir(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home && *home)
		return home;
	pw = getpwuid(geteuid());
	return pw && pw->pw_dir ? pw->pw_dir : "/";
}

static const char *login_name(void)
{
	struct passwd *pw = getpwuid(geteuid());

	return pw ? pw->pw_name : "keikaku";
}

int kd_mirror_ssh_credentials(git_credential **out, const char *url, const char *user_from_url,
			      unsigned int allowed, int attempt)
{
	static const char *const keys[] = {"id_ed25519", "id_ecdsa", "id_rsa"};
	const char *user = user_from_url && *user_from_url ? user_from_url : login_name();
	const char *agent = getenv("SSH_AUTH_SOCK");
	int n = 0;

	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		if (agent && *agent && attempt == n++)
			return git_credential_ssh_key_from_agent(out, user);
		for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
			char key[4096], pub[4096 + 4];

			snprintf(key, sizeof(key), "%s/.ssh/%s", home_dir(), keys[i]);
			if (access(key, R_OK) != 0)
				continue;
			if (attempt == n++) {
				snprintf(pub, sizeof(pub), "%s.pub", key);
				return git_credential_ssh_key_new(
					out, user, access(pub, R_OK) == 0 ? pub : NULL, key, NULL);
			}
		}
	}
	git_error_set_str(GIT_ERROR_SSH,
			  n ? "the mirror accepted none of the ssh keys offered (the agent's, "
			      "~/.ssh/id_ed25519, id_ecdsa, id_rsa)"
			    : "no ssh key to offer the mirror: keikakud's user has no agent and "
			      "no ~/.ssh/id_ed25519, id_ecdsa or id_rsa");
	(void)url;
	return -1;
}

/* The port an ssh URL names: ssh://[user@]host[:port]/path, else 22. */
static unsigned url_port(const char *url)
{
	const char *p, *end;

	if (strncmp(url, "ssh://", 6) != 0)
		return 22;
	p = url + 6;
	end = p + strcspn(p, "/");
	if (memchr(p, '@', (size_t)(end - p)))
		p = (const char *)memchr(p, '@', (size_t)(end - p)) + 1;
	if (*p == '[') {
		p = memchr(p, ']', (size_t)(end - p));
		if (!p)
			return 22;
	}
	p = memchr(p, ':', (size_t)(end - p));
	return p ? (unsigned)strtoul(p + 1, NULL, 10) : 22;
}

/* base64 `text` (`len` bytes) into `out` (at least BASE64_DECODE_LENGTH(len)); -1 if bad. */
static int decode64(uint8_t *out, size_t *out_len, const char *text, size_t len)
{
	struct base64_decode_ctx ctx;

	base64_decode_init(&ctx);
	return base64_decode_update(&ctx, out_len, out, len, text) && base64_decode_final(&ctx)
		       ? 0
		       : -1;
}

/* Tells whether `name` matches a hashed pattern "|1|SALT|HASH". */
static int hashed_match(const char *pattern, const char *name)
{
	const char *salt = pattern + 3, *bar = strchr(salt, '|');
	uint8_t key[64], want[64], got[SHA1_DIGEST_SIZE];
	size_t key_len = 0, want_len = 0;
	struct hmac_sha1_ctx ctx;

	if (!bar || (size_t)(bar - salt) > 80 || strlen(bar + 1) > 80 ||
	    decode64(key, &key_len, salt, (size_t)(bar - salt)) < 0 ||
	    decode64(want, &want_len, bar + 1, strlen(bar + 1)) < 0 || want_len != SHA1_DIGEST_SIZE)
		return 0;
	hmac_sha1_set_key(&ctx, key_len, key);
	hmac_sha1_update(&ctx, strlen(name), (const uint8_t *)name);
	hmac_sha1_digest(&ctx, SHA1_DIGEST_SIZE, got);
	return memcmp(got, want, SHA1_DIGEST_SIZE) == 0;
}

/* Tells whether the comma-separated `patterns` of a known_hosts line take `name`. */
static int hosts_match(char *patterns, const char *name)
{
	int matched = 0;

	for (char *save = NULL, *p = strtok_r(patterns, ",", &save); p;
	     p = strtok_r(NULL, ",", &save)) {
		int negated = *p == '!';

		if (negated)
			p++;
		if (strncmp(p, "|1|", 3) == 0 ? hashed_match(p, name)
					      : fnmatch(p, name, FNM_CASEFOLD) == 0) {
			if (negated)
				return 0;
			matched = 1;
		}
	}
	return matched;
}

int kd_mirror_ssh_check_host(git_cert *cert, int valid, const char *host, const char *url)
{
	const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
	char path[4096], name[512], line[16384];
	unsigned port = url_port(url);
	int found = 0, revoked = 0;
	FILE *f;

	(void)valid;
	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return GIT_PASSTHROUGH;
	if (!(hk->type & GIT_CERT_SSH_RAW)) {
		git_error_set_str(GIT_ERROR_SSH, "libgit2 gave no host key to check");
		return GIT_ECERTIFICATE;
	}
	if (port == 22)
		snprintf(name, sizeof(name), "%s", host);
	else
		snprintf(name, sizeof(name), "[%s]:%u", host, port);
	snprintf(path, sizeof(path), "%s/.ssh/known_hosts", home_dir());
	if ((f = fopen(path, "re"))) {
		while (fgets(line, sizeof(line), f)) {
			char *save = NULL, *first = strtok_r(line, " \t\r\n", &save), *patterns,
			     *key;
			int is_revoked = 0;
			uint8_t *blob;
			size_t blob_len = 0;

			if (!first || *first == '#')
				continue;
			if (*first == '@') {
				if (strcmp(first, "@revoked") != 0)
					continue; /* @cert-authority: no certificates here */
				is_revoked = 1;
				first = strtok_r(NULL, " \t\r\n", &save);
			}
			patterns = first;
			if (!patterns || !strtok_r(NULL, " \t\r\n", &save) ||
			    !(key = strtok_r(NULL, " \t\r\n", &save)))
				continue;
			if (!hosts_match(patterns, name) && !is_revoked)
				continue;
			if (!(blob = malloc(BASE64_DECODE_LENGTH(strlen(key)))))
				continue;
			if (decode64(blob, &blob_len, key, strlen(key)) == 0 &&
			    blob_len == hk->hostkey_len &&
			    memcmp(blob, hk->hostkey, blob_len) == 0) {
				if (is_revoked)
					revoked = 1;
				else
					found = 1;
			}
			free(blob);
		}
		fclose(f);
	}
	if (revoked) {
		git_error_set(GIT_ERROR_SSH, "the host key of %s is marked @revoked in %s", name,
			      path);
		return GIT_ECERTIFICATE;
	}
	if (!found) {
		git_error_set(GIT_ERROR_SSH,
			      "the host key of %s is not in %s: add it once you have checked "
			      "its fingerprint (ssh-keyscan -p %u %s)",
			      name, path, port, host);
		return GIT_ECERTIFICATE;
	}
	return 0;
}

/*
 * test_sshsig.h - what the two files of the test_sshsig program share: the
 * test's directory and keys, made once by its setup, and the helpers that
 * run the real tools (tests/test_sshsig.c; tests/sshsig_git.c has the
 * commits and tags checked by stock git).
 */
#ifndef KK_TEST_SSHSIG_H
#define KK_TEST_SSHSIG_H

#include "sshsig.h"

/* 2024-06-01T00:00:00Z, when the test's commits and tags are made. */
#define WHEN 1717200000
/* 2024-01-01T00:00:00Z and 2025-01-01T00:00:00Z. */
#define Y2024 1704067200
#define Y2025 1735689600

#define SIGNER "keikakud@city.example"
#define OTHER  "other@city.example"

/* Stock git in the test's repository, with no configuration but the allowed signers `signers`. */
#define GIT                                                                                        \
	"HOME=%s GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null git -C %s/repo -c "             \
	"gpg.format=ssh -c gpg.ssh.allowedSignersFile=%s/%s "

/* The test's directory. */
extern char *dir;
/* The signing key; another, also an allowed signer; one nobody lists. */
extern kk_sshkey *key, *other, *stranger;

/* A path in the test's directory; static storage, eight at a time. */
const char *at(const char *name);

/* Runs a shell command, stderr into stdout; *out gets what it printed.  Returns its exit code. */
int run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void write_text(const char *path, const char *text);

/* Writes the allowed signers file `name` from `fmt`: each %s is a key's text, in order. */
void write_signers(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The key's type and base64, without its comment: what an allowed signers line ends with. */
const char *key_text(const kk_sshkey *k);

/* Writes `name`: the signature `from` with its public key replaced by that of `k`. */
void write_claiming(const char *name, const char *from, const kk_sshkey *k);

/* Parses the allowed signers file `name` into `s`; fails the test when it cannot. */
void load_signers(kk_signers *s, const char *name);

/* The group's teardown: the keys and the directory go (close_repository() ends with it). */
int teardown(void **state);

/* tests/sshsig_git.c */
void test_commit_verified_by_git(void **state);
void test_tag_verified_by_git(void **state);
void test_refusals_by_git(void **state);
int close_repository(void **state);

#endif

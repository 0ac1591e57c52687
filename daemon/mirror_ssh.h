/*
 * mirror_ssh.h - ssh for the mirrors (mirror_ssh.c): the keys keikakud
 * offers, from its user's agent or ~/.ssh, and the check of a mirror's host
 * key against ~/.ssh/known_hosts, which libgit2 1.5 does not make itself.
 */
#ifndef KD_MIRROR_SSH_H
#define KD_MIRROR_SSH_H

#include <git2.h>

/*
 * libgit2's credential callback, for the `attempt`th time in one
 * connection: the ssh agent ($SSH_AUTH_SOCK) first, then ~/.ssh/id_ed25519,
 * id_ecdsa and id_rsa, each once; then -1 with libgit2's error set.
 * The user is the URL's, or keikakud's login.
 */
int kd_mirror_ssh_credentials(git_credential **out, const char *url, const char *user_from_url,
			      unsigned int allowed, int attempt);

/*
 * libgit2's certificate callback: an ssh host key must be listed for the
 * host (and the port `url` names) in ~/.ssh/known_hosts, plainly or hashed,
 * and not @revoked; else GIT_ECERTIFICATE with the reason set.  Other
 * certificates (https) are libgit2's to judge by `valid`.
 */
int kd_mirror_ssh_check_host(git_cert *cert, int valid, const char *host, const char *url);

#endif

/*
 * fuzz_sshsig.c - the parsers of core/git/sshsig.h: OpenSSH private key
 * files, SSHSIG armour, allowed signers files, and signed commits and tags
 * taken apart.
 *
 * The first byte chooses the parser (its value modulo 4), the rest is its
 * text:
 *   0  a private key file: a key read signs, its signature checks, and the
 *      allowed signers line of its public key allows it;
 *   1  an allowed signers file: each Ed25519 line read finds its own key;
 *   2  an armored signature, checked against a fixed message in two
 *      namespaces;
 *   3  a raw commit or tag: taken apart and its signature checked; signed
 *      with a fixed key when it is not, and taken apart again into exactly
 *      what was signed.
 */
#include <string.h>

#include "fuzz.h"
#include "sshsig.h"

/* A key made for this target alone (ssh-keygen -t ed25519 -N ''): it signs nothing else. */
static const char fixed_key[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
	"QyNTUxOQAAACCliOOa8RWfS/2pAZJ7nMG4N+ZafvzHau1iVnvijwTkygAAAJiTMqsXkzKr\n"
	"FwAAAAtzc2gtZWQyNTUxOQAAACCliOOa8RWfS/2pAZJ7nMG4N+ZafvzHau1iVnvijwTkyg\n"
	"AAAEB3OxcAG7lkTOoI4bYpHK84nZgausCxmO0pH49zRp9CjqWI45rxFZ9L/akBknucwbg3\n"
	"5lp+/Mdq7WJWe+KPBOTKAAAAEWZ1enpAa2Vpa2FrdS50ZXN0AQIDBA==\n"
	"-----END OPENSSH PRIVATE KEY-----\n";

static const char message[] = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n";

static void fuzz_key(const char *text, size_t len)
{
	kk_sshkey *key = NULL;
	kk_sshpub signer;
	kk_signers signers = {0};
	const kk_signer *line = NULL;
	char *sig = NULL, *list = NULL;
	size_t sig_len = 0;

	if (kk_sshkey_parse(&key, text, len, "fuzz", NULL) < 0)
		return;
	FUZZ_CHECK(strncmp(kk_sshkey_authorized_key(key), "ssh-ed25519 ", 12) == 0);
	FUZZ_CHECK(strncmp(kk_sshkey_fingerprint(key), "SHA256:", 7) == 0);
	if (kk_sshsig_sign(&sig, &sig_len, key, KK_SSHSIG_GIT, message, strlen(message), NULL) ==
	    0) {
		FUZZ_CHECK(kk_sshsig_verify(&signer, sig, sig_len, KK_SSHSIG_GIT, message,
					    strlen(message), NULL) == 0);
		FUZZ_CHECK(memcmp(&signer, kk_sshkey_public(key), sizeof(signer)) == 0);
	}
	/* Its comment may hold anything: the line is read up to the key, and the rest is a comment. */
	if ((list = malloc(strlen(kk_sshkey_authorized_key(key)) + 32))) {
		strcpy(list, "a@b namespaces=\"git\" ");
		strcat(list, kk_sshkey_authorized_key(key));
		if (!strpbrk(list, "\n\r") &&
		    kk_signers_parse(&signers, list, strlen(list), "fuzz", 0, NULL) == 0)
			FUZZ_CHECK(kk_signers_check(&line, &signers, kk_sshkey_public(key),
						    KK_SSHSIG_GIT, 1, NULL) == KK_SIGNER_ALLOWED);
	}
	kk_signers_clear(&signers);
	free(list);
	free(sig);
	kk_sshkey_free(key);
}

static void fuzz_signers(const char *text, size_t len)
{
	kk_signers signers = {0};
	const kk_signer *line = NULL;

	if (kk_signers_parse(&signers, text, len, "fuzz", 540, NULL) < 0)
		return;
	for (size_t i = 0; i < signers.count; i++) {
		const kk_signer *s = &signers.items[i];

		FUZZ_CHECK(s->principals && *s->principals);
		FUZZ_CHECK(!s->valid_after || !s->valid_before || s->valid_after < s->valid_before);
		if (!s->ed25519)
			continue;
		/* A line that allows the key, or the first that lists it. */
		if (kk_signers_check(&line, &signers, &s->key, KK_SSHSIG_GIT, s->valid_after,
				     NULL) == KK_SIGNER_ALLOWED)
			FUZZ_CHECK(line && memcmp(&line->key, &s->key, sizeof(s->key)) == 0);
		else
			FUZZ_CHECK(line && line->line <= s->line);
	}
	kk_signers_clear(&signers);
}

static void fuzz_armour(const char *text, size_t len)
{
	kk_sshpub signer;

	(void)kk_sshsig_verify(&signer, text, len, KK_SSHSIG_GIT, message, strlen(message), NULL);
	(void)kk_sshsig_verify(&signer, text, len, "file", text, len, NULL);
}

static void fuzz_object(const char *text, size_t len)
{
	kk_buf payload = {0}, sig = {0}, again = {0}, again_sig = {0};
	kk_sshkey *key = NULL;
	kk_sshpub signer;
	char *made = NULL;
	size_t made_len = 0;
	int error;

	if (kk_sshsig_split_commit(&payload, &sig, text, len, NULL) == 0)
		(void)kk_sshsig_verify(&signer, sig.data, sig.len, KK_SSHSIG_GIT, payload.data,
				       payload.len, NULL);
	kk_buf_clear(&payload);
	kk_buf_clear(&sig);
	if (kk_sshsig_split_tag(&payload, &sig, text, len, NULL) == 0)
		(void)kk_sshsig_verify(&signer, sig.data, sig.len, KK_SSHSIG_GIT, payload.data,
				       payload.len, NULL);
	kk_buf_clear(&payload);
	kk_buf_clear(&sig);

	/* Signed as git signs a commit, it comes apart into exactly what was signed. */
	if (memchr(text, '\0', len) ||
	    kk_sshkey_parse(&key, fixed_key, strlen(fixed_key), "fuzz", NULL) < 0)
		goto done;
	error = kk_sshsig_sign_commit(&made, &made_len, key, text, len, NULL);
	/* A commit git makes has no gpgsig-sha256 either: taking it apart drops that too. */
	if (error == 0 && !memmem(text, len, "\ngpgsig-sha256 ", 15)) {
		FUZZ_CHECK(kk_sshsig_split_commit(&again, &again_sig, made, made_len, NULL) == 0);
		FUZZ_CHECK(again.len == len && memcmp(again.data, text, len) == 0);
		FUZZ_CHECK(kk_sshsig_verify(&signer, again_sig.data, again_sig.len, KK_SSHSIG_GIT,
					    again.data, again.len, NULL) == 0);
	}
done:
	kk_buf_clear(&again);
	kk_buf_clear(&again_sig);
	free(made);
	kk_sshkey_free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1;

	if (size < 1 || size > 64 * 1024)
		return 0;
	switch (data[0] % 4) {
	case 0: fuzz_key(text, size - 1); break;
	case 1: fuzz_signers(text, size - 1); break;
	case 2: fuzz_armour(text, size - 1); break;
	default: fuzz_object(text, size - 1); break;
	}
	return 0;
}

/*
 * sshsig_key.c - the private key that signs (sshsig.h): an OpenSSH key
 * file (PROTOCOL.key, "openssh-key-v1"), unencrypted ssh-ed25519, read
 * and checked; its public half as an authorized_keys line and as a
 * fingerprint.  The key owns the only copy of the private seed, and wipes
 * it, and every buffer the file passed through, when it is freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/eddsa.h>

#include "i18n.h"
#include "sshsig_internal.h"

#define KEY_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define KEY_END	  "-----END OPENSSH PRIVATE KEY-----"
/* "openssh-key-v1" and its NUL. */
#define KEY_MAGIC     "openssh-key-v1"
#define KEY_MAGIC_LEN 15
/* An Ed25519 key file is about 400 bytes; anything past this is no key. */
#define KEY_FILE_MAX (64 * 1024)
/* The private part of an unencrypted key is padded to this. */
#define KEY_BLOCK 8

struct kk_sshkey {
	unsigned char seed[ED25519_KEY_SIZE]; /* the private key */
	kk_sshpub pub;
	char *authorized; /* "ssh-ed25519 AAAA… comment" */
	char fingerprint[KK_SSH_FINGERPRINT_MAX];
};

/* Frees `p` after wiping its `n` bytes. */
static void wipe_free(void *p, size_t n)
{
	if (p) {
		explicit_bzero(p, n);
		free(p);
	}
}

static int damaged(kk_diag *diag, const char *name, const char *why)
{
	kk_diag_set(
		diag, KK_EINVALID,
		_("the private key '%s' is damaged (%s): make a new one with ssh-keygen -t ed25519 -N ''"),
		name, _(why));
	kk_diag_set_path(diag, name);
	return KK_EINVALID;
}

static int build_public(kk_sshkey *key, const unsigned char *comment, size_t comment_len)
{
	unsigned char blob[KK_SSH_PUB_BLOB_SIZE];
	char *b64;
	size_t i;
	kk_buf line = {0};

	kk_sshpub_blob(blob, &key->pub);
	if (!(b64 = kk_sshsig_base64_encode(blob, sizeof(blob))))
		return KK_ENOMEM;
	kk_buf_puts(&line, KK_SSH_ED25519_TYPE " ");
	kk_buf_puts(&line, b64);
	free(b64);
	/* A comment that would break the line is left out. */
	for (i = 0; i < comment_len && comment[i] >= 0x20 && comment[i] != 0x7f; i++)
		;
	if (comment_len && i == comment_len) {
		kk_buf_puts(&line, " ");
		kk_buf_put(&line, (const char *)comment, comment_len);
	}
	if (line.failed) {
		kk_buf_clear(&line);
		return KK_ENOMEM;
	}
	key->authorized = line.data;
	kk_sshpub_fingerprint(key->fingerprint, &key->pub);
	return 0;
}

/*
 * The private part of an unencrypted key file: two equal check numbers,
 * the key (its type, public key, and private key as seed and public key),
 * its comment, then padding 1, 2, 3… to a whole block.
 */
static int parse_private(kk_sshkey *key, const unsigned char *p, size_t n, const char *name,
			 kk_diag *diag)
{
	kk_sshwire w = {p, n};
	const unsigned char *type, *pub, *priv, *comment;
	size_t type_len, pub_len, priv_len, comment_len, i;
	uint32_t check1, check2;
	unsigned char derived[ED25519_KEY_SIZE];

	if (n % KEY_BLOCK)
		return damaged(diag, name, N_("its private part is cut short"));
	if (kk_sshwire_u32(&w, &check1) < 0 || kk_sshwire_u32(&w, &check2) < 0 ||
	    kk_sshwire_string(&w, &type, &type_len) < 0 ||
	    kk_sshwire_string(&w, &pub, &pub_len) < 0 ||
	    kk_sshwire_string(&w, &priv, &priv_len) < 0 ||
	    kk_sshwire_string(&w, &comment, &comment_len) < 0)
		return damaged(diag, name, N_("its private part is cut short"));
	if (check1 != check2)
		return damaged(diag, name, N_("its check numbers differ"));
	if (!kk_sshwire_equals(type, type_len, KK_SSH_ED25519_TYPE) ||
	    pub_len != ED25519_KEY_SIZE || priv_len != 2 * ED25519_KEY_SIZE)
		return damaged(diag, name, N_("its private part is not an Ed25519 key"));
	for (i = 0; i < w.len; i++)
		if (w.p[i] != (unsigned char)(i + 1))
			return damaged(diag, name, N_("its padding is wrong"));

	/* The private key is the seed and the public key again. */
	ed25519_sha512_public_key(derived, priv);
	if (memcmp(derived, pub, ED25519_KEY_SIZE) != 0 ||
	    memcmp(priv + ED25519_KEY_SIZE, pub, ED25519_KEY_SIZE) != 0 ||
	    memcmp(pub, key->pub.key, ED25519_KEY_SIZE) != 0)
		return damaged(diag, name, N_("its public and private halves do not match"));
	memcpy(key->seed, priv, ED25519_KEY_SIZE);
	if (build_public(key, comment, comment_len) < 0)
		return kk_sshsig_oom(diag);
	return 0;
}

/* The decoded key file: magic, cipher, KDF and its options, the keys. */
static int parse_blob(kk_sshkey *key, const unsigned char *blob, size_t n, const char *name,
		      kk_diag *diag)
{
	kk_sshwire w = {blob, n};
	const unsigned char *cipher, *kdf, *kdf_options, *pub, *priv, *type;
	size_t cipher_len, kdf_len, kdf_options_len, pub_len, priv_len, type_len;
	uint32_t count;
	char text[64];
	int ed25519;

	if (n < KEY_MAGIC_LEN || memcmp(blob, KEY_MAGIC, KEY_MAGIC_LEN) != 0)
		return damaged(diag, name, N_("it is not in the openssh-key-v1 format"));
	w.p += KEY_MAGIC_LEN;
	w.len -= KEY_MAGIC_LEN;
	if (kk_sshwire_string(&w, &cipher, &cipher_len) < 0 ||
	    kk_sshwire_string(&w, &kdf, &kdf_len) < 0 ||
	    kk_sshwire_string(&w, &kdf_options, &kdf_options_len) < 0 ||
	    kk_sshwire_u32(&w, &count) < 0)
		return damaged(diag, name, N_("it is cut short"));
	if (!kk_sshwire_equals(cipher, cipher_len, "none")) {
		kk_diag_set(
			diag, KK_EINVALID,
			_("the private key '%s' is protected by a passphrase, which cannot be typed here: remove it with ssh-keygen -p -N '' -f '%s', or make a key with ssh-keygen -t ed25519 -N ''"),
			name, name);
		kk_diag_set_path(diag, name);
		return KK_EINVALID;
	}
	if (count != 1) {
		kk_diag_set(
			diag, KK_EINVALID,
			_("the private key file '%s' holds %lu keys, not one: make a key with ssh-keygen -t ed25519 -N ''"),
			name, (unsigned long)count);
		kk_diag_set_path(diag, name);
		return KK_EINVALID;
	}
	if (kk_sshwire_string(&w, &pub, &pub_len) < 0 ||
	    (ed25519 = kk_sshpub_parse_blob(&key->pub, &type, &type_len, pub, pub_len)) < 0)
		return damaged(diag, name, N_("its public key is not well formed"));
	if (!ed25519) {
		kk_diag_set(
			diag, KK_EINVALID,
			_("the private key '%s' is of type '%s', not ssh-ed25519: make one with ssh-keygen -t ed25519 -N ''"),
			name, kk_sshsig_printable(text, sizeof(text), type, type_len));
		kk_diag_set_path(diag, name);
		return KK_EINVALID;
	}
	if (kk_sshwire_string(&w, &priv, &priv_len) < 0)
		return damaged(diag, name, N_("it is cut short"));
	if (w.len)
		return damaged(diag, name, N_("there are bytes after its key"));
	return parse_private(key, priv, priv_len, name, diag);
}

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int starts_with(const char *p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

int kk_sshkey_parse(kk_sshkey **out, const char *text, size_t len, const char *name, kk_diag *diag)
{
	const char *end = text + len, *p = skip_space(text, end), *body, *stop;
	unsigned char *blob = NULL;
	size_t blob_len = 0;
	kk_sshkey *key = NULL;
	int error;

	if (!starts_with(p, end, KEY_BEGIN)) {
		if (starts_with(p, end, "ssh-") || starts_with(p, end, "ecdsa-") ||
		    starts_with(p, end, "sk-"))
			kk_diag_set(
				diag, KK_EINVALID,
				_("'%s' is a public key: give the private key, the file without .pub"),
				name);
		else
			kk_diag_set(
				diag, KK_EINVALID,
				_("'%s' is not an OpenSSH private key: make one with ssh-keygen -t ed25519 -N ''"),
				name);
		kk_diag_set_path(diag, name);
		return KK_EINVALID;
	}
	body = p + strlen(KEY_BEGIN);
	if (!(stop = memmem(body, (size_t)(end - body), KEY_END, strlen(KEY_END))))
		return damaged(diag, name, N_("its last line is missing"));
	error = kk_sshsig_base64_decode(&blob, &blob_len, body, (size_t)(stop - body));
	if (error == KK_ENOMEM)
		return kk_sshsig_oom(diag);
	if (error < 0)
		return damaged(diag, name, N_("its base64 is not valid"));

	if (!(key = calloc(1, sizeof(*key)))) {
		error = kk_sshsig_oom(diag);
		goto done;
	}
	if ((error = parse_blob(key, blob, blob_len, name, diag)) < 0)
		goto done;
	*out = key;
	key = NULL;
done:
	wipe_free(blob, blob_len);
	kk_sshkey_free(key);
	return error;
}

int kk_sshkey_load(kk_sshkey **out, const char *path, kk_diag *diag)
{
	struct stat st;
	char *text = NULL, msg[128];
	size_t len = 0, size = 0;
	ssize_t n;
	int fd, error, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode) || st.st_size > KEY_FILE_MAX) {
		close(fd);
		kk_diag_set(
			diag, KK_EINVALID,
			_("'%s' is not an OpenSSH private key: make one with ssh-keygen -t ed25519 -N ''"),
			path);
		kk_diag_set_path(diag, path);
		return KK_EINVALID;
	}
	size = (size_t)st.st_size;
	if (!(text = malloc(size + 1))) {
		close(fd);
		return kk_sshsig_oom(diag);
	}
	while (len < size) {
		n = read(fd, text + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	error = kk_sshkey_parse(out, text, len, path, diag);
	wipe_free(text, size + 1);
	return error;

fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	wipe_free(text, size + 1);
	/* strerror() is not thread-safe. */
	kk_diag_set(diag, KK_EIO, _("cannot read the private key '%s': %s"), path,
		    strerror_r(saved, msg, sizeof(msg)));
	kk_diag_set_errno(diag, saved);
	kk_diag_set_path(diag, path);
	return KK_EIO;
}

void kk_sshkey_free(kk_sshkey *key)
{
	if (!key)
		return;
	free(key->authorized);
	wipe_free(key, sizeof(*key));
}

const kk_sshpub *kk_sshkey_public(const kk_sshkey *key)
{
	return &key->pub;
}

const char *kk_sshkey_authorized_key(const kk_sshkey *key)
{
	return key->authorized;
}

const char *kk_sshkey_fingerprint(const kk_sshkey *key)
{
	return key->fingerprint;
}

const unsigned char *kk_sshkey_seed(const kk_sshkey *key)
{
	return key->seed;
}

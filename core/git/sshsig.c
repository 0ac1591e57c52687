/*
 * sshsig.c - SSH signatures as OpenSSH makes them (PROTOCOL.sshsig) and git
 * uses them (sshsig.h): signing and checking a message in a namespace, and
 * a commit or tag signed and taken apart as git's commit.c
 * (add_header_signature, parse_buffer_signed_by_header) and tag.c do it.
 * Also the wire encoding and base64 that the key and the allowed signers
 * share (sshsig_internal.h).
 */
#include "sshsig.h"

#include <stdlib.h>
#include <string.h>

#include <nettle/base64.h>
#include <nettle/eddsa.h>
#include <nettle/sha2.h>

#include "i18n.h"
#include "sshsig_internal.h"

#define SIG_MAGIC     "SSHSIG"
#define SIG_MAGIC_LEN 6
#define SIG_VERSION   1
#define SIG_BEGIN     "-----BEGIN SSH SIGNATURE-----"
#define SIG_END	      "-----END SSH SIGNATURE-----"
/* ssh-keygen's base64 lines are this long. */
#define SIG_COLUMNS 70
/* What kk_sshsig_sign() hashes with: ssh-keygen's default. */
#define SIG_HASH "sha512"

/* The header git signs commits with, in a SHA-1 repository. */
#define COMMIT_SIG_HEADER "gpgsig"

/*
 * The first lines of the signatures git knows (gpg-interface.c): a tag's
 * signature starts at the last line that starts with one of them.
 */
static const char *const signature_starts[] = {
	"-----BEGIN PGP SIGNATURE-----",
	"-----BEGIN PGP MESSAGE-----",
	"-----BEGIN SIGNED MESSAGE-----",
	SIG_BEGIN,
};

int kk_sshsig_oom(kk_diag *diag)
{
	return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
}

const char *kk_sshsig_printable(char *buf, size_t size, const unsigned char *s, size_t n)
{
	size_t i;

	if (n > size - 1)
		n = size - 1;
	for (i = 0; i < n; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	buf[n] = '\0';
	return buf;
}

/*
 * The wire encoding
 */

int kk_sshwire_u32(kk_sshwire *w, uint32_t *out)
{
	if (w->len < 4)
		return -1;
	*out = (uint32_t)w->p[0] << 24 | (uint32_t)w->p[1] << 16 | (uint32_t)w->p[2] << 8 |
	       (uint32_t)w->p[3];
	w->p += 4;
	w->len -= 4;
	return 0;
}

int kk_sshwire_string(kk_sshwire *w, const unsigned char **s, size_t *n)
{
	kk_sshwire rest = *w;
	uint32_t len;

	if (kk_sshwire_u32(&rest, &len) < 0 || rest.len < len)
		return -1;
	*s = rest.p;
	*n = len;
	w->p = rest.p + len;
	w->len = rest.len - len;
	return 0;
}

int kk_sshwire_equals(const unsigned char *s, size_t n, const char *text)
{
	return n == strlen(text) && memcmp(s, text, n) == 0;
}

void kk_sshwire_put_u32(kk_buf *b, uint32_t v)
{
	char bytes[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};

	kk_buf_put(b, bytes, 4);
}

void kk_sshwire_put_string(kk_buf *b, const void *s, size_t n)
{
	if (n > UINT32_MAX) {
		b->failed = 1;
		return;
	}
	kk_sshwire_put_u32(b, (uint32_t)n);
	kk_buf_put(b, s, n);
}

static void put_text(kk_buf *b, const char *s)
{
	kk_sshwire_put_string(b, s, strlen(s));
}

int kk_sshsig_base64_decode(unsigned char **out, size_t *len_out, const char *text, size_t len)
{
	struct base64_decode_ctx ctx;
	unsigned char *data;
	size_t n = 0;

	if (!(data = malloc(BASE64_DECODE_LENGTH(len) + 1)))
		return KK_ENOMEM;
	base64_decode_init(&ctx);
	if (!base64_decode_update(&ctx, &n, data, len, text) || !base64_decode_final(&ctx)) {
		explicit_bzero(data, BASE64_DECODE_LENGTH(len) + 1);
		free(data);
		return KK_EINVALID;
	}
	*out = data;
	*len_out = n;
	return 0;
}

char *kk_sshsig_base64_encode(const void *data, size_t len)
{
	char *text;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 2 || !(text = malloc(BASE64_ENCODE_RAW_LENGTH(len) + 1)))
		return NULL;
	base64_encode_raw(text, len, data);
	text[BASE64_ENCODE_RAW_LENGTH(len)] = '\0';
	return text;
}

/*
 * Public keys
 */

void kk_sshpub_blob(unsigned char blob[KK_SSH_PUB_BLOB_SIZE], const kk_sshpub *pub)
{
	/* string "ssh-ed25519", then the key's length (32). */
	static const char head[] = "\0\0\0\x0b" KK_SSH_ED25519_TYPE "\0\0\0\x20";

	memcpy(blob, head, sizeof(head) - 1);
	memcpy(blob + sizeof(head) - 1, pub->key, KK_SSH_ED25519_SIZE);
}

int kk_sshpub_parse_blob(kk_sshpub *out, const unsigned char **type, size_t *type_len,
			 const unsigned char *blob, size_t n)
{
	kk_sshwire w = {blob, n};
	const unsigned char *key;
	size_t key_len;

	if (kk_sshwire_string(&w, type, type_len) < 0 || *type_len == 0)
		return -1;
	if (!kk_sshwire_equals(*type, *type_len, KK_SSH_ED25519_TYPE))
		return 0;
	if (kk_sshwire_string(&w, &key, &key_len) < 0 || key_len != KK_SSH_ED25519_SIZE || w.len)
		return -1;
	memcpy(out->key, key, KK_SSH_ED25519_SIZE);
	return 1;
}

void kk_sshpub_fingerprint(char buf[KK_SSH_FINGERPRINT_MAX], const kk_sshpub *pub)
{
	unsigned char blob[KK_SSH_PUB_BLOB_SIZE], digest[SHA256_DIGEST_SIZE];
	char text[BASE64_ENCODE_RAW_LENGTH(SHA256_DIGEST_SIZE)];
	struct sha256_ctx ctx;
	size_t n = sizeof(text);

	kk_sshpub_blob(blob, pub);
	sha256_init(&ctx);
	sha256_update(&ctx, sizeof(blob), blob);
	sha256_digest(&ctx, sizeof(digest), digest);
	base64_encode_raw(text, sizeof(digest), digest);
	while (n > 0 && text[n - 1] == '=')
		n--;
	memcpy(buf, "SHA256:", 7);
	memcpy(buf + 7, text, n);
	buf[7 + n] = '\0';
}

/*
 * Signatures
 */

/* Hashes the message with the algorithm named by the `n` bytes at `name`; 0 when unknown. */
static size_t hash(unsigned char out[SHA512_DIGEST_SIZE], const unsigned char *name, size_t n,
		   const void *msg, size_t len)
{
	struct sha256_ctx sha256;
	struct sha512_ctx sha512;

	if (kk_sshwire_equals(name, n, "sha512")) {
		sha512_init(&sha512);
		sha512_update(&sha512, len, msg);
		sha512_digest(&sha512, SHA512_DIGEST_SIZE, out);
		return SHA512_DIGEST_SIZE;
	}
	if (kk_sshwire_equals(name, n, "sha256")) {
		sha256_init(&sha256);
		sha256_update(&sha256, len, msg);
		sha256_digest(&sha256, SHA256_DIGEST_SIZE, out);
		return SHA256_DIGEST_SIZE;
	}
	return 0;
}

/* What the key signs: the magic, namespace, reserved, hash algorithm and the message's hash. */
static void put_signed_data(kk_buf *b, const void *ns, size_t ns_len, const void *hash_name,
			    size_t hash_name_len, const unsigned char *digest, size_t digest_len)
{
	kk_buf_put(b, SIG_MAGIC, SIG_MAGIC_LEN);
	kk_sshwire_put_string(b, ns, ns_len);
	kk_sshwire_put_string(b, "", 0);
	kk_sshwire_put_string(b, hash_name, hash_name_len);
	kk_sshwire_put_string(b, digest, digest_len);
}

/* Appends the base64 of the `len` bytes at `data` in lines of SIG_COLUMNS, each ended. */
static int put_base64_lines(kk_buf *b, const void *data, size_t len)
{
	char *text = kk_sshsig_base64_encode(data, len);
	size_t n, i;

	if (!text)
		return KK_ENOMEM;
	n = strlen(text);
	for (i = 0; i < n; i += SIG_COLUMNS) {
		kk_buf_put(b, text + i, n - i < SIG_COLUMNS ? n - i : SIG_COLUMNS);
		kk_buf_puts(b, "\n");
	}
	free(text);
	return 0;
}

int kk_sshsig_sign(char **out, size_t *len_out, const kk_sshkey *key, const char *ns,
		   const void *msg, size_t len, kk_diag *diag)
{
	unsigned char digest[SHA512_DIGEST_SIZE], sig[ED25519_SIGNATURE_SIZE];
	unsigned char pub[KK_SSH_PUB_BLOB_SIZE];
	kk_buf tosign = {0}, sigblob = {0}, blob = {0}, armored = {0};
	int error = 0;

	hash(digest, (const unsigned char *)SIG_HASH, strlen(SIG_HASH), msg, len);
	put_signed_data(&tosign, ns, strlen(ns), SIG_HASH, strlen(SIG_HASH), digest,
			SHA512_DIGEST_SIZE);
	if (tosign.failed) {
		error = kk_sshsig_oom(diag);
		goto done;
	}
	ed25519_sha512_sign(kk_sshkey_public(key)->key, kk_sshkey_seed(key), tosign.len,
			    (const uint8_t *)tosign.data, sig);

	put_text(&sigblob, KK_SSH_ED25519_TYPE);
	kk_sshwire_put_string(&sigblob, sig, sizeof(sig));
	kk_sshpub_blob(pub, kk_sshkey_public(key));
	kk_buf_put(&blob, SIG_MAGIC, SIG_MAGIC_LEN);
	kk_sshwire_put_u32(&blob, SIG_VERSION);
	kk_sshwire_put_string(&blob, pub, sizeof(pub));
	put_text(&blob, ns);
	kk_sshwire_put_string(&blob, "", 0);
	put_text(&blob, SIG_HASH);
	kk_sshwire_put_string(&blob, sigblob.data, sigblob.len);
	if (sigblob.failed || blob.failed) {
		error = kk_sshsig_oom(diag);
		goto done;
	}

	kk_buf_puts(&armored, SIG_BEGIN "\n");
	if (put_base64_lines(&armored, blob.data, blob.len) < 0 || armored.failed) {
		error = kk_sshsig_oom(diag);
		goto done;
	}
	kk_buf_puts(&armored, SIG_END "\n");
	if (armored.failed) {
		error = kk_sshsig_oom(diag);
		goto done;
	}
	*out = armored.data;
	*len_out = armored.len;
	armored.data = NULL;
done:
	kk_buf_clear(&tosign);
	kk_buf_clear(&sigblob);
	kk_buf_clear(&blob);
	kk_buf_clear(&armored);
	return error;
}

static int damaged_signature(kk_diag *diag, const char *why)
{
	return kk_diag_set(diag, KK_EINVALID, _("the SSH signature is damaged (%s)"), _(why));
}

/* Takes the armor off, as ssh-keygen does: *out is the blob inside, malloc'd. */
static int dearmor(unsigned char **out, size_t *len_out, const char *sig, size_t len, kk_diag *diag)
{
	const char *end = sig + len, *p, *stop;
	int error;

	if (len < strlen(SIG_BEGIN) || memcmp(sig, SIG_BEGIN, strlen(SIG_BEGIN)) != 0)
		return kk_diag_set(diag, KK_EINVALID, _("the signature is not an SSH signature"));
	p = sig + strlen(SIG_BEGIN);
	if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
		p += 2;
	else if (p < end && *p == '\n')
		p++;
	else
		return damaged_signature(diag, N_("its first line goes on"));
	if (!(stop = memmem(p, (size_t)(end - p), "\n" SIG_END, strlen("\n" SIG_END))))
		return damaged_signature(diag, N_("its last line is missing"));
	error = kk_sshsig_base64_decode(out, len_out, p, (size_t)(stop - p));
	if (error == KK_ENOMEM)
		return kk_sshsig_oom(diag);
	if (error < 0)
		return damaged_signature(diag, N_("its base64 is not valid"));
	return 0;
}

int kk_sshsig_verify(kk_sshpub *signer, const char *sig, size_t sig_len, const char *ns,
		     const void *msg, size_t len, kk_diag *diag)
{
	unsigned char *blob = NULL, digest[SHA512_DIGEST_SIZE];
	size_t blob_len = 0, digest_len;
	const unsigned char *pub, *got_ns, *reserved, *hash_name, *sigblob, *type, *bytes;
	size_t pub_len, got_ns_len, reserved_len, hash_name_len, sigblob_len, type_len, bytes_len;
	char text[64], text2[64], fingerprint[KK_SSH_FINGERPRINT_MAX];
	kk_buf toverify = {0};
	kk_sshwire w, inner;
	kk_sshpub key;
	uint32_t version;
	int error, kind;

	if ((error = dearmor(&blob, &blob_len, sig, sig_len, diag)) < 0)
		return error;
	w = (kk_sshwire){blob, blob_len};
	if (w.len < SIG_MAGIC_LEN || memcmp(w.p, SIG_MAGIC, SIG_MAGIC_LEN) != 0) {
		error = damaged_signature(diag, N_("it is not an SSHSIG blob"));
		goto done;
	}
	w.p += SIG_MAGIC_LEN;
	w.len -= SIG_MAGIC_LEN;
	if (kk_sshwire_u32(&w, &version) < 0) {
		error = damaged_signature(diag, N_("it is cut short"));
		goto done;
	}
	if (version > SIG_VERSION) {
		error = kk_diag_set(
			diag, KK_EINVALID,
			_("the SSH signature is of version %lu, which is not known here"),
			(unsigned long)version);
		goto done;
	}
	if (kk_sshwire_string(&w, &pub, &pub_len) < 0 ||
	    kk_sshwire_string(&w, &got_ns, &got_ns_len) < 0 ||
	    kk_sshwire_string(&w, &reserved, &reserved_len) < 0 ||
	    kk_sshwire_string(&w, &hash_name, &hash_name_len) < 0 ||
	    kk_sshwire_string(&w, &sigblob, &sigblob_len) < 0) {
		error = damaged_signature(diag, N_("it is cut short"));
		goto done;
	}
	if (w.len) {
		error = damaged_signature(diag, N_("there are bytes after it"));
		goto done;
	}
	if ((kind = kk_sshpub_parse_blob(&key, &type, &type_len, pub, pub_len)) < 0) {
		error = damaged_signature(diag, N_("its key is not well formed"));
		goto done;
	}
	if (!kind) {
		error = kk_diag_set(
			diag, KK_EINVALID,
			_("the SSH signature was made with a key of type '%s': only ssh-ed25519 keys are checked here"),
			kk_sshsig_printable(text, sizeof(text), type, type_len));
		goto done;
	}
	if (!kk_sshwire_equals(got_ns, got_ns_len, ns)) {
		error = kk_diag_set(
			diag, KK_EINVALID, _("the SSH signature is in namespace '%s', not '%s'"),
			kk_sshsig_printable(text, sizeof(text), got_ns, got_ns_len), ns);
		goto done;
	}
	if (!(digest_len = hash(digest, hash_name, hash_name_len, msg, len))) {
		error = kk_diag_set(
			diag, KK_EINVALID,
			_("the SSH signature hashes with '%s': only sha256 and sha512 are known"),
			kk_sshsig_printable(text2, sizeof(text2), hash_name, hash_name_len));
		goto done;
	}
	inner = (kk_sshwire){sigblob, sigblob_len};
	if (kk_sshwire_string(&inner, &type, &type_len) < 0 ||
	    !kk_sshwire_equals(type, type_len, KK_SSH_ED25519_TYPE) ||
	    kk_sshwire_string(&inner, &bytes, &bytes_len) < 0 ||
	    bytes_len != ED25519_SIGNATURE_SIZE || inner.len) {
		error = damaged_signature(diag, N_("its Ed25519 signature is not well formed"));
		goto done;
	}

	/* The reserved field is ignored, as PROTOCOL.sshsig says; what is signed has it empty. */
	put_signed_data(&toverify, ns, strlen(ns), hash_name, hash_name_len, digest, digest_len);
	if (toverify.failed) {
		error = kk_sshsig_oom(diag);
		goto done;
	}
	if (!ed25519_sha512_verify(key.key, toverify.len, (const uint8_t *)toverify.data, bytes)) {
		kk_sshpub_fingerprint(fingerprint, &key);
		error = kk_diag_set(diag, KK_EINVALID, _("bad signature: key %s did not sign this"),
				    fingerprint);
		goto done;
	}
	*signer = key;
done:
	free(blob);
	kk_buf_clear(&toverify);
	return error;
}

/*
 * Commits and tags
 */

/* The end of the line at `p`, past its newline, or `end`. */
static const char *next_line(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl + 1 : end;
}

static int starts_with(const char *p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

/*
 * Copies the `len` bytes at `obj` to `payload` without its signature
 * headers, as git's parse_buffer_signed_by_header(): a header line that
 * starts with "gpgsig", and the lines that continue it (those that start
 * with a space).  The value of "gpgsig " goes to `signature`, a line at a
 * time without the space that continues it; returns whether there was one.
 * The headers end at the first empty line; the rest is copied as it is.
 */
static int strip_signatures(kk_buf *payload, kk_buf *signature, const char *obj, size_t len)
{
	const char *line = obj, *end = obj + len, *next, *sig;
	int in_signature = 0, saw = 0, other = 0;

	while (line < end) {
		next = next_line(line, end);
		sig = NULL;
		if (in_signature && *line == ' ') {
			sig = line + 1;
		} else if (starts_with(line, end, COMMIT_SIG_HEADER " ")) {
			sig = line + strlen(COMMIT_SIG_HEADER " ");
			other = 0;
		} else if (starts_with(line, end, COMMIT_SIG_HEADER)) {
			other = 1;
		} else if (other && *line != ' ') {
			other = 0;
		}
		if (sig) {
			kk_buf_put(signature, sig, (size_t)(next - sig));
			saw = in_signature = 1;
		} else {
			if (*line == '\n')
				next = end;
			if (!other)
				kk_buf_put(payload, line, (size_t)(next - line));
			in_signature = 0;
		}
		line = next;
	}
	return saw;
}

int kk_sshsig_sign_commit(char **out, size_t *len_out, const kk_sshkey *key, const char *commit,
			  size_t len, kk_diag *diag)
{
	const char *end = commit + len, *eoh = memmem(commit, len, "\n\n", 2), *line, *next;
	size_t at = eoh ? (size_t)(eoh - commit) + 1 : len;
	kk_buf b = {0};
	char *sig = NULL;
	size_t sig_len;
	int error;

	/* Headers, a blank line, the message: else the signature would go nowhere git looks. */
	if (!eoh || commit[0] == '\n' || commit[0] == ' ')
		return kk_diag_set(diag, KK_EINVALID,
				   _("not a commit: it has no headers ending in a blank line"));

	for (line = commit; line < commit + at; line = next_line(line, end))
		if (starts_with(line, end, COMMIT_SIG_HEADER))
			return kk_diag_set(diag, KK_EEXISTS, _("the commit is signed already"));
	if ((error = kk_sshsig_sign(&sig, &sig_len, key, KK_SSHSIG_GIT, commit, len, diag)) < 0)
		return error;

	/* "gpgsig" and the first line, then the others each after a space. */
	kk_buf_put(&b, commit, at);
	kk_buf_puts(&b, COMMIT_SIG_HEADER);
	for (line = sig; line < sig + sig_len; line = next) {
		next = next_line(line, sig + sig_len);
		kk_buf_puts(&b, " ");
		kk_buf_put(&b, line, (size_t)(next - line));
	}
	kk_buf_put(&b, commit + at, len - at);
	free(sig);
	if (b.failed) {
		kk_buf_clear(&b);
		return kk_sshsig_oom(diag);
	}
	*out = b.data;
	*len_out = b.len;
	return 0;
}

int kk_sshsig_sign_tag(char **out, size_t *len_out, const kk_sshkey *key, const char *tag,
		       size_t len, kk_diag *diag)
{
	kk_buf b = {0};
	char *sig = NULL;
	size_t sig_len;
	int error;

	kk_buf_put(&b, tag, len);
	if (!len || tag[len - 1] != '\n')
		kk_buf_puts(&b, "\n");
	if (b.failed) {
		kk_buf_clear(&b);
		return kk_sshsig_oom(diag);
	}
	if ((error = kk_sshsig_sign(&sig, &sig_len, key, KK_SSHSIG_GIT, b.data, b.len, diag)) < 0) {
		kk_buf_clear(&b);
		return error;
	}
	kk_buf_put(&b, sig, sig_len);
	free(sig);
	if (b.failed) {
		kk_buf_clear(&b);
		return kk_sshsig_oom(diag);
	}
	*out = b.data;
	*len_out = b.len;
	return 0;
}

int kk_sshsig_split_commit(kk_buf *payload, kk_buf *signature, const char *commit, size_t len,
			   kk_diag *diag)
{
	kk_buf p = {0}, s = {0};

	kk_buf_put(&p, "", 0);
	if (!strip_signatures(&p, &s, commit, len)) {
		kk_buf_clear(&p);
		kk_buf_clear(&s);
		return kk_diag_set(diag, KK_ENOTFOUND, _("the commit is not signed"));
	}
	if (p.failed || s.failed) {
		kk_buf_clear(&p);
		kk_buf_clear(&s);
		return kk_sshsig_oom(diag);
	}
	*payload = p;
	*signature = s;
	return 0;
}

int kk_sshsig_split_tag(kk_buf *payload, kk_buf *signature, const char *tag, size_t len,
			kk_diag *diag)
{
	const char *end = tag + len, *line, *start = NULL;
	kk_buf p = {0}, s = {0}, ignored = {0};
	size_t i;

	for (line = tag; line < end; line = next_line(line, end))
		for (i = 0; i < sizeof(signature_starts) / sizeof(*signature_starts); i++)
			if (starts_with(line, end, signature_starts[i]))
				start = line;
	if (!start)
		return kk_diag_set(diag, KK_ENOTFOUND, _("the tag is not signed"));
	/* Signatures in its headers are for the object under another hash: not signed. */
	kk_buf_put(&p, "", 0);
	strip_signatures(&p, &ignored, tag, (size_t)(start - tag));
	kk_buf_put(&s, start, (size_t)(end - start));
	if (p.failed || s.failed || ignored.failed) {
		kk_buf_clear(&p);
		kk_buf_clear(&s);
		kk_buf_clear(&ignored);
		return kk_sshsig_oom(diag);
	}
	kk_buf_clear(&ignored);
	*payload = p;
	*signature = s;
	return 0;
}

/*
 * sshsig_internal.h - what the three parts of sshsig.h share: SSH's wire
 * encoding (RFC 4251: big-endian uint32, strings with a uint32 length),
 * base64 through nettle, and the encoding of an Ed25519 public key.  Not
 * for use outside core/git/sshsig*.c.
 */
#ifndef KK_SSHSIG_INTERNAL_H
#define KK_SSHSIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "common.h"
#include "sshsig.h"

#define KK_SSH_ED25519_TYPE "ssh-ed25519"

/* An Ed25519 public key as SSH encodes it: string "ssh-ed25519", string key. */
#define KK_SSH_PUB_BLOB_SIZE (4 + 11 + 4 + KK_SSH_ED25519_SIZE)

/* A cursor over bytes in SSH's wire encoding. */
typedef struct kk_sshwire {
	const unsigned char *p;
	size_t len; /* bytes left */
} kk_sshwire;

/* Each returns 0, or -1 when the bytes run out (the cursor is then left as it was). */
int kk_sshwire_u32(kk_sshwire *w, uint32_t *out);
/* A string: *s points into the bytes, *n is its length. */
int kk_sshwire_string(kk_sshwire *w, const unsigned char **s, size_t *n);

/* Whether the `n` bytes at `s` are the text `text`. */
int kk_sshwire_equals(const unsigned char *s, size_t n, const char *text);

/* Append to `b` in the wire encoding; a failure sets b->failed, as kk_buf_put(). */
void kk_sshwire_put_u32(kk_buf *b, uint32_t v);
void kk_sshwire_put_string(kk_buf *b, const void *s, size_t n);

/*
 * Decodes the padded base64 `text` (`len` bytes; whitespace is skipped)
 * into a malloc'd *out of *len_out bytes.  Returns 0, KK_EINVALID when it
 * is not base64, or KK_ENOMEM; sets no diagnostic.
 */
int kk_sshsig_base64_decode(unsigned char **out, size_t *len_out, const char *text, size_t len);

/* The base64 of `len` bytes, padded, NUL-terminated and malloc'd; NULL when out of memory. */
char *kk_sshsig_base64_encode(const void *data, size_t len);

/* Writes the wire encoding of `pub`. */
void kk_sshpub_blob(unsigned char blob[KK_SSH_PUB_BLOB_SIZE], const kk_sshpub *pub);

/*
 * Reads a public key's wire encoding (`n` bytes at `blob`, nothing after
 * it): 1 with *out for an Ed25519 key; 0 for another key type, named by
 * the `*type_len` bytes at *type; -1 when it is not well formed.
 */
int kk_sshpub_parse_blob(kk_sshpub *out, const unsigned char **type, size_t *type_len,
			 const unsigned char *blob, size_t n);

/* The private seed of `key`, what nettle's ed25519_sha512_sign() calls the private key. */
const unsigned char *kk_sshkey_seed(const kk_sshkey *key);

/* Copies the `n` bytes at `s` into `buf` (`size` > 0) for a message, printable ASCII only. */
const char *kk_sshsig_printable(char *buf, size_t size, const unsigned char *s, size_t n);

/* "out of memory" into `diag`; returns KK_ENOMEM. */
int kk_sshsig_oom(kk_diag *diag);

#endif

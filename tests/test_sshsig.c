/*
 * Tests for core/git/sshsig: keys, SSH signatures, allowed signers, and
 * commits and tags signed as git signs them, each checked against the real
 * tools both ways: OpenSSH's ssh-keygen, and stock git with gpg.format=ssh.
 * The keys are made afresh by ssh-keygen on every run.  The commits and tags
 * are tests/sshsig_git.c's, a part of this program (test_sshsig.h).
 */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <git2.h>

#include "sshsig.h"
#include "sshsig_internal.h"
#include "test_sshsig.h"

char *dir;
kk_sshkey *key, *other, *stranger;

/* A path in the test's directory; static storage, eight at a time. */
const char *at(const char *name)
{
	static char paths[8][1024];
	static int next;
	char *p = paths[next++ % 8];

	snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
	return p;
}

/* Runs a shell command, stderr into stdout; *out gets what it printed.  Returns its exit code. */
int run(char **out, const char *fmt, ...)
{
	char *cmd = NULL, *both = NULL, chunk[4096];
	kk_buf b = {0};
	va_list ap;
	FILE *f;
	size_t n;
	int status;

	va_start(ap, fmt);
	assert_true(vasprintf(&cmd, fmt, ap) >= 0);
	va_end(ap);
	assert_true(asprintf(&both, "{ %s; } 2>&1", cmd) >= 0);
	free(cmd);
	kk_buf_puts(&b, "");
	assert_non_null(f = popen(both, "r"));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		kk_buf_put(&b, chunk, n);
	status = pclose(f);
	assert_false(b.failed);
	free(both);
	if (out)
		*out = b.data;
	else
		kk_buf_clear(&b);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void write_text(const char *path, const char *text)
{
	kk_test_write(path, text, strlen(text));
}

/* Writes the allowed signers file `name` from `fmt`: each %s is a key's text, in order. */
void write_signers(const char *name, const char *fmt, ...)
{
	char *text;
	va_list ap;

	va_start(ap, fmt);
	assert_true(vasprintf(&text, fmt, ap) >= 0);
	va_end(ap);
	write_text(at(name), text);
	free(text);
}

static kk_sshkey *make_key(const char *name, const char *comment)
{
	kk_sshkey *k = NULL;
	kk_diag diag = {0};

	assert_int_equal(
		kk_test_system("ssh-keygen -q -t ed25519 -N '' -C '%s' -f '%s'", comment, at(name)),
		0);
	if (kk_sshkey_load(&k, at(name), &diag) < 0)
		fail_msg("%s", diag.message);
	return k;
}

static int setup(void **state)
{
	git_libgit2_init();
	dir = kk_test_mkdtemp();
	key = make_key("key", SIGNER);
	other = make_key("other", OTHER);
	stranger = make_key("stranger", "stranger@elsewhere.example");
	return 0;
}

int teardown(void **state)
{
	kk_sshkey_free(key);
	kk_sshkey_free(other);
	kk_sshkey_free(stranger);
	kk_test_rmrf(dir);
	free(dir);
	git_libgit2_shutdown();
	return 0;
}

/* The key's type and base64, without its comment: what an allowed signers line ends with. */
const char *key_text(const kk_sshkey *k)
{
	static char text[4][256];
	static int next;
	char *t = text[next++ % 4];
	const char *line = kk_sshkey_authorized_key(k), *space = strchr(line, ' ');

	snprintf(t, sizeof(text[0]), "%.*s", (int)(strcspn(space + 1, " ") + (space - line) + 1),
		 line);
	return t;
}

/*
 * Keys
 */

static void test_key_public(void **state)
{
	char *pub, *printed, fingerprint[KK_SSH_FINGERPRINT_MAX];
	size_t len;

	/* The line is the .pub file ssh-keygen wrote, the fingerprint what it prints. */
	assert_non_null(pub = kk_test_slurp(at("key.pub"), &len));
	assert_true(len > 0 && pub[len - 1] == '\n');
	pub[len - 1] = '\0';
	assert_string_equal(kk_sshkey_authorized_key(key), pub);
	assert_int_equal(
		run(&printed, "ssh-keygen -l -E sha256 -f '%s' | cut -d' ' -f2", at("key.pub")), 0);
	printed[strcspn(printed, "\n")] = '\0';
	assert_string_equal(kk_sshkey_fingerprint(key), printed);
	kk_sshpub_fingerprint(fingerprint, kk_sshkey_public(key));
	assert_string_equal(fingerprint, printed);
	assert_int_equal(strlen(printed), 50);
	assert_string_not_equal(kk_sshkey_fingerprint(other), printed);
	free(pub);
	free(printed);
}

/* Loads `name` and expects it refused with `code` and the message `fmt`. */
static void expect_key_error(const char *name, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void expect_key_error(const char *name, int code, const char *fmt, ...)
{
	char path[1024], message[1024];
	kk_sshkey *k = NULL;
	kk_diag diag = {0};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s", at(name));
	assert_int_equal(kk_sshkey_load(&k, path, &diag), code);
	assert_null(k);
	assert_int_equal(diag.code, code);
	assert_string_equal(diag.message, message);
	assert_string_equal(diag.path, path);
}

#define REMEDY "make one with ssh-keygen -t ed25519 -N ''"
#define DAMAGED                                                                                    \
	"the private key '%s' is damaged (%s): make a new one with ssh-keygen -t ed25519 -N ''"

/* The bytes inside the armored file `name` (a key, a signature), malloc'd. */
static unsigned char *read_armored(const char *name, size_t *len)
{
	char *text, *b64, *end;
	unsigned char *blob;
	size_t text_len;

	assert_non_null(text = kk_test_slurp(at(name), &text_len));
	b64 = strchr(text, '\n') + 1;
	assert_non_null(end = strstr(b64, "-----END"));
	assert_int_equal(kk_sshsig_base64_decode(&blob, len, b64, (size_t)(end - b64)), 0);
	free(text);
	return blob;
}

/* Writes `len` bytes to `name`, armored as `label` ("SSH SIGNATURE"), 70 columns. */
static void write_armored(const char *name, const char *label, const unsigned char *blob,
			  size_t len)
{
	char *b64 = kk_sshsig_base64_encode(blob, len);
	kk_buf out = {0};
	size_t i;

	kk_buf_printf(&out, "-----BEGIN %s-----\n", label);
	for (i = 0; i < strlen(b64); i += 70)
		kk_buf_printf(&out, "%.70s\n", b64 + i);
	kk_buf_printf(&out, "-----END %s-----\n", label);
	kk_test_write(at(name), out.data, out.len);
	kk_buf_clear(&out);
	free(b64);
}

/* Writes `name`: the key file `from` with byte `offset` of its binary content changed. */
static void write_damaged(const char *name, const char *from, size_t offset)
{
	size_t len;
	unsigned char *blob = read_armored(from, &len);

	assert_true(offset < len);
	blob[offset] ^= 0x01;
	write_armored(name, "OPENSSH PRIVATE KEY", blob, len);
	free(blob);
}

static void test_key_refusals(void **state)
{
	char *text, message[1024];
	size_t len, i;
	kk_sshkey *k = NULL;
	kk_diag diag = {0};
	/*
	 * Bytes of an unencrypted Ed25519 key file to damage: its magic, the
	 * count of keys (the second of its low bytes: 257), the second check
	 * number, the seed, and the public key after the seed.  The layout:
	 * magic (15), "none" twice (16), no KDF options (4), the count (4),
	 * the public key (55), the private part's length (4); then the check
	 * numbers at 98 and 102, the key's type (15), its public key (36),
	 * its private key's length at 157, the seed from 161, the public key
	 * again from 193.
	 */
	static const struct {
		const char *name;
		size_t offset;
		const char *why;
	} damage[] = {
		{"magic", 3, "it is not in the openssh-key-v1 format"},
		{"check", 102, "its check numbers differ"},
		{"seed", 161, "its public and private halves do not match"},
		{"copy", 193, "its public and private halves do not match"},
	};

	assert_int_equal(kk_sshkey_load(&k, at("missing"), &diag), KK_EIO);
	assert_int_equal(diag.sys_errno, ENOENT);
	snprintf(message, sizeof(message),
		 "cannot read the private key '%s': No such file or directory", at("missing"));
	assert_string_equal(diag.message, message);

	assert_int_equal(
		kk_test_system("ssh-keygen -q -t ed25519 -N secret -f '%s'", at("encrypted")), 0);
	expect_key_error(
		"encrypted", KK_EINVALID,
		"the private key '%s' is protected by a passphrase, which cannot be typed here: remove it with ssh-keygen -p -N '' -f '%s', or make a key with ssh-keygen -t ed25519 -N ''",
		at("encrypted"), at("encrypted"));
	assert_int_equal(kk_test_system("ssh-keygen -q -t ecdsa -b 256 -N '' -f '%s'", at("ecdsa")),
			 0);
	expect_key_error(
		"ecdsa", KK_EINVALID,
		"the private key '%s' is of type 'ecdsa-sha2-nistp256', not ssh-ed25519: " REMEDY,
		at("ecdsa"));
	assert_int_equal(
		kk_test_system("ssh-keygen -q -t ecdsa -b 256 -m PEM -N '' -f '%s'", at("pem")), 0);
	expect_key_error("pem", KK_EINVALID, "'%s' is not an OpenSSH private key: " REMEDY,
			 at("pem"));
	expect_key_error("key.pub", KK_EINVALID,
			 "'%s' is a public key: give the private key, the file without .pub",
			 at("key.pub"));
	expect_key_error("", KK_EINVALID, "'%s' is not an OpenSSH private key: " REMEDY, at(""));

	/* Cut short, not base64, and every part of it checked. */
	assert_non_null(text = kk_test_slurp(at("key"), &len));
	kk_test_write(at("short"), text, len / 2);
	free(text);
	expect_key_error("short", KK_EINVALID, DAMAGED, at("short"), "its last line is missing");
	write_text(at("garbage"), "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn*zaC1r\n"
				  "-----END OPENSSH PRIVATE KEY-----\n");
	expect_key_error("garbage", KK_EINVALID, DAMAGED, at("garbage"), "its base64 is not valid");
	for (i = 0; i < sizeof(damage) / sizeof(*damage); i++) {
		write_damaged(damage[i].name, "key", damage[i].offset);
		expect_key_error(damage[i].name, KK_EINVALID, DAMAGED, at(damage[i].name),
				 damage[i].why);
	}
	write_damaged("count", "key", 37);
	expect_key_error(
		"count", KK_EINVALID,
		"the private key file '%s' holds 257 keys, not one: make a key with ssh-keygen -t ed25519 -N ''",
		at("count"));

	/* The same bytes from memory, under the name given. */
	assert_non_null(text = kk_test_slurp(at("key"), &len));
	assert_int_equal(kk_sshkey_parse(&k, text, len, "credential", &diag), 0);
	assert_string_equal(kk_sshkey_authorized_key(k), kk_sshkey_authorized_key(key));
	kk_sshkey_free(k);
	k = NULL;
	assert_int_equal(kk_sshkey_parse(&k, text, 40, "credential", &diag), KK_EINVALID);
	assert_null(k);
	assert_string_equal(
		diag.message,
		"the private key 'credential' is damaged (its last line is missing): make a new one with ssh-keygen -t ed25519 -N ''");
	free(text);
}

/*
 * Signatures
 */

#define DATA "Fiscal year 2024: the plan as the city committed it\n"

static void sign_to(const char *name, const kk_sshkey *k, const char *ns, const char *data)
{
	char *sig = NULL;
	size_t len;
	kk_diag diag = {0};

	assert_int_equal(kk_sshsig_sign(&sig, &len, k, ns, data, strlen(data), &diag), 0);
	assert_int_equal(strlen(sig), len);
	kk_test_write(at(name), sig, len);
	free(sig);
}

/* Verifies the signature in file `name` of `data` in `ns`; returns the code, the signer in *pub. */
static int verify_file(kk_sshpub *pub, const char *name, const char *ns, const char *data,
		       kk_diag *diag)
{
	char *sig;
	size_t len;
	int error;

	assert_non_null(sig = kk_test_slurp(at(name), &len));
	error = kk_sshsig_verify(pub, sig, len, ns, data, strlen(data), diag);
	free(sig);
	return error;
}

static void test_sign_as_ssh_keygen(void **state)
{
	char *ours, *theirs, *out, expected[256];
	size_t ours_len, theirs_len;
	kk_sshpub pub;
	kk_diag diag = {0};

	write_text(at("data"), DATA);
	write_signers("allowed", SIGNER " %s\n", key_text(key));

	/* Ed25519 is deterministic: the very bytes ssh-keygen -Y sign writes. */
	assert_int_equal(kk_test_system("ssh-keygen -q -Y sign -f '%s' -n git '%s' 2>/dev/null",
					at("key"), at("data")),
			 0);
	sign_to("ours.sig", key, "git", DATA);
	assert_non_null(ours = kk_test_slurp(at("ours.sig"), &ours_len));
	assert_non_null(theirs = kk_test_slurp(at("data.sig"), &theirs_len));
	assert_string_equal(ours, theirs);
	assert_true(strncmp(ours, "-----BEGIN SSH SIGNATURE-----\n", 30) == 0);
	assert_int_equal(strcspn(ours + 30, "\n"), 70);

	/* Ours, checked by ssh-keygen. */
	snprintf(expected, sizeof(expected),
		 "Good \"git\" signature for " SIGNER " with ED25519 key %s\n",
		 kk_sshkey_fingerprint(key));
	assert_int_equal(run(&out,
			     "ssh-keygen -Y verify -f '%s' -I " SIGNER " -n git -s '%s' < '%s'",
			     at("allowed"), at("ours.sig"), at("data")),
			 0);
	assert_string_equal(out, expected);
	free(out);

	/* Theirs, checked by ours: SHA-512 as signed by default, and SHA-256. */
	assert_int_equal(verify_file(&pub, "data.sig", "git", DATA, &diag), 0);
	assert_memory_equal(pub.key, kk_sshkey_public(key)->key, KK_SSH_ED25519_SIZE);
	assert_int_equal(kk_test_system("rm '%s.sig' && ssh-keygen -q -Y sign -f '%s' -n git "
					"-O hashalg=sha256 '%s' 2>/dev/null && mv '%s.sig' '%s'",
					at("data"), at("other"), at("data"), at("data"),
					at("sha256.sig")),
			 0);
	assert_int_equal(verify_file(&pub, "sha256.sig", "git", DATA, &diag), 0);
	assert_memory_equal(pub.key, kk_sshkey_public(other)->key, KK_SSH_ED25519_SIZE);
	free(ours);
	free(theirs);
}

/*
 * Whether ssh-keygen -Y verify finds the signature file `sig` good for the
 * file `data`, by `principal` of the allowed signers file `signers`, in `ns`,
 * at `when` (ssh-keygen's form; NULL for now).
 */
static int ssh_keygen_verifies(const char *signers, const char *principal, const char *ns,
			       const char *sig, const char *data, const char *when)
{
	return kk_test_system("ssh-keygen -Y verify -f '%s' -I '%s' -n '%s' -s '%s' %s%s < '%s' "
			      ">/dev/null 2>&1",
			      at(signers), principal, ns, at(sig), when ? "-Overify-time=" : "",
			      when ? when : "", at(data)) == 0;
}

/* Writes `name`: the signature `from` with its public key replaced by that of `k`. */
void write_claiming(const char *name, const char *from, const kk_sshkey *k)
{
	size_t len;
	unsigned char *blob = read_armored(from, &len);

	/* "SSHSIG", the version, the key's length, then the key. */
	assert_true(len > 6 + 4 + 4 + KK_SSH_PUB_BLOB_SIZE);
	kk_sshpub_blob(blob + 6 + 4 + 4, kk_sshkey_public(k));
	write_armored(name, "SSH SIGNATURE", blob, len);
	free(blob);
}

static void test_verify_refusals(void **state)
{
	/* Not an SSH signature, or not a whole one. */
	static const struct {
		const char *sig, *message;
	} broken[] = {
		{"-----BEGIN PGP SIGNATURE-----\n", "the signature is not an SSH signature"},
		{"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n",
		 "the SSH signature is damaged (its last line is missing)"},
		{"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n",
		 "the SSH signature is damaged (it is cut short)"},
		{"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH!\n-----END SSH SIGNATURE-----\n",
		 "the SSH signature is damaged (its base64 is not valid)"},
		{"-----BEGIN SSH SIGNATURE----- U1NIU0lH\n-----END SSH SIGNATURE-----\n",
		 "the SSH signature is damaged (its first line goes on)"},
		{"-----BEGIN SSH SIGNATURE-----\nU1NIU0hJ\n-----END SSH SIGNATURE-----\n",
		 "the SSH signature is damaged (it is not an SSHSIG blob)"},
	};
	size_t i;
	char message[256];
	kk_sshpub pub;
	kk_diag diag = {0};

	write_text(at("data"), DATA);
	write_text(at("tampered"), "Fiscal year 2024: the plan as someone else wrote it\n");
	write_signers("allowed", SIGNER " %s\n" OTHER " %s\n", key_text(key), key_text(other));
	sign_to("ours.sig", key, "git", DATA);

	/* Other bytes than were signed. */
	snprintf(message, sizeof(message), "bad signature: key %s did not sign this",
		 kk_sshkey_fingerprint(key));
	assert_int_equal(verify_file(&pub, "ours.sig", "git",
				     "Fiscal year 2024: the plan as "
				     "someone else wrote it\n",
				     &diag),
			 KK_EINVALID);
	assert_string_equal(diag.message, message);
	assert_false(ssh_keygen_verifies("allowed", SIGNER, "git", "ours.sig", "tampered", NULL));
	assert_true(ssh_keygen_verifies("allowed", SIGNER, "git", "ours.sig", "data", NULL));

	/* A signature that names another allowed key than the one that made it. */
	write_claiming("claiming.sig", "ours.sig", other);
	snprintf(message, sizeof(message), "bad signature: key %s did not sign this",
		 kk_sshkey_fingerprint(other));
	assert_int_equal(verify_file(&pub, "claiming.sig", "git", DATA, &diag), KK_EINVALID);
	assert_string_equal(diag.message, message);
	assert_false(ssh_keygen_verifies("allowed", OTHER, "git", "claiming.sig", "data", NULL));
	/* The same file with its own key back is good again: the test changed only that. */
	write_claiming("restored.sig", "claiming.sig", key);
	assert_int_equal(verify_file(&pub, "restored.sig", "git", DATA, &diag), 0);
	assert_true(ssh_keygen_verifies("allowed", SIGNER, "git", "restored.sig", "data", NULL));

	/* Another namespace: ours and ssh-keygen's both refused. */
	sign_to("file.sig", key, "file", DATA);
	assert_int_equal(verify_file(&pub, "file.sig", "git", DATA, &diag), KK_EINVALID);
	assert_string_equal(diag.message, "the SSH signature is in namespace 'file', not 'git'");
	assert_false(ssh_keygen_verifies("allowed", SIGNER, "git", "file.sig", "data", NULL));
	assert_int_equal(verify_file(&pub, "file.sig", "file", DATA, &diag), 0);

	/* Another key type. */
	assert_int_equal(
		kk_test_system("test -e '%s' || ssh-keygen -q -t ecdsa -b 256 -N '' -f '%s'",
			       at("ecdsa"), at("ecdsa")),
		0);
	assert_int_equal(kk_test_system("rm -f '%s.sig' && ssh-keygen -q -Y sign -f '%s' -n git "
					"'%s' 2>/dev/null",
					at("data"), at("ecdsa"), at("data")),
			 0);
	assert_int_equal(verify_file(&pub, "data.sig", "git", DATA, &diag), KK_EINVALID);
	assert_string_equal(
		diag.message,
		"the SSH signature was made with a key of type 'ecdsa-sha2-nistp256': only ssh-ed25519 keys are checked here");

	for (i = 0; i < sizeof(broken) / sizeof(*broken); i++) {
		assert_int_equal(kk_sshsig_verify(&pub, broken[i].sig, strlen(broken[i].sig), "git",
						  DATA, strlen(DATA), &diag),
				 KK_EINVALID);
		assert_string_equal(diag.message, broken[i].message);
	}
}

/*
 * Allowed signers
 */

static void expect_signers_error(const char *text, size_t line, size_t column, const char *message)
{
	kk_signers s = {0};
	kk_diag diag = {0};

	assert_int_equal(kk_signers_parse(&s, text, strlen(text), "allowed_signers", 540, &diag),
			 KK_EINVALID);
	assert_int_equal(s.count, 0);
	assert_string_equal(diag.message, message);
	assert_string_equal(diag.path, "allowed_signers");
	assert_int_equal(diag.line, line);
	assert_int_equal(diag.column, column);
}

static void test_signers_parse(void **state)
{
	char text[2048], *ecdsa_pub;
	size_t len;
	kk_signers s = {0};
	kk_diag diag = {0};

	assert_int_equal(
		kk_test_system("test -e '%s' || ssh-keygen -q -t ecdsa -b 256 -N '' -f '%s'",
			       at("ecdsa"), at("ecdsa")),
		0);
	assert_non_null(ecdsa_pub = kk_test_slurp(at("ecdsa.pub"), &len));
	ecdsa_pub[strcspn(ecdsa_pub, "\n")] = '\0';
	snprintf(text, sizeof(text),
		 "# keikakud's keys\n"
		 "\n"
		 "  " SIGNER
		 " namespaces=\"git\",valid-after=\"20240401\" %s the first key\r\n" SIGNER
		 ",*@city.example VALID-AFTER=\"20240401Z\",Valid-Before=\"202404011230\" %s\n"
		 "\t# a person's key, another type\n"
		 "mayor@city.example %s\n" OTHER
		 " valid-before=\"20240401123045Z\",namespaces=\"g*,!gx\" %s",
		 key_text(key), key_text(key), ecdsa_pub, key_text(other));
	assert_int_equal(kk_signers_parse(&s, text, strlen(text), "allowed_signers", 540, &diag),
			 0);
	assert_string_equal(s.path, "allowed_signers");
	assert_int_equal(s.count, 4);

	assert_string_equal(s.items[0].principals, SIGNER);
	assert_string_equal(s.items[0].namespaces, "git");
	/* 2024-04-01T00:00:00+09:00, then in UTC, then 12:30 at +09:00. */
	assert_int_equal(s.items[0].valid_after, 1711897200);
	assert_int_equal(s.items[0].valid_before, 0);
	assert_true(s.items[0].ed25519);
	assert_memory_equal(s.items[0].key.key, kk_sshkey_public(key)->key, KK_SSH_ED25519_SIZE);
	assert_int_equal(s.items[0].line, 3);

	assert_string_equal(s.items[1].principals, SIGNER ",*@city.example");
	assert_null(s.items[1].namespaces);
	assert_int_equal(s.items[1].valid_after, 1711929600);
	assert_int_equal(s.items[1].valid_before, 1711897200 + 45000);
	assert_int_equal(s.items[1].line, 4);

	assert_string_equal(s.items[2].principals, "mayor@city.example");
	assert_false(s.items[2].ed25519);
	assert_int_equal(s.items[2].line, 6);

	assert_string_equal(s.items[3].namespaces, "g*,!gx");
	assert_int_equal(s.items[3].valid_before, 1711929600 + 45045);
	assert_memory_equal(s.items[3].key.key, kk_sshkey_public(other)->key, KK_SSH_ED25519_SIZE);
	assert_int_equal(s.items[3].line, 7);
	kk_signers_clear(&s);
	assert_null(s.items);
	free(ecdsa_pub);

	/* What ssh-keygen would not read, and cert-authority, refused where they are. */
	snprintf(text, sizeof(text), "a@b cert-authority %s\n", key_text(key));
	expect_signers_error(text, 1, 5,
			     "cert-authority is not supported: list each signing key itself");
	snprintf(text, sizeof(text), "\na@b namespaces=\"git\",verify-time=\"1\" %s\n",
		 key_text(key));
	expect_signers_error(
		text, 2, 22,
		"unknown option 'verify-time': the options are namespaces, valid-after and valid-before");
	snprintf(text, sizeof(text), "a@b valid-after=\"20240231\" %s\n", key_text(key));
	expect_signers_error(
		text, 1, 17,
		"'20240231' is no time for option 'valid-after': give YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, with Z for UTC");
	snprintf(text, sizeof(text), "a@b valid-before=2024 %s\n", key_text(key));
	expect_signers_error(text, 1, 18, "an option's value must be in double quotes");
	snprintf(text, sizeof(text), "a@b valid-after=\"20240101\",valid-after=\"20240102\" %s\n",
		 key_text(key));
	expect_signers_error(text, 1, 28, "option 'valid-after' is given twice");
	snprintf(text, sizeof(text), "a@b valid-after=\"20250101\",valid-before=\"20240101\" %s\n",
		 key_text(key));
	expect_signers_error(text, 1, 5, "valid-before is not later than valid-after");
	snprintf(text, sizeof(text), "a@b namespaces=\"git %s\n", key_text(key));
	expect_signers_error(text, 1, 5, "an option's value has no closing quote");
	expect_signers_error("a@b\n", 1, 4, "the line has principals and no key");
	expect_signers_error("a@b namespaces=\"git\"\n", 1, 21, "the line has no key");
	expect_signers_error("a@b ssh-ed25519\n", 1, 16, "the key is missing after its type");
	expect_signers_error("a@b ssh-ed25519 AAAA!\n", 1, 17, "the key is not valid base64");
	expect_signers_error("a@b ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n", 1, 17,
			     "the key is not well formed");
	snprintf(text, sizeof(text), "a@b ssh-rsa %s\n", strchr(key_text(key), ' ') + 1);
	expect_signers_error(text, 1, 5, "the key is not of the type 'ssh-rsa' before it");
	snprintf(text, sizeof(text), "a@b namespaces=\"git\" git %s\n", key_text(key));
	expect_signers_error(text, 1, 22, "'git' is not a key type");
}

void load_signers(kk_signers *s, const char *name)
{
	char *text;
	size_t len;
	kk_diag diag = {0};

	assert_non_null(text = kk_test_slurp(at(name), &len));
	if (kk_signers_parse(s, text, len, name, 540, &diag) < 0)
		fail_msg("%s", diag.message);
	free(text);
}

/* One question to the allowed signers, and the answer expected. */
struct signer_case {
	kk_sshkey **key;
	const char *principal; /* of the line expected to decide */
	const char *ns;
	int64_t when;
	enum kk_signer_verdict verdict;
	int line;	     /* the index of the line expected in *line, or -1 for none */
	const char *message; /* with %s for the key's fingerprint, or NULL */
};

/*
 * Checks a case against Keikaku's kk_signers_check() on the allowed signers
 * file `name`, and against ssh-keygen -Y verify, which must allow a
 * signature by the key in the namespace at that time only when Keikaku does.
 */
static void check_signer_case(const char *name, const kk_signers *s, const struct signer_case *c)
{
	const kk_signer *line;
	char message[512], when[32], sig_name[64];
	kk_diag diag = {0};
	struct tm tm;
	time_t t = (time_t)c->when;

	assert_int_equal(
		kk_signers_check(&line, s, kk_sshkey_public(*c->key), c->ns, c->when, &diag),
		c->verdict);
	if (c->line < 0)
		assert_null(line);
	else
		assert_ptr_equal(line, &s->items[c->line]);
	if (c->message) {
		/* The message with the key's fingerprint for its one "%s". */
		const char *hole = strstr(c->message, "%s");

		assert_non_null(hole);
		snprintf(message, sizeof(message), "%.*s%s%s", (int)(hole - c->message), c->message,
			 kk_sshkey_fingerprint(*c->key), hole + 2);
		assert_string_equal(diag.message, message);
		assert_int_equal(diag.code,
				 c->verdict == KK_SIGNER_UNKNOWN ? KK_ENOTFOUND : KK_EINVALID);
	}

	snprintf(sig_name, sizeof(sig_name), "%s-%s.sig", kk_sshkey_fingerprint(*c->key) + 7,
		 c->ns);
	for (char *p = sig_name; *p; p++)
		if (*p == '/')
			*p = '_';
	sign_to(sig_name, *c->key, c->ns, DATA);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y%m%d%H%M%SZ", &tm);
	assert_int_equal(ssh_keygen_verifies(name, c->principal, c->ns, sig_name, "data", when),
			 c->verdict == KK_SIGNER_ALLOWED);
}

static void test_signers_check(void **state)
{
	static const struct signer_case cases[] = {
		/* Inside its period, and at both of its ends. */
		{&key, SIGNER, "git", WHEN, KK_SIGNER_ALLOWED, 0, NULL},
		{&key, SIGNER, "git", Y2024, KK_SIGNER_ALLOWED, 0, NULL},
		{&key, SIGNER, "git", Y2025, KK_SIGNER_ALLOWED, 0, NULL},
		/* A second before, a second after. */
		{&key, SIGNER, "git", Y2024 - 1, KK_SIGNER_NOT_YET_VALID, 0,
		 "key %s of '" SIGNER
		 "' is not valid yet at 2024-01-01T08:59:59+09:00: it is valid "
		 "after 2024-01-01T09:00:00+09:00 ('signers', line 1)"},
		{&key, SIGNER, "git", Y2025 + 1, KK_SIGNER_EXPIRED, 0,
		 "key %s of '" SIGNER "' has expired at 2025-01-01T09:00:01+09:00: it was valid "
		 "before 2025-01-01T09:00:00+09:00 ('signers', line 1)"},
		/* Namespaces, with patterns. */
		{&key, SIGNER, "file", WHEN, KK_SIGNER_WRONG_NAMESPACE, 0,
		 "key %s of '" SIGNER "' may not sign in namespace 'file', only in 'git' "
		 "('signers', line 1)"},
		{&other, OTHER, "git", WHEN, KK_SIGNER_ALLOWED, 1, NULL},
		{&other, OTHER, "gx", WHEN, KK_SIGNER_WRONG_NAMESPACE, 1, NULL},
		/* A key nobody lists. */
		{&stranger, "stranger@elsewhere.example", "git", WHEN, KK_SIGNER_UNKNOWN, -1,
		 "key %s is not an allowed signer in 'signers'"},
	};
	/* A key retired, then listed again: the later line allows it. */
	static const struct signer_case rotated[] = {
		{&key, SIGNER, "git", WHEN, KK_SIGNER_ALLOWED, 1, NULL},
		{&key, SIGNER, "git", WHEN - 86400 * 45, KK_SIGNER_EXPIRED, 0, NULL},
	};
	kk_signers s = {0};
	size_t i;

	write_text(at("data"), DATA);
	write_signers("signers",
		      SIGNER
		      " namespaces=\"git\",valid-after=\"20240101Z\",valid-before=\"20250101Z\" "
		      "%s\n" OTHER " namespaces=\"g*,!gx\" %s\n",
		      key_text(key), key_text(other));
	load_signers(&s, "signers");
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		check_signer_case("signers", &s, &cases[i]);
	kk_signers_clear(&s);

	write_signers("rotated",
		      SIGNER " valid-before=\"20240301Z\" %s\n" SIGNER
			     " valid-after=\"20240501Z\" %s\n",
		      key_text(key), key_text(key));
	load_signers(&s, "rotated");
	for (i = 0; i < sizeof(rotated) / sizeof(*rotated); i++)
		check_signer_case("rotated", &s, &rotated[i]);
	kk_signers_clear(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_public),
		cmocka_unit_test(test_key_refusals),
		cmocka_unit_test(test_sign_as_ssh_keygen),
		cmocka_unit_test(test_verify_refusals),
		cmocka_unit_test(test_signers_parse),
		cmocka_unit_test(test_signers_check),
		cmocka_unit_test(test_commit_verified_by_git),
		cmocka_unit_test(test_tag_verified_by_git),
		cmocka_unit_test(test_refusals_by_git),
	};

	return cmocka_run_group_tests(tests, setup, close_repository);
}

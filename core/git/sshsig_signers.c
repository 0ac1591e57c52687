/*
 * sshsig_signers.c - allowed signers files (sshsig.h), as git's
 * gpg.ssh.allowedSignersFile and ssh-keygen(1)'s ALLOWED SIGNERS have
 * them, read as OpenSSH's sshsig.c reads them: a line is principals,
 * options, key type, base64 key and a comment; options are namespaces,
 * valid-after and valid-before.  Which line allows a key, and why none
 * does, is decided as ssh-keygen -Y verify decides it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "array.h"
#include "dates.h"
#include "i18n.h"
#include "sshsig_internal.h"

#define SPACE " \t\r"

/* The line being read, for messages. */
typedef struct {
	const char *path;
	size_t number;
	const char *text; /* NUL-terminated */
	int offset;
	kk_diag *diag;
} line_ctx;

static int line_error(line_ctx *l, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Fails with KK_EINVALID at `at` (a place in the line's text), with a formatted message. */
static int line_error(line_ctx *l, const char *at, const char *fmt, ...)
{
	char message[KK_DIAG_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	kk_diag_set(l->diag, KK_EINVALID, "%s", message);
	kk_diag_set_path(l->diag, l->path);
	if (l->diag) {
		l->diag->line = l->number;
		l->diag->column = (size_t)(at - l->text) + 1;
	}
	return KK_EINVALID;
}

/*
 * Patterns, as OpenSSH's match.c: '*' any run of characters, '?' any one;
 * a list is comma-separated, and a pattern after '!' excludes.
 */

static int match_pattern(const char *s, const char *p, size_t n)
{
	size_t i = 0, star = (size_t)-1;
	const char *mark = NULL;

	while (*s) {
		if (i < n && (p[i] == '?' || p[i] == *s) && p[i] != '*') {
			i++;
			s++;
		} else if (i < n && p[i] == '*') {
			star = i++;
			mark = s;
		} else if (star != (size_t)-1) {
			i = star + 1;
			s = ++mark;
		} else {
			return 0;
		}
	}
	while (i < n && p[i] == '*')
		i++;
	return i == n;
}

/* 1 when `s` matches a pattern of `list`, -1 when it matches one after '!', else 0. */
static int match_list(const char *s, const char *list)
{
	const char *p = list, *comma;
	int negated, positive = 0;

	while (*p) {
		negated = *p == '!';
		p += negated;
		comma = strchr(p, ',');
		if (match_pattern(s, p, comma ? (size_t)(comma - p) : strlen(p))) {
			if (negated)
				return -1;
			positive = 1;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	return positive;
}

/*
 * Times
 */

static int days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

static int digits(const char *s, size_t n)
{
	int v = 0;

	while (n--)
		v = v * 10 + (*s++ - '0');
	return v;
}

/*
 * Reads "YYYYMMDD", "YYYYMMDDHHMM" or "YYYYMMDDHHMMSS", with "Z" or "UTC"
 * after it for UTC, else at `offset` minutes east of it, as ssh-keygen's
 * parse_absolute_time(); the date must exist.  Returns 0 or -1.
 */
static int parse_time(int64_t *out, const char *s, int offset)
{
	size_t n = strlen(s), i;
	int utc = 0, year, month, day, hour = 0, minute = 0, second = 0;
	int64_t t;

	if (n > 1 && (s[n - 1] == 'Z' || s[n - 1] == 'z')) {
		utc = 1;
		n--;
	} else if (n > 3 && strncasecmp(s + n - 3, "UTC", 3) == 0) {
		utc = 1;
		n -= 3;
	}
	if (n != 8 && n != 12 && n != 14)
		return -1;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	year = digits(s, 4);
	month = digits(s + 4, 2);
	day = digits(s + 6, 2);
	if (n >= 12) {
		hour = digits(s + 8, 2);
		minute = digits(s + 10, 2);
	}
	if (n == 14)
		second = digits(s + 12, 2);
	if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
	    minute > 59 || second > 60)
		return -1;
	t = kk_time_of_day(year, month, day, utc ? 0 : offset) + hour * 3600 + minute * 60 + second;
	/* ssh-keygen takes 0 for "none", and refuses what mktime() cannot give. */
	if (t <= 0)
		return -1;
	*out = t;
	return 0;
}

/*
 * Lines
 */

/* Whether the `n` bytes at `s` name a key type, not options (sshkey_read() would take them). */
static int is_key_type(const char *s, size_t n)
{
	static const char *const prefixes[] = {"ssh-", "ecdsa-sha2-", "sk-", "rsa-sha2-"};
	size_t i;

	if (memchr(s, '=', n) || memchr(s, '"', n))
		return 0;
	for (i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
		if (n > strlen(prefixes[i]) && strncmp(s, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

/* If `*p` starts with `name=` (any case), moves *p past the '=' and says so. */
static int option_is(const char **p, const char *name)
{
	size_t n = strlen(name);

	if (strncasecmp(*p, name, n) != 0 || (*p)[n] != '=')
		return 0;
	*p += n + 1;
	return 1;
}

/* A quoted option value at *p, as OpenSSH's opt_dequote(): \" is a quote. */
static int dequote(char **out, const char **p, line_ctx *l)
{
	const char *s = *p;
	char *v;
	size_t i = 0;

	if (*s != '"')
		return line_error(l, s, _("an option's value must be in double quotes"));
	s++;
	if (!(v = malloc(strlen(s) + 1)))
		return kk_sshsig_oom(l->diag);
	while (*s && *s != '"') {
		if (s[0] == '\\' && s[1] == '"')
			s++;
		v[i++] = *s++;
	}
	if (!*s) {
		free(v);
		return line_error(l, *p, _("an option's value has no closing quote"));
	}
	v[i] = '\0';
	*out = v;
	*p = s + 1;
	return 0;
}

/* The value at *p of the option `name`, which starts at `start`. */
static int time_option(int64_t *out, const char **p, const char *name, const char *start,
		       line_ctx *l)
{
	const char *at = *p;
	char *value = NULL;
	int error;

	if (*out)
		return line_error(l, start, _("option '%s' is given twice"), name);
	if ((error = dequote(&value, p, l)) < 0)
		return error;
	if (parse_time(out, value, l->offset) < 0)
		error = line_error(
			l, at,
			_("'%s' is no time for option '%s': give YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, with Z for UTC"),
			value, name);
	free(value);
	return error;
}

/* The options of a line (`opts`, to the first unquoted blank), as OpenSSH's sshsigopt_parse(). */
static int parse_options(kk_signer *s, const char *opts, line_ctx *l)
{
	const char *p = opts, *start;
	int error;

	while (*p && *p != ' ' && *p != '\t') {
		start = p;
		if (strncasecmp(p, "cert-authority", strlen("cert-authority")) == 0) {
			return line_error(
				l, p,
				_("cert-authority is not supported: list each signing key itself"));
		} else if (option_is(&p, "namespaces")) {
			if (s->namespaces)
				return line_error(l, start, _("option '%s' is given twice"),
						  "namespaces");
			if ((error = dequote(&s->namespaces, &p, l)) < 0)
				return error;
		} else if (option_is(&p, "valid-after")) {
			if ((error = time_option(&s->valid_after, &p, "valid-after", start, l)) < 0)
				return error;
		} else if (option_is(&p, "valid-before")) {
			if ((error = time_option(&s->valid_before, &p, "valid-before", start, l)) <
			    0)
				return error;
		} else {
			return line_error(
				l, p,
				_("unknown option '%.*s': the options are namespaces, valid-after and valid-before"),
				(int)strcspn(p, "=," SPACE), p);
		}
		if (!*p || *p == ' ' || *p == '\t')
			break;
		if (*p != ',')
			return line_error(l, p, _("options must be separated by commas"));
		if (!*++p || *p == ' ' || *p == '\t')
			return line_error(l, p, _("the options end with a comma"));
	}
	if (s->valid_after && s->valid_before && s->valid_before <= s->valid_after)
		return line_error(l, opts, _("valid-before is not later than valid-after"));
	return 0;
}

/* The key type at `type` (`type_len` bytes), then the key in base64. */
static int parse_key(kk_signer *s, const char *type, size_t type_len, line_ctx *l)
{
	const char *p = type + type_len, *b64, *got_type;
	const unsigned char *blob_type;
	unsigned char *blob = NULL;
	size_t blob_len = 0, b64_len, blob_type_len;
	int error, kind;

	p += strspn(p, SPACE);
	b64 = p;
	b64_len = strcspn(p, SPACE);
	if (!b64_len)
		return line_error(l, p, _("the key is missing after its type"));
	if ((error = kk_sshsig_base64_decode(&blob, &blob_len, b64, b64_len)) == KK_ENOMEM)
		return kk_sshsig_oom(l->diag);
	if (error < 0)
		return line_error(l, b64, _("the key is not valid base64"));
	kind = kk_sshpub_parse_blob(&s->key, &blob_type, &blob_type_len, blob, blob_len);
	got_type = (const char *)blob_type;
	if (kind < 0)
		error = line_error(l, b64, _("the key is not well formed"));
	else if (blob_type_len != type_len || memcmp(got_type, type, type_len) != 0)
		error = line_error(l, type, _("the key is not of the type '%.*s' before it"),
				   (int)type_len, type);
	else
		s->ed25519 = kind == 1;
	free(blob);
	return error;
}

/* One line that is not blank or a comment, into *s. */
static int parse_line(kk_signer *s, line_ctx *l)
{
	const char *p = l->text + strspn(l->text, SPACE), *opts;
	size_t n;
	int quoted = 0, error;

	/* The principals. */
	n = strcspn(p, SPACE);
	if (!p[n])
		return line_error(l, p + n, _("the line has principals and no key"));
	if (memchr(p, '"', n))
		return line_error(l, p, _("quoted principals are not supported"));
	if (!(s->principals = strndup(p, n)))
		return kk_sshsig_oom(l->diag);
	p += n;
	p += strspn(p, SPACE);

	/* Options, unless what follows is a key type. */
	n = strcspn(p, SPACE);
	if (!is_key_type(p, n)) {
		opts = p;
		for (; *p && (quoted || (*p != ' ' && *p != '\t')); p++) {
			if (*p == '\\' && p[1] == '"')
				p++;
			else if (*p == '"')
				quoted = !quoted;
		}
		if (quoted)
			return line_error(l, opts, _("an option's value has no closing quote"));
		if ((error = parse_options(s, opts, l)) < 0)
			return error;
		p += strspn(p, SPACE);
		n = strcspn(p, SPACE);
		if (!n)
			return line_error(l, p, _("the line has no key"));
		if (!is_key_type(p, n))
			return line_error(l, p, _("'%.*s' is not a key type"), (int)n, p);
	}
	return parse_key(s, p, n, l);
}

static void signer_clear(kk_signer *s)
{
	free(s->principals);
	free(s->namespaces);
}

int kk_signers_parse(kk_signers *out, const char *text, size_t len, const char *path, int offset,
		     kk_diag *diag)
{
	const char *line = text, *end = text + len, *nl;
	kk_signers list = {0};
	kk_signer s;
	line_ctx l = {path, 0, NULL, offset, diag};
	char *copy = NULL;
	size_t n;
	int error = 0;

	list.offset = offset;
	if (!(list.path = strdup(path)))
		return kk_sshsig_oom(diag);
	for (; line < end; line = nl ? nl + 1 : end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		n = (size_t)((nl ? nl : end) - line);
		l.number++;
		if (!(copy = strndup(line, n))) {
			error = kk_sshsig_oom(diag);
			goto done;
		}
		l.text = copy;
		if (strlen(copy) != n) {
			error = line_error(&l, copy + strlen(copy), _("the line holds a NUL byte"));
			goto done;
		}
		if (!copy[strspn(copy, SPACE)] || copy[strspn(copy, SPACE)] == '#') {
			free(copy);
			copy = NULL;
			continue;
		}
		s = (kk_signer){.line = l.number};
		if ((error = parse_line(&s, &l)) < 0 ||
		    (error = KK_ARRAY_GROW(list.items, list.count + 1, list.alloc)) < 0) {
			if (error == KK_ENOMEM)
				kk_sshsig_oom(diag);
			signer_clear(&s);
			goto done;
		}
		list.items[list.count++] = s;
		free(copy);
		copy = NULL;
	}
	*out = list;
	list = (kk_signers){0};
done:
	free(copy);
	kk_signers_clear(&list);
	return error;
}

void kk_signers_clear(kk_signers *signers)
{
	size_t i;

	for (i = 0; i < signers->count; i++)
		signer_clear(&signers->items[i]);
	free(signers->items);
	free(signers->path);
	*signers = (kk_signers){0};
}

/*
 * Checking a key
 */

/* Why `s` (which lists the key) refuses it at `when` in `ns`, or ALLOWED. */
static enum kk_signer_verdict judge(const kk_signer *s, const char *ns, int64_t when)
{
	if (s->namespaces && match_list(ns, s->namespaces) != 1)
		return KK_SIGNER_WRONG_NAMESPACE;
	if (s->valid_after && when < s->valid_after)
		return KK_SIGNER_NOT_YET_VALID;
	if (s->valid_before && when > s->valid_before)
		return KK_SIGNER_EXPIRED;
	return KK_SIGNER_ALLOWED;
}

enum kk_signer_verdict kk_signers_check(const kk_signer **line, const kk_signers *signers,
					const kk_sshpub *key, const char *ns, int64_t when,
					kk_diag *diag)
{
	const kk_signer *first = NULL;
	enum kk_signer_verdict verdict = KK_SIGNER_UNKNOWN, v;
	char fingerprint[KK_SSH_FINGERPRINT_MAX], at[32], bound[32];
	size_t i;

	for (i = 0; i < signers->count; i++) {
		const kk_signer *s = &signers->items[i];

		if (!s->ed25519 || memcmp(s->key.key, key->key, KK_SSH_ED25519_SIZE) != 0)
			continue;
		if ((v = judge(s, ns, when)) == KK_SIGNER_ALLOWED) {
			*line = s;
			return KK_SIGNER_ALLOWED;
		}
		if (!first) {
			first = s;
			verdict = v;
		}
	}
	*line = first;

	kk_sshpub_fingerprint(fingerprint, key);
	kk_time_format(at, sizeof(at), when, signers->offset);
	switch (verdict) {
	case KK_SIGNER_ALLOWED: break;
	case KK_SIGNER_UNKNOWN:
		kk_diag_set(diag, KK_ENOTFOUND, _("key %s is not an allowed signer in '%s'"),
			    fingerprint, signers->path);
		break;
	case KK_SIGNER_NOT_YET_VALID:
	case KK_SIGNER_EXPIRED:
		kk_time_format(bound, sizeof(bound),
			       verdict == KK_SIGNER_EXPIRED ? first->valid_before
							    : first->valid_after,
			       signers->offset);
		kk_diag_set(
			diag, KK_EINVALID,
			verdict == KK_SIGNER_EXPIRED
				? _("key %s of '%s' has expired at %s: it was valid before %s ('%s', line %zu)")
				: _("key %s of '%s' is not valid yet at %s: it is valid after %s ('%s', line %zu)"),
			fingerprint, first->principals, at, bound, signers->path, first->line);
		break;
	case KK_SIGNER_WRONG_NAMESPACE:
		kk_diag_set(
			diag, KK_EINVALID,
			_("key %s of '%s' may not sign in namespace '%s', only in '%s' ('%s', line %zu)"),
			fingerprint, first->principals, ns, first->namespaces, signers->path,
			first->line);
		break;
	}
	return verdict;
}

/*
 * rpc.c - JSON-RPC errors and parameter checks shared by the handlers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "daemon.h"

json_t *kd_error(int code, const char *message, json_t *data)
{
	json_t *e = json_pack("{s:i, s:s}", "code", code, "message", message);

	if (e && data)
		json_object_set_new(e, "data", data);
	else
		json_decref(data);
	return e;
}

/*
 * Ends `text` before its first byte that does not begin a whole UTF-8
 * character.  A message cut short within a character (a long name in it),
 * or holding bytes that are no UTF-8, is no JSON string, and jansson would
 * make no error of it at all.
 */
static void cut_to_utf8(char *text)
{
	const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)text;
	utf8proc_ssize_t len = (utf8proc_ssize_t)strlen(text), i = 0, n;
	utf8proc_int32_t c;

	while (i < len && (n = utf8proc_iterate(s + i, len - i, &c)) > 0)
		i += n;
	text[i] = '\0';
}

json_t *kd_verror(int code, json_t *data, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	cut_to_utf8(msg);
	return kd_error(code, msg, data);
}

int kd_call_fail(kd_call *call, int code, json_t *data, const char *fmt, ...)
{
	va_list ap;

	json_decref(call->error);
	va_start(ap, fmt);
	call->error = kd_verror(code, data, fmt, ap);
	va_end(ap);
	return -1;
}

void kd_call_free(kd_call *call)
{
	if (!call)
		return;
	json_decref(call->id);
	json_decref(call->request);
	json_decref(call->result);
	json_decref(call->error);
	kk_identity_clear(&call->who);
	free(call);
}

static const json_t *member(kd_call *call, const char *name, int required, int *missing)
{
	const json_t *v = json_object_get(call->params, name);

	*missing = !v || json_is_null(v);
	if (*missing && required)
		kd_call_fail(call, KK_RPC_EPARAMS, NULL, "invalid params: '%s' is required", name);
	return *missing ? NULL : v;
}

int kd_param_id(json_int_t *out, kd_call *call, const char *name)
{
	int missing;
	const json_t *v = member(call, name, 1, &missing);

	if (missing)
		return -1;
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 99999)
		return kd_call_fail(call, KK_RPC_EPARAMS, NULL,
				    "invalid params: '%s' must be an item id (1 to 99999)", name);
	*out = json_integer_value(v);
	return 0;
}

int kd_param_string(const char **out, kd_call *call, const char *name, int required)
{
	int missing;
	const json_t *v = member(call, name, required, &missing);

	*out = NULL;
	if (missing)
		return required ? -1 : 0;
	if (!json_is_string(v))
		return kd_call_fail(call, KK_RPC_EPARAMS, NULL,
				    "invalid params: '%s' must be a string", name);
	*out = json_string_value(v);
	return 0;
}

int kd_param_bool(int *out, kd_call *call, const char *name)
{
	int missing;
	const json_t *v = member(call, name, 0, &missing);

	*out = 0;
	if (missing)
		return 0;
	if (!json_is_boolean(v))
		return kd_call_fail(call, KK_RPC_EPARAMS, NULL,
				    "invalid params: '%s' must be true or false", name);
	*out = json_is_true(v);
	return 0;
}

int kd_param_object(const json_t **out, kd_call *call, const char *name, int required)
{
	int missing;
	const json_t *v = member(call, name, required, &missing);

	*out = NULL;
	if (missing)
		return required ? -1 : 0;
	if (!json_is_object(v))
		return kd_call_fail(call, KK_RPC_EPARAMS, NULL,
				    "invalid params: '%s' must be an object", name);
	*out = v;
	return 0;
}

int kd_param_commit(const char **out, kd_call *call, const char *name, int required)
{
	if (kd_param_string(out, call, name, required) < 0)
		return -1;
	if (*out &&
	    (strlen(*out) != GIT_OID_HEXSZ || strspn(*out, "0123456789abcdef") != GIT_OID_HEXSZ))
		return kd_call_fail(call, KK_RPC_EPARAMS, NULL,
				    "invalid params: '%s' must be a full commit id (40 hex digits)",
				    name);
	return 0;
}

locale_t kd_locale_begin(const char *name)
{
	locale_t loc;

	if (!name || !name[0])
		return (locale_t)0;
	/* A name the system does not know leaves the messages in English. */
	if (!(loc = newlocale(LC_MESSAGES_MASK, name, (locale_t)0)))
		return (locale_t)0;
	return uselocale(loc);
}

locale_t kd_call_locale_begin(const kd_call *call)
{
	return kd_locale_begin(call->locale);
}

int kd_locale_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n < sizeof(((kd_call *)0)->locale) &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.-@") == n;
}

void kd_call_locale_end(locale_t previous)
{
	locale_t current;

	if (!previous)
		return;
	current = uselocale(previous);
	freelocale(current);
}

const char *kd_git_message(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown error";
}

json_t *kd_oid_json(const git_oid *oid)
{
	char buf[GIT_OID_HEXSZ + 1];

	return json_string(git_oid_tostr(buf, sizeof(buf), oid));
}

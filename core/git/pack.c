/*
 * pack.c - git packfiles written without libgit2's packbuilder (pack.h):
 * each object deflated once, or copied as it is from an old pack in a
 * merge, the pack and its index written to temporary files, synced, then
 * renamed into objects/pack and the directory synced, so that a pack is
 * either whole on disk or not there.  The errors and names that
 * pack_read.c and pack_merge.c share are here too (pack_internal.h).
 */
#include "pack.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2/sys/odb_backend.h>
#include <nettle/sha1.h>
#define ZLIB_CONST
#include <zlib.h>

#include "i18n.h"
#include "pack_internal.h"

/*
 * Pack and index are written through one buffer of this size, so that a
 * batch of small objects costs a handful of write() calls, not one each.
 */
#define BUFFER_SIZE (256 * 1024)

/* Offsets above this go to the index's 64-bit table, as git decides it. */
#define OFFSET32_MAX 0x7fffffffu

typedef struct {
	git_oid oid;
	uint32_t crc;	 /* of the object's header and compressed data, as in the index */
	uint64_t offset; /* of the object's header in the pack */
} pack_entry;

/* A temporary file being written through the shared buffer, hashed as it goes. */
typedef struct {
	int fd;
	char *path; /* NULL once renamed into place (or never created) */
	unsigned char *buf;
	size_t len;
	uint64_t total; /* bytes written so far, buffered or not */
	struct sha1_ctx sha;
} outfile;

/* kk_pack_write's source: the caller's array. */
typedef struct {
	kk_pack_source base;
	const kk_pack_object *objects;
} array_source;

int kk_pack_oom(kk_diag *diag)
{
	return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
}

int kk_pack_sys_error(kk_diag *diag, int code, const char *path, int errnum, const char *fmt, ...)
{
	char message[KK_DIAG_MESSAGE_MAX], text[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	kk_diag_set_path(diag, path);
	/* strerror() is not thread-safe. */
	kk_diag_set(diag, code, "%s: %s", message, strerror_r(errnum, text, sizeof(text)));
	kk_diag_set_errno(diag, errnum);
	return code;
}

int kk_pack_read_error(kk_diag *diag, const char *path, int errnum)
{
	return kk_pack_sys_error(diag, errnum == ENOENT ? KK_ENOTFOUND : KK_EIO, path, errnum,
				 _("cannot read '%s'"), path);
}

static int write_error(kk_diag *diag, const char *path, int errnum)
{
	return kk_pack_sys_error(diag, KK_EIO, path, errnum, _("cannot write '%s'"), path);
}

static int sync_error(kk_diag *diag, const char *path, int errnum)
{
	return kk_pack_sys_error(diag, KK_EIO, path, errnum, _("cannot sync '%s'"), path);
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static int write_all(int fd, const unsigned char *p, size_t len, const char *path, kk_diag *diag)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return write_error(diag, path, errno);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int kk_pack_sync_dir(const char *dir, kk_diag *diag)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), error = 0;

	if (fd < 0 || fsync(fd) < 0)
		error = sync_error(diag, dir, errno);
	if (fd >= 0)
		close(fd);
	return error;
}

static int out_open(outfile *out, const char *dir, const char *prefix, unsigned char *buf,
		    kk_diag *diag)
{
	if (asprintf(&out->path, "%s/%sXXXXXX", dir, prefix) < 0) {
		out->path = NULL;
		return kk_pack_oom(diag);
	}
	if ((out->fd = mkostemp(out->path, O_CLOEXEC)) < 0) {
		int saved = errno;

		free(out->path);
		out->path = NULL;
		return kk_pack_sys_error(diag, KK_EIO, dir, saved,
					 _("cannot create a temporary file in '%s'"), dir);
	}
	out->buf = buf;
	out->len = 0;
	out->total = 0;
	sha1_init(&out->sha);
	return 0;
}

static int out_flush(outfile *out, kk_diag *diag)
{
	sha1_update(&out->sha, out->len, out->buf);
	if (write_all(out->fd, out->buf, out->len, out->path, diag) < 0)
		return KK_EIO;
	out->len = 0;
	return 0;
}

/* Appends `len` bytes, adding them to *crc when crc is not NULL. */
static int out_put(outfile *out, const void *data, size_t len, uint32_t *crc, kk_diag *diag)
{
	const unsigned char *p = data;

	while (len > 0) {
		size_t chunk;

		if (out->len == BUFFER_SIZE && out_flush(out, diag) < 0)
			return KK_EIO;
		chunk = BUFFER_SIZE - out->len < len ? BUFFER_SIZE - out->len : len;
		memcpy(out->buf + out->len, p, chunk);
		if (crc)
			*crc = (uint32_t)crc32_z(*crc, p, chunk);
		out->len += chunk;
		out->total += chunk;
		p += chunk;
		len -= chunk;
	}
	return 0;
}

/*
 * Writes the remaining bytes and the checksum of everything before it,
 * makes the file read-only as git does, and starts writing it out: the
 * disk works on it while the next file is made.  out_sync() finishes.
 */
static int out_finish(unsigned char digest[SHA1_DIGEST_SIZE], outfile *out, kk_diag *diag)
{
	if (out_flush(out, diag) < 0)
		return KK_EIO;
	sha1_digest(&out->sha, SHA1_DIGEST_SIZE, digest);
	if (write_all(out->fd, digest, SHA1_DIGEST_SIZE, out->path, diag) < 0)
		return KK_EIO;
	if (fchmod(out->fd, 0444) < 0)
		return write_error(diag, out->path, errno);
	/* Only a head start: fsync() below is what makes it durable. */
	(void)sync_file_range(out->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	return 0;
}

/* Syncs and closes a finished file. */
static int out_sync(outfile *out, kk_diag *diag)
{
	int fd;

	if (fsync(out->fd) < 0)
		return sync_error(diag, out->path, errno);
	fd = out->fd;
	out->fd = -1;
	if (close(fd) < 0)
		return write_error(diag, out->path, errno);
	return 0;
}

/* Closes and removes a temporary file that was not renamed into place. */
static void out_discard(outfile *out)
{
	if (out->fd >= 0)
		close(out->fd);
	out->fd = -1;
	if (out->path)
		unlink(out->path);
	free(out->path);
	out->path = NULL;
}

static bool valid_type(git_object_t type)
{
	return type == GIT_OBJECT_BLOB || type == GIT_OBJECT_TREE || type == GIT_OBJECT_COMMIT ||
	       type == GIT_OBJECT_TAG;
}

/*
 * A wrong id would make a pack that git rejects and an object no one can
 * find; hashing again costs far less than the deflate that follows.
 */
static bool id_matches(const kk_pack_object *obj)
{
	struct sha1_ctx sha;
	unsigned char digest[SHA1_DIGEST_SIZE];
	char header[64];
	int n = snprintf(header, sizeof(header), "%s %zu", git_object_type2string(obj->type),
			 obj->len);

	sha1_init(&sha);
	sha1_update(&sha, (size_t)n + 1, (const uint8_t *)header);
	sha1_update(&sha, obj->len, obj->data);
	sha1_digest(&sha, sizeof(digest), digest);
	return memcmp(digest, obj->oid.id, GIT_OID_RAWSZ) == 0;
}

static int array_get(kk_pack_object *obj, kk_pack_source *src, size_t i, kk_diag *diag)
{
	const kk_pack_object *in = &((array_source *)src)->objects[i];
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), &in->oid);
	if (!valid_type(in->type))
		return kk_diag_set(diag, KK_EINVALID,
				   _("object %s is not a blob, tree, commit or tag"), hex);
	if ((in->len && !in->data) || !id_matches(in))
		return kk_diag_set(diag, KK_EINVALID, _("object %s does not match its content"),
				   hex);
	*obj = *in;
	return 0;
}

static void array_release(kk_pack_source *src)
{
	(void)src;
}

/* git's object header: type and size, four bits and then seven at a time. */
static size_t object_header(unsigned char *out, git_object_t type, size_t len)
{
	uint64_t size = len;
	unsigned char c = (unsigned char)(((unsigned)type << 4) | (size & 15));
	size_t n = 0;

	size >>= 4;
	while (size) {
		out[n++] = c | 0x80;
		c = size & 0x7f;
		size >>= 7;
	}
	out[n++] = c;
	return n;
}

/* Deflates `obj` straight into the output buffer, adding what it writes to *crc. */
static int put_deflated(outfile *out, z_stream *zs, const kk_pack_object *obj, uint32_t *crc,
			kk_diag *diag)
{
	const unsigned char *in = obj->data;
	size_t left = obj->len;
	int zerr;

	if (deflateReset(zs) != Z_OK)
		return kk_diag_set(diag, KK_ERROR, _("cannot compress: %s"),
				   zs->msg ? zs->msg : "?");
	zs->avail_in = 0;
	do {
		size_t before;

		if (zs->avail_in == 0 && left > 0) {
			uInt chunk = left > UINT_MAX ? UINT_MAX : (uInt)left;

			zs->next_in = in;
			zs->avail_in = chunk;
			in += chunk;
			left -= chunk;
		}
		if (out->len == BUFFER_SIZE && out_flush(out, diag) < 0)
			return KK_EIO;
		before = out->len;
		zs->next_out = out->buf + out->len;
		zs->avail_out = (uInt)(BUFFER_SIZE - out->len);
		zerr = deflate(zs, left == 0 ? Z_FINISH : Z_NO_FLUSH);
		out->len = BUFFER_SIZE - zs->avail_out;
		out->total += out->len - before;
		*crc = (uint32_t)crc32_z(*crc, out->buf + before, out->len - before);
		/* Z_BUF_ERROR only says that this call could make no progress. */
		if (zerr != Z_OK && zerr != Z_STREAM_END && zerr != Z_BUF_ERROR)
			return kk_diag_set(diag, KK_ERROR, _("cannot compress: %s"),
					   zs->msg ? zs->msg : "?");
	} while (zerr != Z_STREAM_END);
	return 0;
}

/* Writes the pack's header and objects; fills entries[] in pack order. */
static int write_objects(pack_entry *entries, outfile *out, kk_pack_source *src, kk_diag *diag)
{
	unsigned char header[12] = {'P', 'A', 'C', 'K'};
	bool blobs_ready = false, others_ready = false;
	z_stream blobs = {0}, others = {0}; /* see kk_pack_source.level */
	size_t i;
	int error;

	put32(header + 4, 2);
	put32(header + 8, (uint32_t)src->count);
	if ((error = out_put(out, header, sizeof(header), NULL, diag)) < 0)
		goto done;
	if (!(blobs_ready = deflateInit(&blobs, src->level) == Z_OK) ||
	    !(others_ready = deflateInit(&others, Z_NO_COMPRESSION) == Z_OK)) {
		error = kk_pack_oom(diag);
		goto done;
	}
	for (i = 0; i < src->count; i++) {
		kk_pack_object obj;
		unsigned char objhdr[16];
		uint32_t crc = (uint32_t)crc32_z(0, NULL, 0);
		const unsigned char *raw;
		size_t raw_len;

		if (src->raw && src->raw(&raw, &raw_len, &entries[i].oid, &crc, src, i) == 1) {
			entries[i].offset = out->total;
			entries[i].crc = crc;
			if ((error = out_put(out, raw, raw_len, NULL, diag)) < 0)
				goto done;
			continue;
		}
		if ((error = src->get(&obj, src, i, diag)) < 0)
			goto done;
		entries[i].oid = obj.oid;
		entries[i].offset = out->total;
		if ((error = out_put(out, objhdr, object_header(objhdr, obj.type, obj.len), &crc,
				     diag)) < 0 ||
		    (error = put_deflated(out, obj.type == GIT_OBJECT_BLOB ? &blobs : &others, &obj,
					  &crc, diag)) < 0)
			goto done;
		entries[i].crc = crc;
	}

done:
	if (blobs_ready)
		deflateEnd(&blobs);
	if (others_ready)
		deflateEnd(&others);
	return error;
}

static int entry_cmp(const void *a, const void *b)
{
	return git_oid_cmp(&((const pack_entry *)a)->oid, &((const pack_entry *)b)->oid);
}

/* Writes a version 2 index of the entries, which are sorted by id. */
static int write_index(outfile *out, const pack_entry *entries, size_t count,
		       const unsigned char pack_checksum[SHA1_DIGEST_SIZE], kk_diag *diag)
{
	unsigned char word[8] = {0xff, 't', 'O', 'c', 0, 0, 0, 2};
	uint32_t fanout[256] = {0}, large = 0;
	size_t i;
	int b;

	if (out_put(out, word, 8, NULL, diag) < 0)
		return KK_EIO;
	for (i = 0; i < count; i++)
		fanout[entries[i].oid.id[0]]++;
	for (b = 1; b < 256; b++)
		fanout[b] += fanout[b - 1];
	for (b = 0; b < 256; b++) {
		put32(word, fanout[b]);
		if (out_put(out, word, 4, NULL, diag) < 0)
			return KK_EIO;
	}
	for (i = 0; i < count; i++)
		if (out_put(out, entries[i].oid.id, GIT_OID_RAWSZ, NULL, diag) < 0)
			return KK_EIO;
	for (i = 0; i < count; i++) {
		put32(word, entries[i].crc);
		if (out_put(out, word, 4, NULL, diag) < 0)
			return KK_EIO;
	}
	for (i = 0; i < count; i++) {
		put32(word, entries[i].offset > OFFSET32_MAX ? 0x80000000u | large++
							     : (uint32_t)entries[i].offset);
		if (out_put(out, word, 4, NULL, diag) < 0)
			return KK_EIO;
	}
	for (i = 0; i < count; i++) {
		if (entries[i].offset <= OFFSET32_MAX)
			continue;
		put32(word, (uint32_t)(entries[i].offset >> 32));
		put32(word + 4, (uint32_t)entries[i].offset);
		if (out_put(out, word, 8, NULL, diag) < 0)
			return KK_EIO;
	}
	return out_put(out, pack_checksum, SHA1_DIGEST_SIZE, NULL, diag);
}

int kk_pack_path(char **out, const char *dir, const git_oid *checksum, const char *ext,
		 kk_diag *diag)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), checksum);
	if (asprintf(out, "%s/pack-%s%s", dir, hex, ext) < 0) {
		*out = NULL;
		return kk_pack_oom(diag);
	}
	return 0;
}

/*
 * Renames the finished `out` to `name`; on failure *made is false, since
 * there is then nothing of this call's at `name` to remove.
 */
static int move_into_place(outfile *out, const char *name, bool *made, kk_diag *diag)
{
	if (rename(out->path, name) < 0) {
		*made = false;
		return kk_pack_sys_error(diag, KK_EIO, name, errno, _("cannot rename '%s' to '%s'"),
					 out->path, name);
	}
	free(out->path);
	out->path = NULL;
	return 0;
}

/* Writes `line` and a newline to a new file `name`, as git's .keep files are. */
static int write_keep(const char *name, const char *line, kk_diag *diag)
{
	int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	size_t len = strlen(line);
	int ok;

	if (fd < 0)
		return kk_pack_sys_error(diag, KK_EIO, name, errno, _("cannot write '%s'"), name);
	ok = write(fd, line, len) == (ssize_t)len && write(fd, "\n", 1) == 1;
	if (close(fd) < 0 || !ok) {
		int saved = errno;

		unlink(name);
		return kk_pack_sys_error(diag, KK_EIO, name, saved, _("cannot write '%s'"), name);
	}
	return 0;
}

/*
 * Moves the synced temporary files to their names, the pack first, and
 * syncs the directory; with `keep`, writes the .keep file between the
 * two, so that no reader (nor git's repack) sees the pack unkept.  Undoes
 * what it did on failure, except that a pack or index that already
 * existed (the same objects written again give the same checksum) is left
 * alone.
 */
static int install(const char *pack_dir, const git_oid *checksum, outfile *pack, outfile *idx,
		   const char *keep, kk_diag *diag)
{
	char *pack_name = NULL, *idx_name = NULL, *keep_name = NULL;
	bool made_pack = false, made_idx = false, made_keep = false;
	int error;

	if ((error = kk_pack_path(&pack_name, pack_dir, checksum, ".pack", diag)) < 0 ||
	    (error = kk_pack_path(&idx_name, pack_dir, checksum, ".idx", diag)) < 0 ||
	    (keep && (error = kk_pack_path(&keep_name, pack_dir, checksum, ".keep", diag)) < 0))
		goto done;
	made_pack = access(pack_name, F_OK) < 0;
	made_idx = access(idx_name, F_OK) < 0;
	if ((error = move_into_place(pack, pack_name, &made_pack, diag)) < 0)
		goto done;
	if (keep && access(keep_name, F_OK) < 0) {
		if ((error = write_keep(keep_name, keep, diag)) < 0)
			goto done;
		made_keep = true;
	}
	if ((error = move_into_place(idx, idx_name, &made_idx, diag)) < 0)
		goto done;
	error = kk_pack_sync_dir(pack_dir, diag);

done:
	if (error < 0 && made_idx)
		unlink(idx_name);
	if (error < 0 && made_keep)
		unlink(keep_name);
	if (error < 0 && made_pack)
		unlink(pack_name);
	free(pack_name);
	free(idx_name);
	free(keep_name);
	return error;
}

int kk_pack_write_source(git_oid *checksum_out, const char *pack_dir, kk_pack_source *src,
			 kk_diag *diag)
{
	outfile pack = {.fd = -1}, idx = {.fd = -1};
	unsigned char pack_sum[SHA1_DIGEST_SIZE], idx_sum[SHA1_DIGEST_SIZE];
	pack_entry *entries = NULL;
	unsigned char *buf = NULL;
	git_oid checksum;
	size_t i;
	int error;

	if (src->count > UINT32_MAX) {
		src->release(src);
		return kk_diag_set(diag, KK_EINVALID, _("too many objects for one pack"));
	}
	if (!(entries = malloc(src->count * sizeof(*entries))) || !(buf = malloc(BUFFER_SIZE))) {
		error = kk_pack_oom(diag);
		goto done;
	}
	if ((error = out_open(&pack, pack_dir, "tmp_pack_", buf, diag)) < 0 ||
	    (error = write_objects(entries, &pack, src, diag)) < 0)
		goto done;
	/* The index wants them sorted anyway; a duplicate shows up next to its twin. */
	qsort(entries, src->count, sizeof(*entries), entry_cmp);
	for (i = 1; i < src->count; i++) {
		if (git_oid_equal(&entries[i - 1].oid, &entries[i].oid)) {
			char hex[GIT_OID_HEXSZ + 1];

			git_oid_tostr(hex, sizeof(hex), &entries[i].oid);
			error = kk_diag_set(diag, KK_EINVALID, _("object %s is given twice"), hex);
			goto done;
		}
	}
	if ((error = out_finish(pack_sum, &pack, diag)) < 0 ||
	    (error = out_open(&idx, pack_dir, "tmp_idx_", buf, diag)) < 0 ||
	    (error = write_index(&idx, entries, src->count, pack_sum, diag)) < 0 ||
	    (error = out_finish(idx_sum, &idx, diag)) < 0 || (error = out_sync(&pack, diag)) < 0 ||
	    (error = out_sync(&idx, diag)) < 0)
		goto done;

	git_oid_fromraw(&checksum, pack_sum);
	if ((error = install(pack_dir, &checksum, &pack, &idx, src->keep, diag)) < 0)
		goto done;
	if (checksum_out)
		*checksum_out = checksum;

done:
	src->release(src);
	out_discard(&pack);
	out_discard(&idx);
	free(entries);
	free(buf);
	return error;
}

static int write_array(git_oid *checksum_out, const char *pack_dir, const kk_pack_object *objects,
		       size_t count, const char *keep, kk_diag *diag)
{
	array_source src = {{count, array_get, array_release, Z_NO_COMPRESSION, NULL, keep},
			    objects};

	assert(pack_dir && (objects || count == 0));
	if (count == 0)
		return kk_diag_set(diag, KK_EINVALID, _("refusing to write an empty pack"));
	return kk_pack_write_source(checksum_out, pack_dir, &src.base, diag);
}

int kk_pack_write(git_oid *checksum_out, const char *pack_dir, const kk_pack_object *objects,
		  size_t count, kk_diag *diag)
{
	return write_array(checksum_out, pack_dir, objects, count, NULL, diag);
}

int kk_pack_write_kept(git_oid *checksum_out, const char *pack_dir, const kk_pack_object *objects,
		       size_t count, const char *why, kk_diag *diag)
{
	assert(why);
	return write_array(checksum_out, pack_dir, objects, count, why, diag);
}

int kk_pack_unkeep(const char *pack_dir, const git_oid *checksum, kk_diag *diag)
{
	char *name = NULL;
	int error;

	if ((error = kk_pack_path(&name, pack_dir, checksum, ".keep", diag)) < 0)
		return error;
	if (unlink(name) < 0 && errno != ENOENT)
		error = kk_pack_sys_error(diag, KK_EIO, name, errno, _("cannot remove '%s'"), name);
	free(name);
	return error;
}

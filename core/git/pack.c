/*
 * pack.c - git packfiles written and merged without libgit2's packbuilder
 * (pack.h): each object deflated once, the pack and its index written to
 * temporary files, synced, then renamed into objects/pack and the directory
 * synced, so that a pack is either whole on disk or not there.
 */
#include "pack.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2/sys/odb_backend.h>
#include <nettle/sha1.h>
#define ZLIB_CONST
#include <zlib.h>

#include "array.h"
#include "i18n.h"

/*
 * Pack and index are written through one buffer of this size, so that a
 * batch of small objects costs a handful of write() calls, not one each.
 */
#define BUFFER_SIZE (256 * 1024)

/* Offsets above this go to the index's 64-bit table, as git decides it. */
#define OFFSET32_MAX 0x7fffffffu

/* The extra files git keeps beside a pack, removed with it (.idx is handled apart). */
static const char *const pack_companions[] = {".rev", ".bitmap", ".mtimes"};

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

/*
 * Where the objects come from: the caller's array (kk_pack_write) or packs
 * read back through libgit2 (kk_pack_merge), one object at a time so that
 * a merge holds only one object in memory.  `get` fills *obj; its data stays
 * valid until the next call of `get` or `release`.
 */
typedef struct source source;
struct source {
	size_t count;
	int (*get)(kk_pack_object *obj, source *src, size_t i, kk_diag *diag);
	void (*release)(source *src);
	/*
	 * zlib level for blobs: a batch's pack is stored without compressing,
	 * since it is on the acknowledgement path and is merged soon after;
	 * merges compress.  Trees, commits and tags are always stored: their
	 * ids do not compress (a tree of items to 74% at any level, a commit to
	 * 87%), and they are three in four of the objects a plan's history has,
	 * so compressing them would cost most of a merge's time for a quarter
	 * of its savings.
	 */
	int level;
	/*
	 * May give object i as the bytes of a pack entry to copy as they are
	 * (header and compressed data), with their CRC: returns 1 then, 0 when
	 * the object must be compressed from get()'s content.
	 */
	int (*raw)(const unsigned char **bytes, size_t *len, uint32_t *crc, source *src, size_t i);
};

typedef struct {
	source base;
	const kk_pack_object *objects;
} array_source;

/* A pack entry that a merge may copy without inflating it. */
typedef struct {
	git_oid oid;
	const unsigned char *bytes;
	size_t len;
	uint32_t crc;
} raw_entry;

/* A pack and its index, mapped for copying entries. */
typedef struct {
	void *pack, *idx;
	size_t pack_len, idx_len;
} mapped_pack;

typedef struct {
	source base;
	git_odb *odb;
	const git_oid *oids;
	git_odb_object *current;
	raw_entry *raw; /* sorted by oid */
	size_t raw_count, raw_alloc;
	mapped_pack *maps;
	size_t map_count, map_alloc;
} odb_source;

static int oom(kk_diag *diag)
{
	return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
}

/* The failures below name the file and errno; strerror() is not thread-safe. */
static int create_error(kk_diag *diag, const char *dir, int errnum)
{
	char text[128];

	kk_diag_set_path(diag, dir);
	kk_diag_set(diag, KK_EIO, _("cannot create a temporary file in '%s': %s"), dir,
		    strerror_r(errnum, text, sizeof(text)));
	kk_diag_set_errno(diag, errnum);
	return KK_EIO;
}

static int write_error(kk_diag *diag, const char *path, int errnum)
{
	char text[128];

	kk_diag_set_path(diag, path);
	kk_diag_set(diag, KK_EIO, _("cannot write '%s': %s"), path,
		    strerror_r(errnum, text, sizeof(text)));
	kk_diag_set_errno(diag, errnum);
	return KK_EIO;
}

static int sync_error(kk_diag *diag, const char *path, int errnum)
{
	char text[128];

	kk_diag_set_path(diag, path);
	kk_diag_set(diag, KK_EIO, _("cannot sync '%s': %s"), path,
		    strerror_r(errnum, text, sizeof(text)));
	kk_diag_set_errno(diag, errnum);
	return KK_EIO;
}

static int rename_error(kk_diag *diag, const char *from, const char *to, int errnum)
{
	char text[128];

	kk_diag_set_path(diag, to);
	kk_diag_set(diag, KK_EIO, _("cannot rename '%s' to '%s': %s"), from, to,
		    strerror_r(errnum, text, sizeof(text)));
	kk_diag_set_errno(diag, errnum);
	return KK_EIO;
}

static int remove_error(kk_diag *diag, const char *path, int errnum)
{
	char text[128];

	kk_diag_set_path(diag, path);
	kk_diag_set(diag, KK_EIO, _("cannot remove '%s': %s"), path,
		    strerror_r(errnum, text, sizeof(text)));
	kk_diag_set_errno(diag, errnum);
	return KK_EIO;
}

static int read_error(kk_diag *diag, const char *path, int errnum)
{
	char text[128];

	kk_diag_set_path(diag, path);
	kk_diag_set(diag, errnum == ENOENT ? KK_ENOTFOUND : KK_EIO, _("cannot read '%s': %s"), path,
		    strerror_r(errnum, text, sizeof(text)));
	kk_diag_set_errno(diag, errnum);
	return errnum == ENOENT ? KK_ENOTFOUND : KK_EIO;
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

static int sync_dir(const char *dir, kk_diag *diag)
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
		return oom(diag);
	}
	if ((out->fd = mkostemp(out->path, O_CLOEXEC)) < 0) {
		int saved = errno;

		free(out->path);
		out->path = NULL;
		return create_error(diag, dir, saved);
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

static int array_get(kk_pack_object *obj, source *src, size_t i, kk_diag *diag)
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

static void array_release(source *src)
{
	(void)src;
}

static int odb_get(kk_pack_object *obj, source *src, size_t i, kk_diag *diag)
{
	odb_source *s = (odb_source *)src;
	char hex[GIT_OID_HEXSZ + 1], what[KK_DIAG_MESSAGE_MAX];

	git_odb_object_free(s->current);
	s->current = NULL;
	if (git_odb_read(&s->current, s->odb, &s->oids[i]) < 0) {
		git_oid_tostr(hex, sizeof(hex), &s->oids[i]);
		snprintf(what, sizeof(what), _("cannot read object %s"), hex);
		return kk_diag_git(diag, KK_EIO, what);
	}
	obj->oid = s->oids[i];
	obj->type = git_odb_object_type(s->current);
	obj->data = git_odb_object_data(s->current);
	obj->len = git_odb_object_size(s->current);
	return 0;
}

static int raw_cmp(const void *key, const void *entry)
{
	return git_oid_cmp(key, &((const raw_entry *)entry)->oid);
}

/*
 * Gives an entry of an old pack for copying when it is a whole object (not
 * a delta) in its final form: compressed, or not a blob.  A batch's pack is
 * stored uncompressed, so its blobs are compressed once, at their first
 * merge, and copied after that.
 */
static int odb_raw(const unsigned char **bytes, size_t *len, uint32_t *crc, source *src, size_t i)
{
	odb_source *s = (odb_source *)src;
	const raw_entry *e = bsearch(&s->oids[i], s->raw, s->raw_count, sizeof(*s->raw), raw_cmp);
	size_t h = 1;
	unsigned type;

	if (!e || e->len < 4)
		return 0;
	type = (e->bytes[0] >> 4) & 7;
	if (type < GIT_OBJECT_COMMIT || type > GIT_OBJECT_TAG)
		return 0;
	while (h < e->len && (e->bytes[h - 1] & 0x80))
		h++;
	/* zlib's two header bytes, then the first deflate block: BTYPE 00 is stored. */
	if (h + 3 > e->len || (type == GIT_OBJECT_BLOB && ((e->bytes[h + 2] >> 1) & 3) == 0))
		return 0;
	*bytes = e->bytes;
	*len = e->len;
	*crc = e->crc;
	return 1;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int offset_cmp(const void *a, const void *b)
{
	const raw_entry *x = a, *y = b;

	return (x->bytes > y->bytes) - (x->bytes < y->bytes);
}

static void *map_file(size_t *len_out, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	void *p = MAP_FAILED;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && st.st_size > 0)
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	*len_out = (size_t)st.st_size;
	return p;
}

/*
 * Maps `base`.pack and .idx and adds their entries to the table; a pack or
 * index that does not look right adds nothing (those objects are then
 * read through libgit2 instead).
 */
static int map_pack(odb_source *s, const char *base)
{
	char path[PATH_MAX];
	mapped_pack m = {0};
	const unsigned char *idx;
	size_t n, first = s->raw_count, large = 0;

	snprintf(path, sizeof(path), "%s.pack", base);
	if (!(m.pack = map_file(&m.pack_len, path)))
		return 0;
	snprintf(path, sizeof(path), "%s.idx", base);
	if (!(m.idx = map_file(&m.idx_len, path))) {
		munmap(m.pack, m.pack_len);
		return 0;
	}
	if (KK_ARRAY_GROW(s->maps, s->map_count + 1, s->map_alloc) < 0) {
		munmap(m.pack, m.pack_len);
		munmap(m.idx, m.idx_len);
		return -1;
	}
	s->maps[s->map_count++] = m;
	idx = m.idx;
	if (m.idx_len < 8 + 1024 || get32(idx) != 0xff744f63 || get32(idx + 4) != 2)
		return 0;
	n = get32(idx + 8 + 255 * 4);
	if (m.idx_len < 8 + 1024 + n * 28 + 40 || m.pack_len < 32)
		return 0;
	if (KK_ARRAY_GROW(s->raw, s->raw_count + n, s->raw_alloc) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *oids = idx + 8 + 1024, *crcs = oids + n * 20,
				    *offs = crcs + n * 4;
		uint64_t off = get32(offs + i * 4);
		raw_entry *e = &s->raw[s->raw_count + i];

		if (off & 0x80000000u) {
			size_t at = 8 + 1024 + n * 28 + (off & 0x7fffffffu) * 8;

			if (at + 8 > m.idx_len - 40) {
				s->raw_count = first;
				return 0;
			}
			off = (uint64_t)get32(idx + at) << 32 | get32(idx + at + 4);
			large++;
		}
		if (off < 12 || off >= m.pack_len - 20) {
			s->raw_count = first;
			return 0;
		}
		memcpy(e->oid.id, oids + i * 20, 20);
		e->crc = get32(crcs + i * 4);
		e->bytes = (const unsigned char *)m.pack + off;
	}
	(void)large;
	/* An entry runs to the next one, the last to the pack's checksum. */
	qsort(s->raw + first, n, sizeof(*s->raw), offset_cmp);
	for (size_t i = first; i < first + n; i++) {
		const unsigned char *end =
			i + 1 < first + n ? s->raw[i + 1].bytes
					  : (const unsigned char *)m.pack + m.pack_len - 20;

		s->raw[i].len = (size_t)(end - s->raw[i].bytes);
	}
	s->raw_count += n;
	return 0;
}

static int raw_sort_cmp(const void *a, const void *b)
{
	return git_oid_cmp(&((const raw_entry *)a)->oid, &((const raw_entry *)b)->oid);
}

static void odb_release(source *src)
{
	odb_source *s = (odb_source *)src;

	git_odb_object_free(s->current);
	s->current = NULL;
	for (size_t i = 0; i < s->map_count; i++) {
		if (s->maps[i].pack)
			munmap(s->maps[i].pack, s->maps[i].pack_len);
		if (s->maps[i].idx)
			munmap(s->maps[i].idx, s->maps[i].idx_len);
	}
	free(s->maps);
	free(s->raw);
	s->maps = NULL;
	s->raw = NULL;
	s->map_count = s->raw_count = s->map_alloc = s->raw_alloc = 0;
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
static int write_objects(pack_entry *entries, outfile *out, source *src, kk_diag *diag)
{
	unsigned char header[12] = {'P', 'A', 'C', 'K'};
	bool blobs_ready = false, others_ready = false;
	z_stream blobs = {0}, others = {0}; /* see source.level */
	size_t i;
	int error;

	put32(header + 4, 2);
	put32(header + 8, (uint32_t)src->count);
	if ((error = out_put(out, header, sizeof(header), NULL, diag)) < 0)
		goto done;
	if (!(blobs_ready = deflateInit(&blobs, src->level) == Z_OK) ||
	    !(others_ready = deflateInit(&others, Z_NO_COMPRESSION) == Z_OK)) {
		error = oom(diag);
		goto done;
	}
	for (i = 0; i < src->count; i++) {
		kk_pack_object obj;
		unsigned char objhdr[16];
		uint32_t crc = (uint32_t)crc32_z(0, NULL, 0);
		const unsigned char *raw;
		size_t raw_len;

		if (src->raw && src->raw(&raw, &raw_len, &crc, src, i) == 1) {
			entries[i].oid = ((odb_source *)src)->oids[i];
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

static int pack_path(char **out, const char *dir, const git_oid *checksum, const char *ext,
		     kk_diag *diag)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), checksum);
	if (asprintf(out, "%s/pack-%s%s", dir, hex, ext) < 0) {
		*out = NULL;
		return oom(diag);
	}
	return 0;
}

/*
 * Moves the synced temporary files to their names, the pack first, and
 * syncs the directory.  Undoes what it did on failure, except that a pack
 * or index that already existed (the same objects written again give the
 * same checksum) is left alone.
 */
static int install(const char *pack_dir, const git_oid *checksum, outfile *pack, outfile *idx,
		   kk_diag *diag)
{
	char *pack_name = NULL, *idx_name = NULL;
	bool made_pack = false, made_idx = false;
	int error;

	if ((error = pack_path(&pack_name, pack_dir, checksum, ".pack", diag)) < 0 ||
	    (error = pack_path(&idx_name, pack_dir, checksum, ".idx", diag)) < 0)
		goto done;
	made_pack = access(pack_name, F_OK) < 0;
	made_idx = access(idx_name, F_OK) < 0;
	if (rename(pack->path, pack_name) < 0) {
		made_pack = false;
		error = rename_error(diag, pack->path, pack_name, errno);
		goto done;
	}
	free(pack->path);
	pack->path = NULL;
	if (rename(idx->path, idx_name) < 0) {
		made_idx = false;
		error = rename_error(diag, idx->path, idx_name, errno);
		goto done;
	}
	free(idx->path);
	idx->path = NULL;
	error = sync_dir(pack_dir, diag);

done:
	if (error < 0 && made_idx)
		unlink(idx_name);
	if (error < 0 && made_pack)
		unlink(pack_name);
	free(pack_name);
	free(idx_name);
	return error;
}

static int write_pack(git_oid *checksum_out, const char *pack_dir, source *src, kk_diag *diag)
{
	outfile pack = {.fd = -1}, idx = {.fd = -1};
	unsigned char pack_sum[SHA1_DIGEST_SIZE], idx_sum[SHA1_DIGEST_SIZE];
	pack_entry *entries = NULL;
	unsigned char *buf = NULL;
	git_oid checksum;
	size_t i;
	int error;

	if (src->count > UINT32_MAX)
		return kk_diag_set(diag, KK_EINVALID, _("too many objects for one pack"));
	if (!(entries = malloc(src->count * sizeof(*entries))) || !(buf = malloc(BUFFER_SIZE))) {
		error = oom(diag);
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
	if ((error = install(pack_dir, &checksum, &pack, &idx, diag)) < 0)
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

int kk_pack_write(git_oid *checksum_out, const char *pack_dir, const kk_pack_object *objects,
		  size_t count, kk_diag *diag)
{
	array_source src = {{count, array_get, array_release, Z_NO_COMPRESSION, NULL}, objects};

	assert(pack_dir && (objects || count == 0));
	if (count == 0)
		return kk_diag_set(diag, KK_EINVALID, _("refusing to write an empty pack"));
	return write_pack(checksum_out, pack_dir, &src.base, diag);
}

typedef struct {
	git_oid oid;
	uint64_t size;
} listed_pack;

static int listed_cmp(const void *a, const void *b)
{
	const listed_pack *x = a, *y = b;

	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return git_oid_cmp(&x->oid, &y->oid);
}

/* Parses "pack-<40 lower-case hex>.idx"; git names packs in lower case only. */
static bool idx_name(git_oid *out, const char *name)
{
	size_t i;

	if (strlen(name) != 5 + GIT_OID_HEXSZ + 4 || strncmp(name, "pack-", 5) != 0 ||
	    strcmp(name + 5 + GIT_OID_HEXSZ, ".idx") != 0)
		return false;
	for (i = 5; i < 5 + GIT_OID_HEXSZ; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return git_oid_fromstrn(out, name + 5, GIT_OID_HEXSZ) == 0;
}

int kk_pack_list(git_oid **out, size_t *count_out, const char *pack_dir, kk_diag *diag)
{
	listed_pack *packs = NULL;
	size_t count = 0, alloc = 0, i;
	git_oid *oids = NULL;
	struct dirent *de;
	DIR *dir = NULL;
	int error = 0;

	assert(out && count_out && pack_dir);
	if (!(dir = opendir(pack_dir))) {
		error = read_error(diag, pack_dir, errno);
		goto done;
	}
	for (;;) {
		char pack_name[5 + GIT_OID_HEXSZ + 6];
		struct stat st;
		git_oid oid;

		errno = 0;
		if (!(de = readdir(dir))) {
			if (errno)
				error = read_error(diag, pack_dir, errno);
			break;
		}
		if (!idx_name(&oid, de->d_name))
			continue;
		memcpy(pack_name, de->d_name, 5 + GIT_OID_HEXSZ);
		memcpy(pack_name + 5 + GIT_OID_HEXSZ, ".pack", 6);
		/* An index without its pack is half of a pack being removed. */
		if (fstatat(dirfd(dir), pack_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (KK_ARRAY_GROW(packs, count + 1, alloc) < 0) {
			error = oom(diag);
			goto done;
		}
		packs[count].oid = oid;
		packs[count].size = (uint64_t)st.st_size;
		count++;
	}
	if (error < 0)
		goto done;
	if (count > 0) {
		qsort(packs, count, sizeof(*packs), listed_cmp);
		if (!(oids = malloc(count * sizeof(*oids)))) {
			error = oom(diag);
			goto done;
		}
		for (i = 0; i < count; i++)
			oids[i] = packs[i].oid;
	}
	*out = oids;
	*count_out = count;

done:
	if (dir)
		closedir(dir);
	free(packs);
	return error;
}

typedef struct {
	git_oid *oids;
	size_t count;
	size_t alloc;
	bool failed; /* out of memory */
} oid_list;

static int collect_oid(const git_oid *oid, void *payload)
{
	oid_list *list = payload;

	if (KK_ARRAY_GROW(list->oids, list->count + 1, list->alloc) < 0) {
		list->failed = true;
		return -1;
	}
	list->oids[list->count++] = *oid;
	return 0;
}

static int oid_cmp(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Removes `base` + `ext`; a file already gone is fine. */
static int remove_file(const char *base, const char *ext, kk_diag *diag)
{
	char *path = NULL;
	int error = 0;

	if (asprintf(&path, "%s%s", base, ext) < 0)
		return oom(diag);
	if (unlink(path) < 0 && errno != ENOENT)
		error = remove_error(diag, path, errno);
	free(path);
	return error;
}

/*
 * Adds the pack `checksum` to `odb` unless it is kept; *base_out is
 * "<pack_dir>/pack-<hex>" for removal later, or NULL for a kept pack.
 */
static int add_pack(char **base_out, git_odb *odb, const char *pack_dir, const git_oid *checksum,
		    kk_diag *diag)
{
	git_odb_backend *backend = NULL;
	char *base = NULL, *path = NULL;
	int error;

	*base_out = NULL;
	if ((error = pack_path(&base, pack_dir, checksum, "", diag)) < 0)
		goto done;
	if (asprintf(&path, "%s.keep", base) < 0) {
		path = NULL;
		error = oom(diag);
		goto done;
	}
	if (exists(path))
		goto done;
	free(path);
	if (asprintf(&path, "%s.pack", base) < 0) {
		path = NULL;
		error = oom(diag);
		goto done;
	}
	/* libgit2 would report a missing pack only when it first reads from it. */
	if (!exists(path)) {
		error = read_error(diag, path, errno);
		goto done;
	}
	free(path);
	if (asprintf(&path, "%s.idx", base) < 0) {
		path = NULL;
		error = oom(diag);
		goto done;
	}
	if (!exists(path)) {
		error = read_error(diag, path, errno);
		goto done;
	}
	if (git_odb_backend_one_pack(&backend, path) < 0) {
		kk_diag_set_path(diag, path);
		error = kk_diag_git(diag, KK_EIO, _("cannot open pack index"));
		goto done;
	}
	if (git_odb_add_backend(odb, backend, 1) < 0) {
		backend->free(backend);
		error = kk_diag_git(diag, KK_EIO, _("cannot open pack index"));
		goto done;
	}
	*base_out = base;
	base = NULL;

done:
	free(base);
	free(path);
	return error;
}

int kk_pack_merge(git_oid *checksum_out, const char *pack_dir, const git_oid *packs, size_t count,
		  kk_diag *diag)
{
	odb_source src = {.base = {0, odb_get, odb_release, Z_BEST_SPEED, odb_raw}};
	oid_list objects = {0};
	git_odb *odb = NULL;
	char **bases = NULL;
	size_t i, j, merged = 0;
	git_oid checksum;
	int error;

	assert(pack_dir && (packs || count == 0));
	if (count == 0)
		return kk_diag_set(diag, KK_EINVALID, _("no packs to merge"));
	if (git_libgit2_init() < 0)
		return kk_diag_git(diag, KK_ERROR, _("cannot initialise libgit2"));
	if (!(bases = calloc(count, sizeof(*bases)))) {
		error = oom(diag);
		goto done;
	}
	if (git_odb_new(&odb) < 0) {
		error = kk_diag_git(diag, KK_ERROR, _("cannot create an object database"));
		goto done;
	}
	for (i = 0; i < count; i++) {
		bool seen = false;

		for (j = 0; j < i && !seen; j++)
			seen = git_oid_equal(&packs[i], &packs[j]);
		if (seen)
			continue;
		if ((error = add_pack(&bases[i], odb, pack_dir, &packs[i], diag)) < 0)
			goto done;
		if (bases[i] && map_pack(&src, bases[i]) < 0) {
			error = oom(diag);
			goto done;
		}
		merged += bases[i] != NULL;
	}
	if (merged == 0) {
		error = kk_diag_set(diag, KK_EINVALID, _("no packs to merge: every one is kept"));
		goto done;
	}

	if (git_odb_foreach(odb, collect_oid, &objects) < 0) {
		error = objects.failed ? oom(diag)
				       : kk_diag_git(diag, KK_EIO, _("cannot list objects"));
		goto done;
	}
	qsort(objects.oids, objects.count, sizeof(*objects.oids), oid_cmp);
	for (i = 0, j = 0; i < objects.count; i++)
		if (j == 0 || !git_oid_equal(&objects.oids[j - 1], &objects.oids[i]))
			objects.oids[j++] = objects.oids[i];
	objects.count = j;
	if (objects.count == 0) {
		error = kk_diag_set(diag, KK_EINVALID, _("no packs to merge: they are empty"));
		goto done;
	}

	qsort(src.raw, src.raw_count, sizeof(*src.raw), raw_sort_cmp);
	src.base.count = objects.count;
	src.odb = odb;
	src.oids = objects.oids;
	if ((error = write_pack(&checksum, pack_dir, &src.base, diag)) < 0)
		goto done;

	/*
	 * Every index first: a reader that still finds an old index may also
	 * need its pack.  The new pack may be one of the old ones, rewritten.
	 */
	for (i = 0; i < count; i++)
		if (bases[i] && git_oid_equal(&packs[i], &checksum)) {
			free(bases[i]);
			bases[i] = NULL;
		}
	for (i = 0; i < count; i++)
		if (bases[i] && (error = remove_file(bases[i], ".idx", diag)) < 0)
			goto done;
	for (i = 0; i < count; i++) {
		if (!bases[i])
			continue;
		for (j = 0; j < sizeof(pack_companions) / sizeof(*pack_companions); j++)
			if ((error = remove_file(bases[i], pack_companions[j], diag)) < 0)
				goto done;
		if ((error = remove_file(bases[i], ".pack", diag)) < 0)
			goto done;
	}
	if ((error = sync_dir(pack_dir, diag)) < 0)
		goto done;
	if (checksum_out)
		*checksum_out = checksum;

done:
	odb_release(&src.base); /* again, after a failure before the pack was written */
	/* The odb holds the old packs open; they are gone from the directory already. */
	git_odb_free(odb);
	for (i = 0; bases && i < count; i++)
		free(bases[i]);
	free(bases);
	free(objects.oids);
	git_libgit2_shutdown();
	return error;
}

/*
 * pack_read.c - the objects a merge writes (pack_internal.h): read one at a
 * time through libgit2, so that packs git wrote, with deltas, are fine; or
 * copied as they are from the old packs, which are mapped and their
 * indexes read, when an entry is a whole object in its final form.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <zlib.h>

#include "array.h"
#include "i18n.h"
#include "pack_internal.h"

static int reader_get(kk_pack_object *obj, kk_pack_source *src, size_t i, kk_diag *diag)
{
	kk_pack_reader *s = (kk_pack_reader *)src;
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
	return git_oid_cmp(key, &((const kk_pack_raw_entry *)entry)->oid);
}

/*
 * Gives an entry of an old pack for copying when it is a whole object (not
 * a delta) in its final form: compressed, or not a blob.  A batch's pack is
 * stored uncompressed, so its blobs are compressed once, at their first
 * merge, and copied after that.
 */
static int reader_raw(const unsigned char **bytes, size_t *len, git_oid *oid, uint32_t *crc,
		      kk_pack_source *src, size_t i)
{
	kk_pack_reader *s = (kk_pack_reader *)src;
	const kk_pack_raw_entry *e =
		bsearch(&s->oids[i], s->raw, s->raw_count, sizeof(*s->raw), raw_cmp);
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
	*oid = e->oid;
	*crc = e->crc;
	return 1;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int offset_cmp(const void *a, const void *b)
{
	const kk_pack_raw_entry *x = a, *y = b;

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

int kk_pack_reader_map(kk_pack_reader *s, const char *base)
{
	char path[PATH_MAX];
	kk_pack_mapped m = {0};
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
		kk_pack_raw_entry *e = &s->raw[s->raw_count + i];

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
	return git_oid_cmp(&((const kk_pack_raw_entry *)a)->oid,
			   &((const kk_pack_raw_entry *)b)->oid);
}

void kk_pack_reader_ready(kk_pack_reader *r, const git_oid *oids, size_t count)
{
	qsort(r->raw, r->raw_count, sizeof(*r->raw), raw_sort_cmp);
	r->oids = oids;
	r->base.count = count;
}

static void reader_release(kk_pack_source *src)
{
	kk_pack_reader *s = (kk_pack_reader *)src;

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

void kk_pack_reader_init(kk_pack_reader *r, git_odb *odb)
{
	*r = (kk_pack_reader){.base = {0, reader_get, reader_release, Z_BEST_SPEED, reader_raw},
			      .odb = odb};
}

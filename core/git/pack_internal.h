/*
 * pack_internal.h - what the three parts of pack.h share: pack.c writes a
 * pack from a source of objects, pack_read.c is the source a merge reads
 * the old packs through, and pack_merge.c lists and merges packs.  Not for
 * use outside core/git/pack*.c.
 */
#ifndef KK_PACK_INTERNAL_H
#define KK_PACK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <git2.h>

#include "common.h"
#include "pack.h"

/*
 * Where the objects of a pack come from: the caller's array (kk_pack_write)
 * or packs read back through libgit2 (kk_pack_merge), one object at a time
 * so that a merge holds only one object in memory.  `get` fills *obj; its
 * data stays valid until the next call of `get` or `release`.
 */
typedef struct kk_pack_source kk_pack_source;
struct kk_pack_source {
	size_t count;
	int (*get)(kk_pack_object *obj, kk_pack_source *src, size_t i, kk_diag *diag);
	void (*release)(kk_pack_source *src);
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
	 * (header and compressed data), with its id and CRC: returns 1 then, 0
	 * when the object must be compressed from get()'s content.  NULL: never.
	 */
	int (*raw)(const unsigned char **bytes, size_t *len, git_oid *oid, uint32_t *crc,
		   kk_pack_source *src, size_t i);
	/* Non-NULL: the pack gets a .keep file holding this line (kk_pack_write_kept). */
	const char *keep;
};

/*
 * Writes the source's objects as a pack and its index into `pack_dir`, as
 * kk_pack_write() describes, and releases the source in any case.
 */
int kk_pack_write_source(git_oid *checksum_out, const char *pack_dir, kk_pack_source *src,
			 kk_diag *diag);

/* A pack entry that a merge may copy without inflating it. */
typedef struct kk_pack_raw_entry {
	git_oid oid;
	const unsigned char *bytes;
	size_t len;
	uint32_t crc;
} kk_pack_raw_entry;

/* A pack and its index, mapped for copying entries. */
typedef struct kk_pack_mapped {
	void *pack, *idx;
	size_t pack_len, idx_len;
} kk_pack_mapped;

/*
 * The source of a merge (pack_read.c): the objects `oids` of `odb`, and the
 * entries of the mapped packs that can be copied as they are.  Set up with
 * kk_pack_reader_init(), kk_pack_reader_map() for each pack, then
 * kk_pack_reader_ready(); its base.release() (which kk_pack_write_source()
 * calls) unmaps everything, and may be called again.
 */
typedef struct kk_pack_reader {
	kk_pack_source base;
	git_odb *odb;
	const git_oid *oids;
	git_odb_object *current;
	kk_pack_raw_entry *raw; /* sorted by oid once ready */
	size_t raw_count, raw_alloc;
	kk_pack_mapped *maps;
	size_t map_count, map_alloc;
} kk_pack_reader;

/* Makes `r` an empty reader of `odb`. */
void kk_pack_reader_init(kk_pack_reader *r, git_odb *odb);

/*
 * Maps `base`.pack and .idx and adds their entries to the ones to copy; a
 * pack or index that does not look right adds nothing (those objects are
 * then read through libgit2 instead).  Returns -1 when out of memory.
 */
int kk_pack_reader_map(kk_pack_reader *r, const char *base);

/* The reader gives `count` objects, `oids` (sorted, unique, kept by the caller). */
void kk_pack_reader_ready(kk_pack_reader *r, const git_oid *oids, size_t count);

/* Records that memory ran out; returns KK_ENOMEM. */
int kk_pack_oom(kk_diag *diag);

/*
 * Records a failed system call on `path`: the message `fmt` (which names
 * what failed) followed by ": " and errno's text, the path and the errno;
 * returns `code`.
 */
int kk_pack_sys_error(kk_diag *diag, int code, const char *path, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* "cannot read 'PATH': ...": KK_ENOTFOUND for ENOENT, else KK_EIO. */
int kk_pack_read_error(kk_diag *diag, const char *path, int errnum);

/* Syncs the directory `dir`, so that the names made or removed in it last. */
int kk_pack_sync_dir(const char *dir, kk_diag *diag);

/* *out = "DIR/pack-HEX" + `ext`, malloc'ed. */
int kk_pack_path(char **out, const char *dir, const git_oid *checksum, const char *ext,
		 kk_diag *diag);

#endif

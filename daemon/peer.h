/*
 * peer.h - who a peer is (peer.c).
 */
#ifndef KD_PEER_H
#define KD_PEER_H

#include <sys/types.h>

#include "identity.h"

/*
 * Fills `who` (emptied first; release with kk_identity_clear()) with the
 * login, full name and groups of `uid`, whose primary group is `gid`.
 * Returns 0, or -1 when the user is unknown or memory ran out.  Blocks on
 * NSS: call it off the loop thread.
 */
int kd_peer_lookup(kk_identity *who, uid_t uid, gid_t gid);

#endif

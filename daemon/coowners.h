/*
 * coowners.h - rule 6 for items that several departments own (coowners.c).
 */
#ifndef KD_COOWNERS_H
#define KD_COOWNERS_H

#include "writer.h"

/*
 * Checks decided submission `r` of `call` against rule 6 for co-owned
 * texts (docs/data-model.md, "Co-owned texts"): each change an owner
 * department (not an admin) makes to a text field of an item with two or
 * more owners keeps the lines that the other owners or an admin wrote, who
 * wrote each line being read from the history at the writer's head.  A
 * change that loses such lines adds its violation to r->violations and
 * makes r->verdict a refusal, so that the submission is refused as a whole.
 * Submissions already refused otherwise than by rules 2 to 5, and admins'
 * changes, are left alone; nothing else reads the history.  Returns 0, or
 * -1 with the call failed when the history cannot be read.
 */
int kd_coowners_check(kd_writer *w, kd_call *call, kk_update_result *r);

#endif

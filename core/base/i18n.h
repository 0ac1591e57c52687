/*
 * i18n.h - gettext markers for user-visible text.
 *
 * Core builds messages for users, so it marks them for translation; the
 * program's main() chooses the locale and binds the text domain.  Core
 * never calls setlocale() itself.
 */
#ifndef KK_I18N_H
#define KK_I18N_H

#include <libintl.h>

#define KK_TEXTDOMAIN "keikaku"

#define _(s)  dgettext(KK_TEXTDOMAIN, s)
#define N_(s) (s)
/* Singular or plural by `n`; xgettext's keyword is P_:1,2. */
#define P_(singular, plural, n) dngettext(KK_TEXTDOMAIN, singular, plural, n)

#endif

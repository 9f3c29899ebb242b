/* Client fingerprint families: a table from rules/fingerprints.conf that maps
 * a TLS/QUIC client's JA4 to the family of software that sends it (browser,
 * python, go, node, curl, ...), by exact JA4 or by a pattern over its parts.
 * The format is described in rules/FINGERPRINTS.md. */
#ifndef DS_FINGERPRINT_H
#define DS_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>

#define FP_FAMILY_MAX 32   /* family name, NUL included */
#define FP_CLIENT_MAX 64   /* client label, NUL included */
#define FP_MAX_ENTRIES 65536

/* What fingerprint_family answers when no entry matches (or no table). */
#define FP_UNKNOWN "unknown"

struct fingerprints;
struct diag;

/* Loads a fingerprint table. Every error in the file goes to dg (ds/diag.h;
 * NULL: the log) as `file:line: why`; entries that can match the same JA4
 * with different families are reported as warnings. Returns 0 with *out set
 * to a table the caller owns (fingerprint_free), or the (positive) number of
 * errors with *out NULL (a half table would silently call some clients
 * unknown), or -1 if the file cannot be read (`file: cannot read: why`). */
int fingerprint_load(const char *path, struct diag *dg, struct fingerprints **out);
/* The same from a buffer of len bytes (need not be NUL-terminated); `name`
 * is the file name used in messages. Never -1. */
int fingerprint_load_buffer(const char *name, const char *text, size_t len, struct diag *dg,
                            struct fingerprints **out);

/* Frees the table; fingerprint_free(NULL) is a no-op. */
void fingerprint_free(struct fingerprints *fp);

/* The family of a JA4 ("t13d1516h2_8daaf6152771_02713d6af862"): the most
 * specific matching entry's (ties go to the earlier line), or FP_UNKNOWN when
 * none matches, fp is NULL, or ja4 is NULL or not a JA4. The string lives as
 * long as the table (FP_UNKNOWN forever). Allocates nothing. */
const char *fingerprint_family(const struct fingerprints *fp, const char *ja4);

/* Like fingerprint_family, with the matching entry's client label too
 * (e.g. "Chromium"; "" when the entry has none). Returns 0 on a match, or -1
 * (family FP_UNKNOWN, client "") when none. family or client may be NULL. */
int fingerprint_match(const struct fingerprints *fp, const char *ja4, const char **family,
                      const char **client);

/* Whether some entry maps to family, or family is FP_UNKNOWN: lets a rule
 * parser reject a misspelt family in a condition. */
bool fingerprint_family_known(const struct fingerprints *fp, const char *family);

/* Entries in the table (0 for NULL). */
size_t fingerprint_count(const struct fingerprints *fp);

#endif

/* Least privilege (-Z USER, --chroot DIR): the user is looked up at start-up,
 * while the name service is reachable; once the capture and the output are
 * open, the sensor optionally chroots, then becomes that user (its uid, its
 * primary gid and its supplementary groups) with every capability set empty
 * (effective, permitted, inheritable, ambient, bounding) and no_new_privs,
 * and checks that root cannot be regained. No capability is kept: whatever
 * is opened later (a SIGHUP reload or reopen, the next -r file) is opened
 * with the user's own rights. */
#ifndef DS_PRIVDROP_H
#define DS_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct privdrop;

/* Looks up user (a name, or a numeric uid with a passwd entry) and its
 * groups, and checks that chroot_dir (NULL for none) is a directory. Returns
 * 0 with a new *out, or -1 with one line in err: an unknown user, user root
 * (uid 0: nothing would be dropped), a chroot_dir that is not a directory.
 * The caller frees *out with privdrop_free. */
int privdrop_new(const char *user, const char *chroot_dir, struct privdrop **out, char *err,
                 size_t errlen);

/* Drops to the user (after chroot_dir, if any) unless pd is NULL or the drop
 * is done already. Not running as root, it changes nothing and warns once,
 * as tcpdump ignores -Z then. Returns 0, or -1 with one line in err when a
 * step fails or root can be regained afterwards: the caller must stop, the
 * process may be half-dropped. */
int privdrop_apply(struct privdrop *pd, char *err, size_t errlen);

/* Most paths privdrop_watch keeps. */
#define PRIVDROP_MAX_WATCH 4

/* Names a path the sensor opens again later (on SIGHUP) with access mode
 * (R_OK, W_OK, X_OK of unistd.h), said as `what` ("reload the rules from").
 * Right after the drop, each one the user cannot reach (inside the chroot,
 * if any) gets one warning, so the operator learns at start-up, not at the
 * first SIGHUP. pd and path are kept by reference; NULL pd is a no-op;
 * paths past PRIVDROP_MAX_WATCH are ignored. */
void privdrop_watch(struct privdrop *pd, const char *path, int mode, const char *what);

/* Whether privdrop_apply has dropped privileges. NULL-safe (false). */
bool privdrop_done(const struct privdrop *pd);

/* The looked-up user's uid and primary gid. */
uid_t privdrop_uid(const struct privdrop *pd);
gid_t privdrop_gid(const struct privdrop *pd);

/* NULL-safe. */
void privdrop_free(struct privdrop *pd);

#endif

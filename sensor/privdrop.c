/* Least privilege: chroot, then the user's groups, gid and uid, in that
 * order (setgroups and setgid need root, so they come before setuid), with
 * the capability bounding set emptied first (that needs CAP_SETPCAP) and the
 * inheritable set after (a uid change from root clears only effective,
 * permitted and ambient). Plain system calls, no libcap-ng: nothing is kept,
 * so there is nothing for a capability library to keep. The groups are
 * read at lookup time, before a chroot hides /etc/group. */
#include "ds/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ds/log.h"
#include "ds/util.h"

/* Most supplementary groups looked up (Linux's NGROUPS_MAX). */
#define PRIVDROP_MAX_GROUPS 65536

struct privdrop {
    char *user;
    char *chroot_dir;    /* or NULL */
    uid_t uid;
    gid_t gid;
    gid_t *groups;       /* supplementary groups, the primary one included */
    int ngroups;
    enum { PRIVDROP_PENDING, PRIVDROP_DROPPED, PRIVDROP_NOT_ROOT } state;
    struct {
        const char *path, *what;
        int mode;
    } watch[PRIVDROP_MAX_WATCH];
    int nwatch;
};

static struct passwd *lookup_user(const char *user)
{
    errno = 0;
    struct passwd *pw = getpwnam(user);
    uint64_t id;
    if (pw == NULL && ds_parse_u64(user, 0, UINT32_MAX, &id) == 0)
        pw = getpwuid((uid_t)id);
    return pw;
}

/* The user's groups (getgrouplist: /etc/group and the name service). */
static int lookup_groups(struct privdrop *pd, char *err, size_t errlen)
{
    int n = 32;
    for (;;) {
        pd->groups = xrealloc(pd->groups, (size_t)n * sizeof(*pd->groups));
        int got = n;
        if (getgrouplist(pd->user, pd->gid, pd->groups, &got) >= 0) {
            pd->ngroups = got;
            return 0;
        }
        if (got <= n || got > PRIVDROP_MAX_GROUPS) {
            snprintf(err, errlen, "-Z %s: cannot list the user's groups", pd->user);
            return -1;
        }
        n = got;
    }
}

static int check_chroot_dir(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        snprintf(err, errlen, "--chroot %s: %s", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "--chroot %s: not a directory", dir);
        return -1;
    }
    return 0;
}

int privdrop_new(const char *user, const char *chroot_dir, struct privdrop **out, char *err,
                 size_t errlen)
{
    *out = NULL;
    struct passwd *pw = lookup_user(user);
    if (pw == NULL) {
        snprintf(err, errlen, "-Z %s: no such user", user);
        return -1;
    }
    if (pw->pw_uid == 0) {
        snprintf(err, errlen, "-Z %s: the user is root (uid 0): nothing would be dropped", user);
        return -1;
    }
    if (chroot_dir != NULL && check_chroot_dir(chroot_dir, err, errlen) != 0)
        return -1;
    struct privdrop *pd = xcalloc(1, sizeof(*pd));
    pd->user = xstrdup(pw->pw_name);
    pd->uid = pw->pw_uid;
    pd->gid = pw->pw_gid;
    pd->chroot_dir = chroot_dir ? xstrdup(chroot_dir) : NULL;
    if (lookup_groups(pd, err, errlen) != 0) {
        privdrop_free(pd);
        return -1;
    }
    *out = pd;
    return 0;
}

static int fail(char *err, size_t errlen, const char *step)
{
    snprintf(err, errlen, "dropping privileges: %s: %s", step, strerror(errno));
    return -1;
}

static int enter_chroot(const struct privdrop *pd, char *err, size_t errlen)
{
    if (pd->chroot_dir == NULL)
        return 0;
    if (chroot(pd->chroot_dir) != 0)
        return fail(err, errlen, "chroot");
    if (chdir("/") != 0)
        return fail(err, errlen, "chdir /");
    return 0;
}

/* Empties the bounding set (so no exec can gain a capability back) and the
 * ambient set, while CAP_SETPCAP is still held. */
static int drop_bounding(char *err, size_t errlen)
{
    for (unsigned long cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
            return fail(err, errlen, "PR_CAPBSET_DROP");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return fail(err, errlen, "PR_CAP_AMBIENT_CLEAR_ALL");
    return 0;
}

static int change_ids(const struct privdrop *pd, char *err, size_t errlen)
{
    if (setgroups((size_t)pd->ngroups, pd->groups) != 0)
        return fail(err, errlen, "setgroups");
    if (setresgid(pd->gid, pd->gid, pd->gid) != 0)
        return fail(err, errlen, "setresgid");
    if (setresuid(pd->uid, pd->uid, pd->uid) != 0)
        return fail(err, errlen, "setresuid");
    return 0;
}

/* Reads (set false) or writes (set true) the three capability sets of this
 * process through the raw system calls; glibc has no wrapper. */
static int caps_io(struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3], bool set)
{
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    return (int)syscall(set ? SYS_capset : SYS_capget, &hdr, data);
}

static int clear_caps(char *err, size_t errlen)
{
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    memset(data, 0, sizeof(data));
    if (caps_io(data, true) != 0)
        return fail(err, errlen, "capset");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return fail(err, errlen, "PR_SET_NO_NEW_PRIVS");
    return 0;
}

/* What a successful drop leaves: every id the user's, no capability, and
 * root out of reach (setuid(0) and setgid(0) fail). */
static int verify(const struct privdrop *pd, char *err, size_t errlen)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    const char *why = NULL;
    if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0)
        why = "cannot read the ids";
    else if (ru != pd->uid || eu != pd->uid || su != pd->uid)
        why = "a uid is not the user's";
    else if (rg != pd->gid || eg != pd->gid || sg != pd->gid)
        why = "a gid is not the user's";
    else if (caps_io(data, false) != 0)
        why = "cannot read the capability sets";
    else if ((data[0].effective | data[0].permitted | data[0].inheritable | data[1].effective |
              data[1].permitted | data[1].inheritable) != 0)
        why = "a capability is left";
    else if (setuid(0) == 0 || setgid(0) == 0)
        why = "root can be regained";
    if (why == NULL)
        return 0;
    snprintf(err, errlen, "dropping privileges to %s: %s", pd->user, why);
    return -1;
}

void privdrop_watch(struct privdrop *pd, const char *path, int mode, const char *what)
{
    if (pd == NULL || pd->nwatch == PRIVDROP_MAX_WATCH)
        return;
    pd->watch[pd->nwatch].path = path;
    pd->watch[pd->nwatch].what = what;
    pd->watch[pd->nwatch].mode = mode;
    pd->nwatch++;
}

/* After the drop, access() checks with the real ids: the user's. */
static void warn_unreachable(const struct privdrop *pd)
{
    for (int i = 0; i < pd->nwatch; i++) {
        if (access(pd->watch[i].path, pd->watch[i].mode) == 0)
            continue;
        log_warn("as %s%s%s, %s %s: %s", pd->user,
                 pd->chroot_dir ? " in chroot " : "", pd->chroot_dir ? pd->chroot_dir : "",
                 pd->watch[i].what, pd->watch[i].path, strerror(errno));
    }
}

int privdrop_apply(struct privdrop *pd, char *err, size_t errlen)
{
    if (pd == NULL || pd->state != PRIVDROP_PENDING)
        return 0;
    if (geteuid() != 0) {
        log_warn("-Z %s: not running as root: privileges left as they are%s", pd->user,
                 pd->chroot_dir ? ", no chroot" : "");
        pd->state = PRIVDROP_NOT_ROOT; /* warned once; nothing to drop */
        return 0;
    }
    if (enter_chroot(pd, err, errlen) != 0 || drop_bounding(err, errlen) != 0 ||
        change_ids(pd, err, errlen) != 0 || clear_caps(err, errlen) != 0 ||
        verify(pd, err, errlen) != 0)
        return -1;
    pd->state = PRIVDROP_DROPPED;
    log_info("running as %s (uid %u, gid %u), no capabilities%s%s", pd->user,
             (unsigned)pd->uid, (unsigned)pd->gid, pd->chroot_dir ? ", chroot " : "",
             pd->chroot_dir ? pd->chroot_dir : "");
    warn_unreachable(pd);
    return 0;
}

bool privdrop_done(const struct privdrop *pd)
{
    return pd != NULL && pd->state == PRIVDROP_DROPPED;
}

uid_t privdrop_uid(const struct privdrop *pd)
{
    return pd->uid;
}

gid_t privdrop_gid(const struct privdrop *pd)
{
    return pd->gid;
}

void privdrop_free(struct privdrop *pd)
{
    if (pd == NULL)
        return;
    free(pd->user);
    free(pd->chroot_dir);
    free(pd->groups);
    free(pd);
}

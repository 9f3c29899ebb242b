/* Least privilege (privdrop.c): the user lookup and its errors, the chroot
 * directory check, and the drop itself in a forked child: as root, every
 * id becomes the user's, every capability set is empty, no_new_privs is
 * set, root cannot be regained, the chroot is entered and a watched path
 * the user cannot reach there is warned about; not as root, nothing
 * changes. */
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ds/privdrop.h"

/* A user every Debian system has, not root. */
static const struct passwd *nobody(void)
{
    return getpwnam("nobody");
}

static void new_fails(const char *user, const char *dir, const char *why)
{
    struct privdrop *pd = (struct privdrop *)1;
    char err[256] = "";
    assert_int_equal(privdrop_new(user, dir, &pd, err, sizeof(err)), -1);
    assert_null(pd);
    if (strstr(err, why) == NULL)
        fail_msg("privdrop_new(%s, %s): '%s' does not say '%s'", user, dir ? dir : "NULL", err,
                 why);
}

static void test_lookup_errors(void **state)
{
    (void)state;
    new_fails("no-such-user-ds10", NULL, "-Z no-such-user-ds10: no such user");
    new_fails("", NULL, "no such user");
    new_fails("root", NULL, "-Z root: the user is root (uid 0): nothing would be dropped");
    new_fails("0", NULL, "the user is root");
    if (nobody() == NULL)
        skip();
    new_fails("nobody", "/no/such/dir-ds10", "--chroot /no/such/dir-ds10: No such file");
    new_fails("nobody", "/dev/null", "--chroot /dev/null: not a directory");
}

static void test_lookup(void **state)
{
    (void)state;
    const struct passwd *pw = nobody();
    if (pw == NULL)
        skip();
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    char err[256] = "";
    struct privdrop *pd = NULL;
    assert_int_equal(privdrop_new("nobody", "/", &pd, err, sizeof(err)), 0);
    assert_int_equal(privdrop_uid(pd), uid);
    assert_int_equal(privdrop_gid(pd), gid);
    assert_false(privdrop_done(pd));
    privdrop_free(pd);
    /* A numeric uid with a passwd entry. */
    char num[32];
    snprintf(num, sizeof(num), "%u", (unsigned)uid);
    assert_int_equal(privdrop_new(num, NULL, &pd, err, sizeof(err)), 0);
    assert_int_equal(privdrop_uid(pd), uid);
    privdrop_free(pd);
    privdrop_free(NULL);
    assert_false(privdrop_done(NULL));
    assert_int_equal(privdrop_apply(NULL, err, sizeof(err)), 0);
}

/* The value of `field` in /proc/self/status (f, opened before the chroot
 * hid /proc, read afresh) as a number (base 16 for the Cap* masks), or
 * UINT64_MAX if it is missing. */
static uint64_t status_field(FILE *f, const char *field, int base)
{
    rewind(f);
    char line[512];
    uint64_t v = UINT64_MAX;
    size_t n = strlen(field);
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            v = strtoull(line + n + 1, NULL, base);
    return v;
}

/* In the child: 0 if the drop left what it promises, else the number of
 * the first check that failed. */
static int child_checks(struct privdrop *pd, const char *marker)
{
    char err[256];
    FILE *status = fopen("/proc/self/status", "r");
    if (status == NULL)
        return 10;
    if (privdrop_apply(pd, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (!privdrop_done(pd) || getuid() != privdrop_uid(pd) || geteuid() != privdrop_uid(pd))
        return 2;
    if (getgid() != privdrop_gid(pd) || getegid() != privdrop_gid(pd))
        return 3;
    if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0)
        return 4;
    static const char *caps[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
        if (status_field(status, caps[i], 16) != 0)
            return 5;
    if (status_field(status, "NoNewPrivs", 10) != 1)
        return 6;
    struct stat st;
    if (stat(marker, &st) != 0) /* the chroot's root is the test directory */
        return 7;
    if (privdrop_apply(pd, err, sizeof(err)) != 0) /* twice is a no-op */
        return 8;
    return 0;
}

static void test_drop(void **state)
{
    (void)state;
    if (nobody() == NULL)
        skip();
    char dir[] = "/tmp/test_privdrop.XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0755), 0); /* the user must search its new root */
    char marker[sizeof(dir) + 16];
    snprintf(marker, sizeof(marker), "%s/marker", dir);
    FILE *m = fopen(marker, "w");
    assert_non_null(m);
    fclose(m);
    char err[256] = "";
    struct privdrop *pd = NULL;
    assert_int_equal(privdrop_new("nobody", dir, &pd, err, sizeof(err)), 0);
    privdrop_watch(pd, "/marker", R_OK, "SIGHUP cannot read");        /* there, in the chroot */
    privdrop_watch(pd, "/nope-ds10", W_OK, "SIGHUP cannot reopen");   /* not there */
    FILE *log = tmpfile();
    assert_non_null(log);
    uid_t euid = geteuid();
    bool root = euid == 0;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int rc = 0;
        dup2(fileno(log), STDERR_FILENO);
        if (root) {
            rc = child_checks(pd, "/marker");
        } else if (privdrop_apply(pd, err, sizeof(err)) != 0 || privdrop_done(pd) ||
                   geteuid() != euid) {
            rc = 9; /* not root: a warning, nothing changed */
        }
        _exit(rc); /* no atexit or leak check in a child without privileges */
    }
    int wst = 0;
    assert_int_equal(waitpid(pid, &wst, 0), pid);
    unlink(marker);
    rmdir(dir);
    privdrop_free(pd);
    char said[1024];
    rewind(log);
    size_t n = fread(said, 1, sizeof(said) - 1, log);
    said[n] = '\0';
    fclose(log);
    assert_true(WIFEXITED(wst));
    if (WEXITSTATUS(wst) != 0)
        fail_msg("drop check %d failed (root: %d): %s", WEXITSTATUS(wst), root, said);
    if (!root)
        return;
    char want[256];
    snprintf(want, sizeof(want),
             "as nobody in chroot %s, SIGHUP cannot reopen /nope-ds10: No such file", dir);
    if (strstr(said, want) == NULL || strstr(said, "/marker") != NULL)
        fail_msg("stderr '%s' lacks '%s' or names /marker", said, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_errors),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_drop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

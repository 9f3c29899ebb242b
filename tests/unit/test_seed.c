/* seed: the fixed offline set is the tables' old constants (and their
 * defaults), offline runs get it, --seed N derives the same seeds every time
 * and different ones for another N, each table its own, --seed 0 is the
 * fixed set, and live runs (or --seed random) get seeds that differ run to
 * run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ds/detect.h"
#include "ds/flow.h"
#include "ds/seed.h"
#include "ds/source.h"

static bool same(const struct seeds *a, const struct seeds *b)
{
    return memcmp(a, b, sizeof(*a)) == 0;
}

static void test_fixed_is_todays_constants(void **state)
{
    (void)state;
    struct seeds s;
    seeds_fixed(&s);
    assert_true(s.run == 0);
    assert_int_equal(s.flow, 0x5eed1e55u);
    assert_int_equal(s.source, 0x5eed5eedu);
    assert_true(s.source_host == 0);
    assert_int_equal(s.cluster_key, 0);
    assert_int_equal(s.cluster_member, 0x5eedc1u);
    assert_int_equal(s.threshold, 0);
    assert_int_equal(s.catalog, 0);
    /* The tables' own defaults agree. */
    struct flow_config fc;
    flow_config_default(&fc);
    assert_int_equal(fc.seed, s.flow);
    struct source_config sc;
    source_config_default(&sc);
    assert_int_equal(sc.seed, s.source);
    assert_true(sc.host_seed == s.source_host);
    struct detect_config dc;
    detect_config_default(&dc);
    assert_true(same(&dc.seeds, &s));
}

static void test_offline_is_fixed(void **state)
{
    (void)state;
    struct seeds s, fixed;
    char err[128];
    seeds_fixed(&fixed);
    memset(&s, 0xa5, sizeof(s));
    assert_int_equal(seeds_choose(&s, SEED_AUTO, 0, false, err, sizeof(err)), 0);
    assert_true(same(&s, &fixed));
    /* --seed 0 is the fixed set, live too. */
    memset(&s, 0xa5, sizeof(s));
    assert_int_equal(seeds_choose(&s, SEED_VALUE, 0, true, err, sizeof(err)), 0);
    assert_true(same(&s, &fixed));
}

static void test_seed_override(void **state)
{
    (void)state;
    struct seeds a, b, c, fixed;
    char err[128];
    seeds_fixed(&fixed);
    assert_int_equal(seeds_choose(&a, SEED_VALUE, 42, true, err, sizeof(err)), 0);
    assert_int_equal(seeds_choose(&b, SEED_VALUE, 42, false, err, sizeof(err)), 0);
    assert_int_equal(seeds_choose(&c, SEED_VALUE, 43, false, err, sizeof(err)), 0);
    assert_true(a.run == 42);
    assert_true(same(&a, &b));      /* reproducible, live or not */
    assert_false(same(&a, &c));
    assert_false(same(&a, &fixed));
    /* Each table its own seed. */
    uint32_t t[] = { a.flow, a.source, (uint32_t)a.source_host, a.cluster_key,
                     a.cluster_member, a.threshold, a.catalog };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        for (size_t j = i + 1; j < sizeof(t) / sizeof(t[0]); j++)
            assert_int_not_equal(t[i], t[j]);
    /* Neighbouring run seeds give unrelated table seeds. */
    assert_int_not_equal(a.flow ^ c.flow, a.source ^ c.source);
}

/* The live seeds of a child process, through a pipe: another run. */
static struct seeds live_run(enum seed_mode mode, bool live)
{
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct seeds s;
        char err[128];
        int rc = seeds_choose(&s, mode, 0, live, err, sizeof(err));
        ssize_t n = rc == 0 ? write(fd[1], &s, sizeof(s)) : -1;
        _exit(n == (ssize_t)sizeof(s) ? 0 : 1);
    }
    close(fd[1]);
    struct seeds s;
    memset(&s, 0, sizeof(s));
    ssize_t n = read(fd[0], &s, sizeof(s));
    close(fd[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(n, (ssize_t)sizeof(s));
    return s;
}

static void test_live_differs_run_to_run(void **state)
{
    (void)state;
    struct seeds fixed;
    seeds_fixed(&fixed);
    struct seeds a = live_run(SEED_AUTO, true);
    struct seeds b = live_run(SEED_AUTO, true);
    assert_false(same(&a, &b));
    assert_false(same(&a, &fixed));
    assert_true(a.run != b.run);
    assert_int_not_equal(a.flow, b.flow);
    /* The table seeds are the ones derived from the run seed. */
    struct seeds d;
    seeds_derive(&d, a.run);
    assert_true(a.run == 0 || same(&a, &d));
    /* --seed random: random offline as well. */
    struct seeds r1 = live_run(SEED_RANDOM, false);
    struct seeds r2 = live_run(SEED_RANDOM, false);
    assert_false(same(&r1, &r2));
    assert_false(same(&r1, &fixed));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_is_todays_constants),
        cmocka_unit_test(test_offline_is_fixed),
        cmocka_unit_test(test_seed_override),
        cmocka_unit_test(test_live_differs_run_to_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

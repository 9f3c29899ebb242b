/* The rule language: good rules parse into what they say; every kind of
 * mistake gives its exact `file:line: why`; conditions evaluate as documented
 * (absent features never match); Suricata's threshold semantics (limit,
 * threshold, both; by_src, by_dst, by_rule) on packet time; duplicate sids
 * across files; reload keeping threshold state; and the shipped signature
 * set against hand-made profiles of harvesters and of ordinary users. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ds/diag.h"
#include "ds/features.h"
#include "ds/rules.h"
#include "ds/time-units.h"
#include "ds/util.h"

static const uint32_t windows[] = { 60, 600, 3600 };

#define MAX_MSGS 16
/* The messages of a load, through a diag that shows every one. */
struct errs {
    struct diag dg;
    unsigned n;
    char msg[MAX_MSGS][512];
};

static void collect(void *ctx, enum diag_level level, const char *msg)
{
    struct errs *e = ctx;
    assert_int_equal(level, DIAG_ERROR);
    if (e->n < MAX_MSGS)
        ds_strlcpy(e->msg[e->n], msg, sizeof(e->msg[0]));
    e->n++;
}

static void errs_init(struct errs *e)
{
    memset(e, 0, sizeof(*e));
    diag_init(&e->dg);
    diag_set_cap(&e->dg, 0);
    diag_set_fn(&e->dg, collect, e);
}

static struct ruleset *new_rs(struct errs *e)
{
    struct ruleset *rs = rules_new(windows, 3, 0);
    errs_init(e);
    return rs;
}

static int load(struct ruleset *rs, struct errs *e, const char *text)
{
    return rules_load_buffer(rs, "t.rules", text, strlen(text), &e->dg);
}

#define EXAMPLE                                                                             \
    "alert ai-harvest (msg:\"AI-HARVEST steady cadence, templated prompts\"; window:10m; "  \
    "requests:>=60; cadence_regularity:>=0.8; request_size_cv:<0.15; "                      \
    "provider:openai,anthropic; fingerprint_family:!browser; classtype:ai-harvest; "        \
    "severity:1; threshold: type limit, track by_src, count 1, seconds 3600; sid:9000001; " \
    "rev:1;)\n"

static void test_parse_example(void **state)
{
    (void)state;
    struct errs e;
    struct ruleset *rs = new_rs(&e);
    assert_int_equal(load(rs, &e, EXAMPLE), 0);
    assert_int_equal(e.n, 0);
    assert_int_equal(rules_count(rs), 1);
    const struct rule *r = rules_get(rs, 0);
    assert_int_equal(r->kind, RULE_KIND_SOURCE);
    assert_int_equal(r->sid, 9000001);
    assert_int_equal(r->rev, 1);
    assert_string_equal(r->msg, "AI-HARVEST steady cadence, templated prompts");
    assert_string_equal(r->classtype, "ai-harvest");
    assert_int_equal(r->severity, 1);
    assert_int_equal(r->window_s, 600);
    assert_int_equal(r->threshold.type, RULE_THR_LIMIT);
    assert_int_equal(r->threshold.track, RULE_TRACK_BY_SRC);
    assert_int_equal(r->threshold.count, 1);
    assert_int_equal(r->threshold.seconds, 3600);
    assert_false(r->threshold.implicit);
    assert_string_equal(r->file, "t.rules");
    assert_int_equal(r->line, 1);
    assert_int_equal(r->n_conds, 5);
    assert_int_equal(r->conds[0].feature, FEAT_REQUESTS);
    assert_int_equal(r->conds[0].op, RULE_OP_GE);
    assert_true(r->conds[0].lo == 60);
    assert_int_equal(r->conds[1].feature, FEAT_CADENCE_REGULARITY);
    assert_true(r->conds[1].lo == 0.8);
    assert_int_equal(r->conds[2].op, RULE_OP_LT);
    assert_true(r->conds[2].lo == 0.15);
    assert_int_equal(r->conds[3].feature, FEAT_PROVIDER);
    assert_int_equal(r->conds[3].op, RULE_OP_IN);
    assert_int_equal(r->conds[3].n_values, 2);
    assert_string_equal(r->conds[3].values[1], "anthropic");
    assert_int_equal(r->conds[4].op, RULE_OP_NOT_IN);
    assert_string_equal(r->conds[4].values[0], "browser");
    assert_ptr_equal(rules_find_sid(rs, 9000001), r);
    assert_null(rules_find_sid(rs, 1));

    char buf[128];
    rule_cond_format(&r->conds[0], buf, sizeof(buf));
    assert_string_equal(buf, "requests:>=60");
    rule_cond_format(&r->conds[2], buf, sizeof(buf));
    assert_string_equal(buf, "request_size_cv:<0.15");
    rule_cond_format(&r->conds[3], buf, sizeof(buf));
    assert_string_equal(buf, "provider:openai,anthropic");
    rule_cond_format(&r->conds[4], buf, sizeof(buf));
    assert_string_equal(buf, "fingerprint_family:!browser");
    assert_int_equal(rule_cond_format(&r->conds[3], NULL, 0), 25);
    rules_free(rs);
}

static void test_parse_forms(void **state)
{
    (void)state;
    struct errs e;
    struct ruleset *rs = new_rs(&e);
    const char *text =
        "# comment line\r\n"
        "\r\n"
        "   # indented comment\n"
        "alert ai-harvest ( msg : \"quote \\\" semi \\; back \\\\\" ; \\\n"
        "   window:1h ; requests:10-20; duty_cycle:0.5; gap_skew:-0.5--0.1; \\\n"
        "   distinct_ja4:=3; max_concurrency:> 4; longest_idle_s:<=30; asn:!16509,!14618; \\\n"
        "   metadata: created_at 2026-02-23, confidence high; metadata: tag a b c; \\\n"
        "   sid:7 ; )   \r\n"
        "alert ai-harvest-cluster (msg:\"pool\"; window:1m; cluster_size:5-100; "
        "fingerprint_family:python,go; sid:8;)\n"
        "alert ai-harvest (msg:\"no threshold\"; window:1m; requests:>1; sid:9; rev:3;)";
    assert_int_equal(load(rs, &e, text), 0);
    if (e.n)
        fail_msg("%s", e.msg[0]);
    assert_int_equal(rules_count(rs), 3);
    const struct rule *r = rules_get(rs, 0);
    assert_string_equal(r->msg, "quote \" semi ; back \\");
    assert_int_equal(r->line, 4);
    assert_int_equal(r->window_s, 3600);
    assert_int_equal(r->severity, 3);   /* default: low */
    assert_int_equal(r->rev, 0);
    assert_int_equal(r->n_conds, 7);
    assert_int_equal(r->conds[0].op, RULE_OP_RANGE);
    assert_true(r->conds[0].lo == 10 && r->conds[0].hi == 20);
    assert_int_equal(r->conds[1].op, RULE_OP_EQ);
    assert_true(r->conds[1].lo == 0.5);
    assert_int_equal(r->conds[2].op, RULE_OP_RANGE);
    assert_true(r->conds[2].lo == -0.5 && r->conds[2].hi == -0.1);
    assert_int_equal(r->conds[3].op, RULE_OP_EQ);
    assert_int_equal(r->conds[4].op, RULE_OP_GT);
    assert_true(r->conds[4].lo == 4);
    assert_int_equal(r->conds[5].op, RULE_OP_LE);
    assert_int_equal(r->conds[6].op, RULE_OP_NOT_IN);
    assert_int_equal(r->conds[6].n_values, 2);
    assert_int_equal(r->n_meta, 3);
    assert_string_equal(r->meta_key[0], "created_at");
    assert_string_equal(r->meta_val[0], "2026-02-23");
    assert_string_equal(r->meta_key[2], "tag");
    assert_string_equal(r->meta_val[2], "a b c");
    /* no threshold written: one alert per source per window length */
    assert_true(r->threshold.implicit);
    assert_int_equal(r->threshold.type, RULE_THR_LIMIT);
    assert_int_equal(r->threshold.track, RULE_TRACK_BY_SRC);
    assert_int_equal(r->threshold.count, 1);
    assert_int_equal(r->threshold.seconds, 3600);
    char buf[64];
    rule_cond_format(&r->conds[0], buf, sizeof(buf));
    assert_string_equal(buf, "requests:10-20");
    rule_cond_format(&r->conds[2], buf, sizeof(buf));
    assert_string_equal(buf, "gap_skew:-0.5--0.1");

    r = rules_get(rs, 1);
    assert_int_equal(r->kind, RULE_KIND_CLUSTER);
    assert_int_equal(r->line, 9);
    assert_string_equal(r->classtype, "ai-harvest-cluster");
    assert_int_equal(r->conds[0].feature, RULE_FEAT_CLUSTER_SIZE);
    rule_cond_format(&r->conds[0], buf, sizeof(buf));
    assert_string_equal(buf, "cluster_size:5-100");
    r = rules_get(rs, 2);
    assert_int_equal(r->line, 10);  /* last line, no newline */
    assert_int_equal(r->rev, 3);
    assert_int_equal(r->threshold.seconds, 60);
    rules_free(rs);
}

struct err_case {
    const char *rule;
    const char *msg;
};

#define OK_TAIL " window:10m; requests:>=60; sid:1; rev:1;)"

static const struct err_case err_cases[] = {
    { "drop ai-harvest (msg:\"x\";" OK_TAIL, "t.rules:1: unknown action 'drop' (expected 'alert')" },
    { "alert ai-foo (msg:\"x\";" OK_TAIL,
      "t.rules:1: unknown rule kind 'ai-foo' (expected ai-harvest or ai-harvest-cluster)" },
    { "alert (msg:\"x\";" OK_TAIL,
      "t.rules:1: expected a rule kind (ai-harvest or ai-harvest-cluster) after 'alert'" },
    { "alert ai-harvest msg:\"x\";" OK_TAIL, "t.rules:1: expected '(' after the rule kind" },
    { "alert ai-harvest (msg:\"x\"; window:10m; requests:>=60; sid:1; rev:1;",
      "t.rules:1: rule does not end with ')'" },
    { "alert ai-harvest (msg:\"x\"; window:10m; requests:>=60; sid:1; rev:1",
      "t.rules:1: option 'rev' is not terminated by ';'" },
    { "alert ai-harvest (msg:\"x\" window:10m; requests:>=60; sid:1;)",
      "t.rules:1: option 'msg' is not terminated by ';'" },
    { "alert ai-harvest (msg:\"x; window:10m; requests:>=60; sid:1;)",
      "t.rules:1: unterminated quoted string in option 'msg'" },
    { "alert ai-harvest (msg:\"x\";" OK_TAIL " junk",
      "t.rules:1: unexpected text after ')': 'junk'" },
    { "alert ai-harvest (msg:\"x\"; @foo;" OK_TAIL, "t.rules:1: expected an option name at '@foo; window:10m; re'" },
    { "alert ai-harvest (msg:\"x\"; sid 5;)", "t.rules:1: expected ':' or ';' after option 'sid'" },
    { "alert ai-harvest (msg:\"x\"; foo:bar;" OK_TAIL, "t.rules:1: unknown keyword 'foo'" },
    { "alert ai-harvest (msg:\"x\"; nocase;" OK_TAIL, "t.rules:1: unknown keyword 'nocase'" },
    { "alert ai-harvest (msg:\"x\"; requestz:>=60;" OK_TAIL, "t.rules:1: unknown feature 'requestz'" },
    { "alert ai-harvest (msg:\"x\"; cadense_regularity:0.8;" OK_TAIL,
      "t.rules:1: unknown feature 'cadense_regularity'" },
    { "alert ai-harvest (msg:\"x\"; window:10m; requests:>=6o0; sid:1;)",
      "t.rules:1: bad number '>=6o0' for 'requests'" },
    { "alert ai-harvest (msg:\"x\"; window:10m; requests:many; sid:1;)",
      "t.rules:1: bad number 'many' for 'requests'" },
    { "alert ai-harvest (msg:\"x\"; window:10m; requests:>=1e3; sid:1;)",
      "t.rules:1: bad number '>=1e3' for 'requests'" },
    { "alert ai-harvest (msg:\"x\"; window:10m; requests:>=; sid:1;)",
      "t.rules:1: bad number '>=' for 'requests'" },
    { "alert ai-harvest (msg:\"x\"; window:10m; requests:5-; sid:1;)",
      "t.rules:1: bad range '5-' for 'requests' (expected N-M)" },
    { "alert ai-harvest (msg:\"x\"; window:10m; requests:5-1; sid:1;)",
      "t.rules:1: empty range '5-1' for 'requests' (5 > 1)" },
    { "alert ai-harvest (msg:\"x\"; window:10m; provider:>=2; sid:1;)",
      "t.rules:1: 'provider' is a string feature: expected values such as a,b or !a, not '>=2'" },
    { "alert ai-harvest (msg:\"x\"; window:10m; fingerprint_family:!browser,python; sid:1;)",
      "t.rules:1: 'fingerprint_family' mixes negated and plain values (negate every value or none)" },
    { "alert ai-harvest (msg:\"x\"; window:10m; provider:openai,,google; sid:1;)",
      "t.rules:1: empty value in the list for 'provider'" },
    { "alert ai-harvest (msg:\"x\"; window:10m; provider:!; sid:1;)",
      "t.rules:1: empty value in the list for 'provider'" },
    { "alert ai-harvest (msg:\"x\"; window:10m; requests:>=60; rev:1;)", "t.rules:1: missing 'sid'" },
    { "alert ai-harvest (window:10m; requests:>=60; sid:1; rev:1;)", "t.rules:1: missing 'msg'" },
    { "alert ai-harvest (msg:\"x\"; requests:>=60; sid:1; rev:1;)", "t.rules:1: missing 'window'" },
    { "alert ai-harvest (msg:\"x\"; window:10m; sid:1;)", "t.rules:1: rule has no conditions" },
    { "alert ai-harvest (msg:\"x\"; window:5m; requests:>=60; sid:1;)",
      "t.rules:1: window '5m' is not a configured window (1m, 10m, 1h)" },
    { "alert ai-harvest (msg:\"x\"; window:ten; requests:>=60; sid:1;)",
      "t.rules:1: bad window 'ten' (a duration such as 10m)" },
    { "alert ai-harvest (msg:\"x\"; severity:4;" OK_TAIL,
      "t.rules:1: bad severity '4' (1 high, 2 medium, 3 low)" },
    { "alert ai-harvest (msg:\"x\"; severity:0;" OK_TAIL,
      "t.rules:1: bad severity '0' (1 high, 2 medium, 3 low)" },
    { "alert ai-harvest (msg:\"x\"; window:10m; requests:>=60; sid:0;)",
      "t.rules:1: bad sid '0' (a number from 1 to 4294967295)" },
    { "alert ai-harvest (msg:\"x\"; window:10m; requests:>=60; sid:4294967296;)",
      "t.rules:1: bad sid '4294967296' (a number from 1 to 4294967295)" },
    { "alert ai-harvest (msg:\"x\"; window:10m; requests:>=60; sid:-1;)",
      "t.rules:1: bad sid '-1' (a number from 1 to 4294967295)" },
    { "alert ai-harvest (msg:\"x\"; rev:x;" OK_TAIL, "t.rules:1: bad rev 'x' (a number from 0 to 4294967295)" },
    { "alert ai-harvest (msg:\"x\"; sid:2;" OK_TAIL, "t.rules:1: duplicate option 'sid'" },
    { "alert ai-harvest (msg:\"x\"; msg:\"y\";" OK_TAIL, "t.rules:1: duplicate option 'msg'" },
    { "alert ai-harvest (msg:x;" OK_TAIL, "t.rules:1: msg must be a quoted string" },
    { "alert ai-harvest (msg:\"\";" OK_TAIL, "t.rules:1: empty msg" },
    { "alert ai-harvest (msg;" OK_TAIL, "t.rules:1: option 'msg' needs a value" },
    { "alert ai-harvest (msg:\"x\"; requests;" OK_TAIL, "t.rules:1: option 'requests' needs a value" },
    { "alert ai-harvest (msg:\"x\"; classtype:ai harvest;" OK_TAIL,
      "t.rules:1: bad classtype 'ai harvest' (letters, digits, '-', '_', '.')" },
    { "alert ai-harvest (msg:\"x\"; metadata: lonely;" OK_TAIL,
      "t.rules:1: bad metadata 'lonely' (expected 'key value, key value')" },
    { "alert ai-harvest (msg:\"x\"; threshold: type limit, track by_src;" OK_TAIL,
      "t.rules:1: threshold needs type, track, count and seconds" },
    { "alert ai-harvest (msg:\"x\"; threshold: type sometimes, track by_src, count 1, seconds 60;" OK_TAIL,
      "t.rules:1: bad threshold type 'sometimes' (limit, threshold or both)" },
    { "alert ai-harvest (msg:\"x\"; threshold: type limit, track by_both, count 1, seconds 60;" OK_TAIL,
      "t.rules:1: bad threshold track 'by_both' (by_src, by_dst or by_rule)" },
    { "alert ai-harvest (msg:\"x\"; threshold: type limit, track by_src, count 0, seconds 60;" OK_TAIL,
      "t.rules:1: bad threshold count '0' (1 to 1000000)" },
    { "alert ai-harvest (msg:\"x\"; threshold: type limit, track by_src, count 1, seconds 1h;" OK_TAIL,
      "t.rules:1: bad threshold seconds '1h' (1 to 604800)" },
    { "alert ai-harvest (msg:\"x\"; threshold: type limit, type both, count 1, seconds 9;" OK_TAIL,
      "t.rules:1: threshold gives 'type' twice" },
    { "alert ai-harvest (msg:\"x\"; threshold: type limit, track by_src, count 1, seconds 60, "
      "every 2;" OK_TAIL,
      "t.rules:1: bad threshold item 'every' (type, track, count, seconds)" },
    { "alert ai-harvest (msg:\"x\"; cluster_size:>=5;" OK_TAIL,
      "t.rules:1: 'cluster_size' applies only to ai-harvest-cluster rules" },
    { "alert ai-harvest-cluster (msg:\"x\";" OK_TAIL,
      "t.rules:1: ai-harvest-cluster rule needs 'cluster_size'" },
};

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < DS_ARRAY_LEN(err_cases); i++) {
        struct errs e;
        struct ruleset *rs = new_rs(&e);
        int n = load(rs, &e, err_cases[i].rule);
        if (n != 1 || e.n != 1)
            fail_msg("case %zu: %d errors for: %s (first: %s)", i, n, err_cases[i].rule,
                     e.n ? e.msg[0] : "none");
        if (strcmp(e.msg[0], err_cases[i].msg) != 0)
            fail_msg("case %zu:\n  got  %s\n  want %s", i, e.msg[0], err_cases[i].msg);
        assert_int_equal(rules_count(rs), 0);
        assert_int_equal(rules_error_count(rs), 1);
        rules_free(rs);
    }
}

static void test_error_limits(void **state)
{
    (void)state;
    struct errs e;
    struct ruleset *rs = new_rs(&e);
    /* a NUL byte inside a rule */
    static const char nul[] = "alert ai-harvest (msg:\"a\0b\";" OK_TAIL "\n";
    assert_int_equal(rules_load_buffer(rs, "t.rules", nul, sizeof(nul) - 1, &e.dg), 1);
    assert_string_equal(e.msg[0], "t.rules:1: NUL byte in rule");

    /* a rule longer than the cap (continued over many lines) */
    size_t len = 2 * RULES_MAX_LEN;
    char *big = malloc(len + 1);
    size_t o = 0;
    o += (size_t)snprintf(big, len, "\n\nalert ai-harvest (msg:\"");
    while (o + 4 < len) {
        memcpy(big + o, "xx\\\n", 4);
        o += 4;
    }
    big[o] = '\0';
    e.n = 0;
    assert_int_equal(rules_load_buffer(rs, "big.rules", big, o, &e.dg), 1);
    assert_string_equal(e.msg[0], "big.rules:3: rule longer than 65536 bytes");
    free(big);

    /* too many values, too long a value, too many conditions */
    char buf[4096];
    snprintf(buf, sizeof(buf), "alert ai-harvest (msg:\"x\"; provider:a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q;"
             OK_TAIL);
    e.n = 0;
    assert_int_equal(load(rs, &e, buf), 1);
    assert_string_equal(e.msg[0], "t.rules:1: too many values for 'provider' (at most 16)");
    char longv[100];
    memset(longv, 'v', 70);
    longv[70] = '\0';
    snprintf(buf, sizeof(buf), "alert ai-harvest (msg:\"x\"; as_org:%s;" OK_TAIL, longv);
    e.n = 0;
    assert_int_equal(load(rs, &e, buf), 1);
    assert_string_equal(e.msg[0], "t.rules:1: value longer than 63 characters for 'as_org'");
    o = (size_t)snprintf(buf, sizeof(buf), "alert ai-harvest (msg:\"x\";");
    for (int i = 0; i < 33; i++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, " requests:>%d;", i);
    snprintf(buf + o, sizeof(buf) - o, OK_TAIL);
    e.n = 0;
    assert_int_equal(load(rs, &e, buf), 1);
    assert_string_equal(e.msg[0], "t.rules:1: too many conditions (at most 32)");
    assert_int_equal(rules_count(rs), 0);
    rules_free(rs);
}

/* Errors carry the line where the rule starts; good rules around bad ones
 * still load; every error is reported, one per rule. */
static void test_line_numbers(void **state)
{
    (void)state;
    struct errs e;
    struct ruleset *rs = new_rs(&e);
    const char *text =
        "# harvest rules\n"                                                            /* 1 */
        "alert ai-harvest (msg:\"a\"; window:1m; requests:>=1; sid:1;)\n"              /* 2 */
        "\n"                                                                           /* 3 */
        "alert ai-harvest (msg:\"b\"; window:1m; \\\n"                                 /* 4 */
        "    requests:>=x; sid:2;)\n"                                                  /* 5 */
        "alert ai-harvest (msg:\"c\"; window:1m; \\\n"                                 /* 6 */
        "    requests:>=1; sid:3;)\n"                                                  /* 7 */
        "# another\n"                                                                  /* 8 */
        "alert ai-harvest (msg:\"d\"; window:1m; bogus:1; nope:x; sid:4;)\n"          /* 9 */
        "alert ai-harvest (msg:\"e\"; window:1m; requests:>=1; sid:1;)\n";            /* 10 */
    assert_int_equal(load(rs, &e, text), 3);
    assert_int_equal(e.n, 3);
    assert_string_equal(e.msg[0], "t.rules:4: bad number '>=x' for 'requests'");
    assert_string_equal(e.msg[1], "t.rules:9: unknown feature 'bogus'");
    assert_string_equal(e.msg[2], "t.rules:10: duplicate sid 1 (first at t.rules:2)");
    assert_int_equal(rules_count(rs), 2);
    assert_int_equal(rules_get(rs, 1)->line, 6);
    assert_int_equal(rules_error_count(rs), 3);
    rules_free(rs);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_duplicate_sid_across_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/ds-rules-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char a[256], b[256], c[256], d[256];
    snprintf(a, sizeof(a), "%s/a.rules", dir);
    snprintf(b, sizeof(b), "%s/b.rules", dir);
    snprintf(c, sizeof(c), "%s/notes.txt", dir);
    snprintf(d, sizeof(d), "%s/.hidden.rules", dir);
    /* written in reverse order: loading goes by name */
    write_file(b, "# b\nalert ai-harvest (msg:\"dup\"; window:1h; requests:>=1; sid:9000001; rev:2;)\n"
                  "alert ai-harvest (msg:\"ok\"; window:1h; requests:>=2; sid:9000002;)\n");
    write_file(a, "alert ai-harvest (msg:\"first\"; window:1h; requests:>=1; sid:9000001; rev:1;)\n");
    write_file(c, "this is not a rules file\n");
    write_file(d, "garbage\n");
    struct errs e;
    struct ruleset *rs = new_rs(&e);
    assert_int_equal(rules_load_dir(rs, dir, &e.dg), 1);
    char want[600];
    snprintf(want, sizeof(want), "%s:2: duplicate sid 9000001 (first at %s:1)", b, a);
    assert_string_equal(e.msg[0], want);
    assert_int_equal(rules_count(rs), 2);
    assert_string_equal(rules_find_sid(rs, 9000001)->msg, "first");
    assert_string_equal(rules_find_sid(rs, 9000001)->file, a);

    /* the same files loaded one by one into one ruleset: same result */
    struct errs e2;
    struct ruleset *rs2 = new_rs(&e2);
    assert_int_equal(rules_load_file(rs2, a, &e2.dg), 0);
    assert_int_equal(rules_load_file(rs2, b, &e2.dg), 1);
    assert_string_equal(e2.msg[0], want);
    rules_free(rs2);

    /* unreadable things are one error each */
    char missing[300];
    snprintf(missing, sizeof(missing), "%s/missing.rules", dir);
    e.n = 0;
    assert_int_equal(rules_load_file(rs, missing, &e.dg), 1);
    snprintf(want, sizeof(want), "%s: cannot read: No such file or directory", missing);
    assert_string_equal(e.msg[0], want);
    e.n = 0;
    assert_int_equal(rules_load_dir(rs, missing, &e.dg), 1);
    snprintf(want, sizeof(want), "%s: cannot open rules directory: No such file or directory",
             missing);
    assert_string_equal(e.msg[0], want);
    rules_free(rs);
    unlink(a);
    unlink(b);
    unlink(c);
    unlink(d);
    rmdir(dir);
}

/* ---- evaluation ---- */

struct hits {
    unsigned n;
    uint32_t sid[16];
    uint64_t ts[16];
};

static void on_hit(void *ctx, const struct rule_hit *h)
{
    struct hits *x = ctx;
    if (x->n < 16) {
        x->sid[x->n] = h->rule->sid;
        x->ts[x->n] = h->ts_us;
    }
    x->n++;
}

static struct ds_addr ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct ds_addr x;
    const uint8_t v4[4] = { a, b, c, d };
    ds_addr_from_v4(&x, v4);
    return x;
}

static void harvester(struct features *f)
{
    features_clear(f);
    features_set_num(f, FEAT_REQUESTS, 75);
    features_set_num(f, FEAT_CADENCE_REGULARITY, 0.93);
    features_set_num(f, FEAT_REQUEST_SIZE_CV, 0.04);
    features_add_str(f, FEAT_PROVIDER, "anthropic");
    features_add_str(f, FEAT_FINGERPRINT_FAMILY, "python");
}

static void test_evaluate_conditions(void **state)
{
    (void)state;
    struct errs e;
    struct ruleset *rs = new_rs(&e);
    assert_int_equal(load(rs, &e, EXAMPLE), 0);
    struct ds_addr src = ip4(203, 0, 113, 7);
    struct features f;
    struct hits h = { 0 };
    harvester(&f);
    assert_int_equal(rules_evaluate(rs, &f, 600, 1000, &src, NULL, on_hit, &h), 1);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.sid[0], 9000001);
    /* only the rule's window */
    h.n = 0;
    assert_int_equal(rules_evaluate(rs, &f, 60, 1000, &src, NULL, on_hit, &h), 0);
    assert_int_equal(rules_evaluate(rs, &f, 3600, 1000, &src, NULL, on_hit, &h), 0);

    const struct rule *r = rules_get(rs, 0);
    double v;
    assert_true(rule_cond_match(&r->conds[0], &f, NULL, &v));
    assert_true(v == 75);
    assert_true(rule_cond_match(&r->conds[2], &f, NULL, &v));
    assert_true(v == 0.04);

    /* each condition can fail the rule */
    struct ds_addr other = ip4(203, 0, 113, 8); /* a fresh source: no threshold state */
    harvester(&f);
    features_set_num(&f, FEAT_REQUESTS, 59);
    assert_int_equal(rules_evaluate(rs, &f, 600, 1000, &other, NULL, NULL, NULL), 0);
    harvester(&f);
    features_set_num(&f, FEAT_REQUEST_SIZE_CV, 0.15);   /* < 0.15 is strict */
    assert_int_equal(rules_evaluate(rs, &f, 600, 1000, &other, NULL, NULL, NULL), 0);
    harvester(&f);
    features_set_num(&f, FEAT_CADENCE_REGULARITY, 0.8); /* >= 0.8 holds */
    struct ds_addr third = ip4(203, 0, 113, 9);
    assert_int_equal(rules_evaluate(rs, &f, 600, 1000, &third, NULL, NULL, NULL), 1);
    harvester(&f);
    struct features g = f;
    g.str[FEAT_PROVIDER - FEAT_FIRST_STR].n = 0;
    g.present &= ~(UINT64_C(1) << FEAT_PROVIDER);
    features_add_str(&g, FEAT_PROVIDER, "google");
    assert_int_equal(rules_evaluate(rs, &g, 600, 1000, &other, NULL, NULL, NULL), 0);
    /* a second provider that is listed makes it match */
    features_add_str(&g, FEAT_PROVIDER, "openai");
    /* negation: a browser among the families fails !browser */
    features_add_str(&g, FEAT_FINGERPRINT_FAMILY, "browser");
    assert_int_equal(rules_evaluate(rs, &g, 600, 1000, &other, NULL, NULL, NULL), 0);
    /* an absent feature never matches, negated or not */
    g = f;
    g.present &= ~(UINT64_C(1) << FEAT_FINGERPRINT_FAMILY);
    assert_int_equal(rules_evaluate(rs, &g, 600, 1000, &other, NULL, NULL, NULL), 0);
    g = f;
    g.present &= ~(UINT64_C(1) << FEAT_CADENCE_REGULARITY);
    assert_int_equal(rules_evaluate(rs, &g, 600, 1000, &other, NULL, NULL, NULL), 0);
    /* all present again: matches */
    assert_int_equal(rules_evaluate(rs, &f, 600, 1000, &other, NULL, NULL, NULL), 1);
    const struct rules_stats *st = rules_stats(rs);
    assert_int_equal(st->evaluations, 9);
    assert_int_equal(st->matches, 3);
    assert_int_equal(st->hits, 3);

    /* ranges are inclusive; = is exact */
    struct errs e2;
    struct ruleset *rs2 = new_rs(&e2);
    assert_int_equal(load(rs2, &e2, "alert ai-harvest (msg:\"r\"; window:1m; requests:10-20; "
                               "max_concurrency:=4; threshold: type threshold, track by_rule, "
                               "count 1, seconds 60; sid:5;)"), 0);
    features_clear(&g);
    features_set_num(&g, FEAT_MAX_CONCURRENCY, 4);
    static const struct { double v; int want; } rq[] = {
        { 9.999, 0 }, { 10, 1 }, { 15, 1 }, { 20, 1 }, { 20.001, 0 },
    };
    for (size_t i = 0; i < DS_ARRAY_LEN(rq); i++) {
        features_set_num(&g, FEAT_REQUESTS, rq[i].v);
        assert_int_equal(rules_evaluate(rs2, &g, 60, 1000 + i, &src, NULL, NULL, NULL), rq[i].want);
    }
    features_set_num(&g, FEAT_REQUESTS, 15);
    features_set_num(&g, FEAT_MAX_CONCURRENCY, 5);
    assert_int_equal(rules_evaluate(rs2, &g, 60, 2000, &src, NULL, NULL, NULL), 0);
    rules_free(rs2);
    rules_free(rs);
}

static struct ruleset *one_rule(struct errs *e, const char *threshold)
{
    struct ruleset *rs = new_rs(e);
    char buf[512];
    snprintf(buf, sizeof(buf),
             "alert ai-harvest (msg:\"t\"; window:1m; requests:>=1; %s sid:42;)", threshold);
    assert_int_equal(load(rs, e, buf), 0);
    return rs;
}

#define SEC(x) ds_s_to_us((uint64_t)(x))

/* Runs matches at the given seconds for src; returns a bitmask of which alerted. */
static unsigned run(struct ruleset *rs, const struct ds_addr *src, const struct ds_addr *dst,
                    const int *secs, int n)
{
    struct features f;
    features_clear(&f);
    features_set_num(&f, FEAT_REQUESTS, 5);
    unsigned mask = 0;
    for (int i = 0; i < n; i++)
        if (rules_evaluate(rs, &f, 60, SEC(1000 + secs[i]), src, dst, NULL, NULL) == 1)
            mask |= 1u << i;
    return mask;
}

static void test_threshold_limit(void **state)
{
    (void)state;
    struct errs e;
    struct ruleset *rs = one_rule(&e, "threshold: type limit, track by_src, count 2, seconds 60;");
    struct ds_addr a = ip4(10, 0, 0, 1), b = ip4(10, 0, 0, 2);
    /* at most 2 per 60 s from the first match; a new period at 61 s */
    static const int t[] = { 0, 10, 20, 59, 61, 62, 63, 130 };
    assert_int_equal(run(rs, &a, NULL, t, 8), 0x1u | 0x2u | 0x10u | 0x20u | 0x80u);
    /* by_src: another source has its own count */
    static const int t2[] = { 20, 21, 22 };
    assert_int_equal(run(rs, &b, NULL, t2, 3), 0x3u);
    assert_int_equal(rules_stats(rs)->suppressed, 4);
    rules_free(rs);

    /* by_rule: one count for every source */
    rs = one_rule(&e, "threshold: type limit, track by_rule, count 1, seconds 60;");
    static const int t3[] = { 0 };
    assert_int_equal(run(rs, &a, NULL, t3, 1), 1u);
    assert_int_equal(run(rs, &b, NULL, t3, 1), 0u);
    rules_free(rs);

    /* by_dst: keyed by the destination */
    rs = one_rule(&e, "threshold: type limit, track by_dst, count 1, seconds 60;");
    struct ds_addr d1 = ip4(162, 159, 140, 245), d2 = ip4(160, 79, 104, 10);
    assert_int_equal(run(rs, &a, &d1, t3, 1), 1u);
    assert_int_equal(run(rs, &b, &d1, t3, 1), 0u);
    assert_int_equal(run(rs, &b, &d2, t3, 1), 1u);
    rules_free(rs);
}

static void test_threshold_threshold(void **state)
{
    (void)state;
    struct errs e;
    struct ruleset *rs = one_rule(&e, "threshold: type threshold, track by_src, count 3, seconds 60;");
    struct ds_addr a = ip4(10, 0, 0, 1);
    /* every 3rd match within the period: the 3rd and 6th; at 70 s the
     * period (from 0) is over and counting restarts at 1 */
    static const int t[] = { 0, 1, 2, 3, 4, 5, 70, 71, 72 };
    assert_int_equal(run(rs, &a, NULL, t, 9), (1u << 2) | (1u << 5) | (1u << 8));
    rules_free(rs);

    /* count 1: every match */
    rs = one_rule(&e, "threshold: type threshold, track by_src, count 1, seconds 60;");
    static const int t1[] = { 0, 1, 2, 100 };
    assert_int_equal(run(rs, &a, NULL, t1, 4), 0xfu);
    rules_free(rs);
}

static void test_threshold_both(void **state)
{
    (void)state;
    struct errs e;
    struct ruleset *rs = one_rule(&e, "threshold: type both, track by_src, count 3, seconds 60;");
    struct ds_addr a = ip4(10, 0, 0, 1);
    /* once per period, at the 3rd match: not the 4th, 5th...; again at the
     * 3rd match of the next period */
    static const int t[] = { 0, 10, 20, 30, 40, 61, 62, 63, 64 };
    assert_int_equal(run(rs, &a, NULL, t, 9), (1u << 2) | (1u << 7));
    rules_free(rs);
    /* two matches only: never */
    rs = one_rule(&e, "threshold: type both, track by_src, count 3, seconds 60;");
    static const int t2[] = { 0, 50, 100, 150 };
    assert_int_equal(run(rs, &a, NULL, t2, 4), 0u);
    rules_free(rs);
}

static void test_implicit_threshold(void **state)
{
    (void)state;
    struct errs e;
    struct ruleset *rs = one_rule(&e, "");
    struct ds_addr a = ip4(10, 0, 0, 1);
    /* one alert per source per window length (60 s) */
    static const int t[] = { 0, 30, 59, 60, 90, 120 };
    assert_int_equal(run(rs, &a, NULL, t, 6), (1u << 0) | (1u << 3) | (1u << 5));
    rules_free(rs);
}

/* Reload: a new ruleset takes the old threshold state and does not re-alert. */
static void test_take_state(void **state)
{
    (void)state;
    struct errs e;
    const char *thr = "threshold: type limit, track by_src, count 1, seconds 3600;";
    struct ruleset *old = one_rule(&e, thr);
    struct ds_addr a = ip4(10, 0, 0, 1);
    static const int t0[] = { 0 }, t1[] = { 100 };
    assert_int_equal(run(old, &a, NULL, t0, 1), 1u);
    struct ruleset *fresh = one_rule(&e, thr);
    assert_int_equal(run(fresh, &a, NULL, t1, 1), 1u);   /* without the state: again */
    rules_free(fresh);
    struct ruleset *reloaded = one_rule(&e, thr);
    rules_take_state(reloaded, old);
    assert_int_equal(rules_stats(reloaded)->thr_entries, 1);
    assert_int_equal(rules_stats(old)->thr_entries, 0);
    rules_free(old);
    assert_int_equal(run(reloaded, &a, NULL, t1, 1), 0u);
    rules_free(reloaded);
}

static void test_threshold_table_bounded(void **state)
{
    (void)state;
    struct errs e;
    struct ruleset *rs = rules_new(windows, 3, 4);
    errs_init(&e);
    assert_int_equal(load(rs, &e, "alert ai-harvest (msg:\"t\"; window:1m; requests:>=1; "
                              "threshold: type limit, track by_src, count 1, seconds 60; sid:1;)"), 0);
    static const int t[] = { 0 };
    for (uint8_t i = 0; i < 10; i++) {
        struct ds_addr a = ip4(10, 0, 0, i);
        assert_int_equal(run(rs, &a, NULL, t, 1), 1u);
    }
    assert_int_equal(rules_stats(rs)->thr_entries, 4);
    assert_int_equal(rules_stats(rs)->thr_evicted, 6);
    /* the most recent four still suppress; the evicted first one alerts again */
    struct ds_addr a9 = ip4(10, 0, 0, 9), a0 = ip4(10, 0, 0, 0);
    assert_int_equal(run(rs, &a9, NULL, t, 1), 0u);
    assert_int_equal(run(rs, &a0, NULL, t, 1), 1u);
    /* after the period, reusing expired entries is not an eviction */
    uint64_t ev = rules_stats(rs)->thr_evicted;
    static const int later[] = { 500 };
    for (uint8_t i = 20; i < 30; i++) {
        struct ds_addr a = ip4(10, 0, 0, i);
        run(rs, &a, NULL, later, 1);
        if (i == 23)
            assert_int_equal(rules_stats(rs)->thr_evicted, ev);
    }
    rules_free(rs);
}

/* The threshold table's seed moves where entries land, not what passes. */
static void test_threshold_seeded(void **state)
{
    (void)state;
    struct errs e;
    struct ruleset *rs = rules_new(windows, 3, 64);
    rules_set_seed(rs, 0xdeadbeefu);
    errs_init(&e);
    assert_int_equal(load(rs, &e, "alert ai-harvest (msg:\"t\"; window:1m; requests:>=1; "
                              "threshold: type limit, track by_src, count 1, seconds 60; sid:1;)"), 0);
    static const int t[] = { 0 }, t2[] = { 30 };
    for (uint8_t i = 0; i < 50; i++) {
        struct ds_addr a = ip4(10, 0, 0, i);
        assert_int_equal(run(rs, &a, NULL, t, 1), 1u);
    }
    for (uint8_t i = 0; i < 50; i++) {
        struct ds_addr a = ip4(10, 0, 0, i);
        assert_int_equal(run(rs, &a, NULL, t2, 1), 0u);   /* found: suppressed */
    }
    assert_int_equal(rules_stats(rs)->thr_entries, 50);
    assert_int_equal(rules_stats(rs)->suppressed, 50);
    rules_free(rs);
}

static void test_cluster_rules(void **state)
{
    (void)state;
    struct errs e;
    struct ruleset *rs = new_rs(&e);
    assert_int_equal(load(rs, &e, "alert ai-harvest-cluster (msg:\"pool\"; window:10m; "
                              "cluster_size:>=5; fingerprint_family:!browser; severity:1; "
                              "threshold: type limit, track by_src, count 1, seconds 3600; "
                              "sid:9000101;)\n" EXAMPLE), 0);
    struct features f;
    harvester(&f);
    struct hits h = { 0 };
    struct rule_cluster_vals c4 = { 4, -1 }, c5 = { 5, -1 }, c6 = { 6, -1 };
    assert_int_equal(rules_evaluate_cluster(rs, &c4, &f, 600, 1, 77, on_hit, &h), 0);
    assert_int_equal(rules_evaluate_cluster(rs, &c5, &f, 600, 2, 77, on_hit, &h), 1);
    assert_int_equal(h.sid[0], 9000101);
    /* once per cluster per hour; another cluster is tracked apart */
    assert_int_equal(rules_evaluate_cluster(rs, &c6, &f, 600, 3, 77, on_hit, &h), 0);
    assert_int_equal(rules_evaluate_cluster(rs, &c6, &f, 600, 3, 78, on_hit, &h), 1);
    /* cluster rules do not run on sources, nor source rules on clusters */
    struct ds_addr a = ip4(10, 0, 0, 1);
    h.n = 0;
    assert_int_equal(rules_evaluate(rs, &f, 600, 4, &a, NULL, on_hit, &h), 1);
    assert_int_equal(h.sid[0], 9000001);
    rules_free(rs);
}

/* ---- the shipped signature set ---- */

static unsigned severity_hits(struct ruleset *rs, const struct features *f, uint32_t w,
                              int *best_sev)
{
    struct hits h = { 0 };
    static uint8_t n = 0;
    struct ds_addr a = ip4(192, 0, 2, ++n); /* a fresh source each time */
    rules_evaluate(rs, f, w, SEC(5000), &a, NULL, on_hit, &h);
    *best_sev = 4;
    for (unsigned i = 0; i < h.n && i < 16; i++) {
        int s = rules_find_sid(rs, h.sid[i])->severity;
        if (s < *best_sev)
            *best_sev = s;
    }
    return h.n;
}

static void test_shipped_rules(void **state)
{
    (void)state;
    struct errs e;
    struct ruleset *rs = new_rs(&e);
    int n = rules_load_dir(rs, DS_TEST_SOURCE_DIR "/rules", &e.dg);
    if (n != 0)
        fail_msg("%d errors, first: %s", n, e.msg[0]);
    assert_true(rules_count(rs) >= 10);
    bool has_cluster = false;
    for (size_t i = 0; i < rules_count(rs); i++) {
        const struct rule *r = rules_get(rs, i);
        assert_true(strncmp(r->msg, "AI-HARVEST", 10) == 0);
        assert_false(r->threshold.implicit);  /* every shipped rule states it */
        assert_true(r->rev >= 1);
        has_cluster |= r->kind == RULE_KIND_CLUSTER;
    }
    assert_true(has_cluster);

    int sev;
    struct features f;
    /* steady harvester: 10 minutes at 6/min, regular, templated */
    features_clear(&f);
    features_set_num(&f, FEAT_REQUESTS, 60);
    features_set_num(&f, FEAT_CADENCE_REGULARITY, 0.9);
    features_set_num(&f, FEAT_CONN_CADENCE_REGULARITY, 0.95);
    features_set_num(&f, FEAT_REQUEST_SIZE_CV, 0.05);
    features_set_num(&f, FEAT_RESPONSE_REQUEST_RATIO, 12);
    features_set_num(&f, FEAT_RESPONSE_DURATION_MEAN_MS, 20000);
    features_set_num(&f, FEAT_MAX_CONCURRENCY, 4);
    features_add_str(&f, FEAT_FINGERPRINT_FAMILY, "python");
    features_add_str(&f, FEAT_PROVIDER, "anthropic");
    assert_true(severity_hits(rs, &f, 600, &sev) >= 1);
    assert_int_equal(sev, 1);

    /* production backend: busy, parallel, round the clock, but Poisson
     * arrivals and user-driven prompt sizes: never severity 1 */
    features_clear(&f);
    features_set_num(&f, FEAT_REQUESTS, 600);
    features_set_num(&f, FEAT_CADENCE_REGULARITY, 0.52);
    features_set_num(&f, FEAT_CONN_CADENCE_REGULARITY, 0.55);
    features_set_num(&f, FEAT_REQUEST_SIZE_CV, 0.9);
    features_set_num(&f, FEAT_RESPONSE_REQUEST_RATIO, 2.5);
    features_set_num(&f, FEAT_RESPONSE_DURATION_MEAN_MS, 6000);
    features_set_num(&f, FEAT_MAX_CONCURRENCY, 12);
    features_set_num(&f, FEAT_DUTY_CYCLE, 1.0);
    features_set_num(&f, FEAT_REQUESTS_PER_CONNECTION, 40);
    features_set_num(&f, FEAT_DISTINCT_JA4, 1);
    features_set_num(&f, FEAT_DISTINCT_FAMILIES, 1);
    features_add_str(&f, FEAT_FINGERPRINT_FAMILY, "node");
    for (unsigned k = 0; k < 3; k++) {
        severity_hits(rs, &f, windows[k], &sev);
        assert_true(sev > 1);
    }
    features_set_num(&f, FEAT_REQUESTS, 3000);
    severity_hits(rs, &f, 3600, &sev);
    assert_int_equal(sev, 3);   /* volume is worth a note, not more */

    /* browser user: a few irregular turns */
    features_clear(&f);
    features_set_num(&f, FEAT_REQUESTS, 6);
    features_set_num(&f, FEAT_CADENCE_REGULARITY, 0.35);
    features_set_num(&f, FEAT_REQUEST_SIZE_CV, 0.7);
    features_set_num(&f, FEAT_RESPONSE_DURATION_MEAN_MS, 9000);
    features_set_num(&f, FEAT_RESPONSE_REQUEST_RATIO, 8);
    features_add_str(&f, FEAT_FINGERPRINT_FAMILY, "browser");
    for (unsigned k = 0; k < 3; k++)
        assert_int_equal(severity_hits(rs, &f, windows[k], &sev), 0);

    /* developer: curl, sporadic, one connection per request */
    features_clear(&f);
    features_set_num(&f, FEAT_REQUESTS, 8);
    features_set_num(&f, FEAT_REQUESTS_PER_CONNECTION, 1);
    features_set_num(&f, FEAT_REQUEST_SIZE_CV, 0.1);
    features_set_num(&f, FEAT_CADENCE_REGULARITY, 0.4);
    features_add_str(&f, FEAT_FINGERPRINT_FAMILY, "curl");
    for (unsigned k = 0; k < 3; k++)
        assert_int_equal(severity_hits(rs, &f, windows[k], &sev), 0);

    /* burst harvester: a minute of heavy parallel extraction */
    features_clear(&f);
    features_set_num(&f, FEAT_REQUESTS, 90);
    features_set_num(&f, FEAT_MAX_CONCURRENCY, 16);
    features_set_num(&f, FEAT_RESPONSE_REQUEST_RATIO, 9);
    features_set_num(&f, FEAT_REQUEST_SIZE_CV, 0.12);
    features_add_str(&f, FEAT_FINGERPRINT_FAMILY, "go");
    assert_true(severity_hits(rs, &f, 60, &sev) >= 1);
    assert_int_equal(sev, 2);
    rules_free(rs);
}

/* Every feature is documented in rules/SIGNATURES.md. */
static void test_signatures_doc(void **state)
{
    (void)state;
    FILE *fp = fopen(DS_TEST_SOURCE_DIR "/rules/SIGNATURES.md", "r");
    assert_non_null(fp);
    static char doc[1 << 18];
    size_t n = fread(doc, 1, sizeof(doc) - 1, fp);
    fclose(fp);
    doc[n] = '\0';
    size_t nf;
    const struct feature_info *t = features_table(&nf);
    for (size_t i = 0; i < nf; i++) {
        char want[80];
        snprintf(want, sizeof(want), "`%s`", t[i].name);
        if (strstr(doc, want) == NULL)
            fail_msg("rules/SIGNATURES.md does not document %s", want);
    }
    /* and every shipped sid */
    struct errs e;
    struct ruleset *rs = new_rs(&e);
    assert_int_equal(rules_load_dir(rs, DS_TEST_SOURCE_DIR "/rules", &e.dg), 0);
    for (size_t i = 0; i < rules_count(rs); i++) {
        char want[32];
        snprintf(want, sizeof(want), "%u", rules_get(rs, i)->sid);
        if (strstr(doc, want) == NULL)
            fail_msg("rules/SIGNATURES.md does not explain sid %s", want);
    }
    rules_free(rs);
}

/* sync_rounds: a cluster rule's condition on the rounds a synchronous group
 * shared; it does not hold on a profile cluster (no rounds), nor may a
 * per-source rule name it. */
static void test_sync_rounds(void **state)
{
    (void)state;
    struct errs e;
    struct ruleset *rs = new_rs(&e);
    assert_int_equal(load(rs, &e, "alert ai-harvest-cluster (msg:\"sync\"; window:10m; "
                              "cluster_size:>=4; sync_rounds:>=3; severity:1; sid:9000110;)\n"),
                     0);
    const struct rule *r = rules_get(rs, 0);
    char buf[64];
    rule_cond_format(&r->conds[1], buf, sizeof(buf));
    assert_string_equal(buf, "sync_rounds:>=3");
    assert_int_equal(r->conds[1].feature, RULE_FEAT_SYNC_ROUNDS);
    struct features f;
    features_clear(&f);
    struct hits h = { 0 };
    struct rule_cluster_vals profile = { 8, -1 }, two = { 8, 2 }, three = { 4, 3 };
    assert_int_equal(rules_evaluate_cluster(rs, &profile, &f, 600, 1, 5, on_hit, &h), 0);
    assert_int_equal(rules_evaluate_cluster(rs, &two, &f, 600, 2, 5, on_hit, &h), 0);
    assert_int_equal(rules_evaluate_cluster(rs, &three, &f, 600, 3, 5, on_hit, &h), 1);
    double v = 0;
    assert_true(rule_cond_match(&r->conds[1], &f, &three, &v));
    assert_true(v == 3);
    assert_false(rule_cond_match(&r->conds[1], &f, NULL, &v));
    rules_free(rs);
    rs = new_rs(&e);
    assert_int_equal(load(rs, &e, "alert ai-harvest (msg:\"x\"; window:10m; sync_rounds:>=3; "
                              "sid:9000111;)\n"),
                     1);
    rules_free(rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_example),
        cmocka_unit_test(test_parse_forms),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_error_limits),
        cmocka_unit_test(test_line_numbers),
        cmocka_unit_test(test_duplicate_sid_across_files),
        cmocka_unit_test(test_evaluate_conditions),
        cmocka_unit_test(test_threshold_limit),
        cmocka_unit_test(test_threshold_threshold),
        cmocka_unit_test(test_threshold_both),
        cmocka_unit_test(test_implicit_threshold),
        cmocka_unit_test(test_take_state),
        cmocka_unit_test(test_threshold_table_bounded),
        cmocka_unit_test(test_threshold_seeded),
        cmocka_unit_test(test_cluster_rules),
        cmocka_unit_test(test_sync_rounds),
        cmocka_unit_test(test_shipped_rules),
        cmocka_unit_test(test_signatures_doc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

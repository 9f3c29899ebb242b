/* Fuzz target for the rule parser: any bytes as a rules file, then every
 * rule that parsed is evaluated against a fixed feature set (so match
 * functions and threshold state run too) and formatted. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ds/diag.h"
#include "ds/features.h"
#include "ds/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *ctx, enum diag_level level, const char *msg)
{
    (void)ctx;
    (void)level;
    (void)msg;
}

static void on_hit(void *ctx, const struct rule_hit *h)
{
    char buf[256];
    unsigned *n = ctx;
    for (unsigned i = 0; i < h->rule->n_conds; i++) {
        double v;
        rule_cond_match(&h->rule->conds[i], h->features, &h->cluster, &v);
        rule_cond_format(&h->rule->conds[i], buf, sizeof(buf));
    }
    (*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t windows[] = { 60, 600, 3600 };
    struct ruleset *rs = rules_new(windows, 3, 64);
    struct diag dg;
    diag_init(&dg);
    diag_set_fn(&dg, quiet, NULL);
    rules_load_buffer(rs, "fuzz.rules", (const char *)data, size, &dg);
    diag_finish(&dg);

    struct features f;
    features_clear(&f);
    for (int id = 0; id < FEAT_FIRST_STR; id++)
        features_set_num(&f, id, (double)(id * 7 % 100) / 10.0);
    features_add_str(&f, FEAT_FINGERPRINT_FAMILY, "python");
    features_add_str(&f, FEAT_PROVIDER, "openai");
    features_add_str(&f, FEAT_COUNTRY, "US");

    struct ds_addr src = { { 0 } }, dst = { { 0 } };
    src.a[15] = 1;
    dst.a[15] = 2;
    unsigned hits = 0;
    for (unsigned k = 0; k < 3; k++) {
        for (uint64_t t = 0; t < 4; t++) {
            rules_evaluate(rs, &f, windows[k], t * 20000000ull, &src, &dst, on_hit, &hits);
            struct rule_cluster_vals cv = { (double)t * 3, (double)t - 1 };
            rules_evaluate_cluster(rs, &cv, &f, windows[k], t * 20000000ull, 9, on_hit, &hits);
        }
    }
    char buf[64];
    for (size_t i = 0; i < rules_count(rs); i++) {
        const struct rule *r = rules_get(rs, i);
        for (unsigned c = 0; c < r->n_conds; c++)
            rule_cond_format(&r->conds[c], buf, sizeof(buf));
    }
    rules_free(rs);
    return 0;
}

/* Alert and cluster update events (see event-alert.h), written directly
 * (jsonw.h): a cluster alert lists up to CLUSTER_MAX_MEMBERS addresses and
 * every feature, and building that as a jansson tree cost more than
 * everything else the signatures do. */
#include "ds/event-alert.h"

#include <stdbool.h>
#include <string.h>

#include "ds/event-source.h"
#include "ds/features.h"
#include "ds/jsonw.h"

/* The JA4s and client families the members used (ja4 above them is the
 * one most members used, as before clusters took more than one), and for a
 * synchronous group, the rounds its members shared. */
static void write_evidence(struct jsonw *w, const struct cluster *c)
{
    jsonw_array(w, "ja4s");
    for (unsigned i = 0; i < cluster_ja4_count(c); i++)
        jsonw_text(w, NULL, cluster_ja4_at(c, i));
    jsonw_close(w);
    jsonw_array(w, "families");
    for (unsigned i = 0; i < cluster_family_count(c); i++)
        jsonw_text(w, NULL, cluster_family_at(c, i));
    jsonw_close(w);
    if (cluster_sync_group(c) != 0)
        jsonw_u64(w, "sync_rounds", cluster_sync_rounds(c));
}

/* An alert lists every member; an update only those it adds. Without
 * room on the line, the list goes and `members_not_listed` says how many.
 * Leaves the cluster object open for the caller's own keys. */
static void write_cluster(struct jsonw *w, const struct cluster *c, bool update, bool with_members)
{
    unsigned n = cluster_size(c);
    jsonw_object(w, "cluster");
    jsonw_u64(w, "id", cluster_id(c));
    jsonw_u64(w, "size", n);
    const char *list = update ? "new_members" : "members";
    unsigned skipped = 0;
    if (with_members)
        jsonw_array(w, list);
    for (unsigned i = 0; i < n; i++) {
        if (update && cluster_member_listed(c, i))
            continue;
        if (with_members)
            jsonw_addr(w, NULL, cluster_member_addr(c, i));
        else
            skipped++;
    }
    if (with_members)
        jsonw_close(w);
    jsonw_object(w, "shared");
    jsonw_text(w, "ja4", cluster_ja4(c));
    write_evidence(w, c);
    jsonw_text(w, "provider", cluster_provider(c));
    double cadence;
    if (cluster_cadence(c, &cadence))
        jsonw_real(w, "cadence_s", cadence);
    jsonw_real(w, "request_size", cluster_request_size(c));
    const char *fam = features_str(cluster_features(c), FEAT_FINGERPRINT_FAMILY, 0);
    if (fam)
        jsonw_text(w, "fingerprint_family", fam);
    jsonw_close(w);
    jsonw_u64(w, "window", cluster_window(c));
    jsonw_ts(w, "first_seen", cluster_first_seen(c));
    if (!with_members)
        jsonw_u64(w, "members_not_listed", skipped);
}

/* EVE's metadata: each key once, in order of first use, with all its values. */
static void write_metadata(struct jsonw *w, const struct rule *r)
{
    jsonw_object(w, "metadata");
    for (unsigned i = 0; i < r->n_meta; i++) {
        bool seen = false;
        for (unsigned j = 0; j < i && !seen; j++)
            seen = strcmp(r->meta_key[j], r->meta_key[i]) == 0;
        if (seen)
            continue;
        jsonw_array(w, r->meta_key[i]);
        for (unsigned j = i; j < r->n_meta; j++)
            if (strcmp(r->meta_key[j], r->meta_key[i]) == 0)
                jsonw_text(w, NULL, r->meta_val[j]);
        jsonw_close(w);
    }
    jsonw_close(w);
}

static void write_alert_rule(struct jsonw *w, const struct rule *r)
{
    jsonw_object(w, "alert");
    jsonw_str(w, "action", "allowed");
    jsonw_u64(w, "gid", 1);
    jsonw_u64(w, "signature_id", r->sid);
    jsonw_u64(w, "rev", r->rev);
    jsonw_text(w, "signature", r->msg);
    jsonw_text(w, "category", r->classtype ? r->classtype : "");
    jsonw_int(w, "severity", r->severity);
    if (r->n_meta)
        write_metadata(w, r);
    jsonw_close(w);
}

/* Why it fired: the window, every condition (its threshold as written and
 * the value seen), the features and the threshold, in our `source` object. */
static void write_why(struct jsonw *w, const struct rule_hit *hit,
                      const struct source_profile *p)
{
    const struct rule *r = hit->rule;
    jsonw_object(w, "source");
    jsonw_u64(w, "window", hit->window_s);
    event_source_profile(w, p);
    jsonw_array(w, "matched");
    for (unsigned i = 0; i < r->n_conds; i++) {
        const struct rule_cond *c = &r->conds[i];
        char cond[256];
        double v = 0;
        rule_cond_format(c, cond, sizeof(cond));
        bool ok = rule_cond_match(c, hit->features, &hit->cluster, &v);
        jsonw_object(w, NULL);
        jsonw_text(w, "condition", cond);
        if (c->feature == RULE_FEAT_CLUSTER_SIZE || c->feature == RULE_FEAT_SYNC_ROUNDS ||
            (c->feature >= 0 && c->feature < FEAT_FIRST_STR))
            jsonw_real(w, "value", v);
        jsonw_bool(w, "matched", ok);
        jsonw_close(w);
    }
    jsonw_close(w);
    event_source_features(w, hit->features);
    jsonw_object(w, "threshold");
    jsonw_str(w, "type", rule_thr_type_name(r->threshold.type));
    jsonw_str(w, "track", rule_thr_track_name(r->threshold.track));
    jsonw_u64(w, "count", r->threshold.count);
    jsonw_u64(w, "seconds", r->threshold.seconds);
    jsonw_close(w);
    jsonw_close(w);
}

static size_t write_alert(struct eve *e, const struct detect_alert *a, bool with_members)
{
    struct jsonw w;
    eve_begin(e, &w, a->ts_us, "alert");
    event_source_last_flow(e, &w, a->src, a->last);
    write_alert_rule(&w, a->hit->rule);
    write_why(&w, a->hit, a->profile);
    event_source_geo(&w, a->hit->features);
    if (a->cluster) {
        write_cluster(&w, a->cluster, false, with_members);
        jsonw_close(&w);
    }
    if (!with_members)
        jsonw_bool(&w, "truncated", true);
    return eve_end(&w);
}

void event_alert(struct eve *e, const struct detect_alert *a)
{
    size_t n = write_alert(e, a, true);
    if (n == 0) {
        eve_note_truncated(e);
        n = write_alert(e, a, false);
    }
    eve_write_line(e, n);
}

static size_t write_cluster_update(struct eve *e, uint64_t ts_us, const struct cluster *c,
                                   const struct rule *r, bool with_members)
{
    struct jsonw w;
    eve_begin(e, &w, ts_us, "cluster");
    write_cluster(&w, c, true, with_members);
    jsonw_str(&w, "action", "update");
    if (r) {
        jsonw_u64(&w, "signature_id", r->sid);
        jsonw_text(&w, "signature", r->msg);
    }
    jsonw_close(&w);
    if (!with_members)
        jsonw_bool(&w, "truncated", true);
    return eve_end(&w);
}

void event_cluster_update(struct eve *e, uint64_t ts_us, const struct cluster *c,
                          const struct rule *r)
{
    size_t n = write_cluster_update(e, ts_us, c, r, true);
    if (n == 0) {
        eve_note_truncated(e);
        n = write_cluster_update(e, ts_us, c, r, false);
    }
    eve_write_line(e, n);
}

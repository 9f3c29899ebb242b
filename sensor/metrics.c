/* Metrics for Prometheus (see metrics.h): a table maps the stats tree's
 * figures to metric names, and the latest rendering sits behind a mutex.
 *
 * The table, not the tree, decides what is exported: a figure the tree
 * gains is not exported until it is named here, so names stay stable and
 * every one has its HELP text. A row reads one figure (path.key), or each
 * member of an object as one sample labelled with its key (decode errors by
 * kind, memory by pool), or a figure of each member object (sinks), or the
 * members of each member object under two labels (alerts by sid and
 * severity). Rows of one name are consecutive and share one HELP and TYPE,
 * as the format requires of a family. Label values are the tree's keys:
 * their number is bounded by what wrote them (the catalogue's providers,
 * the ruleset's signatures, the outputs given), never by traffic. */
#include "ds/metrics.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds/log.h"
#include "ds/stats.h"
#include "ds/time-units.h"
#include "ds/util.h"

#define LINE_MAX_BYTES 1024      /* a sample line longer than this is left out */
#define FRESH_US DS_US_PER_S     /* a text younger than this is served as it is */

enum shape {
    ONE,      /* path.key (minus path.minus), with an optional fixed label */
    EACH,     /* each number in path, labelled label=its key */
    FIELD,    /* path.X.key for each object X in path, labelled label=X */
    NESTED,   /* path.X.Y for each object X and number Y, labelled label=X, label2=Y */
};

struct row {
    const char *name;
    const char *type;            /* counter or gauge */
    const char *help;
    enum shape shape;
    const char *path;            /* dotted, from the root */
    const char *key;
    const char *label;           /* ONE: a fixed label's name (or NULL), others: the members' */
    const char *value;           /* ONE: the fixed label's value */
    const char *minus;           /* ONE: a figure of path subtracted from key's */
    const char *label2;
};

#define C "counter"
#define G "gauge"
#define ONE_(n, t, h, p, k) { n, t, h, ONE, p, k, NULL, NULL, NULL, NULL }
#define KIND_(n, t, h, p, k, l, v, m) { n, t, h, ONE, p, k, l, v, m, NULL }
#define EACH_(n, t, h, p, l) { n, t, h, EACH, p, NULL, l, NULL, NULL, NULL }
#define FIELD_(n, t, h, p, k, l) { n, t, h, FIELD, p, k, l, NULL, NULL, NULL }
#define P "distill_sensor_"

static const struct row rows[] = {
    ONE_(P "packets_total", C, "Packets read from the capture.", "stats.decoder", "pkts"),
    ONE_(P "bytes_total", C, "Bytes on the wire of the packets read.", "stats.decoder", "bytes"),
    KIND_(P "decoded_packets_total", C, "Packets decoded, by protocol.", "stats.decoder",
          "ipv4", "proto", "ipv4", NULL),
    KIND_(P "decoded_packets_total", C, "", "stats.decoder", "ipv6", "proto", "ipv6", NULL),
    KIND_(P "decoded_packets_total", C, "", "stats.decoder", "tcp", "proto", "tcp", NULL),
    KIND_(P "decoded_packets_total", C, "", "stats.decoder", "udp", "proto", "udp", NULL),
    EACH_(P "decode_errors_total", C, "Packets not decoded (or cut by the snap length), by kind.",
          "sensor.decode_errors", "kind"),
    ONE_(P "kernel_packets_total", C, "Packets the kernel received for the live capture.",
         "stats.capture", "kernel_packets"),
    ONE_(P "kernel_drops_total", C, "Packets the kernel dropped: the capture buffer was full.",
         "stats.capture", "kernel_drops"),
    ONE_(P "kernel_interface_drops_total", C, "Packets the interface or its driver dropped.",
         "stats.capture", "kernel_ifdrops"),
    ONE_(P "uptime_seconds", G, "Seconds of the sensor's clock (packet time) since its first "
         "packet.", "stats", "uptime"),

    ONE_(P "flows_total", C, "Flows created in the flow table.", "sensor.flows", "total"),
    ONE_(P "flows_active", G, "Flows in the flow table.", "sensor.flows", "active"),
    ONE_(P "flows_active_max", G, "The most flows the table has held at once.", "sensor.flows",
         "max_active"),
    ONE_(P "flows_ended_total", C, "Flows ended (timed out, evicted or at shutdown).",
         "sensor.flows", "ended"),
    ONE_(P "flows_timed_out_total", C, "Flows ended idle.", "sensor.flows", "timed_out"),
    KIND_(P "flows_evicted_total", C, "Flows evicted: at the table's cap (the oldest idle), or "
          "to keep a hash chain short.", "sensor.flows", "evicted", "kind", "cap",
          "chain_evicted"),
    KIND_(P "flows_evicted_total", C, "", "sensor.flows", "chain_evicted", "kind", "chain", NULL),
    KIND_(P "handshake_flows_total", C, "Flows whose TLS or QUIC client hello was seen.",
          "sensor.flows", "tls", "proto", "tls", NULL),
    KIND_(P "handshake_flows_total", C, "", "sensor.flows", "quic", "proto", "quic", NULL),
    ONE_(P "followed_flows_total", C, "Flows followed (application state, nDPI, turns).",
         "sensor.flows", "followed"),
    ONE_(P "follow_refused_total", C, "Flows not followed: the application state pool was full.",
         "sensor.flows", "follow_refused"),
    ONE_(P "hello_invalid_total", C, "Client hellos given up on as invalid.", "sensor.flows",
         "hello_invalid"),
    ONE_(P "ai_flows_total", C, "Flows to AI services of the catalogue.", "sensor.flows", "ai"),
    EACH_(P "provider_flows_total", C, "Flows to AI services, by provider (restarts when the "
          "catalogue is reloaded).", "sensor.ai_flows_by_provider", "provider"),
    ONE_(P "turns_total", C, "Request/response turns completed.", "sensor", "turns"),
    ONE_(P "quic_reassembling", G, "QUIC flows whose client hello is being reassembled.",
         "sensor.quic", "reassembling"),
    ONE_(P "quic_shed_total", C, "QUIC flows refused hello reassembly at the cap.",
         "sensor.quic", "shed"),
    KIND_(P "ech_flows_total", C, "TLS and QUIC flows whose client hello carried Encrypted "
          "Client Hello, by kind (grease, real, malformed).", "sensor.ech", "grease", "kind",
          "grease", NULL),
    KIND_(P "ech_flows_total", C, "", "sensor.ech", "real", "kind", "real", NULL),
    KIND_(P "ech_flows_total", C, "", "sensor.ech", "malformed", "kind", "malformed", NULL),
    EACH_(P "ech_provider_flows_total", C, "AI flows with Encrypted Client Hello (GREASE or "
          "real), by provider (restarts when the catalogue is reloaded).",
          "sensor.ech.ai_flows_by_provider", "provider"),
    ONE_(P "ndpi_flows_total", C, "Flows given to nDPI.", "sensor.ndpi", "flows"),
    ONE_(P "ndpi_packets_total", C, "Packets given to nDPI.", "sensor.ndpi", "pkts"),
    ONE_(P "ndpi_no_state_total", C, "Flows nDPI had no state for (its pool was full).",
         "sensor.ndpi", "no_state"),

    ONE_(P "sources_active", G, "Sources (clients of AI services) held.", "sensor.sources",
         "active"),
    ONE_(P "sources_active_max", G, "The most sources held at once.", "sensor.sources",
         "max_active"),
    ONE_(P "sources_total", C, "Sources created.", "sensor.sources", "created"),
    KIND_(P "sources_evicted_total", C, "Sources evicted: at the cap (the least recently seen), "
          "or to keep a hash chain short.", "sensor.sources", "evicted", "kind", "cap",
          "chain_evicted"),
    KIND_(P "sources_evicted_total", C, "", "sensor.sources", "chain_evicted", "kind", "chain",
          NULL),
    ONE_(P "sources_expired_total", C, "Sources forgotten after their longest window idle.",
         "sensor.sources", "expired"),
    ONE_(P "source_turns_total", C, "Turns counted into sources.", "sensor.sources", "turns"),
    ONE_(P "clusters_active", G, "Coordinated clusters of sources held.", "sensor.detect",
         "clusters_active"),
    ONE_(P "clusters_evicted_total", C, "Clusters evicted.", "sensor.detect", "clusters_evicted"),
    ONE_(P "cluster_members_refused_total", C, "Cluster members turned away (a chain at its cap).",
         "sensor.detect", "cluster_chain_refused"),
    ONE_(P "cluster_updates_total", C, "Cluster update events.", "sensor.detect",
         "cluster_updates"),
    ONE_(P "source_events_total", C, "Source events.", "sensor.detect", "source_events"),

    ONE_(P "rules_loaded", G, "Signatures loaded.", "sensor.detect", "rules"),
    ONE_(P "rule_evaluations_total", C, "Signature evaluations.", "sensor.detect", "evaluations"),
    ONE_(P "rule_matches_total", C, "Signature matches (before thresholds).", "sensor.detect",
         "matches"),
    ONE_(P "alerts_suppressed_total", C, "Matches a threshold held back.", "sensor.detect",
         "suppressed"),
    { P "alerts_total", C, "Alerts, by signature and its severity (1 high .. 3 low).", NESTED,
      "sensor.detect.alerts_by_rule", NULL, "sid", NULL, NULL, "severity" },
    ONE_(P "detect_prefiltered_total", C, "Flows detection skipped by its prefilter.",
         "sensor.detect", "prefiltered"),
    ONE_(P "geo_errors_total", C, "GeoIP lookups that failed.", "sensor.detect", "geo_errors"),
    ONE_(P "rule_reloads_total", C, "Rule reloads asked for (SIGHUP).", "sensor.rules",
         "reloads"),
    ONE_(P "rule_reload_failures_total", C, "Rule reloads that failed (the old rules stayed).",
         "sensor.rules", "reload_failures"),

    FIELD_(P "sink_events_total", C, "Events written, by output.", "sensor.output", "events",
           "sink"),
    FIELD_(P "sink_dropped_total", C, "Events dropped, by output (its queue was full, or it was "
           "down at exit).", "sensor.output", "dropped", "sink"),
    FIELD_(P "sink_write_errors_total", C, "Events lost to write errors, by output.",
           "sensor.output", "write_errors", "sink"),
    FIELD_(P "sink_queued", G, "Events waiting in an output's queue.", "sensor.output", "queued",
           "sink"),
    FIELD_(P "sink_reconnects_total", C, "Reconnections, by output.", "sensor.output",
           "reconnects", "sink"),
    EACH_(P "memory_bytes", G, "Memory held, by pool.", "sensor.memory", "pool"),
    ONE_(P "memcap_limit_bytes", G, "The memory budget (--memcap).", "sensor.memcap", "limit"),
    ONE_(P "memcap_used_bytes", G, "Memory held by the pools the budget covers.",
         "sensor.memcap", "used"),
    EACH_(P "memcap_share_bytes", G, "The budget's share of each store.", "sensor.memcap.shares",
          "store"),
    FIELD_(P "memcap_cap_objects", G, "Each store's object cap within its share.",
           "sensor.memcap.caps", "objects", "store"),
    ONE_(P "memcap_emergency", G, "1 while in emergency mode (a flow store at its share).",
         "sensor.memcap", "emergency"),
    ONE_(P "memcap_emergencies_total", C, "Times emergency mode was entered.", "sensor.memcap",
         "emergency_entered"),
    EACH_(P "memcap_evicted_total", C, "State evicted to stay within the budget, by kind.",
          "sensor.memcap.evicted", "kind"),
    ONE_(P "memcap_ndpi_refused_total", C, "Flows refused nDPI state at its share.",
         "sensor.memcap.refused", "ndpi_states"),
};

const char *const *metrics_names(size_t *n)
{
    static const char *names[DS_ARRAY_LEN(rows)];
    for (size_t i = 0; i < DS_ARRAY_LEN(rows); i++)
        names[i] = rows[i].name;
    *n = DS_ARRAY_LEN(rows);
    return names;
}

bool metrics_name_valid(const char *name)
{
    if (name == NULL || name[0] == '\0' || (name[0] >= '0' && name[0] <= '9'))
        return false;
    for (const char *c = name; *c; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '_' || *c == ':';
        if (!ok)
            return false;
    }
    return true;
}

size_t metrics_escape_label(const char *v, size_t n, char *out, size_t outlen)
{
    bool utf8 = ds_utf8_valid(v, n);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        const char *esc = c == '\\' ? "\\\\" : c == '"' ? "\\\"" : c == '\n' ? "\\n" : NULL;
        size_t need = esc ? 2 : 1;
        if (o + need >= outlen)
            return (size_t)-1;
        if (esc) {
            memcpy(out + o, esc, 2);
        } else {
            bool bad = !utf8 && ((unsigned char)c >= 0x80 || (unsigned char)c < 0x20);
            out[o] = bad ? '?' : c;
        }
        o += need;
    }
    if (o >= outlen)
        return (size_t)-1;
    out[o] = '\0';
    return o;
}

/* ---- rendering ---- */

struct out {
    char *p;
    size_t len, cap, max;
    bool truncated;
    const char *family;          /* the name whose HELP and TYPE were written last */
};

/* Appends s (n bytes) whole, or sets truncated if it would pass max. */
static void put(struct out *o, const char *s, size_t n)
{
    if (o->truncated || o->len + n + 1 > o->max) {
        o->truncated = true;
        return;
    }
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + n + 1)
            cap *= 2;
        o->cap = cap < o->max ? cap : o->max;
        o->p = xrealloc(o->p, o->cap);
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

/* The HELP and TYPE lines of r's family, before its first sample. */
static void header(struct out *o, const struct row *r)
{
    if (o->family && strcmp(o->family, r->name) == 0)
        return;
    o->family = r->name;
    const struct row *first = r;   /* the family's first row has its HELP text */
    while (first > rows && strcmp(first[-1].name, r->name) == 0)
        first--;
    char line[LINE_MAX_BYTES];
    int n = snprintf(line, sizeof(line), "# HELP %s %s\n# TYPE %s %s\n", r->name, first->help,
                     r->name, r->type);
    if (n > 0 && (size_t)n < sizeof(line))
        put(o, line, (size_t)n);
}

/* One label pair `name="value"` appended at *at in buf; -1 if it did not fit. */
static int label(char *buf, size_t len, size_t *at, const char *name, const char *value)
{
    char esc[LINE_MAX_BYTES / 2];
    if (metrics_escape_label(value, strlen(value), esc, sizeof(esc)) == (size_t)-1)
        return -1;
    int n = snprintf(buf + *at, len - *at, "%s%s=\"%s\"", *at ? "," : "", name, esc);
    if (n < 0 || (size_t)n >= len - *at)
        return -1;
    *at += (size_t)n;
    return 0;
}

/* One sample of r's family with up to two labels (a NULL name: none). */
static void sample(struct out *o, const struct row *r, const char *l1, const char *v1,
                   const char *l2, const char *v2, uint64_t value)
{
    char labels[LINE_MAX_BYTES / 2];
    size_t at = 0;
    labels[0] = '\0';
    if ((l1 && label(labels, sizeof(labels), &at, l1, v1) != 0) ||
        (l2 && label(labels, sizeof(labels), &at, l2, v2) != 0)) {
        o->truncated = true;
        return;
    }
    char line[LINE_MAX_BYTES];
    int n = snprintf(line, sizeof(line), "%s%s%s%s %" PRIu64 "\n", r->name, at ? "{" : "",
                     labels, at ? "}" : "", value);
    if (n < 0 || (size_t)n >= sizeof(line)) {
        o->truncated = true;
        return;
    }
    header(o, r);
    put(o, line, (size_t)n);
}

/* The object at a dotted path from root, or NULL. */
static const struct stats_node *resolve(const struct stats_node *root, const char *path)
{
    const struct stats_node *n = root;
    const char *p = path;
    while (n != NULL && *p) {
        char part[64];
        size_t len = strcspn(p, ".");
        if (len >= sizeof(part))
            return NULL;
        memcpy(part, p, len);
        part[len] = '\0';
        n = stats_get(n, part);
        p += len + (p[len] == '.');
    }
    return n;
}

struct walk {
    struct out *o;
    const struct row *r;
    const char *outer;           /* NESTED: the member object's key */
};

static void each_number(void *ctx, const char *key, const struct stats_node *obj, uint64_t v)
{
    const struct walk *w = ctx;
    if (obj != NULL)
        return;
    if (w->outer)
        sample(w->o, w->r, w->r->label, w->outer, w->r->label2, key, v);
    else
        sample(w->o, w->r, w->r->label, key, NULL, NULL, v);
}

static void each_object(void *ctx, const char *key, const struct stats_node *obj, uint64_t v)
{
    const struct walk *w = ctx;
    uint64_t x;
    if (obj == NULL)
        return;
    if (w->r->shape == FIELD) {
        if (stats_get_u64(obj, w->r->key, &x) == 0)
            sample(w->o, w->r, w->r->label, key, NULL, NULL, x);
        return;
    }
    struct walk inner = { w->o, w->r, key };
    stats_each(obj, each_number, &inner);
}

static void render_row(struct out *o, const struct stats_node *root, const struct row *r)
{
    const struct stats_node *n = resolve(root, r->path);
    struct walk w = { o, r, NULL };
    uint64_t v, minus = 0;
    switch (r->shape) {
    case ONE:
        if (stats_get_u64(n, r->key, &v) != 0)
            return;
        if (r->minus && stats_get_u64(n, r->minus, &minus) == 0)
            v = v > minus ? v - minus : 0;
        sample(o, r, r->label, r->value, NULL, NULL, v);
        return;
    case EACH:
        stats_each(n, each_number, &w);
        return;
    case FIELD:
    case NESTED:
        stats_each(n, each_object, &w);
        return;
    }
}

char *metrics_render(const struct stats_node *root, size_t max, size_t *len, bool *truncated)
{
    struct out o = { .max = max };
    put(&o, "", 0);
    for (size_t i = 0; i < DS_ARRAY_LEN(rows); i++)
        render_row(&o, root, &rows[i]);
    if (o.p == NULL) {           /* max was 0 */
        o.p = xmalloc(1);
        o.p[0] = '\0';
    }
    *len = o.len;
    *truncated = o.truncated;
    return o.p;
}

/* ---- the exchange between the capture thread and the server's ---- */

struct metrics {
    pthread_mutex_t mu;
    pthread_cond_t fresh;        /* signalled at each publish */
    char *text;                  /* the latest rendering; under mu */
    size_t len;
    uint64_t generation;         /* publishes so far; under mu */
    uint64_t at_us;              /* monotonic time of the latest publish; under mu */
    atomic_bool wanted;          /* a scrape asked for a fresher text */
    bool warned;                 /* the capture thread's: truncation logged */
};

static uint64_t mono_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return ds_s_to_us((uint64_t)t.tv_sec) + (uint64_t)t.tv_nsec / DS_NS_PER_US;
}

struct metrics *metrics_new(void)
{
    struct metrics *m = xcalloc(1, sizeof(*m));
    pthread_mutex_init(&m->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->fresh, &ca);
    pthread_condattr_destroy(&ca);
    m->text = xstrdup("");
    atomic_init(&m->wanted, false);
    return m;
}

void metrics_free(struct metrics *m)
{
    if (m == NULL)
        return;
    pthread_cond_destroy(&m->fresh);
    pthread_mutex_destroy(&m->mu);
    free(m->text);
    free(m);
}

void metrics_publish(struct metrics *m, const struct stats_node *root)
{
    atomic_store_explicit(&m->wanted, false, memory_order_relaxed);
    size_t len;
    bool truncated;
    char *text = metrics_render(root, METRICS_TEXT_MAX, &len, &truncated);
    if (truncated && !m->warned) {
        log_warn("metrics: over %u bytes: the rest of the series are left out", METRICS_TEXT_MAX);
        m->warned = true;
    }
    pthread_mutex_lock(&m->mu);
    char *old = m->text;
    m->text = text;
    m->len = len;
    m->generation++;
    m->at_us = mono_us();
    pthread_cond_broadcast(&m->fresh);
    pthread_mutex_unlock(&m->mu);
    free(old);
}

bool metrics_wanted(const struct metrics *m)
{
    return m != NULL && atomic_load_explicit(&m->wanted, memory_order_relaxed);
}

/* Waits (mu held) until a publish after generation `seen`, or deadline. */
static void wait_fresh(struct metrics *m, uint64_t seen, unsigned wait_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    uint64_t ns = (uint64_t)until.tv_nsec + (uint64_t)wait_ms * DS_NS_PER_US * 1000u;
    until.tv_sec += (time_t)(ns / (DS_NS_PER_US * DS_US_PER_S));
    until.tv_nsec = (long)(ns % (DS_NS_PER_US * DS_US_PER_S));
    while (m->generation == seen)
        if (pthread_cond_timedwait(&m->fresh, &m->mu, &until) != 0)
            break;
}

char *metrics_latest(struct metrics *m, unsigned wait_ms, size_t *len)
{
    pthread_mutex_lock(&m->mu);
    if (mono_us() - m->at_us >= FRESH_US) {
        atomic_store_explicit(&m->wanted, true, memory_order_relaxed);
        wait_fresh(m, m->generation, wait_ms);
    }
    char *copy = xmalloc(m->len + 1);
    memcpy(copy, m->text, m->len + 1);
    *len = m->len;
    pthread_mutex_unlock(&m->mu);
    return copy;
}

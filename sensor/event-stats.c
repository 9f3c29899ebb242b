/* The stats tree and the stats event (see stats.h, event-stats.h). The one
 * module that includes jansson: the stats event is low-rate and nested, a
 * tree serves there. It is written out through the JSON writer all the same
 * (json_dumpb formats every integer through snprintf; see jsonw.h), in the
 * tree's key order, which is jansson's insertion order. */
#include "ds/event-stats.h"

#include <jansson.h>

#include "ds/jsonw.h"

/* A node is a jansson object; struct stats_node is never defined. */
static json_t *obj(const struct stats_node *n)
{
    return (json_t *)n;
}

struct stats_node *stats_new(void)
{
    return (struct stats_node *)json_object();
}

void stats_free(struct stats_node *root)
{
    json_decref(obj(root));
}

struct stats_node *stats_child(struct stats_node *n, const char *key)
{
    if (n == NULL)
        return NULL;
    json_t *c = json_object_get(obj(n), key);
    if (json_is_object(c))
        return (struct stats_node *)c;
    c = json_object();
    if (json_object_set_new(obj(n), key, c) != 0)
        return NULL;
    return (struct stats_node *)c;
}

void stats_u64(struct stats_node *n, const char *key, uint64_t v)
{
    if (n != NULL)
        json_object_set_new(obj(n), key, json_integer((json_int_t)v));
}

const struct stats_node *stats_get(const struct stats_node *n, const char *key)
{
    json_t *c = n ? json_object_get(obj(n), key) : NULL;
    return json_is_object(c) ? (const struct stats_node *)c : NULL;
}

int stats_get_u64(const struct stats_node *n, const char *key, uint64_t *v)
{
    json_t *c = n ? json_object_get(obj(n), key) : NULL;
    if (!json_is_integer(c))
        return -1;
    *v = (uint64_t)json_integer_value(c);
    return 0;
}

void stats_each(const struct stats_node *n, stats_each_fn fn, void *ctx)
{
    if (n == NULL)
        return;
    const char *k;
    json_t *v;
    json_object_foreach(obj(n), k, v) {
        if (json_is_object(v))
            fn(ctx, k, (const struct stats_node *)v, 0);
        else if (json_is_integer(v))
            fn(ctx, k, NULL, (uint64_t)json_integer_value(v));
    }
}

/* A tree holds objects and integers only (stats_child, stats_u64). */
static void write_value(struct jsonw *w, const char *key, json_t *v)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *val;
        jsonw_object(w, key);
        json_object_foreach(v, k, val)
            write_value(w, k, val);
        jsonw_close(w);
    } else if (json_is_integer(v)) {
        jsonw_int(w, key, json_integer_value(v));
    } else {
        jsonw_null(w, key);
    }
}

/* The event: the prologue, then the root's members; 0 if over the line cap. */
static size_t write_stats(struct eve *e, uint64_t ts_us, json_t *root)
{
    struct jsonw w;
    eve_begin(e, &w, ts_us, "stats");
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v)
        write_value(&w, k, v);
    return eve_end(&w);
}

void event_stats(struct eve *e, uint64_t ts_us, const struct stats_node *root)
{
    size_t n = write_stats(e, ts_us, obj(root));
    if (n == 0)   /* over the line cap (a huge provider list): nothing in it can go */
        eve_note_truncated(e);
    eve_write_line(e, n);   /* n == 0: lost, and counted so */
}

/* The configuration file's YAML (see config-yaml.h): libyaml's event parser
 * read by recursive descent into our own tree, so nothing else links
 * libyaml and every node keeps its line. Events, not libyaml's document
 * loader: an alias is refused where it appears (a document of aliases to
 * aliases is the YAML "billion laughs"), and nesting and node count are
 * capped while parsing, before anything is built. A configuration needs
 * none of anchors, aliases or tags, so they are errors, not features. */
#include "ds/config-yaml.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "ds/util.h"

struct reader {
    yaml_parser_t parser;
    const char *name;
    size_t nodes;
    char *err;
    size_t errlen;
};

const char *config_kind_name(enum config_kind kind)
{
    switch (kind) {
    case CONFIG_SCALAR: return "a single value";
    case CONFIG_LIST: return "a list";
    case CONFIG_MAP: return "a mapping";
    }
    return "?";
}

static int fail_at(struct reader *r, unsigned long line, const char *why)
{
    snprintf(r->err, r->errlen, "%s:%lu: %s", r->name, line, why);
    return -1;
}

/* The next event into *ev; -1 with libyaml's reason and line. */
static int next_event(struct reader *r, yaml_event_t *ev)
{
    if (yaml_parser_parse(&r->parser, ev))
        return 0;
    const char *problem = r->parser.problem ? r->parser.problem : "not valid YAML";
    unsigned long line = (unsigned long)r->parser.problem_mark.line + 1;
    if (r->parser.context)
        snprintf(r->err, r->errlen, "%s:%lu: %s %s", r->name, line, problem, r->parser.context);
    else
        snprintf(r->err, r->errlen, "%s:%lu: %s", r->name, line, problem);
    return -1;
}

static unsigned long line_of(const yaml_event_t *ev)
{
    return (unsigned long)ev->start_mark.line + 1;
}

/* What a configuration does not use: anchors, aliases, tags. */
static int check_plain_yaml(struct reader *r, const yaml_event_t *ev)
{
    const yaml_char_t *anchor = NULL, *tag = NULL;
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        return fail_at(r, line_of(ev), "anchors and aliases are not supported");
    case YAML_SCALAR_EVENT:
        anchor = ev->data.scalar.anchor;
        tag = ev->data.scalar.tag;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = ev->data.sequence_start.anchor;
        tag = ev->data.sequence_start.tag;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ev->data.mapping_start.anchor;
        tag = ev->data.mapping_start.tag;
        break;
    default:
        return 0;
    }
    if (anchor != NULL)
        return fail_at(r, line_of(ev), "anchors and aliases are not supported");
    if (tag != NULL)
        return fail_at(r, line_of(ev), "tags are not supported");
    return 0;
}

/* A new last kid of n; the array grows to 4, then doubles (its capacity is
 * always 4 or a power of two at least the count). */
static struct config_node *add_kid(struct config_node *n)
{
    size_t c = n->nkids;
    if (c == 0 || (c >= 4 && (c & (c - 1)) == 0))
        n->kids = xrealloc(n->kids, (c ? c * 2 : 4) * sizeof(*n->kids));
    struct config_node *k = &n->kids[n->nkids++];
    memset(k, 0, sizeof(*k));
    return k;
}

static int parse_node(struct reader *r, yaml_event_t *ev, struct config_node *n, int depth);

static int parse_scalar(struct reader *r, const yaml_event_t *ev, struct config_node *n)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (memchr(v, '\0', len) != NULL)
        return fail_at(r, line_of(ev), "a NUL byte in a value");
    n->kind = CONFIG_SCALAR;
    n->text = xmalloc(len + 1);
    memcpy(n->text, v, len);
    n->text[len] = '\0';
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    return 0;
}

static int parse_list(struct reader *r, struct config_node *n, int depth)
{
    n->kind = CONFIG_LIST;
    for (;;) {
        yaml_event_t ev;
        if (next_event(r, &ev) != 0)
            return -1;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        int rc = parse_node(r, &ev, add_kid(n), depth + 1);
        yaml_event_delete(&ev);
        if (rc != 0)
            return -1;
    }
}

static const struct config_node *find_key(const struct config_node *n, const char *key)
{
    for (size_t i = 0; i < n->nkids; i++)
        if (strcmp(n->kids[i].key, key) == 0)
            return &n->kids[i];
    return NULL;
}

/* One member of a mapping: its key (ev, a scalar) and then its value. */
static int parse_member(struct reader *r, yaml_event_t *key, struct config_node *n, int depth)
{
    if (check_plain_yaml(r, key) != 0)
        return -1;
    if (key->type != YAML_SCALAR_EVENT)
        return fail_at(r, line_of(key), "a key must be a single value");
    struct config_node k = { 0 };
    if (parse_scalar(r, key, &k) != 0)
        return -1;
    const struct config_node *dup = find_key(n, k.text);
    if (dup != NULL) {
        char why[400];
        snprintf(why, sizeof(why), "%.200s: given twice (first at line %lu)", k.text,
                 dup->key_line);
        free(k.text);
        return fail_at(r, line_of(key), why);
    }
    yaml_event_t ev;
    if (next_event(r, &ev) != 0) {
        free(k.text);
        return -1;
    }
    struct config_node *m = add_kid(n);
    m->key = k.text;
    m->key_line = line_of(key);
    int rc = parse_node(r, &ev, m, depth + 1);
    yaml_event_delete(&ev);
    return rc;
}

static int parse_map(struct reader *r, struct config_node *n, int depth)
{
    n->kind = CONFIG_MAP;
    for (;;) {
        yaml_event_t ev;
        if (next_event(r, &ev) != 0)
            return -1;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        int rc = parse_member(r, &ev, n, depth);
        yaml_event_delete(&ev);
        if (rc != 0)
            return -1;
    }
}

/* The node that starts with event ev (the caller deletes ev). */
static int parse_node(struct reader *r, yaml_event_t *ev, struct config_node *n, int depth)
{
    if (check_plain_yaml(r, ev) != 0)
        return -1;
    n->line = line_of(ev);
    if (++r->nodes > CONFIG_YAML_MAX_NODES)
        return fail_at(r, n->line, "too many values (10000 at most)");
    if (depth > CONFIG_YAML_MAX_DEPTH)
        return fail_at(r, n->line, "nested too deep (8 levels at most)");
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return parse_scalar(r, ev, n);
    case YAML_SEQUENCE_START_EVENT:
        return parse_list(r, n, depth);
    case YAML_MAPPING_START_EVENT:
        return parse_map(r, n, depth);
    default:
        return fail_at(r, n->line, "unexpected YAML event");
    }
}

/* The type of the next event, which is consumed. */
static int expect(struct reader *r, yaml_event_type_t type, unsigned long *line, bool *got)
{
    yaml_event_t ev;
    if (next_event(r, &ev) != 0)
        return -1;
    *got = ev.type == type;
    *line = line_of(&ev);
    yaml_event_delete(&ev);
    return 0;
}

/* stream-start, then nothing (an empty file) or one document holding a
 * mapping, then stream-end. */
static int parse_stream(struct reader *r, struct config_node *root)
{
    unsigned long line;
    bool got;
    root->kind = CONFIG_MAP;
    root->line = 1;
    if (expect(r, YAML_STREAM_START_EVENT, &line, &got) != 0)
        return -1;
    yaml_event_t ev;
    if (next_event(r, &ev) != 0)
        return -1;
    bool empty = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
    if (empty)
        return 0;
    if (next_event(r, &ev) != 0)
        return -1;
    int rc = 0;
    if (ev.type == YAML_SCALAR_EVENT && ev.data.scalar.length == 0 &&
        ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        rc = 0; /* a document of comments alone */
    else if (ev.type != YAML_MAPPING_START_EVENT)
        rc = fail_at(r, line_of(&ev), "the file must be a mapping of keys (key: value)");
    else
        rc = parse_node(r, &ev, root, 0);
    yaml_event_delete(&ev);
    if (rc != 0 || expect(r, YAML_DOCUMENT_END_EVENT, &line, &got) != 0)
        return -1;
    if (expect(r, YAML_STREAM_END_EVENT, &line, &got) != 0)
        return -1;
    return got ? 0 : fail_at(r, line, "more than one document");
}

int config_yaml_parse(const char *name, const char *buf, size_t len, struct config_node **root,
                      char *err, size_t errlen)
{
    *root = NULL;
    struct reader r = { .name = name, .err = err, .errlen = errlen };
    if (len > CONFIG_YAML_MAX_BYTES) {
        snprintf(err, errlen, "%s: larger than %d bytes", name, CONFIG_YAML_MAX_BYTES);
        return -1;
    }
    if (!yaml_parser_initialize(&r.parser)) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    yaml_parser_set_input_string(&r.parser, (const unsigned char *)buf, len);
    struct config_node *n = xcalloc(1, sizeof(*n));
    int rc = parse_stream(&r, n);
    yaml_parser_delete(&r.parser);
    if (rc != 0) {
        config_node_free(n);
        return -1;
    }
    *root = n;
    return 0;
}

int config_yaml_load(const char *path, struct config_node **root, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    *root = NULL;
    if (ds_read_file(path, CONFIG_YAML_MAX_BYTES, &buf, &len) != 0) {
        snprintf(err, errlen, "%s: %s", path,
                 errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
        return -1;
    }
    int rc = config_yaml_parse(path, buf, len, root, err, errlen);
    free(buf);
    return rc;
}

static void free_kids(struct config_node *n)
{
    for (size_t i = 0; i < n->nkids; i++) {
        free_kids(&n->kids[i]);
        free(n->kids[i].text);
        free(n->kids[i].key);
    }
    free(n->kids);
}

void config_node_free(struct config_node *root)
{
    if (root == NULL)
        return;
    free_kids(root);
    free(root->text);
    free(root->key);
    free(root);
}

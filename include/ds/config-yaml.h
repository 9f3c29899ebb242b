/* The configuration file's YAML (config-yaml.c, the only libyaml user): a
 * document read into a small tree of scalars, lists and mappings, each node
 * with the line it starts on, so whoever gives the keys a meaning (options)
 * can say `file:line: why`. It knows no key. */
#ifndef DS_CONFIG_YAML_H
#define DS_CONFIG_YAML_H

#include <stddef.h>

#define CONFIG_YAML_MAX_BYTES (1024 * 1024) /* a bigger file is refused */
#define CONFIG_YAML_MAX_DEPTH 8             /* nesting of lists and mappings */
#define CONFIG_YAML_MAX_NODES 10000

enum config_kind {
    CONFIG_SCALAR,
    CONFIG_LIST,
    CONFIG_MAP,
};

/* One node. A mapping's members are its kids, each with its key. */
struct config_node {
    enum config_kind kind;
    unsigned long line;          /* 1-based: where the node starts */
    char *text;                  /* a scalar's text (NUL-terminated); NULL otherwise */
    int plain;                   /* a scalar written without quotes */
    char *key;                   /* a mapping member's key; NULL otherwise */
    unsigned long key_line;      /* where that key is */
    struct config_node *kids;    /* a list's items or a mapping's members, in order */
    size_t nkids;
};

/* Parses buf[0..len) (name is for messages) into *root, a CONFIG_MAP (an
 * empty document is an empty mapping). Refused, with "name:line: why" in
 * err: YAML syntax errors (libyaml's reason), a top level that is not a
 * mapping, a key that is not a scalar or is given twice, anchors and
 * aliases, a tag, more than one document, nesting deeper than
 * CONFIG_YAML_MAX_DEPTH or more than CONFIG_YAML_MAX_NODES nodes, a NUL
 * byte. Returns 0 (free *root with config_node_free), or -1 (*root NULL). */
int config_yaml_parse(const char *name, const char *buf, size_t len, struct config_node **root,
                      char *err, size_t errlen);

/* The same for the file at path (at most CONFIG_YAML_MAX_BYTES); a file
 * that cannot be read is "path: why". */
int config_yaml_load(const char *path, struct config_node **root, char *err, size_t errlen);

/* Frees a tree from config_yaml_parse. NULL-safe. */
void config_node_free(struct config_node *root);

/* "a single value", "a list", "a mapping": for messages. */
const char *config_kind_name(enum config_kind kind);

#endif

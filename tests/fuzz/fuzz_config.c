/* Fuzz target for the configuration file: any bytes as a -c file. The YAML
 * reader (config-yaml.c) must either refuse them with a `name:line: why`
 * message or give a tree that keeps its promises (a mapping at the top,
 * text on scalars alone, a key on every mapping member and no key twice,
 * lines from 1, nesting and node caps); then the tree is applied onto a
 * command line's options (options-file.c) as -c would, which must accept
 * or refuse it without a fault. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds/config-yaml.h"
#include "ds/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t check_node(const struct config_node *n, int depth)
{
    if (n->line == 0 || depth > CONFIG_YAML_MAX_DEPTH + 1)
        abort();
    if ((n->kind == CONFIG_SCALAR) != (n->text != NULL))
        abort();
    if (n->kind == CONFIG_SCALAR && n->nkids != 0)
        abort();
    size_t count = 1;
    for (size_t i = 0; i < n->nkids; i++) {
        const struct config_node *k = &n->kids[i];
        if ((n->kind == CONFIG_MAP) != (k->key != NULL))
            abort();
        if (n->kind == CONFIG_MAP) {
            if (k->key_line == 0)
                abort();
            for (size_t j = 0; j < i; j++)
                if (strcmp(n->kids[j].key, k->key) == 0)
                    abort();
        }
        count += check_node(k, depth + 1);
    }
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config_node *root = NULL;
    char err[512];
    err[0] = '\0';
    if (config_yaml_parse("fuzz.yaml", (const char *)data, size, &root, err, sizeof(err)) != 0) {
        if (root != NULL || strncmp(err, "fuzz.yaml", 9) != 0)
            abort();
        return 0;
    }
    if (root == NULL || root->kind != CONFIG_MAP)
        abort();
    if (check_node(root, 0) > CONFIG_YAML_MAX_NODES + 1)
        abort();
    config_node_free(root);

    /* Applied as -c would apply it, onto a command line's defaults. */
    char a0[] = "distill-sensor", a1[] = "--check-rules";
    char *argv[] = { a0, a1, NULL };
    struct options o;
    if (options_parse(2, argv, &o) != DS_OK)
        abort();
    enum ds_err e = options_file_apply_buffer(&o, "fuzz.yaml", (const char *)data, size);
    if (e != DS_OK && e != DS_ERR_CONFIG)
        abort();
    options_free(&o);
    return 0;
}

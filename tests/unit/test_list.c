/* list: the intrusive lists (pointer and index links) against a plain array
 * model, and the shapes the modules use them in (idle lists, LRU, queue). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ds/list.h"

#define N 16

/* An owner with its node away from offset 0, as in struct flow. */
struct item {
    uint64_t pad;
    int id;
    struct ds_list_node node;
    struct ds_ilist_node inode;
};

/* The expected order, head first. */
struct model {
    int v[N];
    unsigned n;
};

static void model_remove(struct model *m, int id)
{
    for (unsigned i = 0; i < m->n; i++) {
        if (m->v[i] == id) {
            memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(m->v[0]));
            m->n--;
            return;
        }
    }
}

static void model_push_tail(struct model *m, int id)
{
    m->v[m->n++] = id;
}

static void model_push_head(struct model *m, int id)
{
    memmove(&m->v[1], &m->v[0], m->n * sizeof(m->v[0]));
    m->v[0] = id;
    m->n++;
}

static bool model_has(const struct model *m, int id)
{
    for (unsigned i = 0; i < m->n; i++)
        if (m->v[i] == id)
            return true;
    return false;
}

/* Both walks of l give the model's order, and the ends agree. */
static void check_list(struct ds_list *l, const struct model *m)
{
    unsigned k = 0;
    for (struct ds_list_node *n = l->head; n != NULL; n = n->next) {
        assert_true(k < m->n);
        assert_int_equal(DS_CONTAINER_OF(n, struct item, node)->id, m->v[k]);
        k++;
    }
    assert_int_equal(k, m->n);
    for (struct ds_list_node *n = l->tail; n != NULL; n = n->prev) {
        assert_true(k > 0);
        k--;
        assert_int_equal(DS_CONTAINER_OF(n, struct item, node)->id, m->v[k]);
    }
    assert_int_equal(k, 0);
    assert_int_equal(ds_list_empty(l), m->n == 0);
}

static void check_ilist(struct ds_ilist *l, const struct item *arr, const struct model *m)
{
    unsigned k = 0;
    for (uint32_t i = l->head; i != DS_ILIST_NONE; i = ds_ilist_node(l, i)->next) {
        assert_true(k < m->n);
        assert_int_equal(arr[i].id, m->v[k]);
        k++;
    }
    assert_int_equal(k, m->n);
    for (uint32_t i = l->tail; i != DS_ILIST_NONE; i = ds_ilist_node(l, i)->prev) {
        assert_true(k > 0);
        k--;
        assert_int_equal(arr[i].id, m->v[k]);
    }
    assert_int_equal(k, 0);
    assert_int_equal(ds_ilist_empty(l), m->n == 0);
}

static void test_container_of(void **state)
{
    (void)state;
    struct item it = { .id = 7 };
    assert_ptr_equal(DS_CONTAINER_OF(&it.node, struct item, node), &it);
    assert_ptr_equal(DS_LIST_ENTRY(&it.node, struct item, node), &it);
    assert_null(DS_LIST_ENTRY((struct ds_list_node *)NULL, struct item, node));
    struct ds_list l;
    ds_list_init(&l);
    assert_null(DS_LIST_ENTRY(l.head, struct item, node));
}

static void test_push_unlink(void **state)
{
    (void)state;
    struct item it[4];
    struct ds_list l;
    struct model m = { .n = 0 };
    memset(it, 0xa5, sizeof(it));   /* links of a node never linked: anything */
    ds_list_init(&l);
    check_list(&l, &m);
    for (int i = 0; i < 4; i++)
        it[i].id = i;
    ds_list_push_tail(&l, &it[1].node);
    model_push_tail(&m, 1);
    ds_list_push_tail(&l, &it[2].node);
    model_push_tail(&m, 2);
    ds_list_push_head(&l, &it[0].node);
    model_push_head(&m, 0);
    ds_list_push_tail(&l, &it[3].node);
    model_push_tail(&m, 3);
    check_list(&l, &m);   /* 0 1 2 3 */

    ds_list_unlink(&l, &it[2].node);   /* middle */
    model_remove(&m, 2);
    assert_null(it[2].node.prev);
    assert_null(it[2].node.next);
    check_list(&l, &m);
    ds_list_unlink(&l, &it[0].node);   /* head */
    model_remove(&m, 0);
    check_list(&l, &m);
    ds_list_unlink(&l, &it[3].node);   /* tail */
    model_remove(&m, 3);
    check_list(&l, &m);
    ds_list_unlink(&l, &it[1].node);   /* the only one */
    model_remove(&m, 1);
    check_list(&l, &m);
    assert_null(l.head);
    assert_null(l.tail);
    assert_null(ds_list_pop_head(&l));
}

static void test_move_pop(void **state)
{
    (void)state;
    struct item it[5];
    struct ds_list l = { NULL, NULL };   /* zeroed: empty */
    struct model m = { .n = 0 };
    for (int i = 0; i < 5; i++) {
        it[i].id = i;
        ds_list_push_tail(&l, &it[i].node);
        model_push_tail(&m, i);
    }
    ds_list_move_to_tail(&l, &it[4].node);   /* already there */
    check_list(&l, &m);
    ds_list_move_to_tail(&l, &it[0].node);   /* from the head */
    model_remove(&m, 0);
    model_push_tail(&m, 0);
    check_list(&l, &m);   /* 1 2 3 4 0 */
    ds_list_move_to_tail(&l, &it[3].node);   /* from the middle */
    model_remove(&m, 3);
    model_push_tail(&m, 3);
    check_list(&l, &m);   /* 1 2 4 0 3 */
    ds_list_move_to_head(&l, &it[1].node);   /* already there */
    check_list(&l, &m);
    ds_list_move_to_head(&l, &it[3].node);   /* from the tail */
    model_remove(&m, 3);
    model_push_head(&m, 3);
    check_list(&l, &m);   /* 3 1 2 4 0 */
    ds_list_move_to_head(&l, &it[4].node);
    model_remove(&m, 4);
    model_push_head(&m, 4);
    check_list(&l, &m);   /* 4 3 1 2 0 */

    static const int order[] = { 4, 3, 1, 2, 0 };
    for (unsigned k = 0; k < 5; k++) {
        struct item *x = DS_LIST_ENTRY(ds_list_pop_head(&l), struct item, node);
        assert_non_null(x);
        assert_int_equal(x->id, order[k]);
        assert_null(x->node.prev);
        assert_null(x->node.next);
    }
    assert_true(ds_list_empty(&l));
    assert_null(ds_list_pop_head(&l));
}

/* flow.c's shape: one idle list per timeout class, a touch moves a flow to
 * the tail of its (maybe new) class, expiry and eviction take heads. */
static void test_idle_lists(void **state)
{
    (void)state;
    struct item f[6];
    struct ds_list cls[2] = { { NULL, NULL }, { NULL, NULL } };
    for (int i = 0; i < 6; i++) {
        f[i].id = i;
        ds_list_push_tail(&cls[0], &f[i].node);   /* created in time order */
    }
    ds_list_move_to_tail(&cls[0], &f[1].node);    /* flow 1 sees a packet */
    ds_list_unlink(&cls[0], &f[2].node);          /* flow 2 changes class */
    ds_list_push_tail(&cls[1], &f[2].node);
    struct model m0 = { { 0, 3, 4, 5, 1 }, 5 }, m1 = { { 2 }, 1 };
    check_list(&cls[0], &m0);
    check_list(&cls[1], &m1);
    /* expiry: oldest first, stop at the first that is not due */
    int expired[6], ne = 0;
    struct item *h = DS_LIST_ENTRY(cls[0].head, struct item, node);
    while (h != NULL && h->id != 4) {
        expired[ne++] = h->id;
        ds_list_unlink(&cls[0], &h->node);
        h = DS_LIST_ENTRY(cls[0].head, struct item, node);
    }
    assert_int_equal(ne, 2);
    assert_int_equal(expired[0], 0);
    assert_int_equal(expired[1], 3);
}

/* source.c's shape: most recent at the head, a touch moves to the head,
 * eviction takes the tail, a steal walks from the tail backwards. */
static void test_lru(void **state)
{
    (void)state;
    struct item s[4];
    struct ds_list l = { NULL, NULL };
    for (int i = 0; i < 4; i++) {
        s[i].id = i;
        ds_list_push_head(&l, &s[i].node);   /* 3 2 1 0 */
    }
    ds_list_move_to_head(&l, &s[1].node);    /* 1 3 2 0 */
    struct model m = { { 1, 3, 2, 0 }, 4 };
    check_list(&l, &m);
    struct item *oldest = DS_LIST_ENTRY(l.tail, struct item, node);
    assert_int_equal(oldest->id, 0);
    ds_list_unlink(&l, &oldest->node);
    model_remove(&m, 0);
    check_list(&l, &m);
    /* cluster.c's pending queue: pushed at the head, walked from the head
     * while members leave it. */
    struct ds_list q = { NULL, NULL };
    for (int i = 0; i < 4; i++)
        ds_list_push_head(&q, &s[i].node);   /* 3 2 1 0 */
    struct ds_list_node *next;
    for (struct ds_list_node *n = q.head; n != NULL; n = next) {
        next = n->next;
        if (DS_CONTAINER_OF(n, struct item, node)->id % 2 == 1)
            ds_list_unlink(&q, n);
    }
    struct model mq = { { 2, 0 }, 2 };
    check_list(&q, &mq);
}

static void test_ilist(void **state)
{
    (void)state;
    struct item arr[5];
    struct ds_ilist l;
    struct model m = { .n = 0 };
    for (int i = 0; i < 5; i++)
        arr[i].id = 100 + i;
    ds_ilist_init(&l, arr, sizeof(arr[0]), offsetof(struct item, inode));
    check_ilist(&l, arr, &m);
    assert_int_equal(ds_ilist_pop_head(&l), DS_ILIST_NONE);
    ds_ilist_push_head(&l, 2);
    model_push_head(&m, 102);
    ds_ilist_push_tail(&l, 4);
    model_push_tail(&m, 104);
    ds_ilist_push_head(&l, 0);
    model_push_head(&m, 100);
    ds_ilist_push_tail(&l, 1);
    model_push_tail(&m, 101);
    check_ilist(&l, arr, &m);   /* 0 2 4 1 */
    ds_ilist_move_to_head(&l, 4);
    model_remove(&m, 104);
    model_push_head(&m, 104);
    check_ilist(&l, arr, &m);   /* 4 0 2 1 */
    ds_ilist_move_to_tail(&l, 4);
    model_remove(&m, 104);
    model_push_tail(&m, 104);
    check_ilist(&l, arr, &m);   /* 0 2 1 4 */
    ds_ilist_unlink(&l, 2);
    model_remove(&m, 102);
    assert_int_equal(arr[2].inode.prev, DS_ILIST_NONE);
    assert_int_equal(arr[2].inode.next, DS_ILIST_NONE);
    check_ilist(&l, arr, &m);
    assert_int_equal(ds_ilist_pop_head(&l), 0);
    assert_int_equal(ds_ilist_pop_head(&l), 1);
    assert_int_equal(ds_ilist_pop_head(&l), 4);
    assert_true(ds_ilist_empty(&l));
    assert_int_equal(l.tail, DS_ILIST_NONE);
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Thousands of random operations on both flavours side by side, checked
 * against the model after each. */
static void test_random_ops(void **state)
{
    (void)state;
    struct item arr[N];
    struct ds_list l = { NULL, NULL };
    struct ds_ilist il;
    struct model m = { .n = 0 };
    uint64_t seed = 42;
    for (int i = 0; i < N; i++)
        arr[i].id = i;
    ds_ilist_init(&il, arr, sizeof(arr[0]), offsetof(struct item, inode));
    for (int step = 0; step < 5000; step++) {
        uint64_t r = rng_next(&seed);
        int id = (int)(r % N);
        unsigned op = (unsigned)((r >> 8) % 6);
        if (!model_has(&m, id)) {
            if (op % 2 == 0) {
                ds_list_push_tail(&l, &arr[id].node);
                ds_ilist_push_tail(&il, (uint32_t)id);
                model_push_tail(&m, id);
            } else {
                ds_list_push_head(&l, &arr[id].node);
                ds_ilist_push_head(&il, (uint32_t)id);
                model_push_head(&m, id);
            }
        } else if (op == 0 || op == 1) {
            ds_list_unlink(&l, &arr[id].node);
            ds_ilist_unlink(&il, (uint32_t)id);
            model_remove(&m, id);
        } else if (op == 2) {
            ds_list_move_to_tail(&l, &arr[id].node);
            ds_ilist_move_to_tail(&il, (uint32_t)id);
            model_remove(&m, id);
            model_push_tail(&m, id);
        } else if (op == 3) {
            ds_list_move_to_head(&l, &arr[id].node);
            ds_ilist_move_to_head(&il, (uint32_t)id);
            model_remove(&m, id);
            model_push_head(&m, id);
        } else {
            int want = m.v[0];
            struct item *x = DS_LIST_ENTRY(ds_list_pop_head(&l), struct item, node);
            uint32_t xi = ds_ilist_pop_head(&il);
            assert_non_null(x);
            assert_int_equal(x->id, want);
            assert_int_equal(xi, (uint32_t)want);
            model_remove(&m, want);
        }
        check_list(&l, &m);
        check_ilist(&il, arr, &m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_container_of),
        cmocka_unit_test(test_push_unlink),
        cmocka_unit_test(test_move_pop),
        cmocka_unit_test(test_idle_lists),
        cmocka_unit_test(test_lru),
        cmocka_unit_test(test_ilist),
        cmocka_unit_test(test_random_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

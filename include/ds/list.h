/* Intrusive doubly linked lists: the links live in the owner struct, so a
 * list costs no allocation and an owner is unlinked in O(1) from its own
 * node (Suricata's and the Linux kernel's habit).
 *
 * Two flavours, with the same operations:
 *   struct ds_list   pointer links, for owners anywhere in memory (flows,
 *                    sources, clusters from pools);
 *   struct ds_ilist  32-bit index links into one array, for tables that keep
 *                    their entries dense (rules.c's threshold table: two
 *                    indices are half the size of two pointers).
 *
 * Both lists are NULL- (DS_ILIST_NONE-) terminated, not circular, so a walk
 * reads `for (n = l->head; n != NULL; n = n->next)` and ends at the end.
 * Head and tail mean what the user makes them mean: an idle list pushes at
 * the tail and expires from the head (oldest first); an LRU moves a touched
 * owner to one end and evicts from the other. Every operation is O(1).
 *
 * Contract: a node is in at most one list at a time through one member;
 * unlink and move only a node that is in the list given. An unlinked node has
 * both links NULL (DS_ILIST_NONE); a node never linked may hold anything. */
#ifndef DS_LIST_H
#define DS_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The struct of the given type whose member `member` is at ptr (never NULL):
 * DS_CONTAINER_OF(&f->idle, struct flow, idle) == f. */
#define DS_CONTAINER_OF(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* ---- pointer links ---------------------------------------------------- */

struct ds_list_node {
    struct ds_list_node *prev, *next;
};

struct ds_list {
    struct ds_list_node *head, *tail;
};

/* An empty list (a zeroed struct ds_list is one too). */
static inline void ds_list_init(struct ds_list *l)
{
    l->head = l->tail = NULL;
}

static inline bool ds_list_empty(const struct ds_list *l)
{
    return l->head == NULL;
}

static inline void ds_list_push_tail(struct ds_list *l, struct ds_list_node *n)
{
    n->next = NULL;
    n->prev = l->tail;
    if (l->tail)
        l->tail->next = n;
    else
        l->head = n;
    l->tail = n;
}

static inline void ds_list_push_head(struct ds_list *l, struct ds_list_node *n)
{
    n->prev = NULL;
    n->next = l->head;
    if (l->head)
        l->head->prev = n;
    else
        l->tail = n;
    l->head = n;
}

/* Takes n (which must be in l) out of l; n's links become NULL. */
static inline void ds_list_unlink(struct ds_list *l, struct ds_list_node *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else
        l->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        l->tail = n->prev;
    n->prev = n->next = NULL;
}

/* Moves n (in l) to the tail: an idle list's or an LRU's touch. */
static inline void ds_list_move_to_tail(struct ds_list *l, struct ds_list_node *n)
{
    if (l->tail == n)
        return;
    ds_list_unlink(l, n);
    ds_list_push_tail(l, n);
}

/* Moves n (in l) to the head. */
static inline void ds_list_move_to_head(struct ds_list *l, struct ds_list_node *n)
{
    if (l->head == n)
        return;
    ds_list_unlink(l, n);
    ds_list_push_head(l, n);
}

/* Unlinks and returns the head, or NULL if l is empty. */
static inline struct ds_list_node *ds_list_pop_head(struct ds_list *l)
{
    struct ds_list_node *n = l->head;
    if (n)
        ds_list_unlink(l, n);
    return n;
}

static inline void *ds_list_entry_at(struct ds_list_node *n, size_t off)
{
    return n ? (void *)((char *)n - off) : NULL;
}

/* Like DS_CONTAINER_OF, but NULL for a NULL node, so that
 * `struct flow *f = DS_LIST_ENTRY(l->head, struct flow, idle)` works on an
 * empty list too. node is evaluated once. */
#define DS_LIST_ENTRY(node, type, member) \
    ((type *)ds_list_entry_at((node), offsetof(type, member)))

/* ---- index links ------------------------------------------------------ */

#define DS_ILIST_NONE UINT32_MAX

struct ds_ilist_node {
    uint32_t prev, next;          /* indices into the list's array */
};

/* A list over the elements of one array, linked through a ds_ilist_node
 * member of each element. The array must not move while the list is in use. */
struct ds_ilist {
    uint32_t head, tail;
    unsigned char *base;          /* element 0 */
    size_t stride;                /* sizeof an element */
    size_t off;                   /* offsetof the node in an element */
};

/* An empty list over array[], whose elements are elem_size bytes with
 * their node node_off bytes in:
 *     ds_ilist_init(&t->lru, t->e, sizeof(*t->e), offsetof(struct thr_entry, lru)); */
static inline void ds_ilist_init(struct ds_ilist *l, void *array, size_t elem_size,
                                 size_t node_off)
{
    l->head = l->tail = DS_ILIST_NONE;
    l->base = array;
    l->stride = elem_size;
    l->off = node_off;
}

/* The node of element i (i < the array's length). */
static inline struct ds_ilist_node *ds_ilist_node(const struct ds_ilist *l, uint32_t i)
{
    return (struct ds_ilist_node *)(void *)(l->base + (size_t)i * l->stride + l->off);
}

static inline bool ds_ilist_empty(const struct ds_ilist *l)
{
    return l->head == DS_ILIST_NONE;
}

static inline void ds_ilist_push_tail(struct ds_ilist *l, uint32_t i)
{
    struct ds_ilist_node *n = ds_ilist_node(l, i);
    n->next = DS_ILIST_NONE;
    n->prev = l->tail;
    if (l->tail != DS_ILIST_NONE)
        ds_ilist_node(l, l->tail)->next = i;
    else
        l->head = i;
    l->tail = i;
}

static inline void ds_ilist_push_head(struct ds_ilist *l, uint32_t i)
{
    struct ds_ilist_node *n = ds_ilist_node(l, i);
    n->prev = DS_ILIST_NONE;
    n->next = l->head;
    if (l->head != DS_ILIST_NONE)
        ds_ilist_node(l, l->head)->prev = i;
    else
        l->tail = i;
    l->head = i;
}

/* Takes element i (which must be in l) out of l; its links become NONE. */
static inline void ds_ilist_unlink(struct ds_ilist *l, uint32_t i)
{
    struct ds_ilist_node *n = ds_ilist_node(l, i);
    if (n->prev != DS_ILIST_NONE)
        ds_ilist_node(l, n->prev)->next = n->next;
    else
        l->head = n->next;
    if (n->next != DS_ILIST_NONE)
        ds_ilist_node(l, n->next)->prev = n->prev;
    else
        l->tail = n->prev;
    n->prev = n->next = DS_ILIST_NONE;
}

static inline void ds_ilist_move_to_tail(struct ds_ilist *l, uint32_t i)
{
    if (l->tail == i)
        return;
    ds_ilist_unlink(l, i);
    ds_ilist_push_tail(l, i);
}

static inline void ds_ilist_move_to_head(struct ds_ilist *l, uint32_t i)
{
    if (l->head == i)
        return;
    ds_ilist_unlink(l, i);
    ds_ilist_push_head(l, i);
}

/* Unlinks and returns the head's index, or DS_ILIST_NONE if l is empty. */
static inline uint32_t ds_ilist_pop_head(struct ds_ilist *l)
{
    uint32_t i = l->head;
    if (i != DS_ILIST_NONE)
        ds_ilist_unlink(l, i);
    return i;
}

#endif

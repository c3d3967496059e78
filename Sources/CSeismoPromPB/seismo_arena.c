#include "seismo_arena.h"

#include <stdint.h>
#include <stdlib.h>

typedef struct arena_block {
    struct arena_block *next;
    size_t size;
    size_t used;
    // data follows, 16-byte aligned
} arena_block;

struct seismo_arena {
    ProtobufCAllocator allocator;
    arena_block *head;     // block being filled; older blocks follow via next
    size_t total_used;
};

#define ARENA_HEADER ((sizeof(arena_block) + 15) & ~(size_t)15)

static arena_block *block_new(size_t size) {
    arena_block *b = malloc(ARENA_HEADER + size);
    if (!b) return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

static void *arena_alloc(void *data, size_t size) {
    seismo_arena *a = data;
    size_t need = (size + 15) & ~(size_t)15;
    arena_block *b = a->head;
    if (b == NULL || b->size - b->used < need) {
        size_t next = b ? b->size * 2 : 64 * 1024;
        while (next < need) next *= 2;
        arena_block *nb = block_new(next);
        if (!nb) return NULL;
        nb->next = b;
        a->head = nb;
        b = nb;
    }
    void *p = (char *)b + ARENA_HEADER + b->used;
    b->used += need;
    a->total_used += need;
    return p;
}

static void arena_free(void *data, void *ptr) {
    // Individual frees are no-ops: everything goes at once in seismo_arena_reset.
    (void)data;
    (void)ptr;
}

seismo_arena *seismo_arena_create(size_t initial_bytes) {
    seismo_arena *a = calloc(1, sizeof(*a));
    if (!a) return NULL;
    a->allocator.alloc = arena_alloc;
    a->allocator.free = arena_free;
    a->allocator.allocator_data = a;
    a->head = block_new(initial_bytes < 4096 ? 4096 : initial_bytes);
    if (!a->head) { free(a); return NULL; }
    return a;
}

void seismo_arena_destroy(seismo_arena *a) {
    if (!a) return;
    arena_block *b = a->head;
    while (b) { arena_block *n = b->next; free(b); b = n; }
    free(a);
}

void seismo_arena_reset(seismo_arena *a) {
    // Keep only the newest (largest) block so a steady request size settles into
    // a single block and no further mallocs.
    arena_block *keep = a->head;
    if (keep) {
        arena_block *b = keep->next;
        while (b) { arena_block *n = b->next; free(b); b = n; }
        keep->next = NULL;
        keep->used = 0;
    }
    a->total_used = 0;
}

ProtobufCAllocator *seismo_arena_allocator(seismo_arena *a) { return &a->allocator; }

size_t seismo_arena_used(const seismo_arena *a) { return a->total_used; }

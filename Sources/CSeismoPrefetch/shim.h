// A cache prefetch hint, which Swift cannot express. Header only: nothing to link.
#ifndef SEISMO_PREFETCH_H
#define SEISMO_PREFETCH_H

// Asks for the cache line holding `p`, to be written soon. A hint: never faults, even on
// an address that is not mapped.
static inline void seismo_prefetch_write(const void *p) {
    __builtin_prefetch(p, 1, 3);
}

#endif

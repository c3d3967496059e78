// A bump-pointer arena that plugs into protobuf-c as its ProtobufCAllocator.
//
// Why: protobuf-c unpacks every TimeSeries, Label and Sample into its own heap
// block. A 2000-sample write request would cost ~6000 malloc/free pairs. With
// the arena those become pointer bumps, and the whole decode is released by one
// reset at the end of the request; the arena's blocks are kept for the next one.
#ifndef SEISMO_ARENA_H
#define SEISMO_ARENA_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

#pragma clang assume_nonnull begin

typedef struct seismo_arena seismo_arena;

/// Creates an arena whose first block holds `initial_bytes` (grows by doubling).
seismo_arena *_Nullable seismo_arena_create(size_t initial_bytes);
void seismo_arena_destroy(seismo_arena *_Nullable arena);
/// Forgets every allocation; keeps the largest block for reuse.
void seismo_arena_reset(seismo_arena *arena);
/// The allocator to pass to `*__unpack`. Valid as long as the arena lives.
ProtobufCAllocator *seismo_arena_allocator(seismo_arena *arena);
/// Bytes currently handed out (for tests and limits).
size_t seismo_arena_used(const seismo_arena *arena);

#pragma clang assume_nonnull end

#endif

import CSeismoPromPB

/// The protobuf-c arena a decoder unpacks into, with its sizing policy (shared by the
/// remote-write 1.0 and 2.0 decoders).
///
/// The arena keeps one block. When a request needs more, the block is replaced by one of
/// the next power of two with 25 % headroom, so a steady request size settles into a single
/// block and no mallocs; after a request larger than `retainBytes` is followed by a small
/// one, it shrinks back so one huge request does not pin its memory.
final class DecodeArena {
    static let initialBytes = 256 << 10
    /// Buffers larger than this are not kept for the next request.
    static let retainBytes = 16 << 20

    private(set) var pointer: OpaquePointer
    /// Size of the single block.
    private(set) var capacity: Int
    /// Bytes the last request used.
    private(set) var lastUsed = 0

    init() {
        capacity = Self.initialBytes
        guard let a = seismo_arena_create(capacity) else { fatalError("seismo_arena_create: out of memory") }
        pointer = a
    }

    deinit {
        seismo_arena_destroy(pointer)
    }

    var allocator: UnsafeMutablePointer<ProtobufCAllocator> { seismo_arena_allocator(pointer) }

    /// Forgets a failed decode's allocations.
    func reset() { seismo_arena_reset(pointer) }

    /// Forgets the request's allocations and resizes the block if the policy says so.
    func recycle() {
        let used = seismo_arena_used(pointer)
        lastUsed = used
        seismo_arena_reset(pointer)
        var target = capacity
        if used > capacity {
            target = Self.initialBytes
            while target < used + used / 4 { target *= 2 }
        }
        if target > Self.retainBytes && used <= Self.retainBytes / 4 {
            target = Self.initialBytes
        }
        if target != capacity, let fresh = seismo_arena_create(target) {
            seismo_arena_destroy(pointer)
            pointer = fresh
            capacity = target
        }
    }
}

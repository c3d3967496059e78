import SeismoStore

/// One remote-write request announced to the store (`Store.expectAppend`) from the moment
/// its request head arrives: a commit falling due while the body is still being received
/// or decoded waits (up to 2 ms) for its append, so requests in flight share one fsync.
/// Announcing at the head instead of before decoding lets a commit also gather the
/// requests whose bodies are on the wire.
///
/// Exactly one of `handOver` (the store's append counts it off) or `withdraw` settles it;
/// `deinit` withdraws one that every path forgot, since a leaked announcement would make
/// every later commit wait its full 2 ms.
final class AppendAnnouncement {
    private let store: Store
    private var open = true

    init(store: Store) {
        self.store = store
        store.expectAppend()
    }

    /// The request will not reach the store's append (refused, failed to decode, or the
    /// connection closed mid-body).
    func withdraw() {
        guard open else { return }
        open = false
        store.cancelExpectedAppend()
    }

    /// The append is about to be called with `announced: true`, which counts it off.
    func handOver() {
        open = false
    }

    deinit { withdraw() }
}

import Foundation
import SeismoModel
import Testing
@testable import SeismoStore

/// A commit due while another request is being decoded (`Store.expectAppend`) waits for
/// that request's append, briefly, so both share one fsync; a withdrawn or missing
/// announcement never holds a commit for long.
@Suite struct CommitGatherTests {
    func batch(_ name: String, second: Int64) -> WriteBatch {
        var b = WriteBatch()
        b.append(labels: [(name: "__name__", value: name)], samples: [(second * 1000, 1)])
        return b
    }

    /// Durable sequence number seen when `onDurable` of an append ran.
    final class Seen: @unchecked Sendable {
        let lock = NSLock()
        var durableAtCallback: [String: UInt64] = [:]
        let done = DispatchGroup()
    }

    @Test func anAnnouncedAppendSharesTheCommitOfTheOneBeforeIt() throws {
        let dir = makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try Store(config: testConfig(dir), logger: quietLogger)
        store.start()
        defer { store.close() }
        // The merge depends on the test thread reaching the second append within the
        // commit's 2 ms wait; on a loaded machine it may not, so a few tries are allowed.
        var merged = false
        for attempt in 0..<5 where !merged {
            let seen = Seen()
            let second: Int64 = 1_799_999_000 + Int64(attempt)
            store.expectAppend()
            for name in ["first", "second"] {
                // Long enough for the commit thread, woken by the first append, to take
                // it alone if it did not wait; well inside the 2 ms it waits.
                if name == "second" { Thread.sleep(forTimeInterval: 0.0005) }
                seen.done.enter()
                try store.append(batch("m_\(name)", second: second), nowMs: 1_800_000_000_000, resolvedIds: nil,
                                 announced: name == "second") { _ in
                    store.lock.lock()
                    let durable = store.durableSeq
                    store.lock.unlock()
                    seen.lock.lock()
                    seen.durableAtCallback[name] = durable
                    seen.lock.unlock()
                    seen.done.leave()
                }
            }
            #expect(seen.done.wait(timeout: .now() + 5) == .success)
            merged = seen.durableAtCallback["first"] == seen.durableAtCallback["second"]
        }
        #expect(merged)
        store.lock.lock()
        #expect(store.expectedAppends.load(ordering: .relaxed) == 0)
        store.lock.unlock()
    }

    @Test func aWithdrawnOrMissingAnnouncementDoesNotHoldACommit() throws {
        let dir = makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try Store(config: testConfig(dir), logger: quietLogger)
        store.start()
        defer { store.close() }
        // Announced, never appended nor withdrawn: the commit still goes out (after at most
        // the gather wait, far below the 5 s allowed here).
        store.expectAppend()
        let first = DispatchSemaphore(value: 0)
        try store.append(batch("lonely", second: 1_799_999_000), nowMs: 1_800_000_000_000) { _ in first.signal() }
        #expect(first.wait(timeout: .now() + 5) == .success)
        store.cancelExpectedAppend()
        // Withdrawn: nothing is waited for any more.
        let second = DispatchSemaphore(value: 0)
        try store.append(batch("after", second: 1_799_999_001), nowMs: 1_800_000_000_000) { _ in second.signal() }
        #expect(second.wait(timeout: .now() + 5) == .success)
        store.lock.lock()
        #expect(store.expectedAppends.load(ordering: .relaxed) == 0)
        store.lock.unlock()
    }
}

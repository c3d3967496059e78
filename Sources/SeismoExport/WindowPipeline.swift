import Foundation
import SeismoModel

/// Reads window k+1 on a second thread while the caller encodes window k: on two cores
/// this overlaps Parquet decoding (segments) with encoding (output), the two halves of an
/// export's CPU time. At most two windows are in flight, matching the assembler's two
/// buffer sets, so memory stays at two windows whatever the range.
final class WindowPipeline {
    private let cond = NSCondition()
    private var ready: [RowGroup] = []
    /// Buffer sets the producer may fill: released by the consumer after writing a group.
    private var free = 2
    private var finished = false
    private var failure: Error?
    private var cancelled = false
    private let done = DispatchSemaphore(value: 0)

    init(_ assembler: RowGroupAssembler) {
        let thread = Thread { [self] in
            nameCurrentThread("seismo-export")
            produce(assembler)
            done.signal()
        }
        thread.name = "seismo-export-read"
        thread.start()
    }

    private func produce(_ assembler: RowGroupAssembler) {
        while true {
            cond.lock()
            while free == 0 && !cancelled { cond.wait() }
            if cancelled {
                cond.unlock()
                return
            }
            free -= 1
            cond.unlock()
            let group: RowGroup?
            do {
                group = try assembler.next()
            } catch {
                cond.lock()
                failure = error
                finished = true
                cond.broadcast()
                cond.unlock()
                return
            }
            cond.lock()
            if let group { ready.append(group) } else { finished = true }
            cond.broadcast()
            cond.unlock()
            if group == nil { return }
        }
    }

    /// The next group in order, nil at the end; rethrows the reader's error.
    func take() throws -> RowGroup? {
        cond.lock()
        defer { cond.unlock() }
        while ready.isEmpty && !finished { cond.wait() }
        if !ready.isEmpty { return ready.removeFirst() }
        if let failure { throw failure }
        return nil
    }

    /// The consumer is done with the last group taken: its buffers may be reused.
    func release() {
        cond.lock()
        free += 1
        cond.broadcast()
        cond.unlock()
    }

    /// Stops the reader (after an output error) and waits for it; also used at the end.
    func stop() {
        cond.lock()
        cancelled = true
        cond.broadcast()
        cond.unlock()
        done.wait()
    }
}

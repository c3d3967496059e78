import Dispatch
import Foundation

/// The one SIGHUP handler of `seismo serve`. Several parts reload on SIGHUP (alert rules,
/// TLS certificates); each registers an action here instead of installing its own
/// signal source, so one signal runs every reload exactly once, in registration order,
/// on one serial queue — two reloads never race each other, and unregistering one
/// (on shutdown) cannot disturb the others.
final class HangupSignal: @unchecked Sendable {
    typealias Action = @Sendable () -> Void

    private let queue = DispatchQueue(label: "seismo.sighup")
    private var actions: [(id: Int, run: Action)] = []
    private var nextID = 0
    private var source: (any DispatchSourceSignal)?

    /// Adds a reload action; the signal is taken over on the first registration, so a
    /// server with nothing to reload keeps SIGHUP's default behaviour.
    @discardableResult
    func register(_ action: @escaping Action) -> Int {
        queue.sync {
            nextID += 1
            actions.append((nextID, action))
            if source == nil { install() }
            return nextID
        }
    }

    /// Removes an action (its owner is stopping); others stay.
    func unregister(_ id: Int) {
        queue.sync { actions.removeAll { $0.id == id } }
    }

    private func install() {
        // The default action of SIGHUP is to terminate; it is ignored first so the
        // dispatch source, not the kernel's default, gets the signal.
        signal(SIGHUP, SIG_IGN)
        let s = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        s.setEventHandler { [weak self] in self?.runAll() }
        s.resume()
        source = s
    }

    /// Called on `queue`.
    private func runAll() {
        for action in actions { action.run() }
    }
}

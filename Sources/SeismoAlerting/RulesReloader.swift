import Dispatch
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Re-reads a rules file on SIGHUP (or on demand) and hands a validated `RuleSet` to the
/// owner. A file with problems is logged problem by problem and the running rules stay:
/// a typo during a live edit must not switch alerting off.
///
/// `onReload` runs on the reloader's private queue; the owner hops to whatever context
/// serialises its `AlertEvaluator` and calls `replaceRules` there.
public final class RulesReloader: @unchecked Sendable {
    public let path: String
    private let logger: Logger
    private let onReload: @Sendable (RuleSet) -> Void
    private let queue = DispatchQueue(label: "seismo.rules-reloader")
    private var source: DispatchSourceSignal?

    public init(path: String, logger: Logger, onReload: @escaping @Sendable (RuleSet) -> Void) {
        self.path = path
        self.logger = logger
        self.onReload = onReload
    }

    /// Loads and validates the file; on success passes it to `onReload`. Returns the
    /// outcome so a caller (or a test) can report it.
    @discardableResult
    public func reload() -> Result<RuleSet, Error> {
        do {
            let rules = try RuleSet.load(path: path)
            logger.info("rules reloaded", metadata: ["file": "\(path)", "rules": "\(rules.rules.count)"])
            onReload(rules)
            return .success(rules)
        } catch let error as RuleFileError {
            for p in error.problems {
                logger.error("rules reload failed; keeping the running rules", metadata: [
                    "file": "\(path)", "line": "\(p.line.map(String.init) ?? "-")", "problem": "\(p.message)",
                ])
            }
            return .failure(error)
        } catch {
            logger.error("rules reload failed; keeping the running rules", metadata: ["file": "\(path)", "error": "\(error)"])
            return .failure(error)
        }
    }

    /// Reloads on every SIGHUP until `cancel()`. The default SIGHUP action (terminate) is
    /// replaced by "ignore" first, otherwise the signal would kill the process before the
    /// dispatch source sees it.
    public func installSignalHandler() {
        queue.sync {
            guard source == nil else { return }
            signal(SIGHUP, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
            s.setEventHandler { [weak self] in
                guard let self else { return }
                logger.info("SIGHUP: reloading rules", metadata: ["file": "\(path)"])
                reload()
            }
            s.resume()
            source = s
        }
    }

    public func cancel() {
        queue.sync {
            source?.cancel()
            source = nil
        }
    }
}

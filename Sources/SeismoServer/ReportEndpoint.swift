import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SeismoExport
import SeismoModel
import SeismoReport
import SeismoStore
import SeismoWatch

/// `GET /report?from=…&to=…&match=…&pad=…`: the `seismo report` page, built from the live
/// store (head included), the stored intervals and the alert history, with the running
/// rules' thresholds. Built on the thread pool: a report over hours reads many windows.
final class ReportEndpoint: @unchecked Sendable {
    let store: Store
    let watch: WatchPipeline?
    let logger: Logger

    init(store: Store, watch: WatchPipeline?, logger: Logger) {
        self.store = store
        self.watch = watch
        self.logger = logger
    }

    static func options(_ q: QueryParameters) throws -> ReportOptions {
        var o = ReportOptions()
        o.fromMs = try q.first("from").map { try ExportTime.parseMilliseconds($0) }
        o.toMs = try q.first("to").map { try ExportTime.parseMilliseconds($0) }
        o.selectors = try (q.all("match") + q.all("match[]")).map { text in
            do { return try SeriesSelector.parse(text) } catch { throw ExportError("match: \(error)") }
        }
        if let p = q.first("pad") {
            guard let v = Int64(p.hasSuffix("s") ? String(p.dropLast()) : p), v >= 0 else {
                throw ExportError("pad must be whole seconds (e.g. 300s), not \(p.debugDescription)")
            }
            o.padSeconds = v
        }
        return o
    }

    func handle(head: HTTPRequestHead, eventLoop: any EventLoop, respond: @escaping (Response) -> Void) {
        var options: ReportOptions
        do {
            options = try Self.options(QueryParameters(uri: head.uri))
        } catch {
            respond(.text(.badRequest, "\(error)"))
            return
        }
        options.rules = watch?.ruleSet
        options.sourceDescription = "live store"
        let source = LiveStoreSource(store: store)
        let dir = store.config.dataDirectory
        NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) { () throws -> [UInt8] in
            Array(try ReportBuilder.build(source: source, dataDirectory: dir, options: options).html.utf8)
        }.whenComplete { [logger] result in
            switch result {
            case .success(let body):
                respond(Response(status: .ok, headers: ["Content-Type": "text/html; charset=utf-8"], body: body))
            case .failure(let e as ExportError) where e.kind == .invalidInput:
                respond(.text(.badRequest, e.description))
            case .failure(let e):
                logger.error("report failed", metadata: ["report.error": "\(e)"])
                respond(.text(.internalServerError, "report failed: \(e)"))
            }
        }
    }
}

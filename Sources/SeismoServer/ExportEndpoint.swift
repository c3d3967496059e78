import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SeismoExport
import SeismoModel
import SeismoStore

/// `GET /api/v1/export?match[]=…&start=…&end=…&format=parquet|csv|tsv` (+ `step`, `fill`,
/// `fill_limit`, `drop_incomplete`): the CLI export's table, streamed from the live store
/// (head cells copied per window under the store lock, segments from disk) with chunked
/// encoding. Everything the request can get wrong is checked before the 200 is sent; bad
/// parameters → 400 whose first line names the problem.
final class ExportEndpoint: @unchecked Sendable {
    let store: Store
    let logger: Logger

    init(store: Store, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    static func options(_ q: QueryParameters) throws -> ExportOptions {
        var o = ExportOptions()
        o.fromMs = try q.first("start").map { try ExportTime.parseMilliseconds($0) }
        o.toMs = try q.first("end").map { try ExportTime.parseMilliseconds($0) }
        o.selectors = try q.all("match[]").map { text in
            do { return try SeriesSelector.parse(text).matchers } catch { throw ExportError("match[]: \(error)") }
        }
        if let f = q.first("format") {
            guard let format = ExportFormat(rawValue: f.lowercased()) else { throw ExportError("format must be parquet, csv or tsv, not \(f.debugDescription)") }
            o.format = format
        }
        if let c = q.first("compression") {
            switch c.lowercased() {
            case "snappy": o.parquetCompression = .snappy
            case "none", "uncompressed": o.parquetCompression = .uncompressed
            default: throw ExportError("compression must be snappy or none, not \(c.debugDescription)")
            }
        }
        if let s = q.first("step") {
            guard let v = Int64(s.hasSuffix("s") ? String(s.dropLast()) : s), v >= 1 else {
                throw ExportError("step must be whole seconds ≥ 1 (e.g. 10s), not \(s.debugDescription)")
            }
            o.stepSeconds = v
        }
        if let f = q.first("fill") {
            guard let mode = FillMode(rawValue: f) else { throw ExportError("fill must be none or previous, not \(f.debugDescription)") }
            o.fill = mode
        }
        if let l = q.first("fill_limit") {
            guard let v = Int64(l.hasSuffix("s") ? String(l.dropLast()) : l), v >= 0 else { throw ExportError("fill_limit must be seconds, not \(l.debugDescription)") }
            o.fillLimitSeconds = v
        }
        if let d = q.first("drop_incomplete") { o.dropIncomplete = d == "1" || d == "true" }
        return o
    }

    func handle(head: HTTPRequestHead, eventLoop: any EventLoop, respond: @escaping (Response) -> Void) {
        let options: ExportOptions
        do {
            options = try Self.options(QueryParameters(uri: head.uri))
        } catch {
            respond(.text(.badRequest, "\(error)"))
            return
        }
        let source = LiveStoreSource(store: store)
        NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) { () throws -> ExportJob in
            try ExportJob.prepare(source: source, options: options)
        }.whenComplete { [logger] result in
            switch result {
            case .failure(let e as ExportError) where e.kind == .invalidInput:
                respond(.text(.badRequest, e.description))
            case .failure(let e):
                logger.error("export failed", metadata: ["export.error": "\(e)"])
                respond(.text(.internalServerError, "export failed: \(e)"))
            case .success(let job):
                let type: String
                switch options.format {
                case .parquet: type = "application/vnd.apache.parquet"
                case .csv: type = "text/csv; charset=utf-8"
                case .tsv: type = "text/tab-separated-values; charset=utf-8"
                }
                var r = Response(status: .ok, headers: ["Content-Type": type])
                r.stream = StreamingBody { write in
                    do {
                        try job.run(output: write, name: "HTTP export")
                    } catch {
                        logger.warning("export stream ended early", metadata: ["export.error": "\(error)"])
                        throw error
                    }
                }
                respond(r)
            }
        }
    }
}

import SeismoStore

/// Where an export reads from: a data directory on disk (CLI; also while a server holds
/// it) or the running server's store (HTTP). The engine sees only this.
public protocol ExportSource {
    /// A fresh window-reading session (one per export).
    func openSession() throws -> StoreWindowSession
    /// Intervals posted to `/api/v1/labels` and stored beside the data.
    func storedIntervals() throws -> [LabelInterval]
}

/// A data directory read without its LOCK: catalog, segments and a read-only WAL replay.
public struct DirectorySource: ExportSource {
    public let path: String
    public init(path: String) { self.path = path }

    public func openSession() throws -> StoreWindowSession {
        do {
            return try StoreSnapshot(dataDirectory: path)
        } catch {
            throw ExportError(.io, "cannot read data directory \(path): \(error)")
        }
    }

    public func storedIntervals() throws -> [LabelInterval] {
        try StoredIntervals.read(IntervalLog(dataDirectory: path))
    }
}

/// The running server's store: head cells copied under its lock, segments from disk.
public struct LiveStoreSource: ExportSource {
    public let store: Store
    public let intervals: IntervalLog
    public init(store: Store) {
        self.store = store
        intervals = IntervalLog(dataDirectory: store.config.dataDirectory)
    }

    public func openSession() throws -> StoreWindowSession { LiveStoreSession(store: store) }
    public func storedIntervals() throws -> [LabelInterval] { try StoredIntervals.read(intervals) }
}

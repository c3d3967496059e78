/// Every failure of the Parquet writer or reader. A reader must never trap on a
/// damaged file, so each bounds check produces one of these, naming the file and
/// the absolute byte offset where the damage was noticed (when known).
public struct ParquetError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// open/read/write/fsync failed; `message` carries errno's text.
        case io
        /// The footer (magic, length, Thrift FileMetaData) is malformed.
        case corruptFooter
        /// A column chunk (page header, page body, encoded values) is malformed.
        case corruptData
        /// Well-formed Parquet that uses a feature this minimal reader lacks.
        case unsupported
        /// The writer or reader was called with inconsistent arguments
        /// (wrong lengths, unsorted timestamps, a column index out of range).
        case invalidArgument
    }

    public var kind: Kind
    public var path: String
    public var offset: Int64?
    public var message: String

    public init(_ kind: Kind, path: String, offset: Int64? = nil, _ message: String) {
        self.kind = kind
        self.path = path
        self.offset = offset
        self.message = message
    }

    public var description: String {
        let at = offset.map { " at offset \($0)" } ?? ""
        switch kind {
        case .io: return "parquet I/O error on \(path)\(at): \(message)"
        case .corruptFooter: return "corrupt parquet footer in \(path)\(at): \(message)"
        case .corruptData: return "corrupt parquet data in \(path)\(at): \(message)"
        case .unsupported: return "unsupported parquet feature in \(path)\(at): \(message)"
        case .invalidArgument: return "invalid parquet request for \(path): \(message)"
        }
    }
}

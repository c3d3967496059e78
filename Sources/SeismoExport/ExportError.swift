/// Every export failure: the problem first, then where (file:line, parameter). Callers
/// show `description` as is; the HTTP endpoint maps `.badRequest` kinds to 400.
public struct ExportError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Bad options, parameters, label files: the caller can fix the request.
        case invalidInput
        /// Reading the store or writing the output failed.
        case io
    }

    public var kind: Kind
    public var description: String

    public init(_ description: String) {
        self.init(.invalidInput, description)
    }

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

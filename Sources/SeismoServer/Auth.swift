import Foundation
import NIOHTTP1

/// Who may call an endpoint class. Credentials come from files (as Prometheus'
/// `credentials_file` / `password_file`), so secrets never sit in the config or on the
/// command line; the files are read when the server starts.
public struct AccessRule: Sendable, Equatable {
    public var bearerToken: [UInt8]?
    public var basicUser: [UInt8]?
    public var basicPassword: [UInt8]?

    public init(bearerToken: String? = nil, basicUser: String? = nil, basicPassword: String? = nil) {
        self.bearerToken = bearerToken.map { Array($0.utf8) }
        self.basicUser = basicUser.map { Array($0.utf8) }
        self.basicPassword = basicPassword.map { Array($0.utf8) }
    }

    public var isOpen: Bool { bearerToken == nil && basicUser == nil }

    /// Reads a secret file; surrounding whitespace (a trailing newline) is not part of it.
    public static func readSecret(path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AuthConfigError("cannot read credentials file \(path)")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw AuthConfigError("credentials file \(path) is empty") }
        return text
    }
}

public struct AuthConfigError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Endpoint classes that take separate credentials.
public enum EndpointClass: String, CaseIterable, Sendable {
    case write, read, export, admin
}

/// Per-class access rules; a class without a rule is open. Health, readiness and
/// `/metrics` are always open (probes and scrapes must work without secrets).
public struct AuthConfig: Sendable {
    public var rules: [EndpointClass: AccessRule] = [:]

    public init(rules: [EndpointClass: AccessRule] = [:]) {
        self.rules = rules
    }

    static func endpointClass(path: Substring, method: HTTPMethod) -> EndpointClass? {
        switch path {
        case "/api/v1/write": return .write
        case "/api/v1/read", "/api/v1/alerts": return .read
        // The report shows the same data an export hands out, so the same credentials.
        case "/api/v1/export", "/report": return .export
        case "/api/v1/labels": return method == .GET || method == .HEAD ? .export : .admin
        case "/metrics", "/-/healthy", "/-/ready": return nil
        default: return path.hasPrefix("/api/") || path.hasPrefix("/report") ? .admin : nil
        }
    }

    /// nil when the request may proceed, else the 401 to send.
    func check(path: Substring, head: HTTPRequestHead) -> Response? {
        guard let cls = Self.endpointClass(path: path, method: head.method), let rule = rules[cls], !rule.isOpen else {
            return nil
        }
        let header = head.headers.first(name: "authorization") ?? ""
        if let token = rule.bearerToken, header.count > 7, header.prefix(7).lowercased() == "bearer " {
            if Self.constantTimeEqual(Array(header.dropFirst(7).utf8), token) { return nil }
        }
        if let user = rule.basicUser, let password = rule.basicPassword,
           header.count > 6, header.prefix(6).lowercased() == "basic ",
           let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)) {
            let bytes = Array(decoded)
            if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
                // Both halves are always compared, so the time does not tell which was wrong.
                let userOK = Self.constantTimeEqual(Array(bytes[..<colon]), user)
                let passOK = Self.constantTimeEqual(Array(bytes[(colon + 1)...]), password)
                if userOK && passOK { return nil }
            }
        }
        var challenges: [String] = []
        if rule.bearerToken != nil { challenges.append("Bearer realm=\"seismo-\(cls.rawValue)\"") }
        if rule.basicUser != nil { challenges.append("Basic realm=\"seismo-\(cls.rawValue)\", charset=\"UTF-8\"") }
        var headers = HTTPHeaders()
        for c in challenges { headers.add(name: "WWW-Authenticate", value: c) }
        let problem = header.isEmpty ? "missing credentials" : "wrong credentials"
        return .text(.unauthorized, "unauthorized: \(problem) for the \(cls.rawValue) endpoints", headers: headers)
    }

    /// Compares without an early exit, so the time taken does not reveal how many leading
    /// bytes matched (a length mismatch is folded in, not short-circuited).
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(a.count == b.count ? 0 : 1)
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            diff |= x ^ y
        }
        return diff == 0
    }
}

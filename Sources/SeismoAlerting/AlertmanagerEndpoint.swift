import Foundation

/// One Alertmanager as configured by `--alertmanager.url`.
public struct AlertmanagerEndpoint: Sendable, Equatable {
    /// Full URL POSTed to, with credentials if given.
    public let postURL: String
    /// The URL without userinfo, for logs and the `alertmanager` metric label (so a
    /// password never reaches a log line or /metrics).
    public let displayName: String

    public struct InvalidURL: Error, CustomStringConvertible {
        public var url: String
        public var reason: String
        public var description: String { "invalid Alertmanager URL \(url.debugDescription): \(reason)" }
    }

    /// Accepts `http(s)://host:port[/prefix]` (appends `/api/v2/alerts`, so an
    /// Alertmanager run with --web.route-prefix works) or a full URL ending in
    /// `/api/v2/alerts`. Basic-auth credentials may be given as URL userinfo.
    public init(_ text: String) throws {
        guard var c = URLComponents(string: text), let scheme = c.scheme?.lowercased(),
              scheme == "http" || scheme == "https" else {
            throw InvalidURL(url: text, reason: "expected http:// or https://")
        }
        guard let host = c.host, !host.isEmpty else { throw InvalidURL(url: text, reason: "no host") }
        if c.query != nil || c.fragment != nil { throw InvalidURL(url: text, reason: "no query or fragment allowed") }
        var path = c.path
        while path.hasSuffix("/") { path.removeLast() }
        if !path.hasSuffix("/api/v2/alerts") {
            if path.hasSuffix("/api/v1/alerts") {
                throw InvalidURL(url: text, reason: "API v1 is gone from current Alertmanager; use /api/v2/alerts")
            }
            path += "/api/v2/alerts"
        }
        c.path = path
        guard let full = c.string else { throw InvalidURL(url: text, reason: "cannot rebuild URL") }
        postURL = full
        c.user = nil
        c.password = nil
        displayName = c.string ?? full
    }
}

import Foundation

/// Body of Seismo's `GET /api/v1/alerts`, in the envelope Prometheus' HTTP API uses
/// (`{"status":"success","data":{"alerts":[…]}}`) so the same clients and jq one-liners
/// work against either.
public enum AlertsResponse {
    /// `rule` filters by rule name (the `?rule=` that alert generatorURLs carry).
    public static func json(_ alerts: [AlertStatus], rule: String? = nil) -> [UInt8] {
        struct Envelope: Encodable {
            struct Payload: Encodable { var alerts: [AlertStatus] }
            var status = "success"
            var data: Payload
        }
        let selected = rule.map { r in alerts.filter { $0.rule == r } } ?? alerts
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // AlertStatus encodes non-finite numbers as null, so encoding cannot fail.
        return (try? encoder.encode(Envelope(data: .init(alerts: selected)))).map { [UInt8]($0) } ?? []
    }
}

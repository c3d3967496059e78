import Foundation
import NIOHTTP1
import SeismoAlerting
import SeismoWatch

/// `GET /api/v1/alerts`: active (pending, firing) and recently resolved alerts with their
/// scores, in the envelope Prometheus' own HTTP API uses.
struct AlertsEndpoint {
    let watch: WatchPipeline?

    private struct Envelope: Encodable {
        struct Data: Encodable {
            var detection: Bool
            var alerts: [AlertStatus]
        }
        var status = "success"
        var data: Data
    }

    func list() -> Response {
        let envelope = Envelope(data: .init(detection: watch != nil, alerts: watch?.alerts() ?? []))
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        do {
            let body = try encoder.encode(envelope)
            return Response(status: .ok, headers: ["Content-Type": "application/json"], body: Array(body))
        } catch {
            return .text(.internalServerError, "cannot encode alerts: \(error)")
        }
    }
}

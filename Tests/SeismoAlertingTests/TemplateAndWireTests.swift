import Foundation
import Testing
@testable import SeismoAlerting

/// Templates, the JSON Alertmanager receives, URL handling and the coalescing queue.
@Suite struct TemplateAndWireTests {
    let ctx = AlertTemplate.Context(
        labels: [("__name__", "http_requests_total"), ("path", "/a\"b"), ("instance", "h:1")], score: 0.98765, value: 12.5)

    @Test func rendersEachVariable() throws {
        #expect(try AlertTemplate("{{ $labels.instance }}").render(ctx) == "h:1")
        #expect(try AlertTemplate("{{$labels.missing}}x").render(ctx) == "x")
        #expect(try AlertTemplate("s={{ $score }}").render(ctx) == "s=0.988")
        #expect(try AlertTemplate("v={{ $value }}").render(ctx) == "v=12.5")
        #expect(try AlertTemplate("{{ $series }}").render(ctx) == #"http_requests_total{instance="h:1", path="/a\"b"}"#)
        #expect(try AlertTemplate("plain text").render(ctx) == "plain text")
        let integral = AlertTemplate.Context(labels: [("__name__", "up")], score: .nan, value: 3)
        #expect(try AlertTemplate("{{ $series }} {{ $value }} {{ $score }}").render(integral) == "up 3 NaN")
    }

    @Test(arguments: ["{{ $foo }}", "{{ $labels.bad-name }}", "{{ $score", "a }} b", "{{ labels.x }}", "{{}}"])
    func rejectsBadTemplates(_ text: String) {
        #expect(throws: AlertTemplate.ParseError.self) { try AlertTemplate(text) }
    }

    @Test func alertJSONIsWhatAlertmanagerAccepts() throws {
        let a = Alert(labels: ["alertname": "X"], annotations: ["s": "t"],
                      startsAt: Date(timeIntervalSince1970: 1_764_547_200.123), endsAt: nil, generatorURL: "")
        let json = String(decoding: try JSONEncoder().encode([a]), as: UTF8.self)
        #expect(json.contains(#""startsAt":"2025-12-01T00:00:00.123Z""#), "\(json)")
        #expect(!json.contains("endsAt") && !json.contains("generatorURL"), "absent fields left out")
        let back = try JSONDecoder().decode([Alert].self, from: Data(json.utf8))
        #expect(back[0].labels == a.labels)
        #expect(abs(back[0].startsAt!.timeIntervalSince(a.startsAt!)) < 0.001)
        #expect(RFC3339.parse("2026-11-30T18:00:00.123456789+01:00") != nil)
    }

    @Test func statusJSONWritesNaNAsNull() throws {
        let s = AlertStatus(rule: "R", state: .firing, score: .nan, value: 1, series: "up", activeAt: Date(timeIntervalSince1970: 0),
                            firedAt: nil, resolvedAt: nil, labels: [:], annotations: [:])
        let json = String(decoding: try JSONEncoder().encode(s), as: UTF8.self)
        #expect(json.contains(#""score":null"#) && json.contains(#""state":"firing""#) && json.contains("1970-01-01T00:00:00.000Z"))
    }

    @Test func endpointURLs() throws {
        #expect(try AlertmanagerEndpoint("http://127.0.0.1:9093").postURL == "http://127.0.0.1:9093/api/v2/alerts")
        #expect(try AlertmanagerEndpoint("http://am:9093/").postURL == "http://am:9093/api/v2/alerts")
        #expect(try AlertmanagerEndpoint("https://am/prefix").postURL == "https://am/prefix/api/v2/alerts")
        #expect(try AlertmanagerEndpoint("http://am:9093/api/v2/alerts").postURL == "http://am:9093/api/v2/alerts")
        let auth = try AlertmanagerEndpoint("http://u:secret@am:9093")
        #expect(auth.postURL == "http://u:secret@am:9093/api/v2/alerts")
        #expect(auth.displayName == "http://am:9093/api/v2/alerts", "no password in logs or metrics")
        for bad in ["am:9093", "ftp://am", "http://", "http://am/api/v1/alerts", "http://am?x=1"] {
            #expect(throws: AlertmanagerEndpoint.InvalidURL.self) { try AlertmanagerEndpoint(bad) }
        }
    }

    @Test func queueCoalescesAndDropsOldest() {
        var q = AlertQueue(capacity: 3)
        func alert(_ n: String, ends: Double = 0) -> Alert {
            Alert(labels: ["alertname": n], endsAt: Date(timeIntervalSince1970: ends))
        }
        #expect(q.push(alert("a")) == 0)
        #expect(q.push(alert("b")) == 0)
        #expect(q.push(alert("a", ends: 5)) == 0, "newer version replaces the queued one")
        #expect(q.count == 2)
        #expect(q.push(alert("c")) == 0)
        #expect(q.push(alert("d")) == 1, "full: oldest dropped")
        let batch = q.pop(max: 2)
        #expect(batch.map { $0.labels["alertname"]! } == ["b", "c"])
        #expect(q.push(alert("b", ends: 9)) == 0)
        // Failed batch goes back in front, but the stale "b" yields to the newer queued one.
        #expect(q.requeueFront(batch) == 0)
        #expect(q.count == 3)
        let all = q.pop(max: 10)
        #expect(all.map { $0.labels["alertname"]! } == ["c", "d", "b"])
        #expect(all[2].endsAt == Date(timeIntervalSince1970: 9))
        #expect(q.isEmpty)
    }

    @Test func classification() {
        #expect(AlertmanagerSender.classify(.status(200, body: "")) == .delivered)
        #expect(AlertmanagerSender.classify(.status(503, body: "down")) == .retry(reason: "http_5xx", detail: "HTTP 503: down"))
        #expect(AlertmanagerSender.classify(.network("refused")) == .retry(reason: "network", detail: "refused"))
        #expect(AlertmanagerSender.classify(.status(400, body: "bad")) == .rejected(reason: "http_4xx", detail: "HTTP 400: bad"))
    }
}

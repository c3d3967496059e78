/// Bounded FIFO of alerts waiting for one Alertmanager, coalesced by label set.
///
/// Why coalesce: while Alertmanager is down, the evaluator keeps re-sending each firing
/// alert every minute. Only the newest version of an alert matters (latest endsAt,
/// annotations, or its resolve), so a newer version replaces the queued one in place.
/// The queue then holds distinct alerts, and a 10-minute outage does not fill it with
/// copies. When it is full, the oldest alert is dropped, as Prometheus' notifier does.
struct AlertQueue {
    let capacity: Int
    private var order: [String] = []
    private var head = 0
    private var latest: [String: Alert] = [:]

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { latest.count }
    var isEmpty: Bool { latest.isEmpty }

    /// Adds or replaces; returns how many alerts were dropped to stay within capacity.
    mutating func push(_ alert: Alert) -> Int {
        let id = alert.identity
        if latest.updateValue(alert, forKey: id) == nil { order.append(id) }
        return trim()
    }

    /// Takes up to `max` alerts, oldest first.
    mutating func pop(max: Int) -> [Alert] {
        var out: [Alert] = []
        while out.count < max, head < order.count {
            let id = order[head]
            head += 1
            if let a = latest.removeValue(forKey: id) { out.append(a) }
        }
        compact()
        return out
    }

    /// Puts a batch that failed back at the front (it is older than everything queued),
    /// except alerts that have a newer version queued meanwhile. Returns drops.
    mutating func requeueFront(_ batch: [Alert]) -> Int {
        var front: [String] = []
        for alert in batch {
            let id = alert.identity
            guard latest[id] == nil else { continue }
            latest[id] = alert
            front.append(id)
        }
        order = front + order[head...]
        head = 0
        return trim()
    }

    private mutating func trim() -> Int {
        var dropped = 0
        while latest.count > capacity, head < order.count {
            let id = order[head]
            head += 1
            if latest.removeValue(forKey: id) != nil { dropped += 1 }
        }
        compact()
        return dropped
    }

    /// Reclaims the consumed prefix once it is large, so pops stay O(1) amortised.
    private mutating func compact() {
        if head > 1024 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        } else if head == order.count {
            order.removeAll(keepingCapacity: true)
            head = 0
        }
    }
}

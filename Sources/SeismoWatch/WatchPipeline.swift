import Foundation
import Logging
import SeismoAlerting
import SeismoDetect
import SeismoModel
import SeismoStore

/// Inline anomaly detection: every durable sample of a watched series updates that
/// series' detector; detector scores combine into per-group scores, which are stored
/// back as `seismo:score{rule=…, <group_by labels>}` series and drive the alert rules.
///
/// Runs on its own thread, fed by the store's commit thread through a bounded queue, so
/// a remote-write acknowledgement never waits for detection. When detection falls
/// behind by more than `maxQueuedSamples`, new batches are dropped (and counted) rather
/// than slowing ingest down.
public final class WatchPipeline: StoreObserver, @unchecked Sendable {
    public static let scoreMetric = "seismo:score"

    public struct Options: Sendable {
        public var maxQueuedSamples: Int
        public var generatorURL: String
        /// Store each group's score as a series (so exports carry it beside the data).
        public var storeScores: Bool

        public init(maxQueuedSamples: Int = 4_000_000, generatorURL: String = "http://127.0.0.1:9201/api/v1/alerts",
                    storeScores: Bool = true) {
            self.maxQueuedSamples = maxQueuedSamples
            self.generatorURL = generatorURL
            self.storeScores = storeScores
        }
    }

    private let store: Store
    private let notifier: AlertmanagerNotifier?
    private let options: Options
    private let logger: Logger
    private let metrics = WatchMetrics()

    // Queue between the commit thread and the watch thread.
    private let queueLock = NSCondition()
    private var queue: [DurableSamples] = []
    private var queuedSamples = 0
    private var pendingRules: RuleSet?
    private var stopping = false
    private var idle = true
    /// How the watch thread sleeps, if it does (guarded by `queueLock`): the commit
    /// thread wakes an idle one at the first batch, a busy one only once a backlog of
    /// `busyWakeSamples` has queued up (see `run`).
    private var sleeping = Sleep.no
    private enum Sleep { case no, idle, busy }
    /// Queued samples at which a busy watch thread is woken before its pause ends.
    static let wakeSamples = 16_384
    /// `wakeSamples`, or half of `maxQueuedSamples` if that is less: batches past the
    /// limit are dropped, and none should be while the thread pauses with work queued.
    let busyWakeSamples: Int
    /// The pause of a busy watch thread between drains. While ingest is busy the thread
    /// was woken for every group commit (hundreds per second), each wake-up a futex
    /// wake on the commit thread and a context switch here, and it scored one batch per
    /// wake-up; pausing lets a few commits queue up so one wake-up scores them all.
    /// Batches (and so the group scores stored per batch) are unchanged; detection
    /// only lags ingest by up to this much more.
    static let busyPauseSeconds = 0.004
    private let done = DispatchSemaphore(value: 0)

    // Owned by the watch thread.
    private var rules: CompiledRules
    private var series: [WatchedSeries] = []
    /// Watch lists of the series not watched by exactly one baseline rule (rare).
    private var watchLists: [[WatchedSeries.Watch]] = []
    private var groups: [WatchGroup] = []
    private var groupIndex: [[UInt8]: Int] = [:]
    private var scoreBatch = WriteBatch()
    private var topLabels = SeriesLabelCache()
    private var lastDueCheck = Date.distantPast
    private var watchedCount = 0
    /// Set by a reload: the evaluator keeps the alert states of rules whose name is
    /// unchanged, so groups created afterwards may have one, which it is asked about
    /// (see `WatchGroup.mayHoldAlert`). Before any reload it holds none for a new group.
    private var alertStatesMayExist = false

    // Shared with readers of `alerts()`.
    private let evaluatorLock = NSLock()
    private let evaluator: AlertEvaluator
    private var currentRules: RuleSet
    /// DIR/alerts/events.log: fired/resolved transitions, read back by `seismo report`.
    private let history: AlertEventLog

    public init(store: Store, rules: RuleSet, notifier: AlertmanagerNotifier?, options: Options, logger: Logger) throws {
        self.store = store
        self.notifier = notifier
        self.options = options
        busyWakeSamples = max(1, min(Self.wakeSamples, options.maxQueuedSamples / 2))
        self.logger = logger
        self.rules = try CompiledRules(rules)
        evaluator = AlertEvaluator(rules: rules, generatorURL: options.generatorURL)
        currentRules = rules
        history = AlertEventLog(dataDirectory: store.config.dataDirectory)
    }

    /// Starts the watch thread. Register as the store's observer before the store starts.
    public func start() {
        let thread = Thread { [self] in
            nameCurrentThread("seismo-watch")
            run()
        }
        thread.name = "seismo-watch"
        thread.start()
    }

    /// Scores what is queued, then stops the thread.
    public func stop() {
        queueLock.lock()
        stopping = true
        queueLock.broadcast()  // a waitIdle caller may be waiting on the same condition
        queueLock.unlock()
        done.wait()
    }

    /// Swaps the rule set in (hot reload). Detectors of series restart from a cold state;
    /// alerts of rules whose name is unchanged keep their state.
    public func reload(_ rules: RuleSet) throws {
        _ = try CompiledRules(rules)  // fail here, on the caller's thread, if it cannot compile
        queueLock.lock()
        pendingRules = rules
        queueLock.broadcast()
        queueLock.unlock()
    }

    /// Each group's labels and whether it may hold an alert state (tests: read it only
    /// while the pipeline is idle, as `waitIdle` leaves it).
    var groupsMayHoldAlert: [(labels: [(name: String, value: String)], mayHoldAlert: Bool)] {
        groups.map { ($0.labels, $0.mayHoldAlert) }
    }

    /// Active and recent alerts, for `GET /api/v1/alerts`.
    public func alerts() -> [AlertStatus] {
        evaluatorLock.lock()
        defer { evaluatorLock.unlock() }
        return evaluator.snapshot()
    }

    /// The rules in effect (the report draws their thresholds).
    public var ruleSet: RuleSet {
        evaluatorLock.lock()
        defer { evaluatorLock.unlock() }
        return currentRules
    }

    /// Blocks until everything queued so far has been scored (tests and shutdown).
    public func waitIdle(timeoutSeconds: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        queueLock.lock()
        defer { queueLock.unlock() }
        while !(queue.isEmpty && idle) {
            if !queueLock.wait(until: deadline) { return false }
        }
        return true
    }

    // MARK: StoreObserver (commit thread: enqueue only)

    public func samplesDurable(_ samples: DurableSamples) {
        let n = samples.approximateCount
        queueLock.lock()
        if queuedSamples + n > options.maxQueuedSamples && !queue.isEmpty {
            queueLock.unlock()
            metrics.batchesDropped.increment()
            metrics.samplesDropped.increment(by: n)
            return
        }
        queue.append(samples)
        queuedSamples += n
        metrics.queueLength.record(queue.count)
        if sleeping == .idle || (sleeping == .busy && queuedSamples >= busyWakeSamples) {
            sleeping = .no  // one wake-up is enough; later commits find it awake
            queueLock.broadcast()
        }
        queueLock.unlock()
    }

    // MARK: Watch thread

    private func run() {
        var busy = false
        while true {
            queueLock.lock()
            if busy && queuedSamples < busyWakeSamples && pendingRules == nil && !stopping {
                // The last drain had work: more is probably on its way. One pause, not a
                // loop: a spurious or early wake-up just drains sooner.
                sleeping = .busy
                _ = queueLock.wait(until: Date().addingTimeInterval(Self.busyPauseSeconds))
                sleeping = .no
            }
            while queue.isEmpty && pendingRules == nil && !stopping {
                idle = true
                queueLock.broadcast()
                sleeping = .idle
                let woken = queueLock.wait(until: Date().addingTimeInterval(1))
                sleeping = .no
                if !woken { break }
            }
            // Newest first, so that popping scores them oldest first and releases each
            // batch's WAL bytes as soon as it is scored: a backlog frees memory as it
            // drains instead of all at once after the last batch.
            var batches = Array(queue.reversed())
            queue.removeAll()
            queuedSamples = 0
            let newRules = pendingRules
            pendingRules = nil
            let stop = stopping
            let drained = batches.isEmpty
            idle = drained
            busy = !drained
            metrics.queueLength.record(0)
            queueLock.unlock()

            if let newRules { apply(newRules) }
            while let batch = batches.popLast() { score(batch) }
            sendDue()
            if stop && drained { break }
        }
        queueLock.lock()
        idle = true
        queueLock.broadcast()
        queueLock.unlock()
        done.signal()
    }

    private func apply(_ set: RuleSet) {
        do {
            rules = try CompiledRules(set)
        } catch {
            metrics.ruleReloadFailures.increment()
            logger.error("rule reload failed; keeping the previous rules", metadata: ["error": "\(error)"])
            return
        }
        series.removeAll()
        watchLists.removeAll()
        watchedCount = 0
        groups.removeAll()
        groupIndex.removeAll()
        alertStatesMayExist = true
        evaluatorLock.lock()
        evaluator.replaceRules(set)
        currentRules = set
        evaluatorLock.unlock()
        metrics.ruleReloads.increment()
        logger.info("rules loaded", metadata: ["rules": "\(set.rules.count)"])
    }

    private func score(_ batch: DurableSamples) {
        let started = DispatchTime.now().uptimeNanoseconds
        var scored = 0
        // The series and group tables are moved into locals for the walk (and back
        // after it), so each sample updates its detector and its group in place: no
        // class-property access, no copy-on-write copy and no reference counting per sample.
        var table: [WatchedSeries] = []
        swap(&table, &series)
        var groupTable: [WatchGroup] = []
        swap(&groupTable, &groups)
        var lists: [[WatchedSeries.Watch]] = []
        swap(&lists, &watchLists)
        let parameters = rules.parameters
        batch.withCursor { cursor in
            // Samples of classified series are scored through unsafe buffers of the two
            // tables, so an update costs no uniqueness check or bounds check of them. A
            // series seen for the first time leaves that loop: classifying it may grow
            // both tables, which must not happen while their buffers are borrowed.
            while true {
                var unclassified: (id: UInt32, timestampMs: Int64, valueBits: UInt64)?
                table.withUnsafeMutableBufferPointer { t in
                    groupTable.withUnsafeMutableBufferPointer { g in
                        while let s = cursor.next() {
                            let index = Int(s.id)
                            guard index < t.count, t[index].isClassified else {
                                unclassified = s
                                return
                            }
                            scored &+= scoreSample(s.id, s.timestampMs, s.valueBits, of: &t[index], groups: g,
                                                   lists: &lists, parameters: parameters)
                        }
                    }
                }
                guard let s = unclassified else { break }
                let index = Int(s.id)
                if index >= table.count {
                    table.append(contentsOf: repeatElement(.unclassified, count: index - table.count + 1))
                }
                table[index] = classify(s.id, groups: &groupTable, lists: &lists)
                table.withUnsafeMutableBufferPointer { t in
                    groupTable.withUnsafeMutableBufferPointer { g in
                        scored &+= scoreSample(s.id, s.timestampMs, s.valueBits, of: &t[index], groups: g,
                                               lists: &lists, parameters: parameters)
                    }
                }
            }
        }
        swap(&table, &series)
        for g in groupTable.indices where groupTable[g].dirty { flush(&groupTable[g]) }
        swap(&groupTable, &groups)
        swap(&lists, &watchLists)
        storeScores()
        metrics.samplesScored.increment(by: scored)
        let elapsed = DispatchTime.now().uptimeNanoseconds - started
        metrics.batchDuration.recordNanoseconds(Int64(elapsed))
        if scored > 0 { metrics.nanosPerSample.record(Double(elapsed) / Double(scored)) }
    }

    /// Scores one sample of a classified series; returns 1 if it was scored, else 0.
    @inline(__always)
    private func scoreSample(_ id: UInt32, _ timestampMs: Int64, _ bits: UInt64, of entry: inout WatchedSeries,
                             groups groupTable: UnsafeMutableBufferPointer<WatchGroup>,
                             lists: inout [[WatchedSeries.Watch]], parameters: PackedParameters) -> Int {
        guard entry.isWatched else { return 0 }
        let second = timestampMs >= 0 ? timestampMs / 1000 : (timestampMs - 999) / 1000
        // Detectors need time order; a late or repeated second is left to the store.
        guard second > entry.lastSecond else { return 0 }
        entry.lastSecond = second
        let value = Double(bitPattern: bits)
        guard bits != staleMarkerBits, value.isFinite else { return 0 }
        let group = entry.group
        if group >= 0 {
            if let s = entry.inline.update(second: second, value: value, parameters: parameters) {
                record(s, into: &groupTable[Int(group)], member: Int(entry.index), second: second,
                       series: id, value: value)
            }
            return 1
        }
        let list = Int(entry.index)
        for w in lists[list].indices {
            guard let s = lists[list][w].detector.update(second: second, value: value, parameters: parameters)
            else { continue }
            record(s, into: &groupTable[Int(lists[list][w].group)], member: Int(lists[list][w].member),
                   second: second, series: id, value: value)
        }
        return 1
    }

    /// Files one detector score into its group.
    @inline(__always)
    private func record(_ s: Double, into g: inout WatchGroup, member: Int, second: Int64, series id: UInt32,
                        value: Double) {
        if second > g.second {
            if g.dirty { flush(&g) }
            g.second = second
            g.topScore = -1
        }
        // The group score is read once, at the flush: computing it per member score
        // cost a call (an exp() for noisy-OR) per sample.
        g.scorer.record(member: member, second: second, score: s)
        if s > g.topScore {
            g.topScore = s
            g.topSeries = id
            g.topValue = value
        }
        g.dirty = true
    }

    /// Decides once which rules watch a series; score series are never watched.
    private func classify(_ id: UInt32, groups: inout [WatchGroup], lists: inout [[WatchedSeries.Watch]]) -> WatchedSeries {
        let labels = store.labels(ofSeries: id)
        let name = labels.first { $0.name == "__name__" }?.value ?? ""
        let unwatched = WatchedSeries(inline: BaselineState(isCounter: false), group: WatchedSeries.unwatched)
        if name.hasPrefix("seismo:") { return unwatched }
        var watches: [WatchedSeries.Watch] = []
        var counter: Bool?
        for (r, rule) in rules.set.rules.enumerated() where rules.watches(labels, rule: r) {
            let groupLabels = rules.groupLabels(labels, rule: r)
            let key = LabelKey.encode([(name: "rule", value: "\(r)")] + groupLabels)
            let g: Int
            if let existing = groupIndex[key] {
                g = existing
            } else {
                g = groups.count
                var kept = false
                if alertStatesMayExist {
                    evaluatorLock.lock()
                    kept = evaluator.holdsState(rule: r, group: groupLabels)
                    evaluatorLock.unlock()
                }
                groups.append(WatchGroup(rule: r, ruleName: rule.name, labels: groupLabels, combination: rule.groupScore,
                                         threshold: rule.threshold, mayHoldAlert: kept))
                groupIndex[key] = g
                metrics.groups.record(groups.count)
            }
            let member = groups[g].scorer.addMember()
            let isCounter = counter ?? self.isCounter(name)
            counter = isCounter
            watches.append(.init(group: Int32(g), member: Int32(member),
                                 detector: DetectorState(kind: rule.detector, isCounter: isCounter)))
        }
        if watches.isEmpty { return unwatched }
        watchedCount += 1
        metrics.watchedSeries.record(watchedCount)
        if watches.count == 1, let state = watches[0].detector.baseline {
            return WatchedSeries(inline: state, group: watches[0].group, index: watches[0].member)
        }
        lists.append(watches)
        return WatchedSeries(inline: BaselineState(isCounter: false), group: WatchedSeries.listed,
                             index: Int32(lists.count - 1))
    }

    private func isCounter(_ name: String) -> Bool {
        var kind = store.metricKind(family: name)
        if kind == nil {
            for suffix in ["_total", "_count", "_sum", "_bucket"] where name.hasSuffix(suffix) {
                kind = store.metricKind(family: String(name.dropLast(suffix.count)))
                if kind != nil { break }
            }
        }
        let type: String? = kind.map { $0 == .counter ? "counter" : $0 == .gauge ? "gauge" : "\($0)" }
        return CounterRule.isCounter(metricName: name, metadataType: type)
    }

    private func flush(_ g: inout WatchGroup) {
        g.dirty = false
        g.score = g.scorer.groupScore()
        if options.storeScores {
            scoreBatch.series.append(BatchSeries(
                keyOffset: Int32(scoreBatch.labelBytes.count), keyLength: Int32(g.scoreKey.count),
                sampleOffset: Int32(scoreBatch.timestamps.count), sampleCount: 1))
            scoreBatch.labelBytes.append(contentsOf: g.scoreKey)
            scoreBatch.timestamps.append(g.second * 1000)
            scoreBatch.valueBits.append(g.score.bitPattern)
        }
        // The evaluator's own test: a non-finite score counts as 0.
        if !g.mayHoldAlert && (g.score.isFinite ? g.score : 0) < g.threshold { return }
        g.mayHoldAlert = true
        let top = topLabels.labels(of: g.topSeries, in: store)
        let now = Date()
        evaluatorLock.lock()
        let changed = evaluator.observe(rule: g.rule, group: g.labels, second: g.second, score: g.score,
                                        topSeries: top, value: g.topValue, now: now)
        let events = changed.isEmpty ? [] : evaluator.takeEvents()
        evaluatorLock.unlock()
        // A resolved alert leaves the group's state resolved, which the evaluator treats
        // like no state: quiet scores can be skipped again. (Should the wall clock have
        // stepped back, the resolve time lies ahead and the group is simply kept.)
        if changed.count == 1 && changed[0].isResolved(at: now) { g.mayHoldAlert = false }
        if !changed.isEmpty {
            metrics.alertTransitions.increment(by: changed.count)
            notifier?.submit(changed)
            record(events)
        }
    }

    private func storeScores() {
        guard !scoreBatch.series.isEmpty else { return }
        defer { scoreBatch.removeAll(keepingCapacity: true) }
        do {
            try store.appendWithoutWaiting(scoreBatch, nowMs: Int64(Date().timeIntervalSince1970 * 1000))
        } catch {
            logger.warning("could not store anomaly scores", metadata: ["error": "\(error)"])
        }
    }

    private func sendDue() {
        let now = Date()
        guard now.timeIntervalSince(lastDueCheck) >= 1 else { return }
        lastDueCheck = now
        evaluatorLock.lock()
        let due = evaluator.due(now: now)
        let events = evaluator.takeEvents()
        evaluatorLock.unlock()
        if !due.isEmpty { notifier?.submit(due) }
        record(events)
    }

    /// A history write failing (disk full) must not stop detection or alerting.
    private func record(_ events: [AlertEvent]) {
        guard !events.isEmpty else { return }
        do {
            try history.append(events)
        } catch {
            logger.warning("could not record alert history", metadata: ["error": "\(error)"])
        }
    }
}

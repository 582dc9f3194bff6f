public import CoreMetrics
public import HandoffCore
import Kafka
import Synchronization

/// The seed's figures as swift-metrics instruments, recorded from each processed record.
///
/// Names follow Prometheus conventions (`_total` counters, `_seconds` durations); each instance exports
/// its own, and fleet-wide figures are sums (counters, histograms) in Prometheus — docs/metrics.md says which.
public final class PipelineMetrics: Sendable {
    private let factory: any MetricsFactory
    /// Instruments made once and reused: the registry's own lookup is slower than this cache.
    private let counters = Mutex<[String: Counter]>([:])
    private let recorders = Mutex<[String: Recorder]>([:])
    private let gauges = Mutex<[String: Gauge]>([:])
    private let processingTimer: Timer
    /// The instruments every record touches, made up front: building a lookup key per record cost more
    /// than the rest of the record's metrics.
    private let recordsByOutcome: [String: Counter]
    private let eventsByType = Mutex<[String: (processed: Counter, ignored: Counter)]>([:])
    private let outputsByType = Mutex<[String: Counter]>([:])
    private let botReplies: (grounded: Counter, ungrounded: Counter)
    private let botConfidence: Recorder
    private let botFaithfulness: Recorder
    private let conversationsStarted: Counter
    /// `handoffd_conversations_ended_total` by `resolved`, then by handled by a person.
    private let conversationsEnded: [Bool: [Bool: Counter]]

    /// - Parameter factory: where the instruments live (the Prometheus registry in production, a
    ///   fresh one per test).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
        processingTimer = Timer(label: "handoffd_processing_duration_seconds", dimensions: [], preferredDisplayUnit: .seconds, factory: factory)
        recordsByOutcome = Dictionary(uniqueKeysWithValues: ["processed", "ignored", "redelivered", "unknown_type", "agent_status", "dead_letter"].map { outcome in
            (outcome, Counter(label: "handoffd_records_total", dimensions: [("outcome", outcome)], factory: factory))
        })
        botReplies = (Counter(label: "handoffd_bot_replies_total", dimensions: [("grounded", "true")], factory: factory),
                      Counter(label: "handoffd_bot_replies_total", dimensions: [("grounded", "false")], factory: factory))
        botConfidence = Recorder(label: "handoffd_bot_confidence", dimensions: [], aggregate: true, factory: factory)
        botFaithfulness = Recorder(label: "handoffd_bot_faithfulness", dimensions: [], aggregate: true, factory: factory)
        conversationsStarted = Counter(label: "handoffd_conversations_started_total", dimensions: [], factory: factory)
        conversationsEnded = Dictionary(uniqueKeysWithValues: [false, true].map { resolved in
            (resolved, Dictionary(uniqueKeysWithValues: [false, true].map { human in
                (human, Counter(label: "handoffd_conversations_ended_total", dimensions: [("resolved", String(resolved)), ("handled_by", human ? "human" : "bot")],
                                factory: factory))
            }))
        })
    }

    private static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        dimensions.isEmpty ? label : label + "|" + dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
    }

    private func cached<Instrument>(_ cache: borrowing Mutex<[String: Instrument]>, _ label: String, _ dimensions: [(String, String)],
                                    make: () -> Instrument) -> Instrument {
        Self.instrument(in: cache, key: Self.key(label, dimensions), make: make)
    }

    /// The instrument kept under `key`, made on first use.
    private static func instrument<Instrument>(in cache: borrowing Mutex<[String: Instrument]>, key: String, make: () -> Instrument) -> Instrument {
        cache.withLock { cache in
            if let instrument = cache[key] { return instrument }
            let instrument = make()
            cache[key] = instrument
            return instrument
        }
    }

    func counter(_ label: String, _ dimensions: [(String, String)] = []) -> Counter {
        cached(counters, label, dimensions) { Counter(label: label, dimensions: dimensions, factory: factory) }
    }

    func recorder(_ label: String, _ dimensions: [(String, String)] = []) -> Recorder {
        cached(recorders, label, dimensions) { Recorder(label: label, dimensions: dimensions, aggregate: true, factory: factory) }
    }

    func gauge(_ label: String, _ dimensions: [(String, String)] = []) -> Gauge {
        cached(gauges, label, dimensions) { Gauge(label: label, dimensions: dimensions, factory: factory) }
    }

    /// Records one processed record.
    /// - Parameters:
    ///   - conversation: the state of the record's conversation after it was applied, if any; asked for
    ///     only by the few records whose figures need it.
    ///   - processingNanoseconds: how long deciding took.
    public func record(_ result: Engine.Result, conversation: () -> ConversationState?, processingNanoseconds: Int64) {
        processingTimer.recordNanoseconds(processingNanoseconds)
        if result.unknownType != nil {
            recordsByOutcome["unknown_type"]?.increment()
        } else if result.agentStatus != nil {
            recordsByOutcome["agent_status"]?.increment()
        } else if result.isRedelivery {
            recordsByOutcome["redelivered"]?.increment()
        } else if let event = result.event {
            let processed = result.ignored.isEmpty
            recordsByOutcome[processed ? "processed" : "ignored"]?.increment()
            let type = event.payload.typeName
            let byOutcome = Self.instrument(in: eventsByType, key: type) {
                (counter("handoffd_events_total", [("type", type), ("outcome", "processed")]),
                 counter("handoffd_events_total", [("type", type), ("outcome", "ignored")]))
            }
            (processed ? byOutcome.processed : byOutcome.ignored).increment()
            recordEvent(event, conversation: conversation)
        }
        for output in result.outputs {
            switch output.type {
            case EventType.deadLetter:
                recordsByOutcome["dead_letter"]?.increment()
                counter("handoffd_dead_letters_total", [("reason", output.data["reason_code"]?.stringValue ?? "unknown")]).increment()
            case EventType.handoffCreated:
                recordHandoff(output.data, conversation: conversation)
            case EventType.handoffUpdated:
                counter("handoffd_handoff_updates_total", [("status", output.data["status"]?.stringValue ?? "unknown")]).increment()
            case EventType.escalationOffered:
                counter("handoffd_offers_total").increment()
            default:
                break
            }
        }
    }

    private func recordEvent(_ event: ConversationEvent, conversation: () -> ConversationState?) {
        switch event.payload {
        case .started:
            conversationsStarted.increment()
        case .ended(let resolved, let csat):
            let state = conversation()
            let byHuman = state?.handoff != nil || state?.calledBack == true
            conversationsEnded[resolved]?[byHuman]?.increment()
            if resolved && !byHuman { counter("handoffd_conversations_deflected_total").increment() }
            if let csat { recorder("handoffd_csat", [("handled_by", byHuman ? "human" : "bot")]).record(csat) }
        case .botMessage(let message):
            (message.sources.isEmpty ? botReplies.ungrounded : botReplies.grounded).increment()
            if let confidence = message.confidence { botConfidence.record(confidence) }
            if let faithfulness = message.faithfulness { botFaithfulness.record(faithfulness) }
        case .offerAnswered(_, let answer):
            counter("handoffd_offer_answers_total", [("answer", answer.rawValue)]).increment()
        default:
            break
        }
    }

    private func recordHandoff(_ data: JSONValue, conversation: () -> ConversationState?) {
        let category = data["category"]?.stringValue ?? "other"
        let queue = data["queue"]?.stringValue ?? "unknown"
        counter("handoffd_handoffs_total", [("category", category), ("queue", queue)]).increment()
        for reason in data["reasons"]?.arrayValue ?? [] {
            counter("handoffd_handoff_reasons_total", [("reason", reason["code"]?.stringValue ?? "unknown")]).increment()
        }
        guard let created = data["created_at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) else { return }
        if let detected = data["detected_at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) {
            recorder("handoffd_time_to_escalation_seconds", [("from", "first_signal")]).record(Double(created.milliseconds(since: detected)) / 1000)
        }
        if let start = conversation()?.startedAt {
            recorder("handoffd_time_to_escalation_seconds", [("from", "start")]).record(Double(created.milliseconds(since: start)) / 1000)
        }
    }

    // MARK: - Delivery and consumer

    func outputPublished(type: String) {
        Self.instrument(in: outputsByType, key: type) { counter("handoffd_outputs_total", [("type", type)]) }.increment()
    }

    func redelivery() {
        counter("handoffd_redeliveries_total").increment()
    }

    /// Seconds the global view took to read agents, handoffs and callbacks from the start of retention to the ends seen at start-up.
    func globalViewRebuilt(seconds: Double) {
        gauge("handoffd_global_view_rebuild_seconds").record(seconds)
    }

    /// 0 from start-up until the global view first reached the ends of its topics, then 1.
    func globalViewCaughtUp(_ caughtUp: Bool) {
        gauge("handoffd_global_view_caught_up").record(caughtUp ? 1 : 0)
    }

    /// Exactly once: a round's transaction committed, or aborted (its records consumed again).
    func transaction(committed: Bool) {
        counter("handoffd_transactions_total", [("outcome", committed ? "committed" : "aborted")]).increment()
    }

    func outputDeadLettered() {
        counter("handoffd_outputs_dead_lettered_total").increment()
    }

    func outputDropped() {
        counter("handoffd_outputs_dropped_total").increment()
    }

    private let lagReported = Mutex<Set<Int32>>([])

    func lag(_ lags: [TopicPartition: Int64]) {
        let current = Set(lags.keys.map(\.partition))
        // A partition that moved to another instance reports 0 here, or the fleet's sum would count it twice.
        let gone = lagReported.withLock { reported in
            defer { reported = current }
            return reported.subtracting(current)
        }
        for partition in gone { gauge("handoffd_consumer_lag_records", [("partition", String(partition))]).record(0) }
        for (partition, lag) in lags {
            gauge("handoffd_consumer_lag_records", [("partition", String(partition.partition))]).record(lag)
        }
    }

    func repeatContact() {
        counter("handoffd_repeat_contacts_total").increment()
    }

    func consumer(buffered: Int, paused: Bool, partitions: Int, inFlight: Int) {
        gauge("handoffd_consumer_buffered_records").record(buffered)
        gauge("handoffd_consumer_paused").record(paused ? 1 : 0)
        gauge("handoffd_partitions_assigned").record(partitions)
        gauge("handoffd_records_in_flight").record(inFlight)
    }
}

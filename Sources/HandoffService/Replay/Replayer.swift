import Foundation
public import HandoffCore
public import HandoffLLM

/// Runs the decision core over recorded events with no Kafka: the clock follows the events' `time`,
/// so the same input always gives byte-identical output.
public struct Replayer {
    public var configuration: HandoffdConfiguration

    public init(configuration: HandoffdConfiguration) {
        self.configuration = configuration
    }

    /// What a replay produced.
    public struct Report: Sendable {
        /// Every output, one serialised CloudEvent per element, in order.
        public var lines: [[UInt8]] = []
        public var counters = Engine.Counters()
        /// Every handoff of the replay, in the order created, as its latest snapshot says.
        public var handoffs: [HandoffOverview] = []
        public var figures = ReplayFigures()
        /// With a model (`--llm`): each handoff's summary, its source, facts and latency.
        public var summaries: [ReplaySummary] = []
        /// Wait estimates against the waits that followed (and the two baselines).
        public var waits = WaitScoreboard()
    }

    /// Replays JSON lines (one structured-mode CloudEvent per line); blank lines are skipped.
    /// - Parameter name: where the lines came from, used as the dead letters' `source_topic`.
    public func run(lines: some Sequence<Substring>, name: String, emit: ([UInt8]) -> Void = { _ in }) -> Report {
        var run = Run(configuration: configuration)
        for (index, line) in lines.enumerated() where !line.allSatisfy(\.isWhitespace) {
            for output in run.process(line, offset: Int64(index + 1), name: name) { run.publish(output, emit: emit) }
        }
        return run.report()
    }

    /// Replays with a model writing each handoff's summary (`replay --llm`). Nothing is timed out:
    /// every handoff waits for its summary, so the output is as deterministic as the model is.
    public func run(lines: some Sequence<Substring>, name: String, summarizer: LLMSummarizer, emit: ([UInt8]) -> Void = { _ in }) async -> Report {
        var run = Run(configuration: configuration)
        for (index, line) in lines.enumerated() where !line.allSatisfy(\.isWhitespace) {
            for var output in run.process(line, offset: Int64(index + 1), name: name) {
                if output.type == EventType.handoffCreated, let conversation = output.key,
                   let handoff = run.engine.conversations[conversation]?.state.handoff {
                    let outcome = await summarizer.summarize(SummaryJob(handoff: handoff))
                    run.summaries.append(ReplaySummary(conversationID: conversation, handoffID: handoff.id, outcome: outcome))
                    if run.engine.attachSummary(outcome.summary, conversationID: conversation, handoffID: handoff.id, published: false,
                                                now: output.time) != nil,
                       let updated = run.engine.conversations[conversation]?.state.handoff {
                        output.data = updated.json
                    }
                }
                run.publish(output, emit: emit)
            }
        }
        return run.report()
    }

    /// One replay in progress.
    private struct Run {
        var engine: Engine
        var collector: ReplayFigureCollector
        var quality: QualityMonitor
        var handoffs: [String: HandoffOverview] = [:]
        var handoffOrder: [String] = []
        var lines: [[UInt8]] = []
        var summaries: [ReplaySummary] = []
        var queues = QueueView()
        var book = CallbackBook()
        var scoreboard = WaitScoreboard()
        let estimator: WaitEstimator
        /// Plans, zones and rules, built once; the view and bookings are put in per record.
        var advisor: QueueAdvisor
        let refreshInterval: Int64
        let maxSilence: Int64
        let staleAfter: Int64
        var lastRefresh: Timestamp?
        let source: String

        init(configuration: HandoffdConfiguration) {
            engine = Engine(policy: configuration.policy, limits: configuration.limits, deadLetterMaxBytes: configuration.deadLetterMaxBytes,
                            idleTimeout: configuration.processing.idleTimeout.milliseconds)
            collector = ReplayFigureCollector(repeats: RepeatContacts(window: configuration.processing.repeatContactWindow.milliseconds,
                                                                      capacity: configuration.processing.repeatContactCapacity))
            quality = QualityMonitor(gates: configuration.qualityGates)
            estimator = configuration.waits.estimator
            advisor = configuration.advisor()
            refreshInterval = configuration.waits.updateInterval.milliseconds
            maxSilence = configuration.waits.maxSilence.milliseconds
            staleAfter = configuration.waits.staleAfter.milliseconds
            source = configuration.source
        }

        mutating func process(_ line: Substring, offset: Int64, name: String) -> [OutputEvent] {
            let view = queues
            let estimator = self.estimator
            engine.settleBookings(with: book)
            advisor.view = view
            advisor.book = book
            let current = advisor
            // Callbacks whose slot came before this event fire first, on the replay's clock.
            var outputs: [OutputEvent] = []
            if let time = (try? JSONParser.parse(Array(line.utf8)))?["time"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) {
                // Each at its own moment, as a live instance would have fired it.
                while let next = engine.timers.next, next <= time { outputs += engine.fireDue(now: next) }
            }
            let result = engine.process(value: Array(line.utf8), key: nil, origin: RecordOrigin(topic: name, partition: 0, offset: offset), now: nil,
                                        advisor: current)
            collector.record(result)
            outputs += result.outputs
            if let status = result.agentStatus { queues.apply(agent: status) }
            for output in outputs where output.type == EventType.handoffCreated {
                if let handoff = output.key.flatMap({ engine.conversations[$0]?.state.handoff }), let estimate = handoff.waitEstimate {
                    scoreboard.predicted(handoffID: handoff.id, queue: handoff.queue, createdAt: handoff.createdAt, estimate: estimate,
                                         baselines: estimator.baselines(queue: handoff.queue, priority: handoff.priority, createdAt: handoff.createdAt,
                                                                        handoffID: handoff.id, view: view, now: handoff.createdAt))
                }
            }
            // Waiting customers hear of material changes, on the replay's own clock.
            if let now = engine.latestEventTime, lastRefresh.map({ now.milliseconds(since: $0) >= refreshInterval }) ?? true {
                lastRefresh = now
                queues.expire(before: now.adding(milliseconds: -staleAfter))
                advisor.view = queues
                outputs += engine.refreshEstimates(now: now, maxSilence: maxSilence, advisor: advisor)
            }
            if let time = engine.latestEventTime {
                quality.observe(result, at: time)
                // The replay's instance name is fixed, so the same input keeps giving the same bytes.
                outputs += quality.evaluate(at: time).map { $0.event(instance: "replay") }
            }
            return outputs
        }

        mutating func publish(_ output: OutputEvent, emit: ([UInt8]) -> Void) {
            if output.channel == .callbacks { book.apply(type: output.type, data: output.data) }
            if output.channel == .handoffs {
                queues.apply(snapshot: output.data)
                for (entry, waited) in queues.takeServed() { scoreboard.served(handoffID: entry.handoffID, waited: waited) }
                if output.data["status"]?.stringValue == Handoff.Status.abandoned.rawValue, let id = output.data["handoff_id"]?.stringValue {
                    scoreboard.forget(handoffID: id)
                }
            }
            if output.channel == .handoffs, let overview = HandoffOverview(snapshot: output.data) {
                if handoffs[overview.handoffID] == nil { handoffOrder.append(overview.handoffID) }
                handoffs[overview.handoffID] = overview
            }
            var bytes = output.envelopeBytes(source: source)
            emit(bytes)
            bytes.append(0x0A)
            lines.append(bytes)
        }

        func report() -> Report {
            var report = Report()
            report.lines = lines
            report.counters = engine.counters
            report.handoffs = handoffOrder.compactMap { handoffs[$0] }
            report.figures = collector.figures
            report.summaries = summaries
            report.waits = scoreboard
            return report
        }
    }
}

/// A model summary asked for during a replay, for the report.
public struct ReplaySummary: Sendable {
    public var conversationID: String
    public var handoffID: String
    public var outcome: LLMSummarizer.Outcome
}

/// The facts of one handoff a person reads in a report, as its latest snapshot on the wire says them.
public struct HandoffOverview: Sendable, Equatable {
    public var conversationID: String
    public var handoffID: String
    public var queue: String
    public var category: String
    public var priority: Int
    public var status: String
    /// (code, detail, evidence message ids)
    public var reasons: [(code: String, detail: String, evidence: [String])]
    public var goal: String
    public var keyFacts: [String]

    /// Reads a `support.handoff.created`/`updated` snapshot.
    init?(snapshot data: JSONValue) {
        guard let id = data["handoff_id"]?.stringValue, let conversation = data["conversation_id"]?.stringValue else { return nil }
        handoffID = id
        conversationID = conversation
        queue = data["queue"]?.stringValue ?? ""
        category = data["category"]?.stringValue ?? ""
        priority = data["priority"]?.intValue ?? 0
        status = data["status"]?.stringValue ?? ""
        reasons = (data["reasons"]?.arrayValue ?? []).map { reason in
            (reason["code"]?.stringValue ?? "", reason["detail"]?.stringValue ?? "", (reason["evidence"]?.arrayValue ?? []).compactMap(\.stringValue))
        }
        goal = data["summary"]?["goal"]?.stringValue ?? ""
        keyFacts = (data["summary"]?["key_facts"]?.arrayValue ?? []).map { "\($0["kind"]?.stringValue ?? "")=\($0["value"]?.stringValue ?? "")" }
    }

    public static func == (lhs: HandoffOverview, rhs: HandoffOverview) -> Bool {
        lhs.handoffID == rhs.handoffID && lhs.status == rhs.status && lhs.queue == rhs.queue && lhs.priority == rhs.priority
    }
}

import Foundation
public import HandoffCore

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
        public var handoffs: [Handoff.Summary] = []
    }

    /// Replays JSON lines (one structured-mode CloudEvent per line); blank lines are skipped.
    /// - Parameter name: where the lines came from, used as the dead letters' `source_topic`.
    public func run(lines: some Sequence<Substring>, name: String, emit: ([UInt8]) -> Void = { _ in }) -> Report {
        var engine = Engine(policy: configuration.policy, limits: configuration.limits, deadLetterMaxBytes: configuration.deadLetterMaxBytes,
                            idleTimeout: configuration.processing.idleTimeout.milliseconds)
        var report = Report()
        for (index, line) in lines.enumerated() where !line.allSatisfy(\.isWhitespace) {
            let result = engine.process(value: Array(line.utf8), key: nil, origin: RecordOrigin(topic: name, partition: 0, offset: Int64(index + 1)), now: nil)
            for output in result.outputs {
                var bytes = JSONWriter.bytes(output.envelope(source: configuration.source))
                emit(bytes)
                bytes.append(0x0A)
                report.lines.append(bytes)
            }
        }
        report.counters = engine.counters
        report.handoffs = engine.conversations.values.compactMap { $0.state.handoff }.sorted { $0.createdAt < $1.createdAt || ($0.createdAt == $1.createdAt && $0.conversationID < $1.conversationID) }.map(Handoff.Summary.init)
        return report
    }
}

extension Handoff {
    /// The few facts of a handoff a person reads in a report.
    public struct Summary: Sendable, Equatable {
        public var conversationID: String
        public var handoffID: String
        public var queue: String
        public var category: Category
        public var priority: Int
        public var status: Handoff.Status
        public var reasons: [EscalationReason]
        public var goal: String
        public var keyFacts: [String]

        init(_ handoff: Handoff) {
            conversationID = handoff.conversationID
            handoffID = handoff.id
            queue = handoff.queue
            category = handoff.category
            priority = handoff.priority
            status = handoff.status
            reasons = handoff.reasons
            goal = handoff.summary.goal
            keyFacts = handoff.summary.keyFacts.map { "\($0.kind.rawValue)=\($0.value)" }
        }
    }
}

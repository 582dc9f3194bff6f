/// Feeds the quality gates from processed records and says when one fires or resolves.
///
/// A pure state machine: the caller passes the time (the wall clock in serve, the events' time in
/// replay, a chosen time in tests) and publishes the returned events.
public struct QualityMonitor: Sendable {
    public struct Transition: Sendable, Equatable {
        public enum Kind: String, Sendable { case fired, resolved }
        public var kind: Kind
        public var gate: String
        public var signal: QualityGate.Signal
        public var value: Double
        /// The limit that was crossed (absolute, baselines applied).
        public var limit: Double
        public var baseline: Double?
        public var samples: Int
        public var at: Timestamp
        public var firedAt: Timestamp
    }

    public private(set) var gates: [QualityGate]
    /// Each gate's window and baseline window, in the order of ``gates``.
    private var windows: [RollingRatio] = []
    private var baselines: [RollingRatio?] = []
    private var firing: [String: Timestamp] = [:]
    private var lastValue: [String: Double] = [:]

    public init(gates: [QualityGate] = QualityGate.defaults) {
        self.gates = gates.filter(\.enabled)
        windows = self.gates.map { RollingRatio(window: $0.window) }
        baselines = self.gates.map { gate in gate.baselineWindow.map { RollingRatio(window: $0) } }
    }

    /// Whether a gate is firing now.
    public func isFiring(_ gate: String) -> Bool { firing[gate] != nil }

    /// Adds what one processed record says to every gate's window.
    public mutating func observe(_ result: Engine.Result, at time: Timestamp) {
        // A re-delivered event was counted the first time.
        if result.isRedelivery { return }
        // Every record is observed: each sample goes straight to the gates of its signal.
        func add(_ signal: QualityGate.Signal, _ numerator: Double, _ denominator: Double) {
            for index in gates.indices where gates[index].signal == signal {
                windows[index].add(numerator: numerator, denominator: denominator, at: time)
                baselines[index]?.add(numerator: numerator, denominator: denominator, at: time)
            }
        }
        add(.deadLetterRate, result.outputs.contains(where: { $0.type == EventType.deadLetter }) ? 1 : 0, 1)
        if let event = result.event {
            switch event.payload {
            case .botMessage(let message):
                add(.groundedShare, message.sources.isEmpty ? 0 : 1, 1)
                if let faithfulness = message.faithfulness { add(.faithfulness, faithfulness, 1) }
                if let confidence = message.confidence { add(.confidence, confidence, 1) }
            case .started:
                add(.escalationRate, 0, 1)
            default:
                break
            }
        }
        let handoffs = result.outputs.count { $0.type == EventType.handoffCreated }
        if handoffs > 0 { add(.escalationRate, Double(handoffs), 0) }
    }

    /// Gates that fired or resolved at `time`.
    public mutating func evaluate(at time: Timestamp) -> [Transition] {
        var transitions: [Transition] = []
        for (index, gate) in gates.enumerated() {
            let totals = windows[index].totals(at: time)
            if totals.denominator == 0, let since = firing[gate.name] {
                // Nothing left to judge (no traffic): an alert must not stay open for good.
                firing[gate.name] = nil
                transitions.append(Transition(kind: .resolved, gate: gate.name, signal: gate.signal, value: lastValue[gate.name] ?? 0,
                                              limit: gate.clear, baseline: nil, samples: 0, at: time, firedAt: since))
                continue
            }
            guard totals.denominator >= Double(gate.minimumSamples) else { continue }
            let value = totals.numerator / totals.denominator
            lastValue[gate.name] = value
            var baseline: Double?
            if let long = baselines[index]?.totals(at: time) {
                // The baseline is the time before the current window, so a jump does not raise its own bar.
                let before = (numerator: long.numerator - totals.numerator, denominator: long.denominator - totals.denominator)
                guard before.denominator >= Double(gate.minimumSamples), before.numerator > 0 else { continue }
                baseline = before.numerator / before.denominator
            }
            let fireLimit = baseline.map { $0 * gate.threshold } ?? gate.threshold
            let clearLimit = baseline.map { $0 * gate.clear } ?? gate.clear
            if let since = firing[gate.name] {
                let recovered = gate.direction == .below ? value >= clearLimit : value <= clearLimit
                if recovered {
                    firing[gate.name] = nil
                    transitions.append(Transition(kind: .resolved, gate: gate.name, signal: gate.signal, value: value, limit: clearLimit,
                                                  baseline: baseline, samples: Int(totals.denominator), at: time, firedAt: since))
                }
            } else if gate.crossed(value, limit: fireLimit) {
                firing[gate.name] = time
                transitions.append(Transition(kind: .fired, gate: gate.name, signal: gate.signal, value: value, limit: fireLimit,
                                              baseline: baseline, samples: Int(totals.denominator), at: time, firedAt: time))
            }
        }
        return transitions
    }
}

extension QualityMonitor.Transition {
    /// The `support.quality.alert` / `support.quality.resolved` event, keyed by gate name.
    public func event(instance: String) -> OutputEvent {
        var data: [String: JSONValue] = [
            "gate": .string(gate),
            "signal": .string(signal.rawValue),
            "value": .number(value),
            "limit": .number(limit),
            "samples": .number(Double(samples)),
            "instance": .string(instance),
            "fired_at": .string(firedAt.rfc3339),
        ]
        if let baseline { data["baseline"] = .number(baseline) }
        if kind == .resolved { data["resolved_at"] = .string(at.rfc3339) }
        return OutputEvent(channel: .alerts, key: gate, id: "\(instance)/\(gate)/\(firedAt.millisecondsSinceEpoch)/\(kind.rawValue)",
                           type: kind == .fired ? EventType.qualityAlert : EventType.qualityResolved, subject: gate, time: at, data: .object(data))
    }
}

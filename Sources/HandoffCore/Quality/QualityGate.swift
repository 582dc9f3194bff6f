/// A rule that watches one quality signal over a rolling window and fires an alert when it crosses a
/// threshold, and resolves it only when it is back past a second one (hysteresis: no flapping).
public struct QualityGate: Sendable, Equatable {
    public enum Signal: String, Sendable, CaseIterable {
        /// Mean `faithfulness` of bot replies (the frontend's own answer evaluator).
        case faithfulness
        /// Share of bot replies grounded on at least one document.
        case groundedShare = "grounded_share"
        /// Mean `confidence` of bot replies.
        case confidence
        /// Handoffs created ÷ conversations started.
        case escalationRate = "escalation_rate"
        /// Dead letters ÷ records.
        case deadLetterRate = "dead_letter_rate"
    }

    public enum Direction: String, Sendable { case below, above }

    public var name: String
    public var enabled = true
    public var signal: Signal
    public var direction: Direction
    /// Fires past this value (or, with a baseline, past this factor of the baseline).
    public var threshold: Double
    /// Resolves once back past this value (or factor).
    public var clear: Double
    /// Milliseconds of the rolling window.
    public var window: Int64
    /// Samples (bot replies, conversations, records) the window needs before it judges.
    public var minimumSamples: Int
    /// When set (milliseconds), thresholds are factors of the same signal over this longer window.
    public var baselineWindow: Int64?

    public init(name: String, signal: Signal, direction: Direction, threshold: Double, clear: Double, window: Int64,
                minimumSamples: Int, baselineWindow: Int64? = nil) {
        self.name = name
        self.signal = signal
        self.direction = direction
        self.threshold = threshold
        self.clear = clear
        self.window = window
        self.minimumSamples = minimumSamples
        self.baselineWindow = baselineWindow
    }

    /// The seed's gates: faithfulness below 90 %, grounded share or confidence dropping, the
    /// escalation rate jumping against its own day, dead letters above 1 %.
    public static let defaults: [QualityGate] = [
        QualityGate(name: "faithfulness_low", signal: .faithfulness, direction: .below, threshold: 0.90, clear: 0.92, window: 3_600_000, minimumSamples: 50),
        QualityGate(name: "grounded_share_low", signal: .groundedShare, direction: .below, threshold: 0.70, clear: 0.75, window: 3_600_000, minimumSamples: 50),
        QualityGate(name: "confidence_low", signal: .confidence, direction: .below, threshold: 0.60, clear: 0.65, window: 3_600_000, minimumSamples: 50),
        QualityGate(name: "escalation_rate_jump", signal: .escalationRate, direction: .above, threshold: 1.5, clear: 1.2, window: 3_600_000,
                    minimumSamples: 50, baselineWindow: 86_400_000),
        QualityGate(name: "dead_letter_rate_high", signal: .deadLetterRate, direction: .above, threshold: 0.01, clear: 0.005, window: 900_000, minimumSamples: 100),
    ]

    func crossed(_ value: Double, limit: Double) -> Bool {
        direction == .below ? value < limit : value > limit
    }
}

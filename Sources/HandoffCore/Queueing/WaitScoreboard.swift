/// How good the wait estimates were: each handoff's estimate at creation (and what the two baselines
/// would have said) against the wait it actually had when an agent accepted it. Per queue: mean
/// absolute error, bias (mean of estimate − actual: positive = we promised too long) and how often
/// the actual wait fell inside the p10–p90 interval.
public struct WaitScoreboard: Sendable {
    /// One scored handoff (kept for reports and the simulation's per-phase figures).
    public struct Record: Sendable, Equatable {
        public var handoffID: String
        public var queue: String
        public var createdAt: Timestamp
        public var estimate: WaitEstimate
        public var lastToEnterService: Double?
        public var queueLengthSimple: Double?
        public var actual: Double
    }

    /// Error figures of one predictor over some handoffs.
    public struct Figures: Sendable, Equatable {
        public var count = 0
        public var absoluteError = 0.0
        public var error = 0.0
        public var inInterval = 0
        public var withInterval = 0
        public init() {}

        public mutating func add(predicted: Double, actual: Double, interval: (Double, Double)? = nil) {
            count += 1
            absoluteError += abs(predicted - actual)
            error += predicted - actual
            if let (low, high) = interval {
                withInterval += 1
                if actual >= low && actual <= high { inInterval += 1 }
            }
        }

        public var meanAbsoluteError: Double? { count == 0 ? nil : absoluteError / Double(count) }
        public var bias: Double? { count == 0 ? nil : error / Double(count) }
        public var coverage: Double? { withInterval == 0 ? nil : Double(inInterval) / Double(withInterval) }
    }

    /// Ours and the two baselines, over the same handoffs.
    public struct Tally: Sendable, Equatable {
        public var ours = Figures()
        public var lastToEnterService = Figures()
        public var queueLengthSimple = Figures()
        public init() {}

        /// Adds one scored handoff (nothing when it had no point estimate).
        public mutating func add(_ record: Record) {
            guard let predicted = record.estimate.seconds else { return }
            let interval = record.estimate.p10.flatMap { low in record.estimate.p90.map { (low, $0) } }
            ours.add(predicted: predicted, actual: record.actual, interval: interval)
            if let les = record.lastToEnterService { lastToEnterService.add(predicted: les, actual: record.actual) }
            if let simple = record.queueLengthSimple { queueLengthSimple.add(predicted: simple, actual: record.actual) }
        }
    }

    private var pending: [String: Record] = [:]
    private var pendingOrder: [String] = []
    public private(set) var records: [Record] = []
    public private(set) var byQueue: [String: Tally] = [:]
    let pendingLimit: Int
    let recordLimit: Int

    /// - Parameters:
    ///   - pendingLimit: estimates remembered while their handoffs wait (oldest forgotten first).
    ///   - recordLimit: scored records kept for reports (0 in `serve`: the figures are enough).
    public init(pendingLimit: Int = 100_000, recordLimit: Int = Int.max) {
        self.pendingLimit = pendingLimit
        self.recordLimit = recordLimit
    }

    /// Remembers what was estimated for a handoff when it was created.
    public mutating func predicted(handoffID: String, queue: String, createdAt: Timestamp, estimate: WaitEstimate,
                                   baselines: (lastToEnterService: Double?, queueLengthSimple: Double?)) {
        guard estimate.seconds != nil, pending[handoffID] == nil else { return }
        pending[handoffID] = Record(handoffID: handoffID, queue: queue, createdAt: createdAt, estimate: estimate,
                                    lastToEnterService: baselines.lastToEnterService, queueLengthSimple: baselines.queueLengthSimple, actual: 0)
        pendingOrder.append(handoffID)
        // Scored and forgotten ids leave their names behind: compact now and then, then drop the oldest.
        if pendingOrder.count > 2 * pendingLimit { pendingOrder = pendingOrder.filter { pending[$0] != nil } }
        if pending.count > pendingLimit, let oldest = pendingOrder.first(where: { pending[$0] != nil }) {
            pending[oldest] = nil
        }
    }

    /// Scores a handoff an agent accepted after `waited` seconds; nothing when it was not estimated here.
    public mutating func served(handoffID: String, waited: Double) {
        guard var record = pending.removeValue(forKey: handoffID) else { return }
        record.actual = waited
        byQueue[record.queue, default: Tally()].add(record)
        if records.count < recordLimit { records.append(record) }
    }

    /// Forgets an estimate whose handoff ended without being accepted (abandoned, closed).
    public mutating func forget(handoffID: String) {
        pending[handoffID] = nil
    }

    /// Figures over the given records (e.g. one phase of a simulated day).
    public static func figures(_ records: some Sequence<Record>) -> Tally {
        records.reduce(into: Tally()) { $0.add($1) }
    }

    /// The `support.queue.stats` data of one queue.
    public func statsEvent(queue: String, instance: String, now: Timestamp) -> JSONValue? {
        guard let figures = byQueue[queue] else { return nil }
        func describe(_ f: Figures) -> JSONValue {
            var members: [String: JSONValue] = ["accepted": .number(Double(f.count))]
            if let mae = f.meanAbsoluteError { members["mae_seconds"] = .number((mae * 10).rounded() / 10) }
            if let bias = f.bias { members["bias_seconds"] = .number((bias * 10).rounded() / 10) }
            if let coverage = f.coverage { members["p10_p90_coverage"] = .number((coverage * 1000).rounded() / 1000) }
            return .object(members)
        }
        return .object([
            "queue": .string(queue),
            "instance": .string(instance),
            "time": .string(now.rfc3339),
            "estimates": describe(figures.ours),
            "baselines": .object([
                "last_to_enter_service": describe(figures.lastToEnterService),
                "queue_length_simple": describe(figures.queueLengthSimple),
            ]),
        ])
    }
}

/// Estimates a waiting customer's wait from the queue view.
///
/// With agents logged in for the queue: the queue-length predictor with abandonment (Ibrahim & Whitt,
/// "Real-time delay estimation", 2009): with `j` customers ahead beyond the free slots, each advance
/// takes an exponential time at rate `sμ + jθ` (a departure among `s` slots, or an abandonment among
/// those ahead), so the wait has mean Σ 1/(sμ + jθ) and variance Σ 1/(sμ + jθ)²; the interval is a gamma
/// fitted to those two moments. μ is learned from the queue's handle times (median of the recent ones,
/// shrunk toward the configured default while there are few), θ from abandonments over waiting time.
/// Without agent data: the last customer to enter service's wait, else the head of line's, else the
/// default handle time per position.
public struct WaitEstimator: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Handle time assumed before a queue has history (seconds). Default 6 minutes.
        public var defaultHandleTime: Double = 360
        /// How many observations the default counts as: with fewer real ones, it still weighs in. Default 5.
        public var priorWeight: Double = 5
        /// History older than this is ignored (seconds). Default 8 h.
        public var historyWindow: Double = 8 * 3600
        public init() {}
    }

    public var settings: Settings
    /// Per-queue default handle times (seconds), overriding `settings.defaultHandleTime`.
    public var defaultHandleTimes: [String: Double]

    public init(settings: Settings = Settings(), defaultHandleTimes: [String: Double] = [:]) {
        self.settings = settings
        self.defaultHandleTimes = defaultHandleTimes
    }

    /// The estimate for a handoff of `queue` with this priority and arrival.
    public func estimate(queue: String, priority: Int, createdAt: Timestamp, handoffID: String, view: QueueView, now: Timestamp) -> WaitEstimate {
        let ahead = view.ahead(in: queue, priority: priority, createdAt: createdAt, handoffID: handoffID)
        let history = view.history[queue]
        if view.knownQueues.contains(queue) {
            let slots = view.staffed(queue)
            guard slots > 0 else {
                return WaitEstimate(seconds: nil, p10: nil, p90: nil, position: ahead + 1, method: .noAgents, estimatedAt: now)
            }
            let handle = handleTime(queue, history, now: now)
            let theta = abandonmentRate(history, now: now)
            let pickup = pickupTime(history, handle: handle, now: now)
            let free = max(0, slots - Double(view.inService(queue)))
            let beyond = Double(ahead) - free.rounded(.down)
            guard beyond >= 0 else {
                // A slot is free: only the time an agent takes to pick the chat up.
                return WaitEstimate(seconds: pickup.median, p10: pickup.p10, p90: pickup.p90, position: ahead + 1, method: .queueLength, estimatedAt: now)
            }
            var mean = 0.0
            var variance = 0.0
            for j in 0...Int(beyond) {
                let rate = slots / handle + Double(j) * theta
                mean += 1 / rate
                variance += 1 / (rate * rate)
            }
            let (p10, p90) = Self.gammaInterval(mean: mean, variance: variance)
            return WaitEstimate(seconds: mean + pickup.median, p10: p10 + pickup.p10, p90: p90 + pickup.p90, position: ahead + 1,
                                method: .queueLength, estimatedAt: now)
        }
        let window = settings.historyWindow
        if let last = history?.serviceWaits.last, Double(now.milliseconds(since: last.at)) / 1000 <= window {
            let spread = Self.spread(history!.serviceWaits.suffix(50).map(\.wait))
            return WaitEstimate(seconds: last.wait, p10: last.wait * spread.low, p90: last.wait * spread.high, position: ahead + 1,
                                method: .lastToEnterService, estimatedAt: now)
        }
        if let head = view.head(of: queue), head.handoffID != handoffID {
            let waited = max(0, Double(now.milliseconds(since: head.createdAt)) / 1000)
            return WaitEstimate(seconds: waited, p10: waited * 0.5, p90: waited * 2, position: ahead + 1, method: .headOfLine, estimatedAt: now)
        }
        let handle = defaultHandleTimes[queue] ?? settings.defaultHandleTime
        let mean = Double(ahead + 1) * handle
        return WaitEstimate(seconds: mean, p10: mean * 0.3, p90: mean * 2.5, position: ahead + 1, method: .bootstrap, estimatedAt: now)
    }

    /// The two baselines the estimator is measured against (seconds; nil when they have no data).
    public func baselines(queue: String, priority: Int, createdAt: Timestamp, handoffID: String, view: QueueView, now: Timestamp)
        -> (lastToEnterService: Double?, queueLengthSimple: Double?) {
        let ahead = view.ahead(in: queue, priority: priority, createdAt: createdAt, handoffID: handoffID)
        let history = view.history[queue]
        let les = history?.serviceWaits.last?.wait
        let slots = view.staffed(queue)
        let recent = (history?.handleTimes.suffix(100)).map(Array.init) ?? []
        let meanHandle = recent.isEmpty ? (defaultHandleTimes[queue] ?? settings.defaultHandleTime) : recent.reduce(0, +) / Double(recent.count)
        return (les, slots > 0 ? Double(ahead + 1) * meanHandle / slots : nil)
    }

    /// Median of recent handle times, shrunk toward the default by `priorWeight` pseudo-observations.
    func handleTime(_ queue: String, _ history: QueueHistory?, now: Timestamp) -> Double {
        let prior = defaultHandleTimes[queue] ?? settings.defaultHandleTime
        guard let history, let last = history.lastHandled, Double(now.milliseconds(since: last)) / 1000 <= settings.historyWindow else { return prior }
        let recent = Array(history.handleTimes.suffix(200))
        guard !recent.isEmpty else { return prior }
        let sorted = recent.sorted()
        // Lognormal-ish handle times: the mean is what the rate needs, the median is what is robust to
        // a stuck chat. Mean of the middle 80 %.
        let cut = sorted.count / 10
        let middle = sorted[cut..<(sorted.count - cut)]
        let observed = middle.reduce(0, +) / Double(middle.count)
        let n = Double(recent.count)
        return (observed * n + prior * settings.priorWeight) / (n + settings.priorWeight)
    }

    /// How long an agent with a free slot takes to pick a chat up: the waits of recent customers who
    /// were served at once (shorter than a tenth of a handle time), as median and p10/p90; nothing
    /// known, nothing assumed.
    func pickupTime(_ history: QueueHistory?, handle: Double, now: Timestamp) -> (median: Double, p10: Double, p90: Double) {
        guard let history else { return (0, 0, 0) }
        let quick = history.serviceWaits.suffix(200)
            .filter { $0.wait < 0.1 * handle && Double(now.milliseconds(since: $0.at)) / 1000 <= settings.historyWindow }
            .map(\.wait).sorted()
        guard quick.count >= 5 else { return (0, 0, 0) }
        return (quick[quick.count / 2], quick[quick.count / 10], quick[quick.count * 9 / 10])
    }

    /// Abandonments per second of waiting (exponential patience), from the recent past; 0 without any.
    func abandonmentRate(_ history: QueueHistory?, now: Timestamp) -> Double {
        guard let history else { return 0 }
        let horizon = settings.historyWindow
        func recent(_ at: Timestamp) -> Bool { Double(now.milliseconds(since: at)) / 1000 <= horizon }
        let abandons = history.abandons.filter { recent($0.at) }
        guard !abandons.isEmpty else { return 0 }
        let exposure = abandons.reduce(0) { $0 + $1.wait } + history.serviceWaits.filter { recent($0.at) }.reduce(0) { $0 + $1.wait }
        return exposure > 0 ? Double(abandons.count) / exposure : 0
    }

    /// p10 and p90 of a gamma with this mean and variance (Wilson–Hilferty).
    static func gammaInterval(mean: Double, variance: Double) -> (Double, Double) {
        guard mean > 0, variance > 0 else { return (0, 0) }
        let shape = mean * mean / variance
        let scale = variance / mean
        func quantile(_ z: Double) -> Double {
            let c = 1 / (9 * shape)
            let base = 1 - c + z * c.squareRoot()
            return max(0, shape * scale * base * base * base)
        }
        return (quantile(-1.2816), quantile(1.2816))
    }

    /// p10 and p90 of recent waits relative to their median (how far a single LES reading may be off).
    static func spread(_ waits: [Double]) -> (low: Double, high: Double) {
        guard waits.count >= 5 else { return (0.5, 2) }
        let sorted = waits.sorted()
        let median = max(1, sorted[sorted.count / 2])
        return (sorted[sorted.count / 10] / median, sorted[sorted.count * 9 / 10] / median)
    }
}

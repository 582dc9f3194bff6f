/// What a conversation's machine may ask about queues — the expected wait, whether the queue is
/// open, which callback slots are free — answered from a snapshot of the global logs. A value: the
/// owner builds one per batch (serve) or per record (replay) and the machine stays pure.
public struct QueueAdvisor: Sendable {
    public struct CallbackSettings: Sendable, Equatable {
        /// Calls per callback before it fails. Default 3.
        public var maxAttempts = 3
        /// Pause before the first retry (milliseconds), doubled for each further one. Default 15 minutes.
        public var retryAfter: Int64 = 15 * 60_000
        /// Above this expected wait (seconds) offers and announcements propose a callback. Default 5 minutes.
        public var offerAbove: Double = 300
        /// Windows proposed with such an offer. Default 3.
        public var windowsOffered = 3
        /// When a customer who named no windows may be called: ranges of seconds since midnight, every day,
        /// in the customer's own time zone. Nobody is called at night unless they asked for it. Default 08:00–20:00.
        public var customerHours: [Range<Int>] = [8 * 3600..<20 * 3600]
        public init() {}
    }

    public var view: QueueView
    public var estimator: WaitEstimator
    public var book: CallbackBook
    /// Per-queue hours and callback slots; queues without one use `defaultPlan` (open around the clock).
    public var plans: [String: CallbackPlan]
    public var defaultPlan: CallbackPlan
    public var scheduler: CallbackScheduler
    public var callbacks: CallbackSettings
    /// Per queue: how long a customer should wait at most (milliseconds), and where to overflow after it
    /// (nil: raise the priority instead).
    public var targets: [String: (wait: Int64, overflowTo: String?)] = [:]
    /// The time-zone database: IANA name → rules (nil for unknown names).
    public var zone: @Sendable (String) -> (any ZoneRules)?

    public init(view: QueueView = QueueView(), estimator: WaitEstimator = WaitEstimator(), book: CallbackBook = CallbackBook(),
                plans: [String: CallbackPlan] = [:], defaultPlan: CallbackPlan = CallbackPlan(hours: nil), scheduler: CallbackScheduler = CallbackScheduler(),
                callbacks: CallbackSettings = CallbackSettings(), zone: @escaping @Sendable (String) -> (any ZoneRules)? = { _ in nil }) {
        self.view = view
        self.estimator = estimator
        self.book = book
        self.plans = plans
        self.defaultPlan = defaultPlan
        self.scheduler = scheduler
        self.callbacks = callbacks
        self.zone = zone
    }

    public func plan(_ queue: String) -> CallbackPlan { plans[queue] ?? defaultPlan }

    /// Whether the configuration has the queue: under `queues:` (hours, slots, a wait target) or as some
    /// queue's overflow. Configuration only, not the global view: the answer must not depend on which
    /// agents an instance has seen so far, or change when a record is processed again. (The routing's
    /// queues are the policy's to know.)
    public func knows(queue: String) -> Bool {
        plans[queue] != nil || targets[queue] != nil || targets.values.contains { $0.overflowTo == queue }
    }

    /// The expected wait of a handoff; `closed` outside the queue's business hours.
    public func estimate(queue: String, priority: Int, createdAt: Timestamp, handoffID: String, now: Timestamp) -> WaitEstimate {
        if let hours = plan(queue).hours, !hours.isOpen(at: now) {
            return WaitEstimate(seconds: nil, p10: nil, p90: nil, position: view.ahead(in: queue, priority: priority, createdAt: createdAt, handoffID: handoffID) + 1,
                                method: .closed, estimatedAt: now)
        }
        return estimator.estimate(queue: queue, priority: priority, createdAt: createdAt, handoffID: handoffID, view: view, now: now)
    }

    public func estimate(_ handoff: Handoff, now: Timestamp) -> WaitEstimate {
        estimate(queue: handoff.queue, priority: handoff.priority, createdAt: handoff.createdAt, handoffID: handoff.id, now: now)
    }

    /// Whether waiting makes little sense: nobody there, closed, or longer than the threshold.
    public func suggestsCallback(_ estimate: WaitEstimate) -> Bool {
        guard let seconds = estimate.seconds else { return estimate.method == .noAgents || estimate.method == .closed }
        return estimate.method != .bootstrap && seconds > callbacks.offerAbove
    }

    /// The earliest free callback slots of a queue after `time`, inside the customer's windows. A customer
    /// who named none is called inside `callbacks.customerHours` of their time zone (`customerZone`; nil:
    /// at any time the queue is open, as for windows offered before the customer's zone is known).
    public func slots(queue: String, after time: Timestamp, windows: [CallbackSlot] = [], customerZone: (any ZoneRules)? = nil, count: Int = 1) -> [CallbackSlot] {
        var windows = windows
        if windows.isEmpty, let customerZone, callbacks.customerHours != [0..<86_400] {
            let daily = BusinessHours(weekly: Dictionary(uniqueKeysWithValues: (1...7).map { ($0, callbacks.customerHours) }), zone: customerZone)
            windows = daily.openings(from: time, days: scheduler.horizonDays + 2).map { CallbackSlot(start: $0.start, end: $0.end) }
        }
        return scheduler.slots(plan: plan(queue), after: time, windows: windows, booked: { book.booked(queue: queue, start: $0) }, count: count)
    }

    /// Whether a request that found no slot would have found one outside the customer's calling hours:
    /// the queue's hours never meet the customer's daytime within the horizon (a Berlin team and a
    /// customer in Los Angeles). The customer can still name windows of their own.
    public func outsideCallingHours(queue: String, after time: Timestamp, windows: [CallbackSlot], customerZone: (any ZoneRules)?) -> Bool {
        windows.isEmpty && customerZone != nil && !slots(queue: queue, after: time).isEmpty
    }
}

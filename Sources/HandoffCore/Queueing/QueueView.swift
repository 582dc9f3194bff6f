/// Every queue as the two global logs tell it: who waits and in what order (priority, then arrival),
/// which agents are logged in for it, and what handling and waiting have looked like lately.
///
/// Fed, on every instance, by `support.agents` (agent status) and `support.handoffs` (full handoff
/// snapshots) read in full; the same logs give the same view wherever a conversation lives. Plain
/// values, no I/O: `serve`, `replay` and the simulation drive it alike.
public struct QueueView: Sendable {
    public struct Agent: Sendable, Equatable {
        public var id: String
        public var status: AgentStatus.Status
        public var queues: [String]
        public var capacity: Int
        /// Logged in: the capacity counts for its queues.
        public var isStaffed: Bool { status == .available || status == .busy }
    }

    /// An open handoff as the log shows it.
    public struct Entry: Sendable, Equatable {
        public var handoffID: String
        public var conversationID: String
        public var queue: String
        public var priority: Int
        public var createdAt: Timestamp
        public var status: Handoff.Status
        public var revision: Int
        public var acceptedAt: Timestamp?
        public var agentID: String?
        /// The estimate made when it was created (scored when it is accepted).
        public var estimate: WaitEstimate?

        var isWaiting: Bool { status == .waiting || status == .requeued }
    }

    public private(set) var agents: [String: Agent] = [:]
    public private(set) var open: [String: Entry] = [:]
    public private(set) var history: [String: QueueHistory] = [:]
    /// Queues some agent has ever been seen serving: for the others, agent data is missing.
    public private(set) var knownQueues: Set<String> = []
    /// Acceptances seen with the estimate made at creation: what scoring needs.
    public private(set) var served: [(entry: Entry, waited: Double)] = []
    private let historyLimit: Int
    /// Per queue, the waiting handoffs in service order, and the accepted ones: kept as snapshots
    /// arrive, so a position is a binary search, not a scan of every open handoff.
    private var order: [String: [OrderKey]] = [:]
    private var accepted: [String: Set<String>] = [:]

    struct OrderKey: Comparable {
        var priority: Int
        var created: Int64
        var handoffID: String

        init(_ entry: Entry) {
            self.init(priority: entry.priority, created: entry.createdAt.millisecondsSinceEpoch, handoffID: entry.handoffID)
        }

        init(priority: Int, created: Int64, handoffID: String) {
            self.priority = priority
            self.created = created
            self.handoffID = handoffID
        }

        static func < (lhs: OrderKey, rhs: OrderKey) -> Bool {
            (lhs.priority, lhs.created, lhs.handoffID) < (rhs.priority, rhs.created, rhs.handoffID)
        }
    }

    public init(historyLimit: Int = 500) {
        self.historyLimit = historyLimit
    }

    public mutating func apply(agent status: AgentStatus) {
        agents[status.agentID] = Agent(id: status.agentID, status: status.status, queues: status.queues, capacity: status.capacity)
        knownQueues.formUnion(status.queues)
    }

    /// The members of a snapshot that ``apply(snapshot:)`` reads (a reader of the log need parse no others).
    public static let snapshotMembers: Set<String> = ["handoff_id", "revision", "status", "queue", "created_at", "updated_at", "conversation_id",
                                                      "priority", "wait_estimate", "agent_id"]

    /// Applies a `support.handoff.created`/`updated` snapshot (`data`); older revisions are ignored.
    public mutating func apply(snapshot data: JSONValue) {
        guard let id = data["handoff_id"]?.stringValue, let revision = data["revision"]?.intValue,
              let status = data["status"]?.stringValue.flatMap(Handoff.Status.init(rawValue:)),
              let queue = data["queue"]?.stringValue, let created = data["created_at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)),
              let updated = data["updated_at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) else { return }
        if let known = open[id], known.revision >= revision { return }
        let before = open[id]
        defer { reindex(before, open[id]) }
        var entry = open[id] ?? Entry(handoffID: id, conversationID: data["conversation_id"]?.stringValue ?? "", queue: queue,
                                      priority: data["priority"]?.intValue ?? 3, createdAt: created, status: status, revision: revision,
                                      estimate: data["wait_estimate"].flatMap(WaitEstimate.init(json:)))
        let previous = entry.status
        entry.revision = revision
        entry.status = status
        entry.queue = queue
        entry.priority = data["priority"]?.intValue ?? entry.priority
        entry.agentID = data["agent_id"]?.stringValue
        if entry.estimate == nil, revision == 1 { entry.estimate = data["wait_estimate"].flatMap(WaitEstimate.init(json:)) }
        switch status {
        case .waiting, .requeued:
            if previous == .accepted { entry.acceptedAt = nil }
            open[id] = entry
        case .accepted:
            if previous != .accepted {
                entry.acceptedAt = updated
                let waited = Double(updated.milliseconds(since: entry.createdAt)) / 1000
                history[queue, default: QueueHistory(limit: historyLimit)].entered(after: waited, at: updated)
                served.append((entry, waited))
                if served.count > historyLimit { served.removeFirst(served.count - historyLimit) }
            }
            open[id] = entry
        case .completed:
            if let accepted = entry.acceptedAt {
                history[queue, default: QueueHistory(limit: historyLimit)].handled(for: Double(updated.milliseconds(since: accepted)) / 1000, at: updated)
            }
            open[id] = nil
        case .abandoned:
            if previous == .waiting || previous == .requeued {
                history[queue, default: QueueHistory(limit: historyLimit)].abandoned(after: Double(updated.milliseconds(since: entry.createdAt)) / 1000, at: updated)
            }
            open[id] = nil
        }
    }


    private mutating func reindex(_ before: Entry?, _ after: Entry?) {
        if let before {
            if before.isWaiting {
                let key = OrderKey(before)
                let index = Self.lowerBound(order[before.queue] ?? [], key)
                if order[before.queue]?.indices.contains(index) == true, order[before.queue]?[index] == key { order[before.queue]?.remove(at: index) }
            }
            if before.status == .accepted { accepted[before.queue]?.remove(before.handoffID) }
        }
        if let after {
            if after.isWaiting {
                let key = OrderKey(after)
                order[after.queue, default: []].insert(key, at: Self.lowerBound(order[after.queue] ?? [], key))
            }
            if after.status == .accepted { accepted[after.queue, default: []].insert(after.handoffID) }
        }
    }

    /// The index of the first key not less than `key`: how many come before it.
    private static func lowerBound(_ keys: [OrderKey], _ key: OrderKey) -> Int {
        var low = 0
        var high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if keys[middle] < key { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Forgets handoffs whose close the log never showed: waiting since before `cutoff`, or accepted before
    /// it and never completed. Left in, they would count as customers ahead, or as taken chat slots, for ever.
    /// - Returns: how many were forgotten.
    @discardableResult
    public mutating func expire(before cutoff: Timestamp) -> Int {
        let stale = open.values.filter { ($0.acceptedAt ?? $0.createdAt) < cutoff }
        for entry in stale {
            open[entry.handoffID] = nil
            reindex(entry, nil)
        }
        return stale.count
    }

    /// Takes the acceptances seen since the last call (for scoring).
    public mutating func takeServed() -> [(entry: Entry, waited: Double)] {
        defer { served.removeAll() }
        return served
    }

    // MARK: - Derived figures

    /// Waiting handoffs of a queue in service order: priority (1 first), then arrival.
    public func waiting(in queue: String) -> [Entry] {
        (order[queue] ?? []).compactMap { open[$0.handoffID] }
    }

    /// The waiting handoff a queue serves next.
    public func head(of queue: String) -> Entry? {
        order[queue]?.first.flatMap { open[$0.handoffID] }
    }

    /// Waiting handoffs that will be served before one of this priority and arrival.
    public func ahead(in queue: String, priority: Int, createdAt: Timestamp, handoffID: String) -> Int {
        Self.lowerBound(order[queue] ?? [], OrderKey(priority: priority, created: createdAt.millisecondsSinceEpoch, handoffID: handoffID))
    }

    /// Chat slots staffed for the queue: logged-in agents' capacity, an agent serving several queues
    /// counted in equal shares.
    public func staffed(_ queue: String) -> Double {
        agents.values.filter { $0.isStaffed && $0.queues.contains(queue) }.reduce(0) { $0 + Double($1.capacity) / Double(max(1, $1.queues.count)) }
    }

    /// Staffed slots of the queue taken by a chat now. A chat whose agent has logged out (finishing
    /// their last one at the end of a shift) takes no staffed slot: the logged-in agents' are free.
    public func inService(_ queue: String) -> Int {
        (accepted[queue] ?? []).count { id in open[id]?.agentID.flatMap { agents[$0] }.map(\.isStaffed) ?? true }
    }
}

/// What a queue's recent past says: handle times, waits of those who entered service, abandonments.
public struct QueueHistory: Sendable, Equatable {
    public private(set) var handleTimes: [Double] = []
    /// Waits of customers as they entered service, latest last, with when.
    public private(set) var serviceWaits: [(wait: Double, at: Timestamp)] = []
    public private(set) var abandons: [(wait: Double, at: Timestamp)] = []
    public private(set) var lastHandled: Timestamp?
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    mutating func handled(for seconds: Double, at time: Timestamp) {
        guard seconds >= 0 else { return }
        handleTimes.append(seconds)
        if handleTimes.count > limit { handleTimes.removeFirst() }
        lastHandled = time
    }

    mutating func entered(after wait: Double, at time: Timestamp) {
        serviceWaits.append((max(0, wait), time))
        if serviceWaits.count > limit { serviceWaits.removeFirst() }
    }

    mutating func abandoned(after wait: Double, at time: Timestamp) {
        abandons.append((max(0, wait), time))
        if abandons.count > limit { abandons.removeFirst() }
    }

    public static func == (lhs: QueueHistory, rhs: QueueHistory) -> Bool {
        lhs.handleTimes == rhs.handleTimes && lhs.serviceWaits.map(\.wait) == rhs.serviceWaits.map(\.wait) && lhs.abandons.map(\.wait) == rhs.abandons.map(\.wait)
    }
}

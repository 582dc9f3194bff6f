/// How long a waiting customer will wait, and how sure we are: carried on the handoff, told to the
/// customer, and scored when the handoff is accepted.
public struct WaitEstimate: Sendable, Equatable {
    public enum Method: String, Sendable, CaseIterable {
        /// Queue length and the learned completion rate of the agents logged in for the queue (Ibrahim & Whitt).
        case queueLength = "queue_length"
        /// The wait of the last customer who entered service (no agent data for the queue).
        case lastToEnterService = "last_to_enter_service"
        /// The elapsed wait of the customer at the head of the line (no agent data, no recent service).
        case headOfLine = "head_of_line"
        /// No history and no agents: the configured default handle time per position.
        case bootstrap
        /// Agents are known for the queue but none is logged in: no estimate, offer a callback.
        case noAgents = "no_agents"
        /// Outside the queue's business hours: no estimate, offer a callback.
        case closed
    }

    /// Point estimate in seconds (nil with `noAgents`).
    public var seconds: Double?
    /// An 80 % interval: p10 and p90 in seconds.
    public var p10: Double?
    public var p90: Double?
    /// 1 = next to be served.
    public var position: Int
    public var method: Method
    public var estimatedAt: Timestamp

    public init(seconds: Double?, p10: Double?, p90: Double?, position: Int, method: Method, estimatedAt: Timestamp) {
        self.seconds = seconds
        self.p10 = p10
        self.p90 = p90
        self.position = position
        self.method = method
        self.estimatedAt = estimatedAt
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "position": .number(Double(position)),
            "method": .string(method.rawValue),
            "estimated_at": .string(estimatedAt.rfc3339),
        ]
        if let seconds { members["seconds"] = .number(seconds.rounded()) }
        if let p10 { members["p10_seconds"] = .number(p10.rounded()) }
        if let p90 { members["p90_seconds"] = .number(p90.rounded()) }
        return .object(members)
    }

    public init?(json: JSONValue) {
        guard let position = json["position"]?.intValue, let method = json["method"]?.stringValue.flatMap(Method.init(rawValue:)),
              let at = json["estimated_at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) else { return nil }
        self.init(seconds: json["seconds"]?.numberValue, p10: json["p10_seconds"]?.numberValue, p90: json["p90_seconds"]?.numberValue,
                  position: position, method: method, estimatedAt: at)
    }

    /// Whether a customer should hear about the change from `previous` to this: the position moved, the
    /// wait moved by a minute and a quarter of itself, or the queue closed or opened.
    public func differsMaterially(from previous: WaitEstimate) -> Bool {
        if position != previous.position || (seconds == nil) != (previous.seconds == nil) { return true }
        guard let now = seconds, let before = previous.seconds else { return false }
        return abs(now - before) >= max(60, 0.25 * before)
    }

    /// Whole minutes to tell a customer (at least 1); nil when the estimate rests on no data at all
    /// (`bootstrap`): a customer is told a wait only when something measured stands behind it.
    public var minutes: Int? {
        guard method != .bootstrap else { return nil }
        return seconds.map { max(1, Int(($0 / 60).rounded())) }
    }
}

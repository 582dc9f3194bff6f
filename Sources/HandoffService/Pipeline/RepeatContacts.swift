public import HandoffCore

/// Recognises a customer who starts a new conversation within a window of the previous one — a repeat
/// contact, the sign that the first conversation did not really solve the problem.
///
/// Memory is bounded: at most `capacity` customers are remembered; when full, those not seen within
/// the window are forgotten first, then the longest-unseen. Each instance sees the customers whose
/// conversations it owns, so fleet-wide a repeat that lands on another instance is not counted.
public struct RepeatContacts: Sendable {
    public let window: Int64
    public let capacity: Int
    private var lastStart: [String: (time: Timestamp, conversation: String)] = [:]

    /// - Parameters:
    ///   - window: milliseconds.
    public init(window: Int64, capacity: Int) {
        self.window = window
        self.capacity = max(1, capacity)
    }

    public var remembered: Int { lastStart.count }

    /// Notes a conversation start; true when the same customer started another conversation within the window before.
    public mutating func started(customer: String, conversation: String, at time: Timestamp) -> Bool {
        let previous = lastStart[customer]
        // The same conversation again (a re-delivery, or its partition coming back) is not a new contact.
        if previous?.conversation == conversation { return false }
        if previous == nil && lastStart.count >= capacity { evict(now: time) }
        lastStart[customer] = (time, conversation)
        guard let previous else { return false }
        return time.milliseconds(since: previous.time) <= window
    }

    /// Forgets a customer (a data-protection erase).
    public mutating func forget(customer: String) {
        lastStart[customer] = nil
    }

    private mutating func evict(now: Timestamp) {
        lastStart = lastStart.filter { now.milliseconds(since: $0.value.time) <= window }
        // Still nearly full: drop the longest-unseen tenth at once, so eviction stays rare (never a
        // rebuild of the whole table for every few new customers).
        if lastStart.count >= capacity - capacity / 10 {
            let keep = lastStart.sorted { $0.value.time > $1.value.time }.prefix(capacity - max(1, capacity / 10))
            lastStart = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}

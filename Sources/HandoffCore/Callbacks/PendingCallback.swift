/// A callback a customer asked for, kept in its conversation's state (so the changelog makes it
/// survive restarts and rebalances) until it is connected, fails for good or is cancelled.
public struct PendingCallback: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// Booked in ``slot``; `support.callback.due` goes out when it starts.
        case scheduled
        /// Handed to the dialer; waiting for `support.callback.completed`.
        case due
    }

    public var id: String
    public var queue: String
    /// An opaque reference the dialer resolves to a number (never the number itself).
    public var contactRef: String
    /// The customer's IANA time zone, for telling them the time.
    public var timeZone: String
    /// The customer's windows, as instants (empty: any time the queue is open).
    public var windows: [CallbackSlot]
    /// 1 for the first call, +1 per retry.
    public var attempt: Int
    public var slot: CallbackSlot
    public var status: Status
    public var requestedAt: Timestamp
    /// The due call was sent a second time for want of a report.
    public var resent = false

    public init(id: String, queue: String, contactRef: String, timeZone: String, windows: [CallbackSlot], attempt: Int,
                slot: CallbackSlot, status: Status, requestedAt: Timestamp) {
        self.id = id
        self.queue = queue
        self.contactRef = contactRef
        self.timeZone = timeZone
        self.windows = windows
        self.attempt = attempt
        self.slot = slot
        self.status = status
        self.requestedAt = requestedAt
    }

    /// Deterministic: the same request after a crash gets the same id.
    public static func id(conversationID: String, requestEventID: String) -> String {
        "cb_" + SHA256.hex(Array((conversationID + "\n" + requestEventID).utf8)).prefix(24)
    }

    /// Timer key: one firing per attempt.
    public var timerKey: String { "\(id)/\(attempt)" }

    /// When a due call with no report from the dialer is sent again, and when it is given up:
    /// 30 minutes and 2 hours after the slot's end.
    public var rechecks: [(key: String, at: Timestamp)] {
        (resent ? [] : [("\(timerKey)/recheck1", slot.end.adding(milliseconds: 30 * 60_000))]) + [("\(timerKey)/recheck2", slot.end.adding(milliseconds: 2 * 3_600_000))]
    }

    var json: JSONValue {
        .object([
            "id": .string(id), "queue": .string(queue), "contact_ref": .string(contactRef), "time_zone": .string(timeZone),
            "windows": .array(windows.map { .array([.number(Double($0.start.millisecondsSinceEpoch)), .number(Double($0.end.millisecondsSinceEpoch))]) }),
            "attempt": .number(Double(attempt)),
            "slot": .array([.number(Double(slot.start.millisecondsSinceEpoch)), .number(Double(slot.end.millisecondsSinceEpoch))]),
            "status": .string(status.rawValue), "requested_at": .number(Double(requestedAt.millisecondsSinceEpoch)),
            "resent": .bool(resent),
        ])
    }

    init?(json: JSONValue) {
        func slot(_ value: JSONValue?) -> CallbackSlot? {
            guard let pair = value?.arrayValue, pair.count == 2, let start = pair[0].numberValue, let end = pair[1].numberValue else { return nil }
            return CallbackSlot(start: Timestamp(millisecondsSinceEpoch: Int64(start)), end: Timestamp(millisecondsSinceEpoch: Int64(end)))
        }
        guard let id = json["id"]?.stringValue, let queue = json["queue"]?.stringValue, let contact = json["contact_ref"]?.stringValue,
              let zone = json["time_zone"]?.stringValue, let attempt = json["attempt"]?.intValue, let booked = slot(json["slot"]),
              let status = json["status"]?.stringValue.flatMap(Status.init(rawValue:)), let requested = json["requested_at"]?.numberValue else { return nil }
        self.init(id: id, queue: queue, contactRef: contact, timeZone: zone, windows: (json["windows"]?.arrayValue ?? []).compactMap(slot),
                  attempt: attempt, slot: booked, status: status, requestedAt: Timestamp(millisecondsSinceEpoch: Int64(requested)))
        resent = json["resent"] == .bool(true)
    }
}

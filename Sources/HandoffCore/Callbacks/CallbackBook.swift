/// Callback slot bookings of every queue, counted from `support.callbacks` (read in full by every
/// instance) plus this instance's own bookings not yet read back.
///
/// Capacity is global, bookings are not coordinated: two instances booking the last place of a slot
/// in the same instant both see it free. Overbooking is bounded by the instances that book the same
/// slot within the time the log takes to come back (milliseconds, `handoffd_global_view_delay_seconds`):
/// at most one extra booking per other instance, per slot, per such moment. An instance never
/// overbooks by itself (its own bookings count at once).
public struct CallbackBook: Sendable {
    /// "callback/attempt" → the slot it holds.
    private var bookings: [String: (queue: String, start: Timestamp)] = [:]
    private var counts: [String: Int] = [:]

    public init() {}

    private static func slotKey(_ queue: String, _ start: Timestamp) -> String { "\(queue)|\(start.millisecondsSinceEpoch)" }

    /// Applies an event read from `support.callbacks` (scheduled books; cancelled and failed release).
    public mutating func apply(type: String, data: JSONValue) {
        guard let id = data["callback_id"]?.stringValue else { return }
        switch type {
        case EventType.callbackScheduled:
            guard let queue = data["queue"]?.stringValue, let attempt = data["attempt"]?.intValue,
                  let start = data["slot_start"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) else { return }
            book("\(id)/\(attempt)", queue: queue, start: start)
        case EventType.callbackCancelled, EventType.callbackFailed:
            if let attempt = data["attempt"]?.intValue { release("\(id)/\(attempt)") }
        default:
            break
        }
    }

    /// Books a slot (idempotent per callback attempt).
    public mutating func book(_ key: String, queue: String, start: Timestamp) {
        guard bookings[key] == nil else { return }
        bookings[key] = (queue, start)
        counts[Self.slotKey(queue, start), default: 0] += 1
    }

    public mutating func release(_ key: String) {
        guard let booking = bookings.removeValue(forKey: key) else { return }
        let slot = Self.slotKey(booking.queue, booking.start)
        let left = (counts[slot] ?? 1) - 1
        counts[slot] = left > 0 ? left : nil
    }

    public func booked(queue: String, start: Timestamp) -> Int {
        counts[Self.slotKey(queue, start)] ?? 0
    }

    /// Forgets bookings of slots that started before `time` (they no longer limit anything).
    public mutating func prune(before time: Timestamp) {
        for (key, booking) in bookings where booking.start < time { release(key) }
    }

    public var count: Int { bookings.count }

    public func contains(_ key: String) -> Bool { bookings[key] != nil }

    /// Forgets the bookings `other` has (this instance's own, once the global log shows them).
    public mutating func removeKnown(to other: CallbackBook) {
        for key in bookings.keys where other.contains(key) {
            bookings[key] = nil
            // Own bookings are counted in the global book now; only the map entry goes.
        }
        counts = bookings.values.reduce(into: [:]) { $0[Self.slotKey($1.queue, $1.start), default: 0] += 1 }
    }

    /// Adds another book's bookings (by key: a booking in both counts once).
    public mutating func merge(_ other: CallbackBook) {
        for (key, booking) in other.bookings { book(key, queue: booking.queue, start: booking.start) }
    }
}

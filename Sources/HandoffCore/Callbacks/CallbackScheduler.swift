/// A bookable callback slot of a queue.
public struct CallbackSlot: Sendable, Equatable, Hashable {
    public var start: Timestamp
    public var end: Timestamp
    public init(start: Timestamp, end: Timestamp) {
        self.start = start
        self.end = end
    }
}

/// How a queue takes callbacks: when (business hours; nil = around the clock), in slots of what
/// length, how many per slot.
public struct CallbackPlan: Sendable {
    public var hours: BusinessHours?
    /// Milliseconds.
    public var slotLength: Int64
    public var capacity: Int

    public init(hours: BusinessHours?, slotLength: Int64 = 30 * 60_000, capacity: Int = 4) {
        self.hours = hours
        self.slotLength = max(60_000, slotLength)
        self.capacity = max(1, capacity)
    }
}

/// Picks callback slots: the earliest slots inside the queue's opening hours, inside one of the
/// customer's windows (if they gave any), not in the past, and with room left (bookings counted by the
/// caller from `support.callbacks`, the same log on every instance).
public struct CallbackScheduler: Sendable {
    /// How far ahead a slot may be. Default 14 days.
    public var horizonDays: Int
    /// The earliest a slot may start after now (time to prepare). Default 10 minutes.
    public var leadTime: Int64

    public init(horizonDays: Int = 14, leadTime: Int64 = 10 * 60_000) {
        self.horizonDays = horizonDays
        self.leadTime = leadTime
    }

    /// - Parameters:
    ///   - after: no slot starts before this (plus the lead time).
    ///   - windows: the customer's windows (instants); empty = any time the queue is open.
    ///   - booked: bookings already in a slot (by its start).
    ///   - count: how many slots to return.
    public func slots(plan: CallbackPlan, after: Timestamp, windows: [CallbackSlot], booked: (Timestamp) -> Int, count: Int = 1) -> [CallbackSlot] {
        let earliest = after.adding(milliseconds: leadTime)
        let horizon = after.adding(milliseconds: Int64(horizonDays) * 86_400_000)
        let open = windows.filter { $0.end > earliest }
        if !windows.isEmpty && open.isEmpty { return [] }
        let openings: [(start: Timestamp, end: Timestamp)] = plan.hours?.openings(from: earliest, days: horizonDays + 1)
            ?? [(Timestamp(millisecondsSinceEpoch: earliest.millisecondsSinceEpoch - earliest.millisecondsSinceEpoch % plan.slotLength), horizon)]
        var result: [CallbackSlot] = []
        for opening in openings where opening.start < horizon {
            // Slots are laid from the opening: 09:00, 09:30, … (a clock-aligned grid in the queue's zone).
            var start = opening.start
            while start.adding(milliseconds: plan.slotLength) <= opening.end && start < horizon {
                let slot = CallbackSlot(start: start, end: start.adding(milliseconds: plan.slotLength))
                start = slot.end
                guard slot.start >= earliest else { continue }
                if !open.isEmpty && !open.contains(where: { slot.start >= $0.start && slot.end <= $0.end }) { continue }
                guard booked(slot.start) < plan.capacity else { continue }
                result.append(slot)
                if result.count == count { return result }
            }
        }
        return result
    }
}

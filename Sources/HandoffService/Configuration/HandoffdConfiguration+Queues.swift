import Foundation
public import HandoffCore
import Yams

// MARK: - The `queues:` and `callbacks:` sections

extension HandoffdConfiguration {
    static let weekdays = ["mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7]

    mutating func readQueues(_ node: Node?, callbacks callbacksNode: Node?, _ reader: ConfigReader) {
        for (queue, value) in reader.mapping(node, "queues", allowed: []) {
            let path = "queues.\(queue)"
            let nodes = reader.mapping(value, path, allowed: ["time_zone", "hours", "holidays", "callback_slot", "callback_capacity", "target_wait", "overflow_to"])
            var settings = QueueSettings()
            reader.string(nodes["time_zone"], "\(path).time_zone", into: &settings.timeZone)
            if TimeZone(identifier: settings.timeZone) == nil {
                reader.problem(nodes["time_zone"], "\(path).time_zone", "'\(settings.timeZone)' is not a time zone this system knows; use an IANA name such as Europe/Berlin")
            }
            for (day, text) in reader.mapping(nodes["hours"], "\(path).hours", allowed: Array(Self.weekdays.keys)) {
                guard let weekday = Self.weekdays[day], let string = text.string, let ranges = BusinessHours.parseRanges(string) else {
                    reader.problem(text, "\(path).hours.\(day)", "write opening hours as 09:00-17:00, or 09:00-12:00,13:00-17:00")
                    continue
                }
                settings.hours[weekday] = ranges
            }
            if let holidays = nodes["holidays"] {
                for item in holidays.sequence ?? [] {
                    guard let date = item.string, Timestamp(rfc3339: date + "T00:00:00Z") != nil else {
                        reader.problem(item, "\(path).holidays", "write holidays as dates, e.g. 2026-12-25")
                        continue
                    }
                    settings.holidays.insert(date)
                }
            }
            reader.duration(nodes["callback_slot"], "\(path).callback_slot", into: &settings.callbackSlot)
            reader.int(nodes["callback_capacity"], "\(path).callback_capacity", into: &settings.callbackCapacity, range: 1...10_000)
            if let node = nodes["target_wait"] {
                var target: Duration = .zero
                reader.duration(node, "\(path).target_wait", into: &target)
                if target <= .zero { reader.problem(node, "\(path).target_wait", "must be more than zero") }
                settings.targetWait = target
            }
            if let node = nodes["overflow_to"] {
                var backup = ""
                reader.string(node, "\(path).overflow_to", into: &backup)
                if backup == queue { reader.problem(node, "\(path).overflow_to", "a queue cannot overflow to itself") }
                settings.overflowTo = backup
            }
            queues[queue] = settings
        }
        let nodes = reader.mapping(callbacksNode, "callbacks", allowed: ["max_attempts", "retry_after", "offer_above", "horizon_days", "lead_time", "customer_hours"])
        reader.int(nodes["max_attempts"], "callbacks.max_attempts", into: &callbacks.maxAttempts, range: 1...20)
        reader.duration(nodes["retry_after"], "callbacks.retry_after", into: &callbacks.retryAfter)
        reader.duration(nodes["offer_above"], "callbacks.offer_above", into: &callbacks.offerAbove)
        reader.int(nodes["horizon_days"], "callbacks.horizon_days", into: &callbacks.horizonDays, range: 1...90)
        reader.duration(nodes["lead_time"], "callbacks.lead_time", into: &callbacks.leadTime)
        if let node = nodes["customer_hours"] {
            if let text = node.string, let ranges = BusinessHours.parseRanges(text) {
                callbacks.customerHours = BusinessHours.merged(ranges)
                // A range shorter than a slot could never hold one: every request without windows would be refused.
                // (Queues not under `queues:` have slots of 30 minutes.)
                let slot = max(queues.values.map(\.callbackSlot).max() ?? .zero, .seconds(1800))
                if let short = callbacks.customerHours.first(where: { Duration.seconds($0.count) < slot }) {
                    let text = { (second: Int) in LocalTime(dayNumber: 0, secondOfDay: second).clockText }
                    reader.problem(node, "callbacks.customer_hours",
                                   "\(text(short.lowerBound))-\(text(short.upperBound)) is shorter than a callback slot (\(slot.components.seconds / 60) minutes): no callback would fit in it")
                }
            } else {
                reader.problem(node, "callbacks.customer_hours", "write calling hours as 08:00-20:00, or 09:00-12:00,14:00-19:00 (00:00-24:00: any time)")
            }
        }
    }

    /// The queues as the machine may ask about them: these plans and rules, with an empty view and no
    /// bookings; the owner builds it once and puts the current view and bookings in before each use.
    public func advisor(view: QueueView = QueueView(), book: CallbackBook = CallbackBook()) -> QueueAdvisor {
        var plans: [String: CallbackPlan] = [:]
        for (queue, settings) in queues {
            let zone = FoundationZone(identifier: settings.timeZone) ?? FoundationZone(identifier: "UTC")!
            let hours = settings.hours.isEmpty ? nil : BusinessHours(weekly: settings.hours, holidays: settings.holidays, zone: zone)
            plans[queue] = CallbackPlan(hours: hours, slotLength: settings.callbackSlot.milliseconds, capacity: settings.callbackCapacity)
        }
        var rules = QueueAdvisor.CallbackSettings()
        rules.maxAttempts = callbacks.maxAttempts
        rules.retryAfter = callbacks.retryAfter.milliseconds
        rules.offerAbove = callbacks.offerAbove.seconds
        rules.customerHours = callbacks.customerHours
        var advisor = QueueAdvisor(view: view, estimator: waits.estimator, book: book, plans: plans, defaultPlan: CallbackPlan(hours: nil),
                                   scheduler: CallbackScheduler(horizonDays: callbacks.horizonDays, leadTime: callbacks.leadTime.milliseconds),
                                   callbacks: rules, zone: { FoundationZone(identifier: $0) })
        for (queue, settings) in queues {
            if let target = settings.targetWait { advisor.targets[queue] = (target.milliseconds, settings.overflowTo) }
        }
        return advisor
    }
}

/// A zone of the system's time-zone database (tzdata), through Foundation.
public struct FoundationZone: ZoneRules {
    private let zone: TimeZone
    public var identifier: String { zone.identifier }

    public init?(identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        self.zone = zone
    }

    public func offset(at instant: Timestamp) -> Int {
        zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant.millisecondsSinceEpoch) / 1000))
    }
}

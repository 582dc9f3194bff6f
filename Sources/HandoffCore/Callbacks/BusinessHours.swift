/// When a queue is staffed: weekly opening hours in the queue's time zone, minus holidays. Computed
/// on wall-clock time in that zone, so opening at 09:00 stays 09:00 across daylight-saving changes.
public struct BusinessHours: Sendable {
    /// Weekday (1 = Monday … 7 = Sunday) → opening ranges in seconds since local midnight.
    public var weekly: [Int: [Range<Int>]]
    /// Local dates (`YYYY-MM-DD`) the queue is closed all day.
    public var holidays: Set<String>
    public var zone: any ZoneRules

    public init(weekly: [Int: [Range<Int>]], holidays: Set<String> = [], zone: any ZoneRules) {
        self.weekly = weekly
        self.holidays = holidays
        self.zone = zone
    }

    public func isOpen(at instant: Timestamp) -> Bool {
        let local = LocalTime(instant, in: zone)
        guard !holidays.contains(local.dateText) else { return false }
        return weekly[local.weekday, default: []].contains { $0.contains(local.secondOfDay) }
    }

    /// The opening intervals (as instants) that end after `start`, day by day for `days` local days.
    public func openings(from start: Timestamp, days: Int) -> [(start: Timestamp, end: Timestamp)] {
        let first = LocalTime(start, in: zone).dayNumber
        var result: [(Timestamp, Timestamp)] = []
        for day in first..<(first + days) {
            let date = LocalTime(dayNumber: day)
            guard !holidays.contains(date.dateText) else { continue }
            for range in weekly[date.weekday, default: []].sorted(by: { $0.lowerBound < $1.lowerBound }) {
                let open = LocalTime(dayNumber: day, secondOfDay: range.lowerBound).instant(in: zone)
                let close = LocalTime(dayNumber: day, secondOfDay: range.upperBound).instant(in: zone)
                if close > start && close > open { result.append((open, close)) }
            }
        }
        return result
    }

    /// Parses `09:00-17:00` or `09:00-12:00,13:00-17:30` into ranges of seconds since midnight.
    public static func parseRanges(_ text: String) -> [Range<Int>]? {
        var ranges: [Range<Int>] = []
        for part in text.split(separator: ",") {
            let ends = part.trimmingSpaces.split(separator: "-")
            guard ends.count == 2, let open = parseClock(ends[0]), let close = parseClock(ends[1]), open < close else { return nil }
            ranges.append(open..<close)
        }
        return ranges.isEmpty ? nil : ranges
    }

    /// The ranges in order, those that overlap or touch joined: `00:00-12:00,12:00-24:00` is the whole day.
    public static func merged(_ ranges: [Range<Int>]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound {
                result[result.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    static func parseClock(_ text: Substring) -> Int? {
        let parts = text.trimmingSpaces.split(separator: ":")
        guard parts.count == 2, let hours = Int(parts[0]), let minutes = Int(parts[1]), (0...24).contains(hours), (0..<60).contains(minutes),
              hours * 3600 + minutes * 60 <= 86_400 else { return nil }
        return hours * 3600 + minutes * 60
    }
}

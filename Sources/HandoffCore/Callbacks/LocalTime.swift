/// A time zone's rules as the scheduler needs them: the UTC offset in force at an instant. Supplied
/// from the system time-zone database by the service (Foundation's `TimeZone`), so the core does no I/O
/// and never assumes a fixed offset.
public protocol ZoneRules: Sendable {
    /// The IANA name, e.g. `Europe/Berlin`.
    var identifier: String { get }
    /// Seconds east of UTC at this instant (daylight saving included).
    func offset(at instant: Timestamp) -> Int
}

/// A wall-clock date and time in some zone, with the civil-calendar arithmetic the scheduler needs.
public struct LocalTime: Sendable, Equatable, Comparable {
    public var year: Int
    public var month: Int
    public var day: Int
    /// Seconds since local midnight.
    public var secondOfDay: Int

    public init(year: Int, month: Int, day: Int, secondOfDay: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.secondOfDay = secondOfDay
    }

    /// Days since 1970-01-01 (proleptic Gregorian).
    public var dayNumber: Int { Int(Timestamp.days(fromCivil: Int64(year), Int64(month), Int64(day))) }

    public init(dayNumber: Int, secondOfDay: Int = 0) {
        let (year, month, day) = Timestamp.civil(fromDays: Int64(dayNumber))
        self.init(year: Int(year), month: Int(month), day: Int(day), secondOfDay: secondOfDay)
    }

    /// 1 = Monday … 7 = Sunday.
    public var weekday: Int { ((dayNumber % 7) + 7 + 3) % 7 + 1 }

    /// `YYYY-MM-DD`.
    public var dateText: String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day))"
    }

    /// `HH:MM`.
    public var clockText: String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60))"
    }

    public static func < (lhs: LocalTime, rhs: LocalTime) -> Bool {
        (lhs.dayNumber, lhs.secondOfDay) < (rhs.dayNumber, rhs.secondOfDay)
    }

    /// The wall-clock time at `instant` in `zone`.
    public init(_ instant: Timestamp, in zone: any ZoneRules) {
        let seconds = Int(instant.millisecondsSinceEpoch.floorDivided(by: 1000)) + zone.offset(at: instant)
        self.init(dayNumber: seconds.floorDivided(by: 86_400), secondOfDay: seconds - seconds.floorDivided(by: 86_400) * 86_400)
    }

    /// The instant this wall-clock time names in `zone`. In a spring-forward gap the time does not
    /// exist: it is pushed forward by the gap's length (02:30 becomes 03:30), as java.time does; in a
    /// fall-back overlap, the earlier of the two instants.
    public func instant(in zone: any ZoneRules) -> Timestamp {
        let naive = Int64(dayNumber * 86_400 + secondOfDay)
        // Try the offsets in force a day either side: one of them names this wall time.
        let around = [naive - 86_400, naive + 86_400].map { zone.offset(at: Timestamp(millisecondsSinceEpoch: $0 * 1000)) }
        var candidates: [Int64] = []
        for offset in Set(around) {
            let guess = naive - Int64(offset)
            if zone.offset(at: Timestamp(millisecondsSinceEpoch: guess * 1000)) == offset { candidates.append(guess) }
        }
        if let earliest = candidates.min() { return Timestamp(millisecondsSinceEpoch: earliest * 1000) }
        // A gap: read with the offset from before the jump, which lands as far after it.
        return Timestamp(millisecondsSinceEpoch: (naive - Int64(around.min()!)) * 1000)
    }
}

extension BinaryInteger {
    func floorDivided(by divisor: Self) -> Self {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

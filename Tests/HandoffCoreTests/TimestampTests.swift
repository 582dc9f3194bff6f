import HandoffCore
import Testing

@Suite("Timestamp")
struct TimestampTests {
    // Expected values computed independently (Python's datetime).
    @Test(
        "parses RFC 3339 with Z, fractional seconds and offsets",
        arguments: [
            ("1970-01-01T00:00:00Z", 0),
            ("2025-03-04T10:15:32Z", 1_741_083_332_000),
            ("2025-03-04T10:15:32.120Z", 1_741_083_332_120),
            ("2026-11-26T15:04:05.123Z", 1_795_705_445_123),
            ("2025-03-04T10:15:32+01:00", 1_741_079_732_000),
            ("2026-01-01T00:00:00-05:30", 1_767_245_400_000),
            ("2026-01-01T02:00:00+02:00", 1_767_225_600_000),
            ("2026-01-01T00:00:00+00:00", 1_767_225_600_000),
            ("2026-01-01T00:00:00-00:00", 1_767_225_600_000),
            ("2026-01-01t00:00:00z", 1_767_225_600_000),
            ("2026-01-01T00:00:00.5+02:00", 1_767_218_400_500),
            ("2024-02-29T23:59:59.999Z", 1_709_251_199_999),
            ("2000-02-29T00:00:00Z", 951_782_400_000),
            ("1969-07-20T20:17:40Z", -14_182_940_000),
            ("1900-01-01T00:00:00Z", -2_208_988_800_000),
            ("1601-01-01T00:00:00Z", -11_644_473_600_000),
            ("0001-01-01T00:00:00Z", -62_135_596_800_000),
            ("9999-12-31T23:59:59.999Z", 253_402_300_799_999),
        ] as [(String, Int64)]
    )
    func parses(text: String, milliseconds: Int64) throws {
        let time = try #require(Timestamp(rfc3339: text))
        #expect(time.millisecondsSinceEpoch == milliseconds)
    }

    @Test(
        "fractional seconds of 1 to 9 digits keep the milliseconds (extra digits truncated)",
        arguments: [
            (".1", 100), (".12", 120), (".123", 123), (".1234", 123), (".12345", 123),
            (".123456", 123), (".1234567", 123), (".12345678", 123), (".123456789", 123),
            (".999999999", 999), (".000000001", 0), (".05", 50),
        ] as [(String, Int64)]
    )
    func fractionalSeconds(fraction: String, millis: Int64) throws {
        let time = try #require(Timestamp(rfc3339: "2025-03-04T10:15:32\(fraction)Z"))
        #expect(time.millisecondsSinceEpoch == 1_741_083_332_000 + millis)
    }

    @Test("a fraction before 1970 still counts forward from the whole second")
    func fractionBeforeEpoch() throws {
        let time = try #require(Timestamp(rfc3339: "1969-12-31T23:59:59.5Z"))
        #expect(time.millisecondsSinceEpoch == -500)
        #expect(time.rfc3339 == "1969-12-31T23:59:59.500Z")
    }

    @Test(
        "rejects impossible dates, times and anything that is not RFC 3339",
        arguments: [
            "2026-02-30T00:00:00Z",  // no 30 February
            "2026-02-29T00:00:00Z",  // 2026 is not a leap year
            "1900-02-29T00:00:00Z",  // century, not divisible by 400
            "2026-04-31T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-10T00:00:00Z",
            "2026-01-00T00:00:00Z",
            "2026-01-01T25:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T12:60:00Z",
            "2026-01-01T12:00:61Z",
            "2026-01-01T00:00:00",  // no zone
            "2026-01-01T00:00:00.123",  // no zone after a fraction
            "2026-01-01T00:00:00.Z",  // a dot without digits
            "2026-01-01T00:00:00+0200",  // offset without a colon
            "2026-01-01T00:00:00+02",
            "2026-01-01T00:00:00+24:00",
            "2026-01-01T00:00:00+02:60",
            "2026-01-01T00:00:00ZZ",
            "2026-01-01T00:00:00Z ",
            " 2026-01-01T00:00:00Z",
            "2026-01-01X00:00:00Z",
            "2026/01/01T00:00:00Z",
            "26-01-01T00:00:00Z",
            "2026-1-01T00:00:00Z",
            "2026-01-01T0:00:00Z",
            "20260101T000000Z",
            "1767225600",
            "yesterday at noon",
            "",
            "2026-01-01",
        ]
    )
    func rejects(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test(
        "formats as YYYY-MM-DDTHH:MM:SS.mmmZ in UTC",
        arguments: [
            (0, "1970-01-01T00:00:00.000Z"),
            (1, "1970-01-01T00:00:00.001Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (-86_400_000, "1969-12-31T00:00:00.000Z"),
            (1_741_083_332_120, "2025-03-04T10:15:32.120Z"),
            (1_795_705_445_123, "2026-11-26T15:04:05.123Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (-14_182_940_000, "1969-07-20T20:17:40.000Z"),
            (-62_135_596_800_000, "0001-01-01T00:00:00.000Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
        ] as [(Int64, String)]
    )
    func formats(milliseconds: Int64, expected: String) {
        let time = Timestamp(millisecondsSinceEpoch: milliseconds)
        #expect(time.rfc3339 == expected)
        #expect(time.description == expected)
    }

    @Test(
        "formatted timestamps parse back to the same instant",
        arguments: [
            "2024-02-29T12:34:56.789Z", "2000-02-29T00:00:00.000Z", "2100-02-28T23:59:59.999Z",
            "1969-12-31T23:59:59.999Z", "1900-03-01T00:00:00.000Z", "1899-12-31T23:59:59.001Z",
            "1600-02-29T06:00:00.000Z", "1970-01-01T00:00:00.000Z",
        ]
    )
    func roundTripsText(text: String) throws {
        let time = try #require(Timestamp(rfc3339: text))
        #expect(time.rfc3339 == text)
    }

    @Test("every formatted instant from 1860 to 2110 parses back to itself")
    func roundTripsRange() throws {
        // Odd steps so that days, hours, minutes, seconds and milliseconds all vary.
        var failures: [Int64] = []
        for day in stride(from: Int64(-40_000), through: 51_000, by: 37) {
            let millis = day * 86_400_000 + (day * 7_919_993) % 86_400_000
            let time = Timestamp(millisecondsSinceEpoch: millis)
            if Timestamp(rfc3339: time.rfc3339) != time { failures.append(millis) }
        }
        #expect(failures.isEmpty)
    }

    @Test("offsets describe the same instant as their UTC equivalent")
    func offsetsAreSameInstant() throws {
        let utc = try #require(Timestamp(rfc3339: "2026-03-01T05:30:00Z"))
        #expect(Timestamp(rfc3339: "2026-03-01T07:30:00+02:00") == utc)
        #expect(Timestamp(rfc3339: "2026-03-01T00:00:00-05:30") == utc)
        // Crossing a leap day backwards.
        #expect(Timestamp(rfc3339: "2024-02-29T23:00:00-02:00")?.rfc3339 == "2024-03-01T01:00:00.000Z")
    }

    @Test("arithmetic and ordering work in milliseconds")
    func arithmetic() throws {
        let start = try #require(Timestamp(rfc3339: "2025-03-04T10:15:32Z"))
        let later = start.adding(milliseconds: 90_500)
        #expect(later.rfc3339 == "2025-03-04T10:17:02.500Z")
        #expect(later.milliseconds(since: start) == 90_500)
        #expect(start.milliseconds(since: later) == -90_500)
        #expect(start < later)
        #expect(!(later < start))
        #expect([later, start].sorted() == [start, later])
    }
}

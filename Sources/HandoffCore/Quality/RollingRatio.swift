/// A ratio (numerator ÷ denominator) over a sliding time window, kept in 60 time buckets so memory
/// is constant however many samples arrive. Means are ratios too (sum of values ÷ count).
public struct RollingRatio: Sendable, Equatable {
    public let window: Int64
    private let bucketWidth: Int64
    private var buckets: [Bucket]
    /// The newest bucket seen: the window never moves back, so a clock stepping back loses nothing.
    private var newestIndex: Int64 = .min

    struct Bucket: Sendable, Equatable {
        var index: Int64 = .min
        var numerator = 0.0
        var denominator = 0.0
    }

    /// - Parameter window: milliseconds.
    public init(window: Int64, buckets: Int = 60) {
        self.window = max(1, window)
        bucketWidth = max(1, window / Int64(max(1, buckets)))
        self.buckets = Array(repeating: Bucket(), count: max(1, buckets))
    }

    public mutating func add(numerator: Double, denominator: Double, at time: Timestamp) {
        var index = time.millisecondsSinceEpoch / bucketWidth
        if newestIndex != .min && index <= newestIndex - Int64(buckets.count) {
            // Older than the whole window (a clock step back, an event from long ago): count it in the
            // oldest bucket still inside rather than overwrite a current one.
            index = newestIndex - Int64(buckets.count) + 1
        }
        newestIndex = max(newestIndex, index)
        let slot = Int(((index % Int64(buckets.count)) + Int64(buckets.count)) % Int64(buckets.count))
        if buckets[slot].index != index { buckets[slot] = Bucket(index: index) }
        buckets[slot].numerator += numerator
        buckets[slot].denominator += denominator
    }

    /// The sums over the window ending at `now`.
    public func totals(at now: Timestamp) -> (numerator: Double, denominator: Double) {
        let newest = max(now.millisecondsSinceEpoch / bucketWidth, newestIndex)
        let oldest = newest - Int64(buckets.count) + 1
        var numerator = 0.0
        var denominator = 0.0
        for bucket in buckets where bucket.index >= oldest && bucket.index <= newest {
            numerator += bucket.numerator
            denominator += bucket.denominator
        }
        return (numerator, denominator)
    }
}

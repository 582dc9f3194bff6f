/// Bounds on what the decoder accepts; anything larger is a dead letter, not a memory problem.
public struct DecodingLimits: Sendable, Equatable {
    /// The largest Kafka value (bytes) that is parsed at all. Default 256 KiB.
    public var maxEventBytes: Int
    /// The longest message text (characters). Default 20 000.
    public var maxTextLength: Int
    /// The longest identifier (characters). Default 200.
    public var maxIDLength: Int
    /// The most elements in an array field such as `sources`. Default 256.
    public var maxArrayLength: Int

    public init(maxEventBytes: Int = 256 * 1024, maxTextLength: Int = 20_000, maxIDLength: Int = 200, maxArrayLength: Int = 256) {
        self.maxEventBytes = maxEventBytes
        self.maxTextLength = maxTextLength
        self.maxIDLength = maxIDLength
        self.maxArrayLength = maxArrayLength
    }
}

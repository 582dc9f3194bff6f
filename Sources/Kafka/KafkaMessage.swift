/// One consumed record, copied out of librdkafka's buffers.
public struct KafkaMessage: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [(String, [UInt8])]
    /// The record's timestamp (create or log-append time), milliseconds since the epoch, if any.
    public var timestamp: Int64?
    /// The consumer's count of revocations and rewinds when it buffered the record: a record taken out
    /// before one of them may be stale (see ``KafkaConsumer/isStale(_:)``).
    public internal(set) var buffered: UInt64 = 0

    public init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8], headers: [(String, [UInt8])] = [], timestamp: Int64? = nil) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }

    public var keyString: String? { key.map { String(decoding: $0, as: UTF8.self) } }
}

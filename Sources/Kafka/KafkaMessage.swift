/// One consumed record, copied out of librdkafka's buffers.
///
/// A class, not a struct: a record passes from the poll thread through the buffer and a batch to the
/// decoding and the processing loop, and each of those hands is a copy. Of a struct with four
/// reference-counted members each is four retains and four releases, on objects made on another core;
/// of this, one.
public final class KafkaMessage: Sendable {
    public let topic: String
    public let partition: Int32
    public let offset: Int64
    public let key: [UInt8]?
    public let value: [UInt8]
    public let headers: [(String, [UInt8])]
    /// The record's timestamp (create or log-append time), milliseconds since the epoch, if any.
    public let timestamp: Int64?
    /// The consumer's count of revocations and rewinds when it buffered the record: a record taken out
    /// before one of them may be stale (see ``KafkaConsumer/isStale(_:)``).
    let buffered: UInt64

    public convenience init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8], headers: [(String, [UInt8])] = [], timestamp: Int64? = nil) {
        self.init(topic: topic, partition: partition, offset: offset, key: key, value: value, headers: headers, timestamp: timestamp, buffered: 0)
    }

    init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8], headers: [(String, [UInt8])], timestamp: Int64?, buffered: UInt64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
        self.buffered = buffered
    }

    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }

    public var keyString: String? { key.map { String(decoding: $0, as: UTF8.self) } }
}

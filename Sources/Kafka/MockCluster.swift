internal import CRdKafka
public import Logging

/// librdkafka's in-process mock Kafka cluster: real Kafka protocol on loopback, for the embedded
/// demo and for tests (fault injection included). Lives as long as this object.
public final class MockCluster: Sendable {
    private let host: KafkaHandle
    private let cluster: KafkaPointer
    /// `127.0.0.1:PORT,…`: usable by any client, in this process or another.
    public let bootstrapServers: String

    public init(brokers: Int = 1, logger: Logger) throws(KafkaError) {
        // The rd_kafka_t only hosts the cluster; it never connects anywhere.
        host = try KafkaHandle(type: RD_KAFKA_PRODUCER, configuration: KafkaConfiguration(),
                               callbacks: KafkaCallbacks(logger: logger))
        guard let cluster = rd_kafka_mock_cluster_new(host.rk, Int32(brokers)) else {
            throw KafkaError(code: .librdkafka, message: "could not start librdkafka's mock cluster")
        }
        self.cluster = KafkaPointer(raw: cluster)
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster.raw)
    }

    /// Creates a topic (the mock implements no CreateTopics request).
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        let result = rd_kafka_mock_topic_create(cluster.raw, name, Int32(partitions), Int32(replicationFactor))
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(result) }
    }

    /// Takes a broker down (connections closed, requests refused) or brings it back.
    public func setBroker(_ id: Int32, up: Bool) {
        _ = up ? rd_kafka_mock_broker_set_up(cluster.raw, id) : rd_kafka_mock_broker_set_down(cluster.raw, id)
    }

    /// Fails the next requests of an API (e.g. 0 = Produce, 8 = OffsetCommit) with a Kafka error code.
    public func failNextRequests(apiKey: Int16, errors: [Int32]) {
        var codes = errors.map { rd_kafka_resp_err_t(rawValue: $0) }
        codes.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_mock_push_request_errors_array(cluster.raw, apiKey, buffer.count, buffer.baseAddress)
        }
    }

    /// Moves a partition's leadership to another broker.
    public func setLeader(topic: String, partition: Int32, broker: Int32) {
        _ = rd_kafka_mock_partition_set_leader(cluster.raw, topic, partition, broker)
    }
}

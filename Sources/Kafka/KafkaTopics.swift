internal import CRdKafka
public import Logging

/// Start-up facts about topics: partition counts (metadata) and configuration (DescribeConfigs,
/// which some brokers — librdkafka's mock cluster among them — do not implement).
public enum KafkaTopics {
    /// The number of partitions of `topic`, or nil when the broker does not know it.
    public static func partitionCount(configuration: KafkaConfiguration, topic: String, logger: Logger) async throws(KafkaError) -> Int? {
        // A consumer handle that may not create topics: a producer's metadata request would create a
        // missing topic on brokers that allow it, and the check would pass on a topic nobody made.
        var configuration = configuration
        configuration["allow.auto.create.topics"] = "false"
        configuration["group.id"] = "handoffd-metadata"
        let handle = try KafkaHandle(type: RD_KAFKA_CONSUMER, configuration: configuration, callbacks: KafkaCallbacks(logger: logger))
        let pointer = handle.pointer
        let count = await BlockingCall.run { () -> Int32? in
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let topicHandle = rd_kafka_topic_new(pointer.raw, topic, nil)
            defer { if let topicHandle { rd_kafka_topic_destroy(topicHandle) } }
            guard rd_kafka_metadata(pointer.raw, 0, topicHandle, &metadata, 10_000) == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { return nil }
            defer { rd_kafka_metadata_destroy(metadata) }
            guard metadata.pointee.topic_cnt == 1, metadata.pointee.topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
            return metadata.pointee.topics[0].partition_cnt
        }
        withExtendedLifetime(handle) {}
        return count.map(Int.init)
    }

    /// The offsets `group` has committed for these partitions (absent: none), read without joining the group.
    public static func committedOffsets(configuration: KafkaConfiguration, group: String, partitions: [TopicPartition],
                                        logger: Logger) async throws(KafkaError) -> [TopicPartition: Int64] {
        var configuration = configuration
        configuration["group.id"] = group
        let handle = try KafkaHandle(type: RD_KAFKA_CONSUMER, configuration: configuration, callbacks: KafkaCallbacks(logger: logger))
        let pointer = handle.pointer
        let (code, offsets) = await BlockingCall.run { () -> (rd_kafka_resp_err_t, [TopicPartition: Int64]) in
            let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))
            defer { rd_kafka_topic_partition_list_destroy(list) }
            for partition in partitions { rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition) }
            let code = rd_kafka_committed(pointer.raw, list, 10_000)
            guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return (code, [:]) }
            var offsets: [TopicPartition: Int64] = [:]
            for index in 0..<Int(list.pointee.cnt) where list.pointee.elems[index].offset >= 0 {
                let element = list.pointee.elems[index]
                offsets[TopicPartition(topic: String(cString: element.topic), partition: element.partition)] = element.offset
            }
            return (code, offsets)
        }
        withExtendedLifetime(handle) {}
        if code != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(code) }
        return offsets
    }

    /// The value of one configuration entry of `topic` (e.g. `cleanup.policy`).
    /// - Returns: nil when the broker does not implement DescribeConfigs or does not answer.
    public static func configValue(configuration: KafkaConfiguration, topic: String, name: String, logger: Logger) async throws(KafkaError) -> String? {
        let handle = try KafkaHandle(type: RD_KAFKA_PRODUCER, configuration: configuration, callbacks: KafkaCallbacks(logger: logger))
        let pointer = handle.pointer
        let value = await BlockingCall.run { () -> String? in
            let queue = rd_kafka_queue_new(pointer.raw)
            defer { rd_kafka_queue_destroy(queue) }
            var resource: OpaquePointer? = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic)
            defer { rd_kafka_ConfigResource_destroy(resource) }
            let options = rd_kafka_AdminOptions_new(pointer.raw, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS)
            defer { rd_kafka_AdminOptions_destroy(options) }
            var errorBuffer = [CChar](repeating: 0, count: 256)
            _ = rd_kafka_AdminOptions_set_request_timeout(options, 10_000, &errorBuffer, errorBuffer.count)
            rd_kafka_DescribeConfigs(pointer.raw, &resource, 1, options, queue)
            guard let event = rd_kafka_queue_poll(queue, 15_000) else { return nil }
            defer { rd_kafka_event_destroy(event) }
            guard rd_kafka_event_error(event) == RD_KAFKA_RESP_ERR_NO_ERROR, let result = rd_kafka_event_DescribeConfigs_result(event) else { return nil }
            var count = 0
            guard let resources = rd_kafka_DescribeConfigs_result_resources(result, &count), count == 1, let described = resources[0],
                  rd_kafka_ConfigResource_error(described) == RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
            var entryCount = 0
            guard let entries = rd_kafka_ConfigResource_configs(described, &entryCount) else { return nil }
            for index in 0..<entryCount {
                guard let entry = entries[index], let entryName = rd_kafka_ConfigEntry_name(entry), String(cString: entryName) == name else { continue }
                return rd_kafka_ConfigEntry_value(entry).map { String(cString: $0) }
            }
            return nil
        }
        withExtendedLifetime(handle) {}
        return value
    }
}

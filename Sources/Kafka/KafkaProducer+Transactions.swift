internal import CRdKafka

// MARK: - Transactions (exactly-once)

/// A transactional producer (one with `transactional.id`): outputs and the input offsets that produced
/// them become visible to `read_committed` readers together, or not at all. Every blocking call runs
/// on a dedicated thread.
extension KafkaProducer {
    /// Registers the transactional id with the coordinator; fences an earlier producer with the same id
    /// and aborts the transaction it left open. Call once, before the first transaction.
    public func initTransactions(timeout: Duration) async throws(KafkaError) {
        try await blocking(timeout: timeout) { rd_kafka_init_transactions($0, $1) }
    }

    /// Starts a transaction; local to the client (the broker hears of it with the first send).
    public func beginTransaction() throws(KafkaError) {
        if let error = rd_kafka_begin_transaction(handle.rk) { throw KafkaError.consuming(error) }
    }

    /// Adds the consumer's next offsets to the transaction and commits it; waits for every message of it.
    /// - Parameter offsets: per input partition, the offset of the next record to consume. Empty: outputs only.
    /// - Throws: a ``KafkaError`` with ``KafkaError/requiresAbort`` (abort, then consume again from the
    ///   committed offsets), ``KafkaError/isRetriable`` (call again), or fatal (the producer was fenced).
    public func commitTransaction(offsets: [TopicPartition: Int64], consumer: KafkaConsumer, timeout: Duration) async throws(KafkaError) {
        let pointer = handle.pointer
        let consumerPointer = consumer.handle.pointer
        let milliseconds = timeout.librdkafkaMilliseconds
        let failure: KafkaError? = await BlockingCall.run {
            if !offsets.isEmpty {
                let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))!
                defer { rd_kafka_topic_partition_list_destroy(list) }
                for (partition, offset) in offsets {
                    rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset = offset
                }
                guard let metadata = rd_kafka_consumer_group_metadata(consumerPointer.raw) else {
                    return KafkaError(code: .librdkafka, message: "the consumer has no group metadata", requiresAbort: true)
                }
                defer { rd_kafka_consumer_group_metadata_destroy(metadata) }
                if let error = rd_kafka_send_offsets_to_transaction(pointer.raw, list, metadata, milliseconds) { return KafkaError.consuming(error) }
            }
            return rd_kafka_commit_transaction(pointer.raw, milliseconds).map { KafkaError.consuming($0) }
        }
        if let failure { throw failure }
    }

    /// Aborts the current transaction: its messages are never seen by `read_committed` readers.
    public func abortTransaction(timeout: Duration) async throws(KafkaError) {
        try await blocking(timeout: timeout) { rd_kafka_abort_transaction($0, $1) }
    }

    /// Runs a blocking transactional call on a dedicated thread and converts its error.
    private func blocking(timeout: Duration, _ call: @escaping @Sendable (OpaquePointer, Int32) -> OpaquePointer?) async throws(KafkaError) {
        let pointer = handle.pointer
        let milliseconds = timeout.librdkafkaMilliseconds
        let failure: KafkaError? = await BlockingCall.run { call(pointer.raw, milliseconds).map { KafkaError.consuming($0) } }
        if let failure { throw failure }
    }
}

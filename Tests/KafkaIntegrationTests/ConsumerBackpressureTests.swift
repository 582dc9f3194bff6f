import Foundation
import HandoffCore
import Kafka
import Logging
import Synchronization
import Testing

@Suite("Consumer backpressure on the mock cluster", .serialized)
struct ConsumerBackpressureTests {
    @Test("partition ends: an empty partition is left out, the others end after their last record; a restore reads exactly what is there")
    func endsAndReadToEnd() async throws {
        let kafka = try MockKafka(partitions: 3)
        let acknowledged = Mutex(0)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(brokers: kafka.brokers), logger: kafka.logger) { _, error in
            if error == nil { acknowledged.withLock { $0 += 1 } }
        }
        let topic = kafka.topics.conversations
        // Partition 0: five records, partition 1: none, partition 2: two.
        for (index, partition) in [0, 0, 2, 0, 0, 2, 0].enumerated() {
            try await producer.send(topic: topic, partition: Int32(partition), key: Array("k\(index)".utf8), value: Array("v\(index)".utf8), token: UInt64(index + 1))
        }
        #expect(await producer.flush(timeout: .seconds(60)) && acknowledged.withLock { $0 } == 7)
        let partitions = (0..<3).map { TopicPartition(topic: topic, partition: Int32($0)) }
        let reader = try KafkaConsumer(configuration: KafkaConfiguration(brokers: kafka.brokers), mode: .readPartitions(partitions), logger: kafka.logger, bufferLimit: 100)
        #expect(try await reader.endOffsets(timeout: .seconds(30)) == [partitions[0]: 5, partitions[2]: 2])
        await reader.close()

        let records = try await KafkaConsumer.readToEnd(configuration: KafkaConfiguration(brokers: kafka.brokers), partitions: partitions, logger: kafka.logger)
        #expect(records.map { "\($0.partition):\(String(decoding: $0.value, as: UTF8.self))" }.sorted() == ["0:v0", "0:v1", "0:v3", "0:v4", "0:v6", "2:v2", "2:v5"])
        let empty = try await KafkaConsumer.readToEnd(configuration: KafkaConfiguration(brokers: kafka.brokers), partitions: [partitions[1]], logger: kafka.logger)
        #expect(empty.isEmpty)
    }

    @Test("a stalled reader keeps the buffer bounded, pauses, and afterwards gets every message once, in order")
    func boundedBufferAndPause() async throws {
        let kafka = try MockKafka(partitions: 1)
        let count = 600
        try await kafka.publish((0..<count).map { index in ("k", Array("message-\(index)".utf8), []) })
        let consumer = try KafkaConsumer(configuration: kafka.configuration(group: "g-backpressure"), mode: .group(topics: [kafka.topics.conversations]),
                                         logger: kafka.logger, bufferLimit: 20)
        // Nobody reads: once the group is joined the buffer fills; it then stays full past the pause threshold.
        let fillDeadline = ContinuousClock.now + .seconds(60)
        while consumer.bufferedCount < 20 && ContinuousClock.now < fillDeadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(consumer.bufferedCount == 20)
        // The pause comes pauseAfter after the buffer filled. The margin is for a machine busy with other
        // tests, where a pause once took longer than 15 s (it costs time only when the test fails).
        let deadline = ContinuousClock.now + KafkaConsumer.pauseAfter + .seconds(60)
        var largest = 0
        var paused = false
        while ContinuousClock.now < deadline && !paused {
            largest = max(largest, consumer.bufferedCount)
            paused = consumer.isPaused
            try await Task.sleep(for: .milliseconds(20))
        }
        largest = max(largest, consumer.bufferedCount)
        #expect(largest <= 20, "the buffer never holds more than its limit")
        let backlog = consumer.lag().values.reduce(0, +)
        #expect(backlog >= Int64(count - 20) - 1, "the lag shows the records not taken yet (\(backlog))")
        #expect(paused, "a buffer full for longer than pauseAfter pauses the partitions (buffered now: \(consumer.bufferedCount))")

        var received: [String] = []
        let readDeadline = ContinuousClock.now + .seconds(60)
        while received.count < count && ContinuousClock.now < readDeadline {
            received += (await consumer.nextBatch(maximum: 7, timeout: .milliseconds(200)) ?? []).map { String(decoding: $0.value, as: UTF8.self) }
        }
        #expect(received == (0..<count).map { "message-\($0)" })
        #expect(!consumer.isPaused, "resumed once drained")
        #expect(consumer.lag().values.reduce(0, +) == 0, "nothing left behind")
        await consumer.close()
    }

    @Test("a rewind to the committed offsets (an aborted transaction) while the buffer is full and paused delivers every record again, in order")
    func rewindWhilePaused() async throws {
        let kafka = try MockKafka(partitions: 1)
        let count = 300
        try await kafka.publish((0..<count).map { index in ("k", Array("message-\(index)".utf8), []) })
        let consumer = try KafkaConsumer(configuration: kafka.configuration(group: "g-rewind"), mode: .group(topics: [kafka.topics.conversations]),
                                         logger: kafka.logger, bufferLimit: 20)
        // Take a few (nothing is committed), then let the buffer fill until the partitions pause.
        var taken: [KafkaMessage] = []
        let takeDeadline = ContinuousClock.now + .seconds(60)
        while taken.count < 10 && ContinuousClock.now < takeDeadline {
            taken += await consumer.nextBatch(maximum: 10 - taken.count, timeout: .milliseconds(200)) ?? []
        }
        #expect(!taken.contains(where: consumer.isStale))
        let pauseDeadline = ContinuousClock.now + KafkaConsumer.pauseAfter + .seconds(10)
        while !consumer.isPaused && ContinuousClock.now < pauseDeadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(consumer.isPaused)
        try await consumer.rewindToCommitted(timeout: .seconds(10))
        #expect(!consumer.isPaused)
        // Taken before the rewind and not processed yet (a batch decoded ahead): they come again, so these copies are stale.
        #expect(taken.allSatisfy(consumer.isStale))
        var received: [KafkaMessage] = []
        let readDeadline = ContinuousClock.now + .seconds(60)
        while received.count < count && ContinuousClock.now < readDeadline {
            received += await consumer.nextBatch(maximum: 50, timeout: .milliseconds(200)) ?? []
        }
        #expect(taken.map { String(decoding: $0.value, as: UTF8.self) } == (0..<10).map { "message-\($0)" })
        #expect(received.map { String(decoding: $0.value, as: UTF8.self) } == (0..<count).map { "message-\($0)" },
                "from the beginning (nothing committed), each once, in order")
        #expect(!received.contains(where: consumer.isStale))
        await consumer.close()
    }

    @Test("a record taken before its partition was revoked is stale, even once the partition is assigned here again")
    func staleAcrossReassignment() async throws {
        let kafka = try MockKafka(partitions: 1)
        try await kafka.publish((0..<50).map { index in ("k", Array("message-\(index)".utf8), []) })
        let group = "g-stale"
        let events = Mutex<[String]>([])
        let first = try KafkaConsumer(configuration: kafka.configuration(group: group), mode: .group(topics: [kafka.topics.conversations]),
                                      logger: kafka.logger, bufferLimit: 20) { event in
            switch event {
            case .assigned: events.withLock { $0.append("assigned") }
            case .revoked: events.withLock { $0.append("revoked") }
            }
        }
        var taken: [KafkaMessage] = []
        let takeDeadline = ContinuousClock.now + .seconds(60)
        while taken.count < 5 && ContinuousClock.now < takeDeadline {
            taken += await first.nextBatch(maximum: 5 - taken.count, timeout: .milliseconds(200)) ?? []
        }
        #expect(taken.count == 5 && !taken.contains(where: first.isStale))
        // A second member joins and leaves: the first loses its partition (the eager assignor revokes all)
        // and gets it back, reading again from the committed offset (nothing committed: the beginning).
        let second = try KafkaConsumer(configuration: kafka.configuration(group: group), mode: .group(topics: [kafka.topics.conversations]), logger: kafka.logger)
        let revokedDeadline = ContinuousClock.now + .seconds(60)
        while !events.withLock({ $0.contains("revoked") }) && ContinuousClock.now < revokedDeadline {
            _ = await first.nextBatch(maximum: 1, timeout: .milliseconds(50))
            _ = await second.nextBatch(maximum: 1, timeout: .milliseconds(50))
        }
        await second.close()
        var again: [KafkaMessage] = []
        let againDeadline = ContinuousClock.now + .seconds(60)
        while !again.contains(where: { $0.offset == 0 }) && ContinuousClock.now < againDeadline {
            again += await first.nextBatch(maximum: 50, timeout: .milliseconds(200)) ?? []
        }
        #expect(events.withLock { $0 }.starts(with: ["assigned", "revoked"]))
        #expect(events.withLock { $0.last } == "assigned")
        #expect(taken.allSatisfy(first.isStale), "taken before the revocation: its partition is read again from the committed offset")
        // The revocation emptied the buffer of the partition: everything taken since was fetched after it.
        #expect(again.contains { $0.offset == 0 } && !again.contains(where: first.isStale))
        await first.close()
    }
}

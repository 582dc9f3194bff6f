import Foundation
import HandoffCore
import Kafka
import Logging
import Testing

@Suite("Consumer backpressure on the mock cluster", .serialized)
struct ConsumerBackpressureTests {
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
        let deadline = ContinuousClock.now + KafkaConsumer.pauseAfter + .seconds(1)
        var largest = 0
        var paused = false
        while ContinuousClock.now < deadline {
            largest = max(largest, consumer.bufferedCount)
            paused = paused || consumer.isPaused
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(largest <= 20, "the buffer never holds more than its limit")
        let backlog = consumer.lag().values.reduce(0, +)
        #expect(backlog >= Int64(count - 20) - 1, "the lag shows the records not taken yet (\(backlog))")
        #expect(paused, "a buffer full for longer than pauseAfter pauses the partitions")

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
        var taken: [String] = []
        let takeDeadline = ContinuousClock.now + .seconds(60)
        while taken.count < 10 && ContinuousClock.now < takeDeadline {
            taken += (await consumer.nextBatch(maximum: 10 - taken.count, timeout: .milliseconds(200)) ?? []).map { String(decoding: $0.value, as: UTF8.self) }
        }
        let pauseDeadline = ContinuousClock.now + KafkaConsumer.pauseAfter + .seconds(10)
        while !consumer.isPaused && ContinuousClock.now < pauseDeadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(consumer.isPaused)
        try await consumer.rewindToCommitted(timeout: .seconds(10))
        #expect(!consumer.isPaused)
        var received: [String] = []
        let readDeadline = ContinuousClock.now + .seconds(60)
        while received.count < count && ContinuousClock.now < readDeadline {
            received += (await consumer.nextBatch(maximum: 50, timeout: .milliseconds(200)) ?? []).map { String(decoding: $0.value, as: UTF8.self) }
        }
        #expect(taken == (0..<10).map { "message-\($0)" })
        #expect(received == (0..<count).map { "message-\($0)" }, "from the beginning (nothing committed), each once, in order")
        await consumer.close()
    }
}

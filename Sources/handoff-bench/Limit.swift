import Foundation
import Kafka
import Logging
import Synchronization

extension Bench {
    /// The ceiling for handoffd on a broker: our Kafka layer (librdkafka underneath) joins a fresh group and
    /// consumes the topic exactly as the pipeline does (group mode, the same buffer, batches of 512), with
    /// no processing at all, until `expect` records have arrived.
    ///
    ///     handoff-bench limit --brokers HOST:PORT --topic support.conversations --group G --expect N [--batch 512]
    static func limit(brokers: String, topic: String, group: String, expect: Int, batch: Int) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let clock = ContinuousClock()
        let start = clock.now
        let assignedAt = Mutex<ContinuousClock.Instant?>(nil)
        let configuration = KafkaConfiguration(brokers: brokers, properties: ["group.id": group, "session.timeout.ms": "6000"])
        let consumer = try KafkaConsumer(configuration: configuration, mode: .group(topics: [topic]), logger: logger) { event in
            if case .assigned = event { assignedAt.withLock { $0 = $0 ?? clock.now } }
        }
        var count = 0
        var bytes = 0
        var firstAt: ContinuousClock.Instant?
        let deadline = start + .seconds(600)
        while count < expect, clock.now < deadline {
            guard let messages = await consumer.nextBatch(maximum: batch, timeout: .milliseconds(500)) else { break }
            if firstAt == nil, !messages.isEmpty { firstAt = clock.now }
            count += messages.count
            for message in messages { bytes += message.value.count }
        }
        let end = clock.now
        await consumer.close()
        func seconds(_ duration: Duration) -> Double { duration.inSeconds }
        let total = seconds(end - start)
        let assigned = assignedAt.withLock { $0 }.map { seconds($0 - start) } ?? .nan
        let fromFirst = seconds(end - (firstAt ?? end))
        print(String(format: "limit: %d records (%.0f MB) of %@ consumed, no processing; assigned after %.2f s, first record after %.2f s; "
                     + "%.2f s in all = %.0f records/s; %.2f s from the first record = %.0f records/s",
                     count, Double(bytes) / 1e6, topic, assigned, seconds((firstAt ?? end) - start),
                     total, Double(count) / total, fromFirst, Double(count) / max(fromFirst, 1e-9)))
        if count < expect { print("limit: stopped after 600 s with \(count) of \(expect) records") }
    }
}

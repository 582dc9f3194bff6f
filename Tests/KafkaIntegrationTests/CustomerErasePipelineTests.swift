import Foundation
import HandoffCore
import HandoffService
import Kafka
import Logging
import Synchronization
import Testing

@Suite("Erasing a customer across instances on the mock cluster", .serialized)
struct CustomerErasePipelineTests {
    static let partitions = 4

    func event(_ id: String, _ type: String, conversation: String, _ data: [String: JSONValue]) -> [UInt8] {
        var members = data
        members["conversation_id"] = .string(conversation)
        return JSONWriter.bytes(.object(["specversion": .string("1.0"), "id": .string(id), "source": .string("s"), "type": .string(type),
                                         "time": .string(Timestamp.now.rfc3339), "subject": .string(conversation), "data": .object(members)]))
    }

    /// Sends records to chosen partitions, so the customer's conversations are on every partition.
    func publish(_ kafka: MockKafka, _ records: [(partition: Int32, key: String, value: [UInt8])]) async throws {
        let acknowledged = Mutex(0)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(brokers: kafka.brokers), logger: kafka.logger) { _, error in
            if error == nil { acknowledged.withLock { $0 += 1 } }
        }
        for (index, record) in records.enumerated() {
            try await producer.send(topic: kafka.topics.conversations, partition: record.partition, key: Array(record.key.utf8), value: record.value, token: UInt64(index + 1))
        }
        #expect(await producer.flush(timeout: .seconds(30)))
        #expect(acknowledged.withLock { $0 } == records.count)
    }

    @Test("an erase reaches every partition: each owner forgets the customer's conversations, tombstones their state, cancels their callbacks and answers")
    func erasesEverywhere() async throws {
        let kafka = try MockKafka(partitions: Self.partitions)
        let topics = HandoffdConfiguration.Topics()
        try kafka.cluster.createTopic(topics.changelog, partitions: Self.partitions)
        var configuration = HandoffdConfiguration()
        configuration.processing.changelog = true
        let first = HandoffPipeline(configuration: configuration, kafka: kafka.configuration(group: "g-erase"), logger: kafka.logger)
        let second = HandoffPipeline(configuration: configuration, kafka: kafka.configuration(group: "g-erase"), logger: kafka.logger)
        let reader = try OutputReader(consumer: KafkaConsumer(configuration: KafkaConfiguration(brokers: kafka.brokers),
                                                              mode: .readAll(topics: [topics.alerts, topics.callbacks]), logger: kafka.logger))
        // Two conversations of the customer on every partition, one of them with a callback booked; another customer beside them.
        let erased = (0..<(2 * Self.partitions)).map { "conv-erase-x-\($0)" }
        var records: [(partition: Int32, key: String, value: [UInt8])] = erased.enumerated().map { index, conversation in
            (Int32(index % Self.partitions), conversation, event("\(conversation)-1", EventType.conversationStarted, conversation: conversation,
                                                                 ["customer_id": .string("cust-x"), "channel": .string("web"), "locale": .string("en-GB")]))
        }
        records.append((3, erased[3], event("\(erased[3])-2", EventType.callbackRequested, conversation: erased[3],
                                            ["contact_ref": .string("crm:9"), "time_zone": .string("Europe/London")])))
        records.append((1, "conv-erase-y", event("conv-erase-y-1", EventType.conversationStarted, conversation: "conv-erase-y",
                                                 ["customer_id": .string("cust-y"), "channel": .string("web"), "locale": .string("en-GB")])))
        let input = records
        let receipts = try await running([first, second], logger: kafka.logger) {
            // Both instances own partitions before anything is published.
            let deadline = ContinuousClock.now + .seconds(60)
            while (first.healthSnapshot.partitionsAssigned == 0 || second.healthSnapshot.partitionsAssigned == 0
                   || first.healthSnapshot.partitionsAssigned + second.healthSnapshot.partitionsAssigned < Self.partitions) && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(first.healthSnapshot.partitionsAssigned == Self.partitions / 2 && second.healthSnapshot.partitionsAssigned == Self.partitions / 2)
            try await publish(kafka, input)
            #expect(await reader.wait { $0.contains { $0["type"]?.stringValue == EventType.callbackScheduled } }, "the callback was booked")
            let erase: JSONValue = .object(["specversion": .string("1.0"), "id": .string("erase-42"), "source": .string("privacy-tool"),
                                            "type": .string(EventType.customerErase), "time": .string(Timestamp.now.rfc3339),
                                            "data": .object(["customer_id": .string("cust-x")])])
            try await kafka.publish([(key: "cust-x", value: JSONWriter.bytes(erase), headers: [])])
            _ = await reader.wait { events in events.filter { $0["type"]?.stringValue == EventType.customerErased }.count >= Self.partitions }
            return reader.events(ofType: EventType.customerErased)
        }
        #expect(Set(receipts.compactMap { $0["data"]?["partition"]?.intValue }) == Set(0..<Self.partitions), "one receipt per partition")
        #expect(receipts.allSatisfy { $0["data"]?["erase_id"]?.stringValue == "erase-42" })
        #expect(receipts.compactMap { $0["data"]?["conversations_erased"]?.intValue }.reduce(0, +) == erased.count,
                "every conversation of the customer, on the partitions of both instances")
        #expect(reader.events(ofType: EventType.callbackCancelled).map { $0["subject"]?.stringValue } == [erased[3]])
        // The changelog's last word on each of the customer's conversations is a tombstone; the other customer's state stays.
        let changelog = try await KafkaConsumer.readToEnd(configuration: KafkaConfiguration(brokers: kafka.brokers),
                                                          partitions: (0..<Int32(Self.partitions)).map { TopicPartition(topic: topics.changelog, partition: $0) },
                                                          logger: kafka.logger)
        var latest: [String: [UInt8]] = [:]
        for record in changelog { if let key = record.keyString { latest[key] = record.value } }
        #expect(erased.allSatisfy { latest[$0]?.isEmpty == true }, "tombstones: \(erased.filter { latest[$0]?.isEmpty != true })")
        #expect(latest["conv-erase-y"]?.isEmpty == false)
        await reader.close()
    }
}

import Foundation
import HandoffCore
import HandoffService
import Kafka
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// An in-process Kafka (librdkafka's mock cluster) with handoffd's topics, a frontend that
/// publishes, and a reader that sees every output, like an agent desktop.
final class MockKafka: Sendable {
    let cluster: MockCluster
    let topics = HandoffdConfiguration.Topics()
    let logger: Logger

    init(brokers: Int = 1, partitions: Int = 3) throws {
        var logger = Logger(label: "test")
        // HANDOFFD_TEST_LOG_LEVEL=debug shows the broker's and librdkafka's logs while debugging a test.
        logger.logLevel = ProcessInfo.processInfo.environment["HANDOFFD_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        self.logger = logger
        cluster = try MockCluster(brokers: brokers, logger: logger)
        for (topic, count) in [(topics.conversations, partitions), (topics.agents, 1), (topics.handoffs, partitions), (topics.directives, partitions), (topics.deadLetter, 1),
                               (topics.alerts, 1), (topics.callbacks, partitions)] {
            try cluster.createTopic(topic, partitions: count)
        }
    }

    var brokers: String { cluster.bootstrapServers }

    func configuration(group: String = "handoffd-test") -> KafkaConfiguration {
        KafkaConfiguration(brokers: brokers, properties: ["group.id": group, "session.timeout.ms": "6000", "auto.commit.interval.ms": "200"])
    }

    func pipeline(group: String = "handoffd-test") -> HandoffPipeline {
        HandoffPipeline(configuration: HandoffdConfiguration(), kafka: configuration(group: group), logger: logger)
    }

    /// Publishes records as a chat frontend would (or, to `topic`, an agent desktop); returns when all are acknowledged.
    func publish(_ records: [(key: String?, value: [UInt8], headers: [(String, [UInt8])])], to topic: String? = nil) async throws {
        let acknowledged = Mutex(0)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(brokers: brokers), logger: logger) { _, error in
            if error == nil { acknowledged.withLock { $0 += 1 } }
        }
        for (index, record) in records.enumerated() {
            try await producer.send(topic: topic ?? topics.conversations, key: record.key.map { Array($0.utf8) }, value: record.value, headers: record.headers, token: UInt64(index + 1))
        }
        #expect(await producer.flush(timeout: .seconds(60)))
        #expect(acknowledged.withLock { $0 } == records.count)
    }

    func publish(lines: [String], to topic: String? = nil) async throws {
        try await publish(lines.map { line in
            let key = (try? JSONParser.parse(line))?["subject"]?.stringValue
            return (key, Array(line.utf8), [])
        }, to: topic)
    }

    /// Reads the handoffs, directives and dead letters, or the topics given.
    func reader(of read: [String]? = nil) throws -> OutputReader {
        try OutputReader(consumer: KafkaConsumer(configuration: KafkaConfiguration(brokers: brokers),
                                                 mode: .readAll(topics: read ?? [topics.handoffs, topics.directives, topics.deadLetter]), logger: logger))
    }
}

/// Collects output events and waits (bounded) for conditions on them.
final class OutputReader: Sendable {
    let consumer: KafkaConsumer
    private let received = Mutex<[JSONValue]>([])

    init(consumer: KafkaConsumer) {
        self.consumer = consumer
    }

    var events: [JSONValue] { received.withLock { $0 } }

    func events(ofType type: String) -> [JSONValue] { events.filter { $0["type"]?.stringValue == type } }

    /// Reads until `condition` holds or `timeout` passes; returns whether it held.
    func wait(timeout: Duration = .seconds(60), until condition: ([JSONValue]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(events) { return true }
            let batch = await consumer.nextBatch(timeout: .milliseconds(200)) ?? []
            let parsed = batch.compactMap { try? JSONParser.parse($0.value) }
            received.withLock { $0 += parsed }
        }
        return condition(events)
    }

    func close() async { await consumer.close() }
}

/// Runs services in a ServiceGroup for the duration of `body`, then shuts them down gracefully.
func running<Result: Sendable>(_ services: [any Service], logger: Logger, _ body: @Sendable () async throws -> Result) async throws -> Result {
    let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, logger: logger))
    return try await withThrowingTaskGroup(of: Result?.self) { tasks in
        tasks.addTask { try await group.run(); return nil }
        let result = try await body()
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return result
    }
}

/// Polls `condition` until it holds, at most 30 s; whether it held.
func waitFor(_ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(30)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return condition()
}

enum Examples {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("protocols/examples")

    /// Every example conversation's lines, file by file.
    static func conversations() throws -> [[String]] {
        try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil).filter { $0.pathExtension == "jsonl" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
            .map { try String(contentsOf: $0, encoding: .utf8).split(separator: "\n").map(String.init) }
    }

    /// Conversation ids expected to escalate, from expected.json.
    static func escalating() throws -> Set<String> {
        let expected = try JSONParser.parse(Array(try Data(contentsOf: folder.appendingPathComponent("expected.json"))))
        guard case .object(let members) = expected else { return [] }
        return Set(members.filter { $0.value["escalates"] == .bool(true) }.keys)
    }

    /// Lines of all conversations interleaved round-robin, each conversation in its own order.
    static func interleaved(_ conversations: [[String]]) -> [String] {
        var lines: [String] = []
        let longest = conversations.map(\.count).max() ?? 0
        for index in 0..<longest {
            for conversation in conversations where index < conversation.count { lines.append(conversation[index]) }
        }
        return lines
    }
}

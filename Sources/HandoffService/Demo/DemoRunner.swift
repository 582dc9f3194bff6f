import Foundation
import HandoffCore
public import Kafka
public import Logging
import ServiceLifecycle
import Synchronization

/// `make demo`: the broker on an embedded Kafka (librdkafka's mock cluster), fed the example
/// conversations as a chat frontend would publish them, and a readable account of what it decided.
public struct DemoRunner {
    let examples: String
    let configuration: HandoffdConfiguration
    let logger: Logger

    public init(examples: String, configuration: HandoffdConfiguration, logger: Logger) {
        self.examples = examples
        self.configuration = configuration
        self.logger = logger
    }

    /// Everything the demo saw on the output topics.
    public struct Outcome: Sendable {
        public var published = 0
        public var outputs: [KafkaMessage] = []
        public var text = ""
    }

    public func run() async throws -> Outcome {
        let files = try FileManager.default.contentsOfDirectory(atPath: examples).filter { $0.hasSuffix(".jsonl") }.sorted()
        guard !files.isEmpty else { throw DemoError(message: "no example conversations (*.jsonl) in \(examples)") }
        var records: [(key: String, value: [UInt8])] = []
        for file in files {
            let text = try String(contentsOfFile: examples + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") where !line.allSatisfy(\.isWhitespace) {
                let key: String = if let json = try? JSONParser.parse(String(line)), case .string(let subject)? = json["subject"] { subject } else { "" }
                records.append((key, Array(line.utf8)))
            }
        }
        let conversations = Set(records.map(\.key))
        // What a buggy frontend might send: it must land in the dead-letter topic, not stop anything.
        records.append(("conv-broken-999", Array("{\"specversion\":\"1.0\",\"type\":\"support.message.customer\"".utf8)))

        let cluster = try MockCluster(brokers: 1, logger: logger)
        let topics = configuration.topics
        for (topic, partitions) in [(topics.conversations, 3), (topics.agents, 1), (topics.handoffs, 3), (topics.directives, 3), (topics.deadLetter, 1), (topics.alerts, 1), (topics.callbacks, 3)] {
            try cluster.createTopic(topic, partitions: partitions)
        }
        let kafka = configuration.kafkaConfiguration(brokers: cluster.bootstrapServers, overrides: ["group.id": "handoffd-demo"])
        let pipeline = HandoffPipeline(configuration: configuration, kafka: kafka, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: pipeline)], logger: logger))

        var outcome = Outcome()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }

            // The chat frontend.
            let acknowledged = AcknowledgementCounter()
            let frontend = try KafkaProducer(configuration: KafkaConfiguration(brokers: cluster.bootstrapServers), logger: logger) { _, error in
                if error == nil { acknowledged.increment() }
            }
            for (index, record) in records.enumerated() {
                try await frontend.send(topic: topics.conversations, key: Array(record.key.utf8), value: record.value, token: UInt64(index + 1))
            }
            _ = await frontend.flush(timeout: .seconds(30))
            outcome.published = acknowledged.value

            // An agent desktop's view of the outputs.
            let reader = try KafkaConsumer(configuration: KafkaConfiguration(brokers: cluster.bootstrapServers),
                                           mode: .readAll(topics: [topics.handoffs, topics.directives, topics.deadLetter]), logger: logger)
            let deadline = ContinuousClock.now + .seconds(90)
            while ContinuousClock.now < deadline {
                let statistics = pipeline.statisticsSnapshot
                if statistics.records >= outcome.published && outcome.outputs.count >= statistics.outputs { break }
                outcome.outputs += await reader.nextBatch(timeout: .milliseconds(200)) ?? []
            }
            await reader.close()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        outcome.text = DemoReport.render(outputs: outcome.outputs, conversations: conversations, published: outcome.published,
                                         statistics: pipeline.statisticsSnapshot, brokers: cluster.bootstrapServers)
        return outcome
    }
}

public struct DemoError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

final class AcknowledgementCounter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

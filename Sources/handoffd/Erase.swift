import ArgumentParser
import Foundation
import HandoffCore
import HandoffService
import Kafka
import Logging
import Synchronization

struct Erase: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Asks the running brokers to erase one customer: their conversations leave memory, their stored state is tombstoned, their pending callbacks are cancelled.",
        discussion: """
            Publishes a support.customer.erase request to the conversations topic. The instance that reads it \
            spreads it to every partition; each partition's owner publishes a support.customer.erased receipt on \
            the alerts topic (erase_id, partition, conversations_erased, callbacks_cancelled). Events already \
            emitted stay on their topics until retention removes them (docs/operations.md, Data protection).
            """
    )

    @Option(name: .long, help: "Kafka bootstrap servers.")
    var brokers: String

    @Option(name: .long, help: "YAML configuration (topics, kafka properties), as given to serve.")
    var config: String?

    @Option(name: .customLong("kafka-property"), help: ArgumentHelp("A librdkafka property (repeatable).", valueName: "key=value"))
    var kafkaProperties: [String] = []

    @Option(name: .long, help: "The customer id, as in support.conversation.started.")
    var customer: String

    @Option(name: .long, help: "The request id (CloudEvents id; receipts carry it as erase_id). Default: a new UUID.")
    var id: String?

    func run() async throws {
        let configuration = try loadConfiguration(config)
        let kafka = configuration.kafkaConfiguration(brokers: brokers, overrides: try kafkaOverrides(kafkaProperties)).forProducer
        let request = CustomerErase(id: id ?? "erase-\(UUID().uuidString.lowercased())", customerID: customer, time: .now)
        var logger = Logger(label: "handoffd-erase")
        logger.logLevel = .warning
        let outcome = Outcome()
        let producer = try KafkaProducer(configuration: kafka, logger: logger) { _, error in outcome.set(error) }
        try await producer.send(topic: configuration.topics.conversations, key: Array(customer.utf8), value: JSONWriter.bytes(request.envelope(source: configuration.source + "/admin")),
                                headers: [("content-type", Array("application/cloudevents+json; charset=utf-8".utf8))], token: 1)
        guard await producer.flush(timeout: .seconds(30)), outcome.error == nil else {
            FileHandle.standardError.write(Data("the erase request was not delivered: \(outcome.error.map { "\($0)" } ?? "timed out after 30 s")\n".utf8))
            throw ExitCode(ExitCodes.unavailable)
        }
        print("erase requested: erase_id=\(request.id); receipts (support.customer.erased) follow on \(configuration.topics.alerts)")
    }

    /// The delivery report of the one request.
    final class Outcome: Sendable {
        private let stored = Mutex<KafkaError?>(nil)
        func set(_ error: KafkaError?) { stored.withLock { $0 = error } }
        var error: KafkaError? { stored.withLock { $0 } }
    }
}

import ArgumentParser
import Foundation
import HandoffAdmin
import HandoffService
import Kafka
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Runs the broker: consumes conversation events from Kafka and publishes handoffs and directives."
    )

    @Option(name: .long, help: "Kafka bootstrap servers, e.g. kafka-1:9092,kafka-2:9092.")
    var brokers: String

    @Option(name: .long, help: "YAML configuration (topics, rules, routing, kafka properties). Reloaded on SIGHUP.")
    var config: String?

    @Option(name: .customLong("kafka-property"), help: ArgumentHelp("A librdkafka property, e.g. security.protocol=SASL_SSL (repeatable; wins over the config file).", valueName: "key=value"))
    var kafkaProperties: [String] = []

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func run() async throws {
        let logger = makeLogger(level: logLevel)
        let configuration = try loadConfiguration(config)
        let kafka = configuration.kafkaConfiguration(brokers: brokers, overrides: try kafkaOverrides(kafkaProperties))
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(AdminServer.metricsFactory(registry: registry))
        let summaries: SummaryWorkers?
        do {
            summaries = try configuration.summaryWorkers(logger: logger)
        } catch {
            FileHandle.standardError.write(Data("\(error.message)\n".utf8))
            throw ExitCode(ExitCodes.configuration)
        }
        let pipeline = HandoffPipeline(configuration: configuration, kafka: kafka, logger: logger, metrics: PipelineMetrics(), summaries: summaries,
                                       faults: Self.injectedFaults())
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: pipeline)]
        if configuration.admin.enabled, let variable = configuration.admin.bearerTokenEnvironment,
           (ProcessInfo.processInfo.environment[variable] ?? "").isEmpty {
            FileHandle.standardError.write(Data("admin.bearer_token_env names \(variable), which is not set or empty: /metrics would be open to anyone. Set it, or remove the key.\n".utf8))
            throw ExitCode(ExitCodes.configuration)
        }
        if configuration.admin.enabled {
            services.append(.init(service: AdminServer.make(configuration: configuration.admin, pipeline: pipeline, registry: registry, logger: logger)))
        }
        if let config { services.append(.init(service: ConfigReloader(path: config, pipeline: pipeline, running: configuration, logger: logger))) }
        var groupConfiguration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // Draining waits at most shutdown_timeout for acknowledgements, and as long again for the
        // revocation's commit; past that, work is cancelled (uncommitted records are read again on restart).
        groupConfiguration.maximumGracefulShutdownDuration = configuration.processing.shutdownTimeout * 2 + .seconds(5)
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch let error as KafkaError {
            logger.critical("stopping: \(error)")
            throw ExitCode(error.code == .configuration ? ExitCodes.configuration : ExitCodes.unavailable)
        }
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Runs the broker on an embedded Kafka (librdkafka's mock cluster), publishes the example conversations and shows what it decided."
    )

    @Option(name: .long, help: "Folder of example conversations (*.jsonl).")
    var examples: String = "protocols/examples"

    @Option(name: .long, help: "YAML configuration.")
    var config: String?

    @Option(name: .long, help: "Log level of the broker's own logs (stderr).")
    var logLevel: String = "error"

    func run() async throws {
        let logger = makeLogger(level: logLevel)
        let configuration = try loadConfiguration(config)
        let outcome = try await DemoRunner(examples: examples, configuration: configuration, logger: logger).run()
        print(outcome.text, terminator: "")
    }
}

func makeLogger(level: String) -> Logger {
    LoggingSystem.bootstrap { label in
        // Written by a thread of its own (BackgroundLogWriter): a line costs the processing loop no system call.
        var handler = StreamLogHandler(label: label, stream: BackgroundLogWriter.standardError.stream)
        handler.logLevel = Logger.Level(rawValue: level) ?? .info
        return handler
    }
    return Logger(label: "handoffd")
}

extension Serve {
    /// `HANDOFFD_TEST_CRASH_BEFORE_COMMIT=N` (tests of exactly-once only): once N outputs were produced, the
    /// process dies, as a SIGKILL would leave it, after its transaction's outputs reached the broker and before its commit.
    static func injectedFaults() -> FaultInjection {
        guard let text = ProcessInfo.processInfo.environment["HANDOFFD_TEST_CRASH_BEFORE_COMMIT"], let threshold = Int(text) else { return FaultInjection() }
        // Deciding and dying are two steps: the outputs are flushed between them (dying while deciding
        // left them in librdkafka's queue, and the broker never saw the transaction that was meant to hang).
        return FaultInjection(crashBeforeCommit: { outputs in outputs >= threshold }, die: { outputs, flushed in
            FileHandle.standardError.write(Data("handoffd: HANDOFFD_TEST_CRASH_BEFORE_COMMIT=\(threshold): \(outputs) outputs produced and \(flushed ? "flushed" : "NOT flushed in time"), exiting before the commit\n".utf8))
            _exit(86)
        })
    }
}

/// `--kafka-property key=value` options as librdkafka properties; exits on a malformed one.
func kafkaOverrides(_ properties: [String]) throws -> [String: String] {
    var overrides: [String: String] = [:]
    for property in properties {
        let parts = property.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, !parts[0].isEmpty else {
            FileHandle.standardError.write(Data("--kafka-property expects key=value, got '\(property)'\n".utf8))
            throw ExitCode(ExitCodes.configuration)
        }
        overrides[String(parts[0])] = String(parts[1])
    }
    return overrides
}

import Foundation
import HandoffCore
import HandoffAdmin
import HandoffService
import Kafka
import Prometheus
import Logging
import ServiceLifecycle
import Synchronization

/// Figures, not tests: the baselines later work is held to.
///
///     handoff-bench [core|kafka|memory|all] [--events N] [--conversations N] [--brokers host:port]
///     (core: decoding and text analysis alone, the decision core, the changelog's encoding)
///     handoff-bench limit --brokers host:port --group G --expect N [--topic T] [--batch 512]   (Limit.swift)
@main
struct Bench {
    static func main() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        func option(_ name: String) -> String? {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
            return arguments[index + 1]
        }
        let which = arguments.first { !$0.hasPrefix("--") && arguments.firstIndex(of: $0).map { $0 == 0 || !arguments[$0 - 1].hasPrefix("--") } == true } ?? "all"
        if which == "limit" {
            guard let brokers = option("--brokers"), let group = option("--group"), let expect = option("--expect").flatMap(Int.init) else {
                print("usage: handoff-bench limit --brokers HOST:PORT --group G --expect N [--topic support.conversations] [--batch 512]")
                exit(64)
            }
            print("handoff-bench: \(ProcessInfo.processInfo.activeProcessorCount) cores, librdkafka \(librdkafkaVersion)")
            try await limit(brokers: brokers, topic: option("--topic") ?? "support.conversations", group: group, expect: expect,
                            batch: option("--batch").flatMap(Int.init) ?? 512)
            return
        }
        let examples = option("--examples") ?? "protocols/examples"
        let conversations = try Workload.load(examples)
        print("handoff-bench: \(ProcessInfo.processInfo.activeProcessorCount) cores, librdkafka \(librdkafkaVersion), \(conversations.count) example conversations")
        if which == "core" || which == "all" {
            decoding(Workload.records(conversations, target: 200_000))
            let engine = try core(conversations, events: Int(option("--events") ?? "") ?? 1_000_000)
            changelogEncoding(engine.conversations.values.map(\.state))
        }
        if which == "memory" || which == "all" {
            memory(conversations: Int(option("--conversations") ?? "") ?? 100_000)
        }
        if which == "kafka" || which == "all" {
            // The mock cluster keeps only ~5 MB per partition: 50k records over 6 partitions stay within it.
            try await kafka(conversations, events: Int(option("--kafka-events") ?? "") ?? 50_000, brokers: option("--brokers"))
        }
    }

    // MARK: - Decision core

    @discardableResult
    static func core(_ conversations: [[String]], events target: Int) throws -> Engine {
        let records = Workload.records(conversations, target: target)
        var engine = Engine(policy: EscalationPolicy())
        var outputs = 0
        let clock = ContinuousClock()
        let start = clock.now
        for (index, record) in records.enumerated() {
            let result = engine.process(value: record.value, key: Array(record.key.utf8), origin: RecordOrigin(topic: "bench", partition: 0, offset: Int64(index)), now: nil)
            for output in result.outputs { outputs += output.envelopeBytes(source: "urn:bench").count > 0 ? 1 : 0 }
        }
        let elapsed = clock.now - start
        let seconds = elapsed.inSeconds
        print(String(format: "core: %d events in %.2f s = %.0f events/s (one core; decode + rules + output serialisation), %d outputs, %d conversations",
                     records.count, seconds, Double(records.count) / seconds, outputs, engine.conversations.count))
        return engine
    }

    /// What `serve` does to each record before the serial loop, on other cores: decoding, then the message's text analysed.
    static func decoding(_ records: [(key: String, value: [UInt8])]) {
        let decoder = EventDecoder()
        let clock = ContinuousClock()
        var start = clock.now
        var events: [ConversationEvent] = []
        events.reserveCapacity(records.count)
        for record in records {
            if case .conversation(let event) = decoder.decode(value: record.value, keyBytes: Array(record.key.utf8)) { events.append(event) }
        }
        let decoded = (clock.now - start).inSeconds
        start = clock.now
        var analysed = 0
        for event in events where MessageAnalysis(event) != nil { analysed += 1 }
        let analysis = (clock.now - start).inSeconds
        print(String(format: "decoding: %d records, %.2f µs each; text analysis of %d messages, %.2f µs each (one core)",
                     records.count, decoded / Double(records.count) * 1e6, analysed, analysis / Double(max(1, analysed)) * 1e6))
    }

    /// The changelog's encoding of the states the core run left (what `serve` writes per changed conversation).
    static func changelogEncoding(_ states: [ConversationState], rounds: Int = 5) {
        let clock = ContinuousClock()
        var bytes = 0
        let start = clock.now
        for _ in 0..<rounds { for state in states { bytes += state.storageBytes.count } }
        let seconds = (clock.now - start).inSeconds
        print(String(format: "changelog encoding: %d states of %.0f bytes, %.2f µs each (one core)",
                     states.count, Double(bytes / rounds) / Double(max(1, states.count)), seconds / Double(max(1, states.count * rounds)) * 1e6))
    }

    // MARK: - Memory

    /// Resident memory per open conversation: once with only its start (no transcript: the fixed cost
    /// of a conversation beyond its transcript window), once with a customer message and a bot reply.
    static func memory(conversations count: Int) {
        func fill(_ events: Int, label: String) -> Engine {
            var engine = Engine(policy: EscalationPolicy())
            let before = residentBytes()
            let start = Timestamp(rfc3339: "2026-11-26T09:00:00Z")!
            for index in 0..<count {
                let conversation = "conv-mem-\(label)-\(index)"
                let time = start.adding(milliseconds: Int64(index))
                for (offset, line) in Workload.openConversation(conversation, time: time).prefix(events).enumerated() {
                    _ = engine.process(value: Array(line.utf8), key: Array(conversation.utf8), origin: RecordOrigin(topic: "bench", partition: 0, offset: Int64(index * 4 + offset)), now: nil)
                }
            }
            let after = residentBytes()
            print(String(format: "memory: %d open conversations (\(label)) add %.1f MiB resident = %.0f bytes per conversation",
                         engine.conversations.count, Double(after - before) / 1_048_576, Double(after - before) / Double(count)))
            return engine
        }
        let started = fill(1, label: "started only, empty transcript")
        let talking = fill(3, label: "3 events, a two-message transcript")
        withExtendedLifetime((started, talking)) {}
    }

    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    // MARK: - Through Kafka

    static func kafka(_ conversations: [[String]], events target: Int, brokers external: String?) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let cluster: MockCluster? = external == nil ? try MockCluster(brokers: 1, logger: logger) : nil
        let brokers = external ?? cluster!.bootstrapServers
        var configuration = HandoffdConfiguration()
        if let limit = ProcessInfo.processInfo.environment["BENCH_BUFFER_LIMIT"].flatMap(Int.init) { configuration.processing.bufferLimit = limit }
        let run = UUID().uuidString.prefix(8)
        if let cluster {
            for topic in [configuration.topics.conversations, configuration.topics.handoffs, configuration.topics.directives] {
                try cluster.createTopic(topic, partitions: 6)
            }
            try cluster.createTopic(configuration.topics.agents, partitions: 1)
            try cluster.createTopic(configuration.topics.deadLetter, partitions: 1)
        } else {
            configuration.kafka["session.timeout.ms"] = "6000"
        }
        let records = Workload.records(conversations, target: target, tag: String(run))
        let kafka = configuration.kafkaConfiguration(brokers: brokers, overrides: ["group.id": "bench-\(run)"])

        // Throughput: publish everything first, then let handoffd consume it as fast as it can.
        let producer = try KafkaProducer(configuration: KafkaConfiguration(brokers: brokers, properties: ["linger.ms": "20", "batch.num.messages": "10000"]), logger: logger) { _, _ in }
        for (index, record) in records.enumerated() {
            try await producer.send(topic: configuration.topics.conversations, key: Array(record.key.utf8), value: record.value, token: UInt64(index + 1))
        }
        _ = await producer.flush(timeout: .seconds(120))
        // The limit: the same records consumed by our Kafka layer with no processing at all.
        let raw = try KafkaConsumer(configuration: KafkaConfiguration(brokers: brokers), mode: .readAll(topics: [configuration.topics.conversations]), logger: logger)
        var rawCount = 0
        let rawStart = ContinuousClock.now
        while rawCount < records.count, ContinuousClock.now - rawStart < .seconds(120) {
            rawCount += await drain(raw, for: .milliseconds(500)).count
        }
        let rawSeconds = (ContinuousClock.now - rawStart).inSeconds
        print(String(format: "kafka consume only (no processing): %d records in %.2f s = %.0f records/s", rawCount, rawSeconds, Double(rawCount) / rawSeconds))
        await raw.close()

        // Metrics as in production (a Prometheus registry), so their cost is in the figure.
        let pipeline = HandoffPipeline(configuration: configuration, kafka: kafka, logger: logger,
                                       metrics: PipelineMetrics(factory: AdminServer.metricsFactory(registry: PrometheusCollectorRegistry())))
        let group = ServiceGroup(configuration: .init(services: [.init(service: pipeline)], logger: logger))
        let clock = ContinuousClock()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var firstSeen: ContinuousClock.Instant?
            let deadline = clock.now + .seconds(300)
            while pipeline.statisticsSnapshot.records < records.count && clock.now < deadline {
                if firstSeen == nil && pipeline.statisticsSnapshot.records > 0 { firstSeen = clock.now }
                try await Task.sleep(for: .milliseconds(5))
            }
            let seconds = (clock.now - (firstSeen ?? clock.now)).inSeconds
            let done = pipeline.statisticsSnapshot.records
            print(String(format: "kafka (%@): %d events consumed, decided and their %d outputs produced in %.2f s = %.0f events/s",
                         external == nil ? "mock cluster" : "broker \(brokers)", done, pipeline.statisticsSnapshot.outputs, seconds, Double(done) / seconds))

            // Latency: a paced stream of conversations whose first event asks for a person; measure
            // input record timestamp → handoff record timestamp.
            let reader = try KafkaConsumer(configuration: KafkaConfiguration(brokers: brokers), mode: .readAll(topics: [configuration.topics.handoffs]), logger: logger)
            _ = await drain(reader, for: .seconds(2))
            let probes = 2000
            let sent = Mutex<[String: Int64]>([:])
            for index in 0..<probes {
                let conversation = "lat-\(run)-\(index)"
                let line = #"{"specversion":"1.0","id":"lat-\#(index)","source":"bench","type":"support.handoff.requested","time":"2026-11-26T10:00:00Z","subject":"\#(conversation)","data":{"conversation_id":"\#(conversation)"}}"#
                sent.withLock { $0[conversation] = Int64(Date().timeIntervalSince1970 * 1000) }
                try await producer.send(topic: configuration.topics.conversations, key: Array(conversation.utf8), value: Array(line.utf8), token: UInt64(records.count + index + 1))
                if index % 20 == 19 { try await Task.sleep(for: .milliseconds(10)) }
            }
            _ = await producer.flush(timeout: .seconds(60))
            var latencies: [Int64] = []
            let latencyDeadline = clock.now + .seconds(60)
            while latencies.count < probes && clock.now < latencyDeadline {
                for message in await drain(reader, for: .milliseconds(200)) {
                    guard let subject = message.keyString, subject.hasPrefix("lat-\(run)-"), let outputTime = message.timestamp,
                          let inputTime = sent.withLock({ $0[subject] }) else { continue }
                    latencies.append(outputTime - inputTime)
                }
            }
            latencies.sort()
            if !latencies.isEmpty {
                print("kafka latency (handoff.requested → handoff.created record, paced ~2000 events/s, \(latencies.count) probes): p50 \(latencies[latencies.count / 2]) ms, p99 \(latencies[min(latencies.count - 1, latencies.count * 99 / 100)]) ms, max \(latencies.last!) ms")
            }
            await reader.close()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        _ = cluster
    }

    static func drain(_ consumer: KafkaConsumer, for duration: Duration) async -> [KafkaMessage] {
        await consumer.nextBatch(maximum: 10_000, timeout: duration) ?? []
    }
}

/// The example conversations, multiplied with fresh conversation and event ids.
enum Workload {
    static func load(_ folder: String) throws -> [[String]] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".jsonl") }.sorted().map { file in
            try String(contentsOfFile: folder + "/" + file, encoding: .utf8).split(separator: "\n").map(String.init)
        }
    }

    /// About `target` records: copy k of conversation c gets ids suffixed "-k"; copies interleave.
    static func records(_ conversations: [[String]], target: Int, tag: String = "") -> [(key: String, value: [UInt8])] {
        let perRound = conversations.map(\.count).reduce(0, +)
        let rounds = max(1, target / perRound)
        var out: [(key: String, value: [UInt8])] = []
        out.reserveCapacity(rounds * perRound)
        let ids = conversations.map { lines in (try? JSONParser.parse(lines[0]))?["subject"]?.stringValue ?? "" }
        for round in 0..<rounds {
            for (index, lines) in conversations.enumerated() {
                let original = ids[index]
                let renamed = "\(original)-\(tag)\(round)"
                for line in lines {
                    let rewritten = line.replacingOccurrences(of: "\"\(original)\"", with: "\"\(renamed)\"")
                        .replacingOccurrences(of: "\"evt-\(original)", with: "\"evt-\(renamed)")
                    out.append((renamed, Array(rewritten.utf8)))
                }
            }
        }
        return out
    }

    /// A conversation left open: started, a customer question, a grounded bot answer.
    static func openConversation(_ id: String, time: Timestamp) -> [String] {
        let stamp = time.rfc3339
        return [
            #"{"specversion":"1.0","id":"\#(id)-1","source":"bench","type":"support.conversation.started","time":"\#(stamp)","subject":"\#(id)","data":{"conversation_id":"\#(id)","customer_id":"cust-\#(id)","channel":"web","locale":"en-GB"}}"#,
            #"{"specversion":"1.0","id":"\#(id)-2","source":"bench","type":"support.message.customer","time":"\#(stamp)","subject":"\#(id)","data":{"conversation_id":"\#(id)","message_id":"\#(id)-m1","text":"Hi, where is my order A-10023? It should have arrived on Tuesday."}}"#,
            #"{"specversion":"1.0","id":"\#(id)-3","source":"bench","type":"support.message.bot","time":"\#(stamp)","subject":"\#(id)","data":{"conversation_id":"\#(id)","message_id":"\#(id)-m2","text":"Standard delivery takes 3-5 business days after dispatch. You can follow your parcel with the tracking link in your confirmation e-mail.","sources":["kb-shipping"],"confidence":0.8}}"#,
        ]
    }
}

extension Duration {
    /// Seconds as a floating-point number, for the printed figures.
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

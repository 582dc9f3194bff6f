import Foundation
import HandoffAdmin
import HandoffCore
import HandoffService
import Prometheus
import ServiceLifecycle
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A plain HTTP/1.1 GET on loopback, so the test needs no HTTP client library.
func httpGet(port: Int, path: String, headers: [String: String] = [:]) throws -> (status: Int, body: String) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EIO) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers.map { "\($0.key): \($0.value)\r\n" }.joined() + "\r\n"
    _ = request.withCString { send(fd, $0, strlen($0), 0) }
    var response: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = recv(fd, &chunk, chunk.count, 0)
        if count <= 0 { break }
        response += chunk[0..<count]
    }
    let text = String(decoding: response, as: UTF8.self)
    let status = Int(text.split(separator: " ", maxSplits: 2).dropFirst().first ?? "") ?? 0
    let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
    return (status, body)
}

/// Sums a metric's samples over all label sets (or those containing `labels`).
func metric(_ name: String, labels: String = "", in text: String) -> Double {
    text.split(separator: "\n").filter { line in
        !line.hasPrefix("#") && (line.hasPrefix(name + "{") || line.hasPrefix(name + " ")) && (labels.isEmpty || line.contains(labels))
    }.compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
}

@Suite("Admin endpoint and metrics on the mock cluster", .serialized)
struct AdminEndpointTests {
    @Test("after the example conversations, /metrics has the right values and /readyz says ready")
    func metricsValues() async throws {
        let kafka = try MockKafka()
        let registry = PrometheusCollectorRegistry()
        let pipeline = HandoffPipeline(configuration: HandoffdConfiguration(), kafka: kafka.configuration(group: "g-admin"), logger: kafka.logger,
                                       metrics: PipelineMetrics(factory: AdminServer.metricsFactory(registry: registry)))
        var admin = HandoffdConfiguration.Admin()
        admin.port = 0
        let port = Mutex(0)
        let server = AdminServer.make(configuration: admin, pipeline: pipeline, registry: registry, logger: kafka.logger) { bound in port.withLock { $0 = bound } }
        let reader = try kafka.reader()
        let expected = try Examples.escalating()
        try await running([pipeline, server], logger: kafka.logger) {
            let lines = Examples.interleaved(try Examples.conversations())
            try await kafka.publish(lines.map { line in ((try? JSONParser.parse(line))?["subject"]?.stringValue, Array(line.utf8), []) }
                                    + [("broken", Array("not json".utf8), [])])
            #expect(await reader.wait { events in
                Set(events.filter { $0["type"]?.stringValue == EventType.handoffCreated }.compactMap { $0["subject"]?.stringValue }) == expected
                    && events.contains { $0["type"]?.stringValue == EventType.deadLetter }
            })
            let bound = port.withLock { $0 }
            #expect(bound > 0)
            let ready = try httpGet(port: bound, path: "/readyz")
            #expect(ready.status == 200, "\(ready.body)")
            let healthy = try httpGet(port: bound, path: "/healthz")
            #expect(healthy.status == 200, "\(healthy.body)")
            let scrape = try httpGet(port: bound, path: "/metrics")
            #expect(scrape.status == 200)
            let text = scrape.body
            #expect(metric("handoffd_handoffs_total", in: text) == Double(expected.count))
            #expect(metric("handoffd_conversations_started_total", in: text) == 14)
            #expect(metric("handoffd_global_view_caught_up", in: text) == 1)
            #expect(metric("handoffd_handoff_reasons_total", labels: #"reason="explicit_request""#, in: text) == 4)
            #expect(metric("handoffd_handoff_reasons_total", labels: #"reason="sensitive_topic""#, in: text) == 3)
            #expect(metric("handoffd_dead_letters_total", labels: #"reason="not_json""#, in: text) == 1)
            #expect(metric("handoffd_offers_total", in: text) == 2)
            #expect(metric("handoffd_offer_answers_total", labels: #"answer="declined""#, in: text) == 1)
            // 14-callback's windows (March 2025) are in the past on the wall clock serve runs on: no callback
            // is booked, so it ends resolved by the bot alone (replay, on the events' clock, books it).
            #expect(metric("handoffd_conversations_deflected_total", in: text) == 4)
            #expect(metric("handoffd_conversations_ended_total", labels: #"resolved="true",handled_by="bot""#, in: text) == 4)
            #expect(metric("handoffd_conversations_ended_total", labels: #"handled_by="human""#, in: text) > 0)
            #expect(metric("handoffd_bot_confidence_count", in: text) > 0)
            #expect(metric("handoffd_handoffs_total", labels: #"queue="legal""#, in: text) == 1)
            #expect(metric("handoffd_time_to_escalation_seconds_count", labels: #"from="start""#, in: text) == Double(expected.count))
            #expect(metric("handoffd_processing_duration_seconds_count", in: text) >= 89)
            #expect(text.contains(#"handoffd_csat_bucket{handled_by="bot",le="5.0"} 3"#), "CSAT buckets are 1…5: \(text.split(separator: "\n").filter { $0.contains("csat_bucket") })")
            #expect(metric("handoffd_bot_faithfulness_bucket", labels: #"le="0.9""#, in: text) < metric("handoffd_bot_faithfulness_count", in: text))
        }
        await reader.close()
    }

    @Test("with a bearer token configured, /metrics refuses requests without it")
    func bearerToken() async throws {
        setenv("HANDOFFD_TEST_ADMIN_TOKEN", "s3cret", 1)
        let kafka = try MockKafka(partitions: 1)
        let registry = PrometheusCollectorRegistry()
        let pipeline = HandoffPipeline(configuration: HandoffdConfiguration(), kafka: kafka.configuration(group: "g-token"), logger: kafka.logger,
                                       metrics: PipelineMetrics(factory: AdminServer.metricsFactory(registry: registry)))
        var admin = HandoffdConfiguration.Admin()
        admin.port = 0
        admin.bearerTokenEnvironment = "HANDOFFD_TEST_ADMIN_TOKEN"
        let port = Mutex(0)
        let server = AdminServer.make(configuration: admin, pipeline: pipeline, registry: registry, logger: kafka.logger) { bound in port.withLock { $0 = bound } }
        try await running([pipeline, server], logger: kafka.logger) {
            let deadline = ContinuousClock.now + .seconds(30)
            while port.withLock({ $0 }) == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            let bound = port.withLock { $0 }
            #expect(try httpGet(port: bound, path: "/metrics").status == 401)
            #expect(try httpGet(port: bound, path: "/metrics", headers: ["Authorization": "Bearer wrong"]).status == 401)
            #expect(try httpGet(port: bound, path: "/metrics", headers: ["Authorization": "Bearer s3cret"]).status == 200)
        }
    }
}

@Suite("Health and readiness rules")
struct HealthRulesTests {
    @Test("not ready without partitions, while restoring, or before the global view was read; ready then; never when stopped")
    func readiness() {
        var health = HandoffPipeline.Health()
        #expect(AdminServer.readiness(health).0 == false)
        health.partitionsAssigned = 3
        #expect(AdminServer.readiness(health) == (false, "not ready: reading the global view (agents, handoffs, callback bookings)"))
        health.globalViewCaughtUp = true
        #expect(AdminServer.readiness(health) == (true, "ready: 3 partitions assigned"))
        health.restoring = true
        #expect(AdminServer.readiness(health) == (false, "not ready: restoring conversation state"))
        health.restoring = false
        health.stopped = true
        #expect(AdminServer.readiness(health).0 == false)
    }

    @Test("unhealthy when a loop stood still longer than the limit")
    func liveness() {
        let now = ContinuousClock.now
        var health = HandoffPipeline.Health()
        #expect(AdminServer.health(health, now: now) == (true, "starting"))
        health.processingHeartbeat = now - .seconds(1)
        health.pollHeartbeat = now - .seconds(1)
        #expect(AdminServer.health(health, now: now).0)
        health.pollHeartbeat = now - AdminServer.stuckAfter - .seconds(1)
        #expect(AdminServer.health(health, now: now).0 == false)
        #expect(AdminServer.health(health, now: now).1.contains("poll thread"))
        health.pollHeartbeat = now
        health.processingHeartbeat = now - AdminServer.stuckAfter - .seconds(1)
        #expect(AdminServer.health(health, now: now).1.contains("processing loop"))
    }
}

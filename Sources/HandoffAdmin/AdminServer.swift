import Foundation
public import HandoffService
public import Hummingbird
public import Logging
import NIOCore
public import Prometheus

/// The admin HTTP endpoint: `/metrics` in Prometheus text format, `/healthz` (the process and its
/// loops are alive) and `/readyz` (partitions are assigned, so this instance is doing work).
public enum AdminServer {
    /// The Prometheus factory with buckets that fit each histogram (the library's defaults start at
    /// 5, which would put every confidence, faithfulness and CSAT value in the first bucket).
    public static func metricsFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets = [
            "handoffd_bot_confidence": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
            "handoffd_bot_faithfulness": [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99, 1.0],
            "handoffd_csat": [1, 2, 3, 4, 5],
            "handoffd_time_to_escalation_seconds": [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
        ]
        factory.durationHistogramBuckets = [
            "handoffd_processing_duration_seconds": [.microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250),
                                                     .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25)],
        ]
        return factory
    }

    /// How long the processing loop or the poll thread may stand still before /healthz fails.
    public static let stuckAfter: Duration = .seconds(30)

    /// The server, to run in the service group.
    /// - Parameters:
    ///   - onRunning: called with the bound port once the server listens (port 0 picks one).
    public static func make(configuration: HandoffdConfiguration.Admin, pipeline: HandoffPipeline, registry: PrometheusCollectorRegistry,
                            logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let token = configuration.bearerTokenEnvironment.flatMap { ProcessInfo.processInfo.environment[$0] }.flatMap { $0.isEmpty ? nil : $0 }
        let router = Router()
        router.get("/metrics") { request, _ -> Response in
            if let token, request.headers[.authorization] != "Bearer \(token)" {
                return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"], body: .init(byteBuffer: ByteBuffer(string: "bearer token required\n")))
            }
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        router.get("/healthz") { _, _ -> Response in
            let (healthy, text) = health(pipeline.healthSnapshot, now: .now)
            return Response(status: healthy ? .ok : .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
        }
        router.get("/readyz") { _, _ -> Response in
            let (ready, text) = readiness(pipeline.healthSnapshot)
            return Response(status: ready ? .ok : .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.address, port: configuration.port), serverName: "handoffd"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                logger.info("admin endpoint listening", metadata: ["address": "\(configuration.address):\(port)", "metrics_auth": "\(token == nil ? "none" : "bearer")"])
                await onRunning(port)
            },
            logger: logger
        )
    }

    /// Alive unless stopped or one of the loops has stood still for ``stuckAfter``.
    public static func health(_ health: HandoffPipeline.Health, now: ContinuousClock.Instant) -> (Bool, String) {
        if health.stopped { return (false, "stopped") }
        guard let processing = health.processingHeartbeat else { return (true, "starting") }
        if now - processing > stuckAfter { return (false, "processing loop has not run for \(now - processing)") }
        if let poll = health.pollHeartbeat, now - poll > stuckAfter { return (false, "Kafka poll thread has not run for \(now - poll)") }
        return (true, "ok")
    }

    /// Ready when partitions are assigned (an instance without partitions does no work), their state
    /// is restored, and the global view has read its topics once.
    public static func readiness(_ health: HandoffPipeline.Health) -> (Bool, String) {
        if health.stopped { return (false, "stopped") }
        guard health.partitionsAssigned > 0 else { return (false, "not ready: no partitions assigned yet") }
        if health.restoring { return (false, "not ready: restoring conversation state") }
        if !health.globalViewCaughtUp { return (false, "not ready: reading the global view (agents, handoffs, callback bookings)") }
        return (true, "ready: \(health.partitionsAssigned) partitions assigned")
    }
}

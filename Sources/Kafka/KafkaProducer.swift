internal import CRdKafka
public import Logging
import Foundation
import Synchronization

/// An idempotent producer. `send` never blocks the caller for long: it enqueues in librdkafka and
/// reports each delivery, by token, to the handler given at creation.
public final class KafkaProducer: Sendable {
    let handle: KafkaHandle
    private let poller: PollThread

    /// - Parameters:
    ///   - configuration: librdkafka properties; `enable.idempotence` defaults to true.
    ///   - onDelivery: called once per sent message with its token and, on failure, the error
    ///     (on librdkafka's poll thread; keep it short).
    public init(configuration: KafkaConfiguration, logger: Logger,
                onDelivery: @escaping @Sendable (_ token: UInt64, _ error: KafkaError?) -> Void) throws(KafkaError) {
        var configuration = configuration
        if configuration["enable.idempotence"] == nil { configuration["enable.idempotence"] = "true" }
        if configuration["linger.ms"] == nil { configuration["linger.ms"] = "5" }
        handle = try KafkaHandle(type: RD_KAFKA_PRODUCER, configuration: configuration,
                                 callbacks: KafkaCallbacks(logger: logger, delivery: onDelivery))
        let pointer = handle.pointer
        poller = PollThread(name: "kafka-producer-poll") { rd_kafka_poll(pointer.raw, 100) }
    }

    deinit {
        poller.stop()
    }

    /// Enqueues one message. Waits (off the cooperative pool's critical path: it sleeps with
    /// `Task.sleep`) while librdkafka's queue is full.
    /// - Parameters:
    ///   - value: nil produces a tombstone (a null value: deletes the key from a compacted topic).
    ///   - partition: an explicit partition (co-partitioned topics); nil lets the key decide.
    ///   - token: returned to `onDelivery`; must not be 0.
    public func send(topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]?, headers: [(String, [UInt8])] = [], token: UInt64) async throws(KafkaError) {
        precondition(token != 0, "delivery token 0 is reserved")
        while true {
            let result = enqueue(topic: topic, partition: partition ?? RD_KAFKA_PARTITION_UA, key: key, value: value, headers: headers, token: token)
            if result == RD_KAFKA_RESP_ERR_NO_ERROR { return }
            if result == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                do { try await Task.sleep(for: .milliseconds(5)) } catch { throw KafkaError(code: .shutdown, message: "cancelled while the producer queue was full") }
                continue
            }
            if let fatal = handle.fatalError { throw fatal }
            var error = KafkaError.from(result)
            // A transactional producer refuses sends while its transaction is failed: only an abort helps.
            error.requiresAbort = result == RD_KAFKA_RESP_ERR__STATE
            throw error
        }
    }

    private func enqueue(topic: String, partition: Int32, key: [UInt8]?, value: [UInt8]?, headers: [(String, [UInt8])], token: UInt64) -> rd_kafka_resp_err_t {
        var headerList: OpaquePointer?
        if !headers.isEmpty {
            headerList = rd_kafka_headers_new(headers.count)
            for (name, bytes) in headers {
                bytes.withUnsafeBytes { buffer in
                    _ = rd_kafka_header_add(headerList, name, -1, buffer.baseAddress, buffer.count)
                }
            }
        }
        let opaque = UnsafeMutableRawPointer(bitPattern: UInt(token))
        func produce(_ valuePointer: UnsafeRawPointer?, _ valueCount: Int) -> rd_kafka_resp_err_t {
            if let key {
                return key.withUnsafeBytes { keyBuffer in
                    handoffd_produce(handle.rk, topic, partition, keyBuffer.baseAddress, keyBuffer.count, valuePointer, valueCount, headerList, opaque)
                }
            }
            return handoffd_produce(handle.rk, topic, partition, nil, 0, valuePointer, valueCount, headerList, opaque)
        }
        let result = value.map { bytes in bytes.withUnsafeBytes { produce($0.baseAddress, $0.count) } } ?? produce(nil, 0)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR, let headerList { rd_kafka_headers_destroy(headerList) }
        return result
    }

    /// Waits until every enqueued message was delivered or failed, at most `timeout`.
    /// Runs librdkafka's blocking flush on a dedicated thread.
    /// - Returns: true when nothing is left in flight.
    public func flush(timeout: Duration) async -> Bool {
        let pointer = handle.pointer
        let milliseconds = timeout.librdkafkaMilliseconds
        return await BlockingCall.run { rd_kafka_flush(pointer.raw, milliseconds) == RD_KAFKA_RESP_ERR_NO_ERROR }
    }

    /// Messages enqueued and not yet delivered.
    public var inFlight: Int { Int(rd_kafka_outq_len(handle.rk)) }

    /// A fatal error (e.g. the idempotent producer lost its guarantees), after which the process must restart.
    public var fatalError: KafkaError? { handle.fatalError }
}

/// A dedicated thread that calls a blocking poll until stopped; never a cooperative-pool thread.
final class PollThread: Sendable {
    private let running = Atomic<Bool>(true)
    private let finished = DispatchSemaphore(value: 0)
    private let threadName: String

    init(name: String, poll: @escaping @Sendable () -> Void) {
        threadName = name + "-" + UUID().uuidString
        let thread = Thread { [self] in
            while running.load(ordering: .acquiring) { poll() }
            finished.signal()
        }
        thread.name = threadName
        thread.start()
    }

    /// Stops the loop and waits for it to end — unless called from the poll thread itself (the last
    /// reference to its owner dropped during a poll), where waiting would never end.
    func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        if Thread.current.name != threadName { finished.wait() }
    }
}

/// Runs one blocking librdkafka call on a fresh thread and resumes the caller when it returns.
enum BlockingCall {
    static func run<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.name = "kafka-blocking-call"
            thread.start()
        }
    }
}

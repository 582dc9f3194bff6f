internal import CRdKafka
import Logging
import Synchronization

/// A librdkafka pointer carried across threads.
///
/// librdkafka handles are thread-safe for the calls we make on them from several threads
/// (produce, poll, offsets_store, pause/resume); their lifetime is tied to the owning
/// ``KafkaHandle`` class, which destroys them in `deinit` only after every thread using them stopped.
struct KafkaPointer: @unchecked Sendable {
    let raw: OpaquePointer
}

/// What librdkafka calls back into: logs, delivery reports, rebalances, errors.
final class KafkaCallbacks: Sendable {
    let logger: Logger
    let delivery: (@Sendable (UInt64, KafkaError?) -> Void)?
    let rebalance: (@Sendable (RebalanceEvent) -> Void)?
    let fatal: Mutex<KafkaError?> = Mutex(nil)

    init(logger: Logger, delivery: (@Sendable (UInt64, KafkaError?) -> Void)? = nil, rebalance: (@Sendable (RebalanceEvent) -> Void)? = nil) {
        self.logger = logger
        self.delivery = delivery
        self.rebalance = rebalance
    }

    static func from(_ rk: OpaquePointer?) -> KafkaCallbacks? {
        guard let rk, let opaque = rd_kafka_opaque(rk) else { return nil }
        return Unmanaged<KafkaCallbacks>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// A group rebalance, delivered on the consumer's poll thread before the assignment changes.
public enum RebalanceEvent: Sendable {
    case assigned([TopicPartition])
    case revoked([TopicPartition])
}

public struct TopicPartition: Hashable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }
    public var description: String { "\(topic)[\(partition)]" }
}

/// Owns one `rd_kafka_t` and the callback object it points to; destroys both in `deinit`.
final class KafkaHandle: Sendable {
    let pointer: KafkaPointer
    /// Retained once more for librdkafka's opaque; released in `deinit` after `rd_kafka_destroy`.
    let callbacks: KafkaCallbacks

    var rk: OpaquePointer { pointer.raw }

    init(type: rd_kafka_type_t, configuration: KafkaConfiguration, callbacks: KafkaCallbacks) throws(KafkaError) {
        let conf = try configuration.makeConf()
        let opaque = Unmanaged.passRetained(callbacks).toOpaque()
        rd_kafka_conf_set_opaque(conf, opaque)
        rd_kafka_conf_set_log_cb(conf, kafkaLogCallback)
        rd_kafka_conf_set_error_cb(conf, kafkaErrorCallback)
        if callbacks.delivery != nil { rd_kafka_conf_set_dr_msg_cb(conf, kafkaDeliveryCallback) }
        if callbacks.rebalance != nil { rd_kafka_conf_set_rebalance_cb(conf, kafkaRebalanceCallback) }
        var errorBuffer = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(type, conf, &errorBuffer, errorBuffer.count) else {
            rd_kafka_conf_destroy(conf)
            Unmanaged<KafkaCallbacks>.fromOpaque(opaque).release()
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw KafkaError(code: .configuration, message: "could not create the Kafka client: \(detail)")
        }
        pointer = KafkaPointer(raw: rk)
        self.callbacks = callbacks
    }

    deinit {
        rd_kafka_destroy(pointer.raw)
        Unmanaged.passUnretained(callbacks).release()
    }

    /// The fatal error librdkafka raised, if any (idempotent producer invariants broken, fenced, …).
    var fatalError: KafkaError? {
        var buffer = [CChar](repeating: 0, count: 512)
        let code = rd_kafka_fatal_error(rk, &buffer, buffer.count)
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return KafkaError(code: .librdkafka, message: text, librdkafkaCode: code.rawValue, isFatal: true)
    }
}

// MARK: - C callbacks (librdkafka threads)

private func kafkaLogCallback(_ rk: OpaquePointer?, _ level: Int32, _ facility: UnsafePointer<CChar>?, _ buffer: UnsafePointer<CChar>?) {
    guard let callbacks = KafkaCallbacks.from(rk) else { return }
    let message = buffer.map { String(cString: $0) } ?? ""
    let facilityName = facility.map { String(cString: $0) } ?? ""
    let logLevel: Logger.Level = switch level {
    case 0...2: .critical
    case 3: .error
    case 4: .warning
    case 5, 6: .info
    default: .debug
    }
    callbacks.logger.log(level: logLevel, "\(message)", metadata: ["librdkafka.facility": "\(facilityName)"], source: "librdkafka")
}

private func kafkaErrorCallback(_ rk: OpaquePointer?, _ error: Int32, _ reason: UnsafePointer<CChar>?, _ opaque: UnsafeMutableRawPointer?) {
    guard let callbacks = KafkaCallbacks.from(rk) else { return }
    let text = reason.map { String(cString: $0) } ?? ""
    let code = rd_kafka_resp_err_t(rawValue: error)
    if code == RD_KAFKA_RESP_ERR__FATAL {
        var buffer = [CChar](repeating: 0, count: 512)
        let original = rd_kafka_fatal_error(rk, &buffer, buffer.count)
        let detail = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        callbacks.fatal.withLock { $0 = KafkaError(code: .librdkafka, message: detail, librdkafkaCode: original.rawValue, isFatal: true) }
        callbacks.logger.critical("fatal Kafka error: \(detail)")
    } else {
        // Transport errors are retried by librdkafka itself; they are worth a warning, not an exit.
        callbacks.logger.warning("Kafka: \(text)", metadata: ["kafka.error": "\(String(cString: rd_kafka_err2name(code)))"])
    }
}

private func kafkaDeliveryCallback(_ rk: OpaquePointer?, _ message: UnsafePointer<rd_kafka_message_t>?, _ opaque: UnsafeMutableRawPointer?) {
    guard let callbacks = KafkaCallbacks.from(rk), let message, let delivery = callbacks.delivery else { return }
    let token = UInt64(UInt(bitPattern: message.pointee._private))
    let error = message.pointee.err
    delivery(token, error == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError.from(error))
}

private func kafkaRebalanceCallback(_ rk: OpaquePointer?, _ error: rd_kafka_resp_err_t, _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, _ opaque: UnsafeMutableRawPointer?) {
    guard let rk, let callbacks = KafkaCallbacks.from(rk) else { return }
    let list = partitions.map(topicPartitions) ?? []
    let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
    switch error {
    case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
        if cooperative {
            if let failure = rd_kafka_incremental_assign(rk, partitions) { callbacks.logger.error("incremental assign failed: \(KafkaError.consuming(failure))") }
        } else {
            rd_kafka_assign(rk, partitions)
        }
        callbacks.rebalance?(.assigned(list))
    case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
        // The owner finishes and commits the revoked partitions' work before we let go of them.
        callbacks.rebalance?(.revoked(list))
        if cooperative {
            if let failure = rd_kafka_incremental_unassign(rk, partitions) { callbacks.logger.error("incremental unassign failed: \(KafkaError.consuming(failure))") }
        } else {
            rd_kafka_assign(rk, nil)
        }
    default:
        callbacks.logger.error("rebalance error: \(String(cString: rd_kafka_err2str(error)))")
        rd_kafka_assign(rk, nil)
    }
}

func topicPartitions(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> [TopicPartition] {
    (0..<Int(list.pointee.cnt)).map { index in
        let element = list.pointee.elems[index]
        return TopicPartition(topic: String(cString: element.topic), partition: element.partition)
    }
}

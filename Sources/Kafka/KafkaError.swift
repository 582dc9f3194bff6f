internal import CRdKafka

/// An error from Kafka: librdkafka's code where there is one, and whether trying again can help.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// Where the error comes from; extensible without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let raw: String
        public static let librdkafka = Code(raw: "librdkafka")
        public static let configuration = Code(raw: "configuration")
        public static let shutdown = Code(raw: "shutdown")
        public var description: String { raw }
    }

    public var code: Code
    /// librdkafka's `rd_kafka_resp_err_t`, when the error came from it.
    public var librdkafkaCode: Int32?
    public var message: String
    public var isRetriable: Bool
    public var isFatal: Bool
    /// A transaction failed in a way that only aborting it can recover from (its outputs are discarded).
    public var requiresAbort: Bool
    public var file: String
    public var line: UInt

    public init(code: Code, message: String, librdkafkaCode: Int32? = nil, isRetriable: Bool = false, isFatal: Bool = false,
                requiresAbort: Bool = false, file: String = #fileID, line: UInt = #line) {
        self.requiresAbort = requiresAbort
        self.code = code
        self.message = message
        self.librdkafkaCode = librdkafkaCode
        self.isRetriable = isRetriable
        self.isFatal = isFatal
        self.file = file
        self.line = line
    }

    public var description: String {
        "Kafka error (\(code)\(librdkafkaCode.map { " \($0)" } ?? "")): \(message)"
    }

    static func from(_ error: rd_kafka_resp_err_t, file: String = #fileID, line: UInt = #line) -> KafkaError {
        let message = String(cString: rd_kafka_err2str(error))
        let retriable = error == RD_KAFKA_RESP_ERR__TRANSPORT || error == RD_KAFKA_RESP_ERR__TIMED_OUT
            || error == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT || error == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION
            || error == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT || error == RD_KAFKA_RESP_ERR__QUEUE_FULL
            || error == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE || error == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN
        return KafkaError(code: .librdkafka, message: message, librdkafkaCode: error.rawValue, isRetriable: retriable,
                          isFatal: error == RD_KAFKA_RESP_ERR__FATAL, file: file, line: line)
    }

    /// Converts and destroys an `rd_kafka_error_t`.
    static func consuming(_ error: OpaquePointer, file: String = #fileID, line: UInt = #line) -> KafkaError {
        defer { rd_kafka_error_destroy(error) }
        var converted = KafkaError(code: .librdkafka, message: String(cString: rd_kafka_error_string(error)),
                                   librdkafkaCode: rd_kafka_error_code(error).rawValue,
                                   isRetriable: rd_kafka_error_is_retriable(error) != 0, isFatal: rd_kafka_error_is_fatal(error) != 0,
                                   file: file, line: line)
        converted.requiresAbort = rd_kafka_error_txn_requires_abort(error) != 0
        return converted
    }
}

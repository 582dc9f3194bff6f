internal import CRdKafka

/// librdkafka properties, passed through as they are (so TLS, SASL and tuning all work), plus the
/// few that this layer sets itself.
public struct KafkaConfiguration: Sendable, Equatable {
    /// Any librdkafka property (`bootstrap.servers`, `security.protocol`, …).
    public var properties: [String: String]

    public init(properties: [String: String] = [:]) {
        self.properties = properties
    }

    public init(brokers: String, properties: [String: String] = [:]) {
        self.properties = properties
        self.properties["bootstrap.servers"] = brokers
    }

    public subscript(key: String) -> String? {
        get { properties[key] }
        set { properties[key] = newValue }
    }

    /// Builds an `rd_kafka_conf_t`; the caller owns it until `rd_kafka_new` takes it.
    func makeConf() throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(code: .configuration, message: "rd_kafka_conf_new failed")
        }
        var errorBuffer = [CChar](repeating: 0, count: 512)
        for key in properties.keys.sorted() {
            let result = rd_kafka_conf_set(conf, key, properties[key]!, &errorBuffer, errorBuffer.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                throw KafkaError(code: .configuration, message: "Kafka property '\(key)': \(detail)")
            }
        }
        return conf
    }
}

/// librdkafka's version as loaded at run time (which may differ from the headers built against).
public var librdkafkaVersion: String { String(cString: rd_kafka_version_str()) }

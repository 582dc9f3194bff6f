extension Duration {
    /// A timeout as librdkafka takes it: whole milliseconds, clamped to `Int32`.
    var librdkafkaMilliseconds: Int32 {
        Int32(clamping: components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000)
    }
}

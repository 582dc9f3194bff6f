/// Why an input could not be processed: carried to the dead-letter topic so a person can act on it.
public struct DecodeFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable machine-readable codes (the `reason_code` of `support.deadletter`).
    public enum Code: String, Sendable, CaseIterable {
        case notJSON = "not_json"
        case notCloudEvent = "not_cloudevent"
        case missingField = "missing_field"
        case wrongType = "wrong_type"
        case invalidValue = "invalid_value"
        case tooLarge = "too_large"
        case unsupportedContentType = "unsupported_content_type"
        /// Not an input problem: an output the broker refused for good (e.g. too large for it).
        case undeliverable
    }

    public var code: Code
    /// A sentence for the operator: what is wrong and where.
    public var reason: String
    /// The CloudEvents `type`, when the input got far enough to name it.
    public var eventType: String?

    public init(_ code: Code, _ reason: String, eventType: String? = nil) {
        self.code = code
        self.reason = reason
        self.eventType = eventType
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}

/// Why a request to the model endpoint failed.
public struct LLMError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Connection refused, DNS, TLS, reset…
        case transport
        case timeout
        /// HTTP 429 (after the retries).
        case rateLimited = "rate_limited"
        /// HTTP 5xx (after the retries).
        case server
        /// Another HTTP status: a request the endpoint will never accept (bad key, unknown model, …).
        case rejected
        /// The body is not a chat-completions response.
        case malformedResponse = "malformed_response"
        /// The circuit is open: the endpoint failed repeatedly and is not asked for now.
        case circuitOpen = "circuit_open"
        case configuration
    }

    public var code: Code
    public var message: String
    public var status: Int?

    public init(_ code: Code, _ message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    /// Worth another attempt after a pause.
    public var isRetriable: Bool { [.transport, .timeout, .rateLimited, .server].contains(code) }

    public var description: String { "\(code.rawValue)\(status.map { " (HTTP \($0))" } ?? ""): \(message)" }
}

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
public import HandoffCore
public import Logging
import Synchronization

/// Talks to an OpenAI-compatible `/chat/completions` endpoint: retries 429 and 5xx with jittered
/// backoff (honouring `Retry-After`), opens a circuit after repeated failures so a dead endpoint
/// costs nothing, and never logs the API key.
///
/// HTTP goes through FoundationNetworking's `URLSession`, which on Linux is libcurl: TLS peers are
/// verified, `https_proxy`/`http_proxy`/`no_proxy` are honoured by curl, and the transfer runs on
/// URLSession's own thread, so awaiting it does not block the cooperative pool.
public final class ChatCompletionsClient: Sendable {
    /// A complete response.
    public struct Completion: Sendable, Equatable {
        public var content: String?
        public var finishReason: String?
        /// HTTP requests it took (1 + retries).
        public var requests: Int
    }

    private let configuration: LLMConfiguration
    private let url: URL
    private let apiKey: String?
    private let session: URLSession
    private let logger: Logger
    private let breaker: Mutex<CircuitBreaker>
    private let now: @Sendable () -> ContinuousClock.Instant
    private let sleep: @Sendable (Duration) async throws -> Void

    /// - Parameters:
    ///   - now, sleep: injected in tests, so backoff and the circuit are checked without waiting.
    /// - Throws: ``LLMError`` with code `.configuration` when the URL is unusable or the key cannot be read.
    public init(configuration: LLMConfiguration, logger: Logger,
                now: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
                sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }) throws(LLMError) {
        let base = configuration.baseURL.hasSuffix("/") ? String(configuration.baseURL.dropLast()) : configuration.baseURL
        guard let url = URL(string: base + "/chat/completions"), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw LLMError(.configuration, "llm.base_url '\(configuration.baseURL)' is not an http(s) URL such as http://127.0.0.1:8080/v1")
        }
        self.url = url
        apiKey = try Self.readKey(configuration)
        self.configuration = configuration
        self.logger = logger
        self.now = now
        self.sleep = sleep
        breaker = Mutex(CircuitBreaker(threshold: configuration.breakerThreshold, openFor: configuration.breakerOpenFor))
        let sessionConfiguration = URLSessionConfiguration.ephemeral
        let seconds = Double(configuration.requestTimeout.components.seconds) + Double(configuration.requestTimeout.components.attoseconds) / 1e18
        sessionConfiguration.timeoutIntervalForRequest = seconds
        sessionConfiguration.timeoutIntervalForResource = seconds
        sessionConfiguration.httpMaximumConnectionsPerHost = max(1, configuration.maxConcurrency)
        session = URLSession(configuration: sessionConfiguration)
    }

    deinit {
        session.invalidateAndCancel()
    }

    private static func readKey(_ configuration: LLMConfiguration) throws(LLMError) -> String? {
        if let name = configuration.apiKeyEnvironment {
            guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
                throw LLMError(.configuration, "llm.api_key_env names \(name), which is not set in the environment")
            }
            return value
        }
        if let path = configuration.apiKeyFile {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw LLMError(.configuration, "llm.api_key_file \(path) cannot be read")
            }
            let key = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !key.isEmpty else { throw LLMError(.configuration, "llm.api_key_file \(path) is empty") }
            return key
        }
        return nil
    }

    public var breakerState: CircuitBreaker.State { breaker.withLock { $0.state } }

    /// Sends one chat-completions request (with retries).
    public func complete(_ body: JSONValue) async throws(LLMError) -> Completion {
        let start = now()
        guard breaker.withLock({ $0.allow(at: start) }) else {
            throw LLMError(.circuitOpen, "the endpoint failed \(configuration.breakerThreshold) times in a row; not asking it for now")
        }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let apiKey {
            request.setValue(configuration.apiKeyHeader == "Authorization" ? "Bearer \(apiKey)" : apiKey, forHTTPHeaderField: configuration.apiKeyHeader)
        }
        request.httpBody = Data(JSONWriter.bytes(body))
        var requests = 0
        while true {
            requests += 1
            let failure: LLMError
            var retryAfter: Duration?
            do {
                let (data, response) = try await session.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                switch status {
                case 200..<300:
                    do {
                        let completion = try Self.parse(Array(data), requests: requests)
                        breaker.withLock { $0.succeeded() }
                        return completion
                    } catch {
                        failure = error
                    }
                case 429, 500..<600:
                    retryAfter = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Retry-After").flatMap(Self.parseRetryAfter)
                    failure = LLMError(status == 429 ? .rateLimited : .server, Self.excerpt(data), status: status)
                default:
                    failure = LLMError(.rejected, Self.excerpt(data), status: status)
                }
            } catch let error as URLError {
                failure = LLMError(error.code == .timedOut ? .timeout : .transport, error.localizedDescription)
            } catch is CancellationError {
                throw LLMError(.transport, "cancelled")
            } catch {
                failure = LLMError(.transport, "\(error)")
            }
            if failure.isRetriable, requests <= configuration.maxRetries, !Task.isCancelled {
                let backoff = configuration.retryBackoff * Double.random(in: 0...1) * Double(1 << (requests - 1))
                let delay = max(retryAfter ?? .zero, backoff)
                if delay <= configuration.maxRetryAfter {
                    logger.debug("LLM request failed; retrying", metadata: ["error": "\(failure)", "delay": "\(delay)", "attempt": "\(requests)"])
                    do { try await sleep(delay) } catch { throw LLMError(.transport, "cancelled") }
                    continue
                }
            }
            breaker.withLock { $0.failed(at: now()) }
            throw failure
        }
    }

    static func parse(_ body: [UInt8], requests: Int) throws(LLMError) -> Completion {
        guard let response = try? JSONParser.parse(body), let choice = response["choices"]?.arrayValue?.first else {
            throw LLMError(.malformedResponse, "no choices in the response: \(excerpt(Data(body)))")
        }
        return Completion(content: choice["message"]?["content"]?.stringValue, finishReason: choice["finish_reason"]?.stringValue, requests: requests)
    }

    /// Seconds (the form model servers send); an HTTP date is not worth the parser here.
    static func parseRetryAfter(_ value: String) -> Duration? {
        Double(value.trimmingCharacters(in: .whitespaces)).map { .milliseconds(Int64(max(0, $0) * 1000)) }
    }

    private static func excerpt(_ data: Data) -> String {
        let text = String(decoding: data.prefix(300), as: UTF8.self)
        return text.isEmpty ? "(empty body)" : text
    }
}

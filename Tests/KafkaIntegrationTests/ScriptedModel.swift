import Foundation
import HandoffCore
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A chat-completions endpoint that answers from a script: what a model server can do wrong
/// (hang, 429 with Retry-After, 500, a body that is not a response, output cut off) on demand.
final class ScriptedModel: Sendable {
    enum Step: Sendable {
        /// A complete response whose message content is `content`.
        case answer(String, finishReason: String = "stop")
        case status(Int, retryAfter: String? = nil, body: String = "")
        /// 200 with a body that is not a chat-completions response.
        case garbage(String)
        /// No answer until ``releaseHung()``, then this one.
        case hang(then: String)
    }

    private struct State {
        var script: [Step] = []
        /// Used when the script is empty.
        var fallback: Step = .status(500, body: "no script")
        var bodies: [String] = []
        var headers: [[String: String]] = []
        var released = false
    }

    private let state = Mutex(State())
    private let port = Mutex(0)
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func script(_ steps: [Step], otherwise fallback: Step? = nil) {
        state.withLock { state in
            state.script = steps
            if let fallback { state.fallback = fallback }
        }
    }

    func releaseHung() { state.withLock { $0.released = true } }

    /// The request bodies received, in order.
    var bodies: [String] { state.withLock { $0.bodies } }
    var requestHeaders: [[String: String]] { state.withLock { $0.headers } }
    var requests: Int { state.withLock { $0.bodies.count } }

    var baseURL: String { "http://127.0.0.1:\(port.withLock { $0 })/v1" }

    /// A chat-completions response body carrying `content`.
    static func response(_ content: String, finishReason: String = "stop") -> String {
        JSONWriter.string(.object([
            "id": .string("chatcmpl-test"), "object": .string("chat.completion"), "model": .string("scripted"),
            "choices": .array([.object(["index": .number(0), "finish_reason": .string(finishReason),
                                        "message": .object(["role": .string("assistant"), "content": .string(content)])])]),
        ]))
    }

    func application() -> some ApplicationProtocol {
        let router = Router()
        router.post("/v1/chat/completions") { [self] request, context -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let step = state.withLock { state -> Step in
                state.bodies.append(String(buffer: body))
                state.headers.append(headers)
                return state.script.isEmpty ? state.fallback : state.script.removeFirst()
            }
            switch step {
            case .answer(let content, let finishReason):
                return Self.json(Self.response(content, finishReason: finishReason))
            case .status(let code, let retryAfter, let text):
                var fields = HTTPFields()
                if let retryAfter { fields[.retryAfter] = retryAfter }
                return Response(status: .init(code: code), headers: fields, body: .init(byteBuffer: ByteBuffer(string: text)))
            case .garbage(let text):
                return Self.json(text)
            case .hang(let content):
                while !state.withLock({ $0.released }) { try await Task.sleep(for: .milliseconds(20)) }
                return Self.json(Self.response(content))
            }
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                           onServerRunning: { [self] channel in self.port.withLock { $0 = channel.localAddress?.port ?? 0 } }, logger: logger)
    }

    private static func json(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Runs the server for the duration of `body`.
    func serving<Result: Sendable>(_ body: @Sendable () async throws -> Result) async throws -> Result {
        port.withLock { $0 = 0 }
        state.withLock { $0.released = false }
        let app = application()
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: Result?.self) { tasks in
            tasks.addTask { try await group.run(); return nil }
            while port.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(10)) }
            defer { releaseHung() }
            let result = try await body()
            releaseHung()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }
}

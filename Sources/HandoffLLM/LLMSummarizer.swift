public import HandoffCore
public import Logging

/// Asks the model for a handoff summary and returns one an agent can trust: the model's, checked by
/// the fact guard, or the extractive one with the reason. Never throws: every failure is a fallback.
public struct LLMSummarizer: Sendable {
    public let client: ChatCompletionsClient
    public let prompt: SummaryPrompt
    public let verifier: SummaryVerifier
    private let logger: Logger

    public init(client: ChatCompletionsClient, configuration: LLMConfiguration, logger: Logger) {
        self.client = client
        prompt = configuration.prompt
        verifier = SummaryVerifier(minimumRetention: configuration.minimumFactRetention)
        self.logger = logger
    }

    /// What came of one summary.
    public struct Outcome: Sendable {
        public var summary: Summary
        public var figures: SummaryVerifier.Figures
        /// Model answers asked for (an unusable answer is asked for once more).
        public var attempts: Int
        public var latency: Duration
        /// Whether the model's summary is the one in ``summary``.
        public var isModelSummary: Bool { summary.source == "llm" }
    }

    public func summarize(_ job: SummaryJob) async -> Outcome {
        let started = ContinuousClock.now
        guard !job.transcript.isEmpty else {
            var summary = job.fallback
            summary.fallbackReason = "no messages to summarise"
            return Outcome(summary: summary, figures: SummaryVerifier.Figures(fallbackReason: summary.fallbackReason), attempts: 0, latency: .zero)
        }
        let request = prompt.request(for: job)
        var attempts = 0
        var reason = ""
        while attempts < 2 && !Task.isCancelled {
            attempts += 1
            let completion: ChatCompletionsClient.Completion
            do {
                completion = try await client.complete(request.body)
            } catch {
                reason = "the model endpoint failed: \(error)"
                break
            }
            switch verifier.read(content: completion.content, finishReason: completion.finishReason, request: request, job: job, extractive: job.fallback) {
            case .success(let (summary, figures)):
                return Outcome(summary: summary, figures: figures, attempts: attempts, latency: ContinuousClock.now - started)
            case .failure(let unusable):
                reason = unusable.reason
                logger.debug("unusable LLM answer", metadata: ["conversation_id": "\(job.conversationID)", "reason": "\(reason)", "attempt": "\(attempts)"])
            }
        }
        var summary = job.fallback
        summary.fallbackReason = reason
        return Outcome(summary: summary, figures: SummaryVerifier.Figures(fallbackReason: reason), attempts: attempts, latency: ContinuousClock.now - started)
    }
}

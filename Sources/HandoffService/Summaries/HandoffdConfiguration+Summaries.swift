public import HandoffLLM
public import Logging

extension HandoffdConfiguration {
    /// The model client and summariser the `llm:` section describes.
    /// - Throws: ``LLMError`` (code `.configuration`) when the URL or the API key is unusable: start-up stops with its message.
    public func summarizer(logger: Logger) throws(LLMError) -> LLMSummarizer {
        LLMSummarizer(client: try ChatCompletionsClient(configuration: llm, logger: logger), configuration: llm, logger: logger)
    }

    /// The summary workers of `serve`, or nil when `llm.enabled` is off.
    public func summaryWorkers(logger: Logger) throws(LLMError) -> SummaryWorkers? {
        guard llm.enabled else { return nil }
        return SummaryWorkers(summarizer: try summarizer(logger: logger), maxConcurrency: llm.maxConcurrency, maxQueued: llm.maxQueued)
    }
}

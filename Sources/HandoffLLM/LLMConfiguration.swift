public import HandoffCore

/// How `handoffd` reaches an OpenAI-compatible chat-completions endpoint (llama.cpp server, vLLM,
/// Ollama, LiteLLM, OpenAI, Azure OpenAI) and what it asks for. Off unless `enabled` (or `replay --llm`).
public struct LLMConfiguration: Sendable, Equatable {
    public var enabled = false
    /// Up to and including the version segment: `…/v1`; `/chat/completions` is appended.
    public var baseURL = "http://127.0.0.1:8080/v1"
    public var model = "default"
    /// The environment variable holding the API key, or a file containing it (never the key itself).
    public var apiKeyEnvironment: String?
    public var apiKeyFile: String?
    /// Azure OpenAI wants the key in `api-key` instead of `Authorization: Bearer`.
    public var apiKeyHeader = "Authorization"
    /// One HTTP request, connection to last byte. Default 30 s.
    public var requestTimeout: Duration = .seconds(30)
    /// Requests in flight at once. Default 2.
    public var maxConcurrency = 2
    /// Summaries waiting for a free slot; beyond this, handoffs go out with the extractive summary. Default 1 000.
    public var maxQueued = 1000
    /// Further attempts after a 429, a 5xx or a transport error. Default 2.
    public var maxRetries = 2
    /// First backoff; doubled per attempt, full jitter. Default 500 ms.
    public var retryBackoff: Duration = .milliseconds(500)
    /// A `Retry-After` longer than this is not waited for. Default 30 s.
    public var maxRetryAfter: Duration = .seconds(30)
    /// Consecutive failed requests that open the circuit, and how long it stays open. Defaults 5 and 30 s.
    public var breakerThreshold = 5
    public var breakerOpenFor: Duration = .seconds(30)
    /// The longest a handoff waits for its model summary before it goes out with the extractive one
    /// (followed by `support.handoff.updated` when the model answers). Default 2 s.
    public var deadline: Duration = .seconds(2)
    /// Start summarising when a conversation comes close to escalating (after an unsuccessful reply or
    /// an offer), so the summary is usually ready when the handoff happens. Default on.
    public var summarizeAhead = true
    /// The language agents read the summary in. Default English.
    public var agentLanguage = "en"
    /// Enough for every field at its schema limit in a wordy language (German ran past 800 on SmolLM2). Default 1 500.
    public var maxTokens = 1500
    public var temperature = 0.0
    public var seed: Int? = 42
    /// Below this share of proposed facts surviving the fact guard, the extractive summary is used. Default 0.5.
    public var minimumFactRetention = 0.5
    /// Literal strings that must never reach the model (account codes, …), besides e-mails, phones, cards and IBANs.
    public var redactLiterals: [String] = []
    /// Body members passed through unchanged (e.g. `cache_prompt: false` for llama.cpp).
    public var extra: [String: JSONValue] = [:]

    public init() {}

    public var prompt: SummaryPrompt {
        SummaryPrompt(model: model, agentLanguage: agentLanguage, maxTokens: maxTokens, temperature: temperature, seed: seed,
                      extra: extra, redactor: Redactor(customLiterals: redactLiterals))
    }
}

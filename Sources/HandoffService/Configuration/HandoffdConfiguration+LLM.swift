import Foundation
import HandoffCore
import HandoffLLM
import Yams

// MARK: - The `llm:` section

extension HandoffdConfiguration {
    mutating func readLLM(_ node: Node?, _ reader: ConfigReader) {
        let nodes = reader.mapping(node, "llm", allowed: [
            "enabled", "base_url", "model", "api_key_env", "api_key_file", "api_key_header", "request_timeout", "max_concurrency", "max_queued",
            "max_retries", "retry_backoff", "max_retry_after", "breaker_threshold", "breaker_open_for", "deadline", "summarize_ahead",
            "agent_language", "max_tokens", "temperature", "seed", "min_fact_retention", "redact", "extra",
        ])
        reader.bool(nodes["enabled"], "llm.enabled", into: &llm.enabled)
        reader.string(nodes["base_url"], "llm.base_url", into: &llm.baseURL)
        if let node = nodes["base_url"], let url = URL(string: llm.baseURL), !["http", "https"].contains(url.scheme ?? "") || url.host == nil {
            reader.problem(node, "llm.base_url", "must be an http(s) URL up to the API version, e.g. http://127.0.0.1:8080/v1")
        }
        reader.string(nodes["model"], "llm.model", into: &llm.model)
        if let node = nodes["api_key_env"] {
            var name = ""
            reader.string(node, "llm.api_key_env", into: &name)
            llm.apiKeyEnvironment = name
        }
        if let node = nodes["api_key_file"] {
            var path = ""
            reader.string(node, "llm.api_key_file", into: &path)
            llm.apiKeyFile = path
            if nodes["api_key_env"] != nil { reader.problem(node, "llm.api_key_file", "give api_key_env or api_key_file, not both") }
        }
        reader.string(nodes["api_key_header"], "llm.api_key_header", into: &llm.apiKeyHeader)
        reader.duration(nodes["request_timeout"], "llm.request_timeout", into: &llm.requestTimeout)
        reader.int(nodes["max_concurrency"], "llm.max_concurrency", into: &llm.maxConcurrency, range: 1...256)
        reader.int(nodes["max_queued"], "llm.max_queued", into: &llm.maxQueued, range: 0...1_000_000)
        reader.int(nodes["max_retries"], "llm.max_retries", into: &llm.maxRetries, range: 0...10)
        reader.duration(nodes["retry_backoff"], "llm.retry_backoff", into: &llm.retryBackoff)
        reader.duration(nodes["max_retry_after"], "llm.max_retry_after", into: &llm.maxRetryAfter)
        reader.int(nodes["breaker_threshold"], "llm.breaker_threshold", into: &llm.breakerThreshold, range: 1...1000)
        reader.duration(nodes["breaker_open_for"], "llm.breaker_open_for", into: &llm.breakerOpenFor)
        reader.duration(nodes["deadline"], "llm.deadline", into: &llm.deadline)
        reader.bool(nodes["summarize_ahead"], "llm.summarize_ahead", into: &llm.summarizeAhead)
        reader.string(nodes["agent_language"], "llm.agent_language", into: &llm.agentLanguage)
        if let node = nodes["agent_language"], !(llm.agentLanguage.count == 2 && llm.agentLanguage.allSatisfy({ $0.isASCII && $0.isLowercase })) {
            reader.problem(node, "llm.agent_language", "must be a two-letter ISO 639-1 code such as en or de")
        }
        reader.int(nodes["max_tokens"], "llm.max_tokens", into: &llm.maxTokens, range: 64...32_000)
        reader.double(nodes["temperature"], "llm.temperature", into: &llm.temperature, range: 0...2)
        if let node = nodes["seed"] {
            var seed = 0
            reader.int(node, "llm.seed", into: &seed, range: 0...Int(Int32.max))
            llm.seed = seed
        }
        reader.double(nodes["min_fact_retention"], "llm.min_fact_retention", into: &llm.minimumFactRetention, range: 0...1)
        if let node = nodes["redact"] {
            if let sequence = node.sequence {
                llm.redactLiterals = sequence.compactMap(\.string).filter { !$0.isEmpty }
            } else {
                reader.problem(node, "llm.redact", "must be a list of literal strings that never reach the model")
            }
        }
        for (key, value) in reader.mapping(nodes["extra"], "llm.extra", allowed: []) {
            llm.extra[key] = Self.json(value)
        }
    }

    /// YAML scalars keep their type (true, 0.5, "text"), so `cache_prompt: false` stays a boolean.
    private static func json(_ node: Node) -> JSONValue {
        if let mapping = node.mapping {
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping { members[key.string ?? ""] = json(value) }
            return .object(members)
        }
        if let sequence = node.sequence { return .array(sequence.map(json)) }
        if let bool = node.bool { return .bool(bool) }
        if let int = node.int { return .number(Double(int)) }
        if let float = node.float { return .number(float) }
        if node.null != nil { return .null }
        return .string(node.string ?? "")
    }
}

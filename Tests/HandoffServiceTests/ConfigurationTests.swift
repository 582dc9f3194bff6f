import Foundation
import HandoffCore
import Testing
@testable import HandoffService

@Suite("Configuration")
struct ConfigurationTests {
    @Test("no file means the documented defaults")
    func defaults() throws {
        let configuration = try HandoffdConfiguration.parse(yaml: "")
        #expect(configuration.topics.conversations == "support.conversations")
        #expect(configuration.policy.lowConfidence.threshold == 0.5)
        #expect(configuration.policy.frustration.unsuccessfulReplies == 3)
        #expect(configuration.policy.offer.afterUnsuccessfulReplies == 2)
        #expect(configuration.kafka["group.id"] == "handoffd")
        #expect(configuration.policy.version.hasPrefix("sha256:"))
        #expect(configuration.callbacks.customerHours == [8 * 3600..<20 * 3600])
    }

    @Test("every section is read")
    func fullFile() throws {
        let configuration = try HandoffdConfiguration.parse(yaml: """
        source: urn:handoffd:prod
        policy_version: "2026-11-26.1"
        topics: { conversations: conv, agents: ag, handoffs: ho, directives: dir, deadletter: dl }
        kafka:
          security.protocol: SASL_SSL
          group.id: support-handoff
        limits: { max_event_bytes: 65536, dead_letter_max_bytes: 1024 }
        processing: { buffer_limit: 500, idle_timeout: 2h, shutdown_timeout: 10s, changelog_interval: 250ms, global_view_wait: 0s }
        callbacks: { customer_hours: "09:00-12:00,14:00-19:30" }
        rules:
          strict: true
          low_confidence: { threshold: 0.6, consecutive: 3 }
          frustration: { unsuccessful_replies: 4 }
          offer: { after_unsuccessful_replies: 3 }
          sensitive_topic: { categories: [legal, refund] }
          dead_end: { enabled: false }
        routing:
          default_queue: tier1
          routes:
            - { category: legal, queue: legal-team }
            - { language: de, queue: support-de }
        priority:
          categories: { billing: 2 }
          tier_raise: { premium: 3 }
        """)
        #expect(configuration.source == "urn:handoffd:prod")
        #expect(configuration.policy.version == "2026-11-26.1")
        #expect(configuration.topics.deadLetter == "dl")
        #expect(configuration.kafka["security.protocol"] == "SASL_SSL")
        #expect(configuration.limits.maxEventBytes == 65536)
        #expect(configuration.deadLetterMaxBytes == 1024)
        #expect(configuration.processing.idleTimeout == .seconds(7200))
        #expect(configuration.processing.changelogInterval == .milliseconds(250))
        #expect(configuration.processing.globalViewWait == .zero)
        #expect(HandoffdConfiguration().processing.globalViewWait == .seconds(30))
        #expect(configuration.policy.strict)
        #expect(configuration.policy.lowConfidence.threshold == 0.6)
        #expect(configuration.policy.sensitiveTopic.categories == [.legal, .refund])
        #expect(!configuration.policy.deadEnd.enabled)
        #expect(configuration.policy.routing.queue(for: .legal, language: "de") == "legal-team")
        #expect(configuration.policy.routing.queue(for: .billing, language: "de") == "support-de")
        #expect(configuration.policy.routing.queue(for: .billing, language: "en") == "tier1")
        #expect(configuration.policy.priority.byCategory[.billing] == 2)
        #expect(configuration.policy.priority.tierRaise == ["premium": 3])
        #expect(configuration.callbacks.customerHours == [9 * 3600..<12 * 3600, 14 * 3600..<19 * 3600 + 1800])
        #expect(configuration.advisor().callbacks.customerHours == configuration.callbacks.customerHours, "the machine gets them")
        #expect(try HandoffdConfiguration.parse(yaml: #"callbacks: { customer_hours: "12:00-24:00,00:00-12:00" }"#).callbacks.customerHours == [0..<86_400],
                "ranges that touch are one: this is any time of day")
        let error = try #require(throws: ConfigurationError.self) { try HandoffdConfiguration.parse(yaml: "callbacks: { customer_hours: 8-20 }") }
        #expect(error.description.contains("callbacks.customer_hours (line 1): write calling hours as 08:00-20:00"))
        let short = try #require(throws: ConfigurationError.self) {
            try HandoffdConfiguration.parse(yaml: "queues: { billing: { callback_slot: 45m } }\ncallbacks: { customer_hours: \"08:00-12:00,18:00-18:30\" }")
        }
        #expect(short.description.contains("callbacks.customer_hours (line 2): 18:00-18:30 is shorter than a callback slot (45 minutes)"))
    }

    @Test("every problem is reported at once, with its key, line and what to do")
    func problemsAreActionable() throws {
        let error = try #require(throws: ConfigurationError.self) {
            try HandoffdConfiguration.parse(yaml: """
            source: handoffd
            rules:
              low_confidence:
                treshold: 0.4
              frustration: { unsuccessful_replies: zero }
            routing:
              routes:
                - { category: sales, queue: x }
            processing: { idle_timeout: forever }
            """, file: "handoff.yaml")
        }
        let text = error.description
        #expect(text.hasPrefix("invalid configuration in handoff.yaml:"))
        #expect(error.problems.count == 5)
        #expect(text.contains("rules.low_confidence.treshold (line 4): unknown key — did you mean 'threshold'?"))
        #expect(text.contains("rules.frustration.unsuccessful_replies (line 5): must be a whole number, got 'zero'"))
        #expect(text.contains("routing.routes[0].category"))
        #expect(text.contains("source"))
        #expect(text.contains("processing.idle_timeout"))
    }

    @Test("out-of-range thresholds and contradictory rules are refused")
    func contradictions() throws {
        #expect(throws: ConfigurationError.self) { try HandoffdConfiguration.parse(yaml: "rules: { low_confidence: { threshold: 1.5 } }") }
        let error = try #require(throws: ConfigurationError.self) {
            try HandoffdConfiguration.parse(yaml: "rules: { offer: { after_unsuccessful_replies: 3 } }")
        }
        #expect(error.description.contains("the offer would never be made"))
        #expect(throws: ConfigurationError.self) { try HandoffdConfiguration.parse(yaml: "topics: { handoffs: same, directives: same }") }
        #expect(throws: ConfigurationError.self) { try HandoffdConfiguration.parse(yaml: "rules: [1, 2]") }
        #expect(throws: ConfigurationError.self) { try HandoffdConfiguration.parse(yaml: "rules: {\n  bad") }
    }

    @Test("equal rules give equal policy versions; different rules different ones")
    func policyVersion() throws {
        let one = try HandoffdConfiguration.parse(yaml: "rules: { low_confidence: { threshold: 0.4 } }\nsource: urn:a")
        let two = try HandoffdConfiguration.parse(yaml: "source: urn:b\nrules:\n  low_confidence:\n    threshold: 0.4")
        let three = try HandoffdConfiguration.parse(yaml: "rules: { low_confidence: { threshold: 0.45 } }")
        #expect(one.policy.version == two.policy.version)
        #expect(one.policy.version != three.policy.version)
    }

    @Test("a missing file says so")
    func missingFile() throws {
        let error = try #require(throws: ConfigurationError.self) { try HandoffdConfiguration.load(path: "/nonexistent/handoff.yaml") }
        #expect(error.description.contains("/nonexistent/handoff.yaml"))
    }
}

@Suite("The documented example configuration")
struct ExampleConfigurationTests {
    @Test("config/handoff.example.yaml states exactly the defaults")
    func exampleIsDefaults() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("config/handoff.example.yaml").path
        var loaded = try HandoffdConfiguration.load(path: path)
        var defaults = HandoffdConfiguration()
        loaded.policy.version = "x"
        defaults.policy.version = "x"
        #expect(loaded == defaults)
    }
}

@Suite("Quality gate configuration")
struct QualityGateConfigurationTests {
    @Test("gates can be re-tuned or switched off; a clear level on the wrong side is refused")
    func overrides() throws {
        let configuration = try HandoffdConfiguration.parse(yaml: """
        quality_gates:
          faithfulness_low: { threshold: 0.85, clear: 0.88, window: 30m, minimum_samples: 20 }
          dead_letter_rate_high: { enabled: false }
        """)
        let gate = try #require(configuration.qualityGates.first { $0.name == "faithfulness_low" })
        #expect(gate.threshold == 0.85 && gate.clear == 0.88 && gate.window == 1_800_000 && gate.minimumSamples == 20)
        #expect(configuration.qualityGates.first { $0.name == "dead_letter_rate_high" }?.enabled == false)
        let error = try #require(throws: ConfigurationError.self) {
            try HandoffdConfiguration.parse(yaml: "quality_gates: { faithfulness_low: { threshold: 0.9, clear: 0.8 } }")
        }
        #expect(error.description.contains("would flap"))
        #expect(throws: ConfigurationError.self, "no hysteresis") { try HandoffdConfiguration.parse(yaml: "quality_gates: { faithfulness_low: { threshold: 0.9, clear: 0.9 } }") }
        #expect(throws: ConfigurationError.self, "too short a window") { try HandoffdConfiguration.parse(yaml: "quality_gates: { faithfulness_low: { window: 0s } }") }
        #expect(throws: ConfigurationError.self, "baseline not longer than the window") {
            try HandoffdConfiguration.parse(yaml: "quality_gates: { escalation_rate_jump: { window: 2h, baseline_window: 1h } }")
        }
        let window = try #require(throws: ConfigurationError.self, "records would wait too long to be committed") {
            try HandoffdConfiguration.parse(yaml: "processing: { changelog_interval: 10m }")
        }
        #expect(window.description.contains("processing.changelog_interval (line 1): must be at most 5m"))
        #expect(throws: ConfigurationError.self, "an overflowing duration is a problem, not a crash") {
            try HandoffdConfiguration.parse(yaml: "processing: { idle_timeout: 999999999999999d }")
        }
        #expect(throws: ConfigurationError.self) { try HandoffdConfiguration.parse(yaml: "quality_gates: { latency_high: { threshold: 1 } }") }
    }
}

@Suite("LLM configuration")
struct LLMConfigurationTests {
    @Test("the llm section is read, extra members keep their YAML types")
    func readsSection() throws {
        let configuration = try HandoffdConfiguration.parse(yaml: """
            llm:
              enabled: true
              base_url: https://llm.example.com/v1
              model: gpt-4o-mini
              api_key_env: OPENAI_API_KEY
              deadline: 1500ms
              agent_language: de
              redact: [ACCT-1, ACCT-2]
              extra: { cache_prompt: false, top_k: 1, note: text }
            """)
        let llm = configuration.llm
        #expect(llm.enabled && llm.baseURL == "https://llm.example.com/v1" && llm.model == "gpt-4o-mini")
        #expect(llm.apiKeyEnvironment == "OPENAI_API_KEY")
        #expect(llm.deadline == .milliseconds(1500))
        #expect(llm.agentLanguage == "de")
        #expect(llm.redactLiterals == ["ACCT-1", "ACCT-2"])
        #expect(llm.extra == ["cache_prompt": .bool(false), "top_k": .number(1), "note": .string("text")])
    }

    @Test("a base URL without a scheme, a language name instead of a code, and two key sources are refused, each by its key")
    func refusesBadValues() throws {
        do {
            _ = try HandoffdConfiguration.parse(yaml: """
                llm:
                  base_url: localhost:8080
                  agent_language: English
                  api_key_env: KEY
                  api_key_file: /run/key
                  temperature: 3
                """)
            Issue.record("accepted")
        } catch {
            let text = error.description
            for key in ["llm.base_url", "llm.agent_language", "llm.api_key_file", "llm.temperature"] {
                #expect(text.contains(key), "\(key) not named in: \(text)")
            }
        }
    }
}

import Foundation
public import HandoffCore
public import Kafka
public import HandoffLLM

/// Everything `handoffd` is configured with; every field has a documented default.
public struct HandoffdConfiguration: Sendable, Equatable {
    /// CloudEvents `source` of every output: one URI per deployment, never per instance.
    public var source = "urn:handoffd"
    /// This instance's name on its quality alerts (each instance judges its own traffic). Default: the host name.
    public var instance = ProcessInfo.processInfo.hostName
    public var topics = Topics()
    /// librdkafka properties passed through (`kafka:` section and `--kafka-property`).
    public var kafka: [String: String] = ["group.id": "handoffd"]
    public var limits = DecodingLimits()
    /// Bytes of a refused record kept in its dead letter. Default 64 KiB.
    public var deadLetterMaxBytes = 64 * 1024
    public var processing = Processing()
    public var admin = Admin()
    /// The quality gates (rolling windows with hysteresis), evaluated by every instance over its own traffic.
    public var qualityGates = QualityGate.defaults
    /// The escalation rules, routing and priorities.
    public var policy = EscalationPolicy()
    /// The model that writes handoff summaries (off by default: the extractive summary is used).
    public var llm = LLMConfiguration()
    /// Wait estimates: how they are learned, kept live and scored.
    public var waits = Waits()
    /// Per-queue business hours and callback slots (queues not named: open around the clock, UTC).
    public var queues: [String: QueueSettings] = [:]
    /// How callbacks are retried and when they are proposed.
    public var callbacks = Callbacks()

    public struct QueueSettings: Sendable, Equatable {
        /// IANA time zone of the hours and holidays. Default UTC.
        public var timeZone = "UTC"
        /// Weekday (1 = Monday … 7 = Sunday) → opening ranges in seconds since local midnight; empty = always open.
        public var hours: [Int: [Range<Int>]] = [:]
        /// Local dates (YYYY-MM-DD) closed all day.
        public var holidays: Set<String> = []
        /// Callback slot length. Default 30 minutes.
        public var callbackSlot: Duration = .seconds(1800)
        /// Callbacks per slot, across all instances. Default 4.
        public var callbackCapacity = 4
        /// A customer waiting longer is moved to `overflowTo`, or (without it) raised one priority step. Default: none.
        public var targetWait: Duration?
        public var overflowTo: String?
        public init() {}
    }

    public struct Callbacks: Sendable, Equatable {
        /// Calls per callback before it fails. Default 3.
        public var maxAttempts = 3
        /// Pause before the first retry after no answer or busy, doubled for each further one. Default 15 minutes.
        public var retryAfter: Duration = .seconds(900)
        /// Above this expected wait, offers and announcements propose callback windows. Default 5 minutes.
        public var offerAbove: Duration = .seconds(300)
        /// How far ahead a callback may be booked. Default 14 days.
        public var horizonDays = 14
        /// The earliest a callback may start after it is asked for. Default 10 minutes.
        public var leadTime: Duration = .seconds(600)
        /// When a customer who named no windows may be called, every day in their own time zone (seconds
        /// since local midnight). Default 08:00–20:00.
        public var customerHours: [Range<Int>] = QueueAdvisor.CallbackSettings().customerHours
        public init() {}
    }

    public struct Waits: Sendable, Equatable {
        /// Handle time assumed until a queue has history. Default 6 minutes.
        public var defaultHandleTime: Duration = .seconds(360)
        /// Per-queue defaults, overriding it.
        public var handleTimes: [String: Duration] = [:]
        /// Handle times and waits older than this are not learned from. Default 8 h.
        public var historyWindow: Duration = .seconds(8 * 3600)
        /// How often waiting customers' estimates are recomputed. Default 15 s.
        public var updateInterval: Duration = .seconds(15)
        /// A waiting customer hears at least this often, even when nothing changed much. Default 5 minutes.
        public var maxSilence: Duration = .seconds(300)
        /// How often each instance publishes `support.queue.stats` (estimate error per queue). Default 5 minutes.
        public var statsInterval: Duration = .seconds(300)
        /// A handoff the logs show waiting, or accepted and never completed, for longer than this no longer
        /// counts in the queue view (its abandonment or completion was never logged). Default 24 h.
        public var staleAfter: Duration = .seconds(24 * 3600)
        public init() {}

        public var estimator: WaitEstimator {
            var settings = WaitEstimator.Settings()
            settings.defaultHandleTime = defaultHandleTime.seconds
            settings.historyWindow = historyWindow.seconds
            return WaitEstimator(settings: settings, defaultHandleTimes: handleTimes.mapValues(\.seconds))
        }
    }

    public init() {}

    /// Topic names; all configurable.
    public struct Topics: Sendable, Equatable {
        public var conversations = "support.conversations"
        public var agents = "support.agents"
        public var handoffs = "support.handoffs"
        public var directives = "support.directives"
        public var deadLetter = "support.deadletter"
        public var alerts = "support.alerts"
        /// Conversation state, compacted, co-partitioned with `conversations` (same partition count).
        public var changelog = "support.conversation-state"
        /// Callback bookings and their lifecycle; read in full by every instance (slot capacity is global).
        public var callbacks = "support.callbacks"
        public init() {}

        public func name(for channel: OutputEvent.Channel) -> String {
            switch channel {
            case .handoffs: handoffs
            case .directives: directives
            case .deadLetter: deadLetter
            case .alerts: alerts
            case .callbacks: callbacks
            }
        }
    }

    public struct Processing: Sendable, Equatable {
        /// Records buffered between librdkafka and processing before partitions pause. Default 10 000.
        public var bufferLimit = 10_000
        /// Records processed whose outputs are not yet acknowledged, before processing waits. A changelog
        /// window ends at half of it, so it also sets how many records one changelog write covers under load
        /// (and how many a crash may process again). Default 80 000: 20 000 wrote 13 % more states on the
        /// 1M-event bench workload and was about 8 % slower (docs/performance.md, item 20).
        public var maxInFlight = 80_000
        /// Conversations idle this long (and without an open handoff) are forgotten. Default 24 h.
        public var idleTimeout: Duration = .seconds(24 * 3600)
        /// How long shutdown waits for outstanding deliveries. Default 30 s.
        public var shutdownTimeout: Duration = .seconds(30)
        /// A customer starting again within this time is a repeat contact. Default 7 days.
        public var repeatContactWindow: Duration = .seconds(7 * 86_400)
        /// Customers remembered for repeat contacts, at most. Default 1 000 000 (about 100 MB).
        public var repeatContactCapacity = 1_000_000
        /// Write each changed conversation's state to `topics.changelog` and restore it on assignment,
        /// so a restart or rebalance forgets nothing. Default off until the topic exists (see docs/operations.md).
        public var changelog = false
        /// How often, at most, changed conversations' state is written to the changelog (the latest state
        /// of each, once): records are committed only after it, so this adds to the commit delay and to
        /// what a crash processes again. Also written when half of `maxInFlight` records wait for it, before
        /// partitions are revoked, and at shutdown; exactly once writes it with every transaction. Default 1 s.
        public var changelogInterval: Duration = .seconds(1)
        /// How long an instance waits at start-up, before it joins the consumer group, for the global view
        /// (agents, handoffs, callback bookings) to reach the ends of its topics: decisions made against a
        /// view still being read would tell the first customers that nobody is there. After it, the
        /// instance joins and the view catches up beside the processing. Zero: do not wait. Default 30 s.
        public var globalViewWait: Duration = .seconds(30)
        /// At least once (the default: a crash may re-emit outputs, with the same ids) or exactly once
        /// (outputs, changelog and input offsets in one Kafka transaction; needs the changelog).
        public var guarantee = Guarantee.atLeastOnce
        /// The producer's `transactional.id` with exactly-once: stable for this instance across restarts and
        /// unique in the group (a second process with the same id fences the first). Default `<group.id>-<instance>`.
        public var transactionalID: String?
        public init() {}

        public enum Guarantee: String, Sendable, Equatable, CaseIterable {
            case atLeastOnce = "at_least_once"
            case exactlyOnce = "exactly_once"
        }
    }

    /// The admin HTTP endpoint (`/metrics`, `/healthz`, `/readyz`).
    public struct Admin: Sendable, Equatable {
        public var enabled = true
        /// Loopback by default: expose it deliberately.
        public var address = "127.0.0.1"
        /// 0 picks a free port (tests).
        public var port = 9464
        /// The environment variable holding a bearer token that `/metrics` then requires (never the token itself in the file).
        public var bearerTokenEnvironment: String?
        public init() {}
    }

    /// The librdkafka configuration for the given brokers and extra properties (which win).
    public func kafkaConfiguration(brokers: String?, overrides: [String: String] = [:]) -> KafkaConfiguration {
        var properties = kafka
        if let brokers { properties["bootstrap.servers"] = brokers }
        properties.merge(overrides) { $1 }
        return KafkaConfiguration(properties: properties)
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

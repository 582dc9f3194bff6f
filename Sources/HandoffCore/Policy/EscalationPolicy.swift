/// Every threshold and switch of the escalation rules, with the seed's defaults.
///
/// - Important: a policy is a value; a reload replaces it whole and changes ``version``, which every
///   decision records, so a handoff can always be traced to the rules that made it.
public struct EscalationPolicy: Sendable, Equatable {
    /// Recorded on every decision (`policy_version`).
    public var version: String = "default"
    /// "Not confirmed = unsuccessful": a reply counts as successful only on `helpful: true` or thanks.
    public var strict = false
    public var explicitRequest = ExplicitRequest()
    public var sensitiveTopic = SensitiveTopic()
    public var frustration = Frustration()
    public var deadEnd = DeadEnd()
    public var beyondDocumentation = BeyondDocumentation()
    public var lowConfidence = LowConfidence()
    public var offer = Offer()
    public var routing = Routing()
    public var priority = Priority()
    /// How many recent messages a handoff carries (and the state keeps).
    public var transcriptLimit = 20
    /// Characters of each message the handoff's transcript carries, so a handoff stays far below the
    /// broker's message size limit whatever the customer pasted.
    public var transcriptTextLimit = 2000
    /// Similarity (0…1) above which a customer message repeats or re-phrases the previous one.
    public var repeatSimilarity = 0.5

    public init() {}

    /// Rule 1: the customer asks for a person (button or text).
    public struct ExplicitRequest: Sendable, Equatable {
        public var enabled = true
        public init() {}
    }

    /// Rule 2: compensation/refund, warranty, complaint, legal.
    public struct SensitiveTopic: Sendable, Equatable {
        public var enabled = true
        public var categories: Set<Category> = [.refund, .warranty, .complaint, .legal]
        /// Points one customer message needs for the topic to count (a strong term is 3).
        public var minimumScore = 3.0
        public init() {}
    }

    /// Rule 3: repeated unsuccessful replies or strong frustration cues.
    public struct Frustration: Sendable, Equatable {
        public var enabled = true
        public var unsuccessfulReplies = 3
        /// Cue points in one message that count as strong frustration (an insult is 2, a phrase 1).
        public var messageScore = 3.0
        /// Cue points over the last three customer messages that count as strong frustration.
        public var cumulativeScore = 5.0
        public init() {}
    }

    /// Rule 3: the bot is in a dead end.
    public struct DeadEnd: Sendable, Equatable {
        public var enabled = true
        /// This many consecutive bot replies, each longer than the one before …
        public var growingReplies = 3
        /// … the last at least this many times the first …
        public var growthFactor = 1.5
        /// … and at least this long (characters).
        public var growingMinimumLength = 400
        /// This many clarifying questions in a row.
        public var clarifyingQuestions = 3
        /// Similarity (0…1) at which a reply re-words the previous one.
        public var rewordSimilarity = 0.6
        /// This many re-worded replies since the last successful one.
        public var rewordedReplies = 2
        public init() {}
    }

    /// Rule 4: a technical question beyond the documentation.
    public struct BeyondDocumentation: Sendable, Equatable {
        public var enabled = true
        /// Topic points that make the conversation technical.
        public var technicalScore = 2.0
        public init() {}
    }

    /// Rule 5: the bot's confidence is low.
    public struct LowConfidence: Sendable, Equatable {
        public var enabled = true
        public var threshold = 0.5
        public var consecutive = 2
        public var consecutiveForSensitive = 1
        public init() {}
    }

    /// The proactive offer of a person or a callback.
    public struct Offer: Sendable, Equatable {
        public var enabled = true
        public var afterUnsuccessfulReplies = 2
        public init() {}
    }

    /// (category, language) → queue; the first matching route wins.
    public struct Routing: Sendable, Equatable {
        public struct Route: Sendable, Equatable {
            public var category: Category?
            public var language: String?
            public var queue: String
            public init(category: Category? = nil, language: String? = nil, queue: String) {
                self.category = category
                self.language = language
                self.queue = queue
            }
        }

        public var routes: [Route] = [
            Route(category: .legal, queue: "legal"),
            Route(category: .refund, queue: "refunds"),
            Route(category: .warranty, queue: "warranty"),
            Route(category: .complaint, queue: "complaints"),
            Route(category: .billing, queue: "billing"),
            Route(category: .technical, queue: "technical"),
            Route(category: .orderStatus, queue: "orders"),
            Route(category: .account, queue: "accounts"),
        ]
        public var defaultQueue = "general"
        public init() {}

        /// Every queue a route leads to, the default included.
        public var queues: Set<String> { Set(routes.map(\.queue)).union([defaultQueue]) }

        public func queue(for category: Category, language: String) -> String {
            for route in routes where (route.category == nil || route.category == category) && (route.language == nil || route.language == language) {
                return route.queue
            }
            return defaultQueue
        }
    }

    /// Priority 1 (urgent) … 4 (low): the category's base, raised by frustration and customer tier.
    public struct Priority: Sendable, Equatable {
        public var byCategory: [Category: Int] = [
            .legal: 1, .complaint: 2, .refund: 2, .warranty: 3, .billing: 3, .technical: 3, .orderStatus: 3, .account: 3, .other: 4,
        ]
        /// Levels raised when the customer is frustrated (angry, or a frustration or dead-end reason).
        public var frustrationRaise = 1
        /// Levels raised per customer tier.
        public var tierRaise: [String: Int] = ["vip": 2, "premium": 1]
        public init() {}

        public func priority(category: Category, frustrated: Bool, tier: String?) -> Int {
            var level = byCategory[category] ?? 3
            if frustrated { level -= frustrationRaise }
            if let tier { level -= tierRaise[tier] ?? 0 }
            return min(4, max(1, level))
        }
    }
}

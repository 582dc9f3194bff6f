/// Reads a model's answer into the summary an agent sees, believing nothing it cannot check: the
/// answer must be complete (`finish_reason` "stop") and match ``SummarySchema``; every key fact must
/// occur in the message it cites; every figure in the free text must occur in the transcript.
public struct SummaryVerifier: Sendable {
    /// Below this share of proposed facts kept, the whole summary is distrusted and the extractive
    /// one is used instead. Default 0.5.
    public var minimumRetention: Double
    private let guardian = FactGuard()

    public init(minimumRetention: Double = 0.5) {
        self.minimumRetention = minimumRetention
    }

    /// An answer not worth checking: asking again may help.
    public struct Unusable: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// What the check did, for metrics and reports.
    public struct Figures: Sendable, Equatable {
        public var factsProposed = 0
        public var factsKept = 0
        public var sentencesRemoved = 0
        /// Why the extractive summary was used after all (nil when the model's was).
        public var fallbackReason: String?

        public init(factsProposed: Int = 0, factsKept: Int = 0, sentencesRemoved: Int = 0, fallbackReason: String? = nil) {
            self.factsProposed = factsProposed
            self.factsKept = factsKept
            self.sentencesRemoved = sentencesRemoved
            self.fallbackReason = fallbackReason
        }
    }

    /// - Parameters:
    ///   - content: the message content the model returned.
    ///   - extractive: the summary to fall back on (it carries the broker's own fields: bot answers, escalation reason).
    /// - Returns: the summary to publish, or ``Unusable`` when the answer is incomplete or malformed.
    public func read(content: String?, finishReason: String?, request: SummaryPrompt.Request, job: SummaryJob,
                     extractive: Summary) -> Result<(Summary, Figures), Unusable> {
        guard finishReason == "stop" else {
            return .failure(Unusable(reason: "the answer was cut off (finish_reason \(finishReason ?? "missing"))"))
        }
        guard let content, let answer = try? JSONParser.parse(Array(content.utf8)) else {
            return .failure(Unusable(reason: "the answer is not JSON"))
        }
        let violations = SchemaCheck.violations(of: answer, against: SummarySchema.json)
        guard violations.isEmpty else {
            return .failure(Unusable(reason: "the answer does not match the schema: " + violations.joined(separator: "; ")))
        }
        let restore = request.redaction.restore
        func messageID(_ label: JSONValue?) -> String {
            let label = label?.stringValue ?? ""
            return request.labels[label] ?? label
        }
        let facts = (answer["key_facts"]?.arrayValue ?? []).map { fact in
            FactGuard.Fact(kind: fact["kind"]?.stringValue ?? "other", value: restore(fact["value"]?.stringValue ?? ""), messageID: messageID(fact["message"]))
        }
        let botMessages = Set(job.transcript.filter { $0.role == .bot }.map(\.messageID))
        let attempts = (answer["bot_tried"]?.arrayValue ?? []).map { ($0["message"], restore($0["what"]?.stringValue ?? "")) }
            .filter { botMessages.contains(messageID($0.0)) }
        let questions = (answer["open_questions"]?.arrayValue ?? []).map { restore($0.stringValue ?? "") }
        var freeText: [String: String] = [
            "goal": restore(answer["goal"]?.stringValue ?? ""),
            "issue": restore(answer["issue"]?.stringValue ?? ""),
            "suggested_reply": restore(answer["suggested_reply"]?.stringValue ?? ""),
        ]
        for (index, attempt) in attempts.enumerated() { freeText["bot_tried.\(index)"] = attempt.1 }
        for (index, question) in questions.enumerated() { freeText["open_questions.\(index)"] = question }
        let verdict = guardian.check(facts: facts, freeText: freeText, transcript: job.transcript)

        var figures = Figures(factsProposed: facts.count, factsKept: verdict.kept.count, sentencesRemoved: verdict.removedSentences.count)
        var fallback = extractive
        fallback.factsProposed = figures.factsProposed
        fallback.factsDropped = figures.factsProposed - figures.factsKept
        if !facts.isEmpty && verdict.retention < minimumRetention {
            figures.fallbackReason = "the fact guard dropped \(fallback.factsDropped!) of \(facts.count) facts the model proposed"
        } else if verdict.freeText["goal", default: ""].isEmpty && verdict.freeText["issue", default: ""].isEmpty {
            figures.fallbackReason = "nothing of the goal and issue the model wrote could be checked against the transcript"
        }
        if let reason = figures.fallbackReason {
            fallback.fallbackReason = reason
            return .success((fallback, figures))
        }
        var summary = extractive
        summary.source = "llm"
        summary.goal = verdict.freeText["goal", default: ""]
        summary.issue = verdict.freeText["issue", default: ""]
        summary.sentiment = answer["sentiment"]?.stringValue.flatMap(Summary.Sentiment.init(rawValue:)) ?? extractive.sentiment
        summary.keyFacts = verdict.kept.map { fact in
            Summary.KeyFact(kind: Summary.KeyFact.Kind(rawValue: fact.kind) ?? .other, value: fact.value, messageID: fact.messageID)
        }
        summary.assisted = Summary.Assisted(
            botTried: attempts.indices.compactMap { index in
                let what = verdict.freeText["bot_tried.\(index)", default: ""]
                return what.isEmpty ? nil : .init(messageID: messageID(attempts[index].0), what: what)
            },
            openQuestions: questions.indices.map { verdict.freeText["open_questions.\($0)", default: ""] }.filter { !$0.isEmpty },
            suggestedReply: verdict.freeText["suggested_reply", default: ""],
            agentLanguage: request.agentLanguage,
            coversThrough: request.coversThrough
        )
        summary.factsProposed = figures.factsProposed
        summary.factsDropped = figures.factsProposed - figures.factsKept
        summary.fallbackReason = nil
        return .success((summary, figures))
    }
}

extension Summary {
    /// This (extractive) summary with what a model wrote ahead of time taken over: its goal, issue,
    /// sentiment, checked facts and copilot parts. The broker's own fields stay (escalation reason,
    /// quoted bot answers), and facts citing messages no longer in `transcript` are left out.
    public func adopting(_ model: Summary, transcript: [TranscriptEntry]) -> Summary {
        guard model.source == "llm" else { return self }
        let present = Set(transcript.map(\.messageID))
        var summary = self
        summary.source = model.source
        summary.goal = model.goal
        summary.issue = model.issue
        summary.sentiment = model.sentiment
        summary.keyFacts = model.keyFacts.filter { present.contains($0.messageID) }
        summary.assisted = model.assisted
        summary.factsProposed = model.factsProposed
        summary.factsDropped = model.factsDropped.map { $0 + model.keyFacts.count - summary.keyFacts.count }
        summary.fallbackReason = nil
        return summary
    }

    /// Whether a summary written ahead of time still describes `transcript`: the last message it saw
    /// is there and at most `uncovered` messages came after it (typically the reply that escalated).
    public func covers(_ transcript: [TranscriptEntry], uncovered: Int = 2) -> Bool {
        guard let last = assisted?.coversThrough, let index = transcript.lastIndex(where: { $0.messageID == last }) else { return false }
        return transcript.count - 1 - index <= uncovered
    }
}

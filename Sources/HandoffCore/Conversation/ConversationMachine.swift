/// The decision core: (state, event, policy, now) → (new state, actions). No I/O, no clock.
///
/// `serve`, `replay`, `demo` and the tests all drive this same type, so what a policy decides on
/// history is what it decides live.
public struct ConversationMachine: Sendable {
    public internal(set) var state: ConversationState

    static let customerCues = CustomerCueReader()
    static let botCues = BotReplyCueReader()
    static let topics = TopicClassifier()
    static let summarizer = ExtractiveSummarizer()
    static let keyFacts = KeyFactExtractor()

    /// How many bot replies and event ids the state keeps.
    static let replyHistory = 8
    static let eventIDHistory = 64

    public init(conversationID: String) {
        state = ConversationState(conversationID: conversationID)
    }

    public init(state: ConversationState) {
        self.state = state
    }

    /// Whether the conversation's handoff waits for an agent (waiting or requeued).
    var isWaiting: Bool {
        guard let status = state.handoff?.status else { return false }
        return status == .waiting || status == .requeued
    }

    /// Records the input offset just applied (partition-local), so a re-read record is recognised.
    public mutating func noteApplied(offset: Int64) {
        state.lastOffset = offset
    }

    /// Applies one event.
    /// - Parameters:
    ///   - event: a validated event of this conversation.
    ///   - policy: the rules in force.
    ///   - now: the processing time (the event's time in replay).
    ///   - advisor: the queues as the global logs show them (waits, hours, callback slots); nil: no
    ///     estimates and no callbacks.
    ///   - analysis: the message's text analysed ahead (``MessageAnalysis``); worked out here when nil.
    /// - Returns: the outputs to publish, in order.
    public mutating func handle(_ event: ConversationEvent, policy: EscalationPolicy, now: Timestamp,
                                advisor: QueueAdvisor? = nil, analysis: MessageAnalysis? = nil) -> [ConversationAction] {
        precondition(event.conversationID == state.conversationID, "event routed to the wrong conversation")
        if state.recentEventIDs.contains(event.id) {
            return [.redelivered]
        }
        state.recentEventIDs.append(event.id)
        if state.recentEventIDs.count > Self.eventIDHistory { state.recentEventIDs.removeFirst() }
        state.lastEventAt = event.time

        var context = Context(eventID: event.id, eventTime: event.time, policy: policy, now: now, advisor: advisor)
        switch event.payload {
        case .started(let started):
            state.customerID = started.customerID
            state.channel = started.channel
            state.locale = started.locale
            state.customerTier = started.customerTier
            state.timeZone = started.timeZone
            state.startedAt = event.time
        case .customerMessage(let messageID, let text):
            customerMessage(messageID: messageID, text: text, analysis: analysis?.customer ?? MessageAnalysis.Customer(text: text),
                            context: &context)
        case .botMessage(let message):
            botMessage(message, analysis: analysis?.bot ?? MessageAnalysis.Bot(text: message.text), context: &context)
        case .feedback(let messageID, let helpful):
            feedback(messageID: messageID, helpful: helpful, context: &context)
        case .handoffRequested(let messageID):
            if !state.botPaused && policy.explicitRequest.enabled {
                context.reasons.append(EscalationReason(
                    code: .explicitRequest,
                    detail: "The customer pressed the button to talk to a person.",
                    evidence: messageID.map { [$0] } ?? [],
                    signals: ["button": 1]
                ))
            }
        case .offerAnswered(let offerID, let answer):
            offerAnswered(offerID: offerID, answer: answer, context: &context)
        case .ended(let resolved, _):
            state.ended = true
            if resolved { markLastReply(.success, cause: nil) }
        case .handoffAccepted(let handoffID, let agentID):
            return updateHandoff(handoffID, cause: event.payload.typeName, now: now) { handoff in
                handoff.status = .accepted
                handoff.agentID = agentID
                return []
            }
        case .handoffRequeued(let handoffID, _, _):
            return updateHandoff(handoffID, cause: event.payload.typeName, now: now) { handoff in
                handoff.status = .requeued
                handoff.agentID = nil
                return []
            }
        case .handoffCompleted(let handoffID, let agentID, let handback):
            return updateHandoff(handoffID, cause: event.payload.typeName, now: now) { handoff in
                handoff.status = .completed
                if let agentID { handoff.agentID = agentID }
                return handback ? [.resumed(reason: "handback")] : []
            }
        case .handoffAbandoned(let handoffID):
            return updateHandoff(handoffID, cause: event.payload.typeName, now: now) { handoff in
                handoff.status = .abandoned
                return [.resumed(reason: "abandoned")]
            }
        case .callbackRequested(let request):
            return callbackRequested(request, context: context)
        case .callbackCancelled(let callbackID):
            return callbackCancelled(callbackID, now: now)
        case .callbackCompleted(let callbackID, let attempt, let outcome):
            return callbackCompleted(callbackID, attempt: attempt, outcome: outcome, context: context)
        }
        return decide(&context)
    }

    // MARK: - Context of one event

    struct Context {
        /// The event's id and time (not the whole event: the context is made for every event).
        let eventID: String
        let eventTime: Timestamp
        let policy: EscalationPolicy
        let now: Timestamp
        let advisor: QueueAdvisor?
        var reasons: [EscalationReason] = []
        /// The customer message of this event, when it is one.
        var customerScores: TopicClassifier.Scores?
    }

    // MARK: - Messages

    private mutating func customerMessage(messageID: String, text: String, analysis: MessageAnalysis.Customer, context: inout Context) {
        let policy = context.policy
        let cues = analysis.cues
        let stems = analysis.stems
        let scores = analysis.scores
        appendTranscript(TranscriptEntry(messageID: messageID, role: .customer, text: text, time: context.eventTime), policy: policy)
        state.topics.add(scores)
        context.customerScores = scores
        if state.goal == nil && analysis.wordCount >= 3 { state.goal = ExtractiveSummarizer.quote(text) }
        state.recentFrustration.append(cues.frustration)
        if state.recentFrustration.count > 3 { state.recentFrustration.removeFirst() }
        state.insultThisCycle = state.insultThisCycle || cues.hasInsult
        state.lastCustomerThanked = cues.saysThanks && cues.humanRequest == nil

        // How the customer's reply judges the bot's last answer.
        let closest = state.recentCustomerStems.map { Similarity.dice(stems, $0) }.max() ?? 0
        let repeats = closest >= policy.repeatSimilarity
        if let last = state.replies.last, last.outcome == .unknown {
            if cues.saysNotHelped || cues.frustration > 0 || repeats {
                var causes: [String] = []
                if cues.saysNotHelped { causes.append("the customer said it did not help (\(messageID))") }
                if repeats { causes.append("the customer repeated the question (\(messageID))") }
                if cues.frustration > 0 { causes.append("the customer showed frustration (\(messageID): \(cues.frustrationCues.joined(separator: ", ")))") }
                markLastReply(.failure, cause: causes.joined(separator: "; "))
            } else if cues.saysThanks {
                markLastReply(.success, cause: nil)
            } else if policy.strict {
                markLastReply(.failure, cause: "not confirmed as helpful before the customer wrote again (strict mode)")
            } else if text.contains("?") && !state.recentCustomerStems.isEmpty && closest < 0.2 && stems.count >= 2 {
                // Moving on to a new, unrelated question means the last answer did its job.
                markLastReply(.success, cause: nil)
            }
        }
        state.recentCustomerStems.append(stems)
        if state.recentCustomerStems.count > 3 { state.recentCustomerStems.removeFirst() }
        state.lastCustomerMessageID = messageID
        if cues.frustration > 0 || cues.saysNotHelped { noteSignal(context.eventTime) }

        guard !state.botPaused else { return }

        if policy.explicitRequest.enabled, let request = cues.humanRequest {
            context.reasons.append(EscalationReason(
                code: .explicitRequest,
                detail: "The customer asked for a person: \"\(request.phrase)\".",
                evidence: [messageID],
                signals: ["text_request": 1]
            ))
        }
        if policy.sensitiveTopic.enabled,
           let category = scores.sensitive(minimum: policy.sensitiveTopic.minimumScore),
           policy.sensitiveTopic.categories.contains(category) {
            let words = scores.evidence[category, default: []].prefix(4).map { "\"\($0.filter { $0 != "*" })\"" }
            context.reasons.append(EscalationReason(
                code: .sensitiveTopic,
                detail: "The topic is \(category.humanName), which always goes to a person (\(words.joined(separator: ", "))).",
                evidence: [messageID],
                signals: ["topic_score": scores.byCategory[category] ?? 0]
            ))
        }
        if policy.frustration.enabled {
            let cumulative = state.recentFrustration.reduce(0, +)
            if cues.hasInsult || cues.frustration >= policy.frustration.messageScore || cumulative >= policy.frustration.cumulativeScore {
                context.reasons.append(EscalationReason(
                    code: .frustration,
                    detail: "The customer is clearly frustrated (\(cues.frustrationCues.joined(separator: ", "))).",
                    evidence: recentCustomerMessageIDs(3),
                    signals: ["message_frustration": cues.frustration, "recent_frustration": cumulative]
                ))
            }
        }
        evaluateReplyCounts(&context)
    }

    private mutating func botMessage(_ message: ConversationEvent.BotMessage, analysis: MessageAnalysis.Bot, context: inout Context) {
        let policy = context.policy
        let cues = analysis.cues
        let stems = analysis.stems
        appendTranscript(TranscriptEntry(messageID: message.messageID, role: .bot, text: message.text, time: context.eventTime), policy: policy)

        // A reply the customer did not judge before the bot spoke again stays unknown (or fails in strict mode).
        if policy.strict, let last = state.replies.last, last.outcome == .unknown {
            markLastReply(.failure, cause: "not confirmed as helpful (strict mode)")
        }
        let grounded = !message.sources.isEmpty
        let lowConfidence = message.confidence.map { $0 < policy.lowConfidence.threshold } ?? false
        var causes: [String] = []
        if !grounded { causes.append("ungrounded (no sources)") }
        if lowConfidence, let confidence = message.confidence { causes.append("confidence \(Self.format(confidence)) below \(Self.format(policy.lowConfidence.threshold))") }
        if cues.cannotHelp { causes.append("the bot said it cannot help") }
        state.consecutiveLowConfidence = lowConfidence ? state.consecutiveLowConfidence + 1 : 0
        let similarity = state.replies.last.map { Similarity.dice(stems, $0.stems) } ?? 0
        let reply = ConversationState.BotReply(
            messageID: message.messageID,
            outcome: causes.isEmpty ? .unknown : .failure,
            failureCauses: causes,
            grounded: grounded,
            confidence: message.confidence,
            cues: cues,
            stems: stems,
            similarityToPrevious: similarity
        )
        state.replies.append(reply)
        if state.replies.count > Self.replyHistory { state.replies.removeFirst() }
        if !causes.isEmpty { noteSignal(context.eventTime) }

        guard !state.botPaused else { return }

        if policy.beyondDocumentation.enabled {
            let technical = (state.topics.byCategory[.technical] ?? 0) >= policy.beyondDocumentation.technicalScore
                && state.topics.best() == .technical
            if cues.cannotHelp {
                context.reasons.append(EscalationReason(
                    code: .beyondDocumentation,
                    detail: "The bot said it cannot help with this question.",
                    evidence: [message.messageID],
                    signals: ["cannot_help": 1]
                ))
            } else if technical && !grounded {
                context.reasons.append(EscalationReason(
                    code: .beyondDocumentation,
                    detail: "A technical question was answered without any grounding document.",
                    evidence: [message.messageID] + (state.lastCustomerMessageID.map { [$0] } ?? []),
                    signals: ["sources": 0, "technical_score": state.topics.byCategory[.technical] ?? 0]
                ))
            }
        }
        if policy.lowConfidence.enabled, lowConfidence {
            let sensitive = state.topics.sensitive(minimum: policy.sensitiveTopic.minimumScore) != nil
            let needed = sensitive ? policy.lowConfidence.consecutiveForSensitive : policy.lowConfidence.consecutive
            if state.consecutiveLowConfidence >= needed {
                let recent = state.replies.suffix(state.consecutiveLowConfidence)
                context.reasons.append(EscalationReason(
                    code: .lowConfidence,
                    detail: "The bot's confidence was below \(Self.format(policy.lowConfidence.threshold)) in \(state.consecutiveLowConfidence) replies in a row"
                        + (sensitive ? " on a sensitive topic." : "."),
                    evidence: recent.map(\.messageID),
                    signals: ["consecutive_low_confidence": Double(state.consecutiveLowConfidence), "confidence": message.confidence ?? 0]
                ))
            }
        }
        if policy.deadEnd.enabled { evaluateDeadEnd(&context) }
        evaluateReplyCounts(&context)
    }

    private mutating func feedback(messageID: String, helpful: Bool, context: inout Context) {
        guard let index = state.replies.lastIndex(where: { $0.messageID == messageID }) else { return }
        if helpful {
            state.replies[index].outcome = .success
        } else {
            state.replies[index].failureCauses.append("the customer rated it not helpful")
            state.replies[index].outcome = .failure
            noteSignal(context.eventTime)
        }
        guard !state.botPaused else { return }
        evaluateReplyCounts(&context)
    }

    private mutating func offerAnswered(offerID: String, answer: ConversationEvent.OfferAnswer, context: inout Context) {
        guard !state.botPaused, context.policy.explicitRequest.enabled else { return }
        switch answer {
        case .accepted:
            context.reasons.append(EscalationReason(code: .explicitRequest, detail: "The customer accepted the offer of a person (\(offerID)).", evidence: [], signals: ["offer_accepted": 1]))
        case .callback:
            context.reasons.append(EscalationReason(code: .explicitRequest, detail: "The customer asked for a callback (\(offerID)).", evidence: [], signals: ["callback_requested": 1]))
        case .declined:
            break
        }
    }

    // MARK: - Rules on the reply history

    private func evaluateReplyCounts(_ context: inout Context) {
        let policy = context.policy
        let unsuccessful = state.unsuccessfulReplies
        if policy.frustration.enabled, unsuccessful >= policy.frustration.unsuccessfulReplies,
           !context.reasons.contains(where: { $0.code == .repeatedFailures }) {
            let failed = state.replies.reversed().prefix { $0.outcome != .success }.filter { $0.outcome == .failure }.reversed()
            let causes = failed.map { "\($0.messageID): \($0.failureCauses.joined(separator: ", "))" }
            context.reasons.append(EscalationReason(
                code: .repeatedFailures,
                detail: "\(unsuccessful) unsuccessful bot replies in a row (\(causes.joined(separator: "; "))).",
                evidence: failed.map(\.messageID),
                signals: ["unsuccessful_replies": Double(unsuccessful)]
            ))
        }
    }

    private func evaluateDeadEnd(_ context: inout Context) {
        let rule = context.policy.deadEnd
        let sinceSuccess = Array(state.replies.reversed().prefix { $0.outcome != .success }.reversed())
        var findings: [(String, [String], [String: Double])] = []

        let growing = Array(sinceSuccess.suffix(rule.growingReplies))
        if rule.growingReplies >= 2, growing.count == rule.growingReplies,
           zip(growing, growing.dropFirst()).allSatisfy({ $0.cues.length < $1.cues.length }),
           let first = growing.first, let last = growing.last,
           Double(last.cues.length) >= rule.growthFactor * Double(max(1, first.cues.length)),
           last.cues.length >= rule.growingMinimumLength {
            findings.append(("the bot's replies keep getting longer (\(growing.map { String($0.cues.length) }.joined(separator: " → ")) characters)",
                             growing.map(\.messageID), ["reply_length": Double(last.cues.length)]))
        }
        let clarifying = Array(sinceSuccess.reversed().prefix { $0.cues.isClarifyingQuestion })
        if rule.clarifyingQuestions >= 1, clarifying.count >= rule.clarifyingQuestions {
            findings.append(("the bot asked \(clarifying.count) clarifying questions in a row", clarifying.reversed().map(\.messageID),
                             ["clarifying_questions": Double(clarifying.count)]))
        }
        // Very short replies ("Glad to help.") say too little to be called the same answer.
        let reworded = sinceSuccess.dropFirst().filter { $0.similarityToPrevious >= rule.rewordSimilarity && $0.stems.count >= 3 }
        if rule.rewordedReplies >= 1, reworded.count >= rule.rewordedReplies {
            let top = reworded.map(\.similarityToPrevious).max() ?? 0
            findings.append(("the bot gave the same answer re-worded \(reworded.count) times (similarity up to \(Self.format(top)))",
                             reworded.map(\.messageID), ["reworded_replies": Double(reworded.count), "similarity": top]))
        }
        guard !findings.isEmpty else { return }
        var signals: [String: Double] = [:]
        for finding in findings { signals.merge(finding.2) { $1 } }
        context.reasons.append(EscalationReason(
            code: .deadEnd,
            detail: "Dead end: " + findings.map(\.0).joined(separator: "; ") + ".",
            evidence: Array(Set(findings.flatMap(\.1))).sorted(),
            signals: signals
        ))
    }

    // MARK: - Decisions

    private mutating func decide(_ context: inout Context) -> [ConversationAction] {
        guard !state.botPaused else { return [] }
        if !context.reasons.isEmpty {
            return escalate(context)
        }
        let offer = context.policy.offer
        if offer.enabled, !state.offeredThisCycle, state.unsuccessfulReplies >= offer.afterUnsuccessfulReplies {
            state.offeredThisCycle = true
            state.offersMade += 1
            let offerID = "offer-\(state.conversationID)-\(state.offersMade)"
            let language = Announcements.language(state.language)
            let data: JSONValue = .object([
                "conversation_id": .string(state.conversationID),
                "offer_id": .string(offerID),
                "options": .array([.string("human"), .string("callback")]),
                "reason": .string(EscalationReason.Code.repeatedFailures.rawValue),
                "text": .string(Announcements.offer(language)),
                "language": .string(language),
            ].merging(offerWindows(context)) { $1 })
            return [.emit(OutputEvent(channel: .directives, key: state.conversationID, id: offerID, type: EventType.escalationOffered,
                                      subject: state.conversationID, time: context.now, data: data, policyVersion: context.policy.version))]
        }
        return []
    }

    private mutating func escalate(_ context: Context) -> [ConversationAction] {
        let policy = context.policy
        noteSignal(context.eventTime)
        let category = resolveCategory(context)
        let language = state.language
        let frustrated = context.reasons.contains { [.frustration, .repeatedFailures, .deadEnd].contains($0.code) }
        let summary = Self.summarizer.summarize(state: state, reasons: context.reasons, category: category, language: language)
        var handoff = Handoff(
            id: Handoff.id(conversationID: state.conversationID, triggerEventID: context.eventID),
            revision: 1,
            conversationID: state.conversationID,
            customerID: state.customerID ?? "unknown",
            customerTier: state.customerTier,
            status: .waiting,
            queue: policy.routing.queue(for: category, language: language),
            category: category,
            language: language,
            priority: policy.priority.priority(category: category, frustrated: frustrated || summary.sentiment == .angry, tier: state.customerTier),
            reasons: context.reasons,
            summary: summary,
            transcript: state.transcript.map { entry in
                var entry = entry
                if entry.text.unicodeScalars.count > policy.transcriptTextLimit {
                    entry.text = String(String.UnicodeScalarView(entry.text.unicodeScalars.prefix(policy.transcriptTextLimit - 1))) + "…"
                }
                return entry
            },
            agentID: nil,
            detectedAt: state.firstSignalAt ?? context.eventTime,
            createdAt: context.now,
            updatedAt: context.now,
            policyVersion: policy.version,
            triggerEventID: context.eventID
        )
        handoff.waitEstimate = context.advisor?.estimate(handoff, now: context.now)
        state.handoff = handoff
        let announcementLanguage = Announcements.language(language)
        let conversation = state.conversationID
        return [
            .emit(OutputEvent(channel: .handoffs, key: conversation, id: "\(handoff.id)/r1", type: EventType.handoffCreated,
                              subject: conversation, time: context.now, data: handoff.json, policyVersion: policy.version)),
            .emit(OutputEvent(channel: .directives, key: conversation, id: "\(handoff.id)/announced", type: EventType.handoffAnnounced,
                              subject: conversation, time: context.now, data: .object([
                                  "conversation_id": .string(conversation),
                                  "handoff_id": .string(handoff.id),
                                  "queue": .string(handoff.queue),
                                  "text": .string(Announcements.handoff(announcementLanguage, wait: handoff.waitEstimate)),
                                  "language": .string(announcementLanguage),
                              ].merging(Self.waitMembers(handoff.waitEstimate)) { $1 }
                               .merging(callbackOffer(handoff.waitEstimate, queue: handoff.queue, context: context)) { $1 }), policyVersion: policy.version)),
            .emit(OutputEvent(channel: .directives, key: conversation, id: "\(handoff.id)/paused", type: EventType.botPaused,
                              subject: conversation, time: context.now, data: .object([
                                  "conversation_id": .string(conversation),
                                  "handoff_id": .string(handoff.id),
                                  "reason": .string("handoff"),
                              ]), policyVersion: policy.version)),
        ]
    }

    /// The category of the conversation: a sensitive topic named in the reasons wins, then the
    /// topic vocabulary over the whole conversation; a technical question beyond the documentation is technical.
    func resolveCategory(_ context: Context) -> Category {
        if let scores = context.customerScores, let sensitive = scores.sensitive(minimum: context.policy.sensitiveTopic.minimumScore) {
            return sensitive
        }
        let best = state.topics.category(sensitiveMinimum: context.policy.sensitiveTopic.minimumScore)
        if best == .other, context.reasons.contains(where: { $0.code == .beyondDocumentation }) { return .technical }
        return best
    }

    // MARK: - Handoff lifecycle

    enum FollowUp { case resumed(reason: String) }

    private mutating func updateHandoff(_ handoffID: String?, cause: String, now: Timestamp,
                                        _ change: (inout Handoff) -> [FollowUp]) -> [ConversationAction] {
        guard var handoff = state.handoff, handoff.status.isOpen else {
            return [.ignored("\(cause) for conversation \(state.conversationID), which has no open handoff")]
        }
        if let handoffID, handoffID != handoff.id {
            return [.ignored("\(cause) names handoff \(handoffID), but the open handoff is \(handoff.id)")]
        }
        let followUps = change(&handoff)
        handoff.revision += 1
        handoff.updatedAt = now
        state.handoff = handoff
        let conversation = state.conversationID
        var actions: [ConversationAction] = [
            .emit(OutputEvent(channel: .handoffs, key: conversation, id: "\(handoff.id)/r\(handoff.revision)", type: EventType.handoffUpdated,
                              subject: conversation, time: now, data: handoff.json, policyVersion: handoff.policyVersion)),
        ]
        for followUp in followUps {
            switch followUp {
            case .resumed(let reason):
                actions.append(.emit(OutputEvent(channel: .directives, key: conversation, id: "\(handoff.id)/resumed", type: EventType.botResumed,
                                                 subject: conversation, time: now, data: .object([
                                                     "conversation_id": .string(conversation),
                                                     "handoff_id": .string(handoff.id),
                                                     "reason": .string(reason),
                                                 ]))))
            }
        }
        if !handoff.status.isOpen { startNewCycle() }
        return actions
    }

    /// Puts a model-written summary on the open handoff `handoffID`.
    /// - Parameter published: whether the handoff's first revision went out already. If not, the
    ///   summary becomes part of it and nothing is emitted (the caller publishes revision 1 as it is
    ///   now); if so, it is a new revision (`support.handoff.updated`).
    public mutating func attachSummary(_ summary: Summary, handoffID: String, published: Bool, now: Timestamp) -> [ConversationAction] {
        guard published else {
            guard state.handoff?.id == handoffID, state.handoff?.revision == 1 else {
                return [.ignored("summary for handoff \(handoffID), which is not the unpublished handoff of \(state.conversationID)")]
            }
            state.handoff?.summary = summary
            return []
        }
        return updateHandoff(handoffID, cause: "summary", now: now) { handoff in
            handoff.summary = summary
            return []
        }
    }

    /// Tells the waiting customer and the agents a new estimate: a new revision of the handoff and a
    /// fresh announcement. Nothing when the handoff is no longer waiting or is another one.
    public mutating func updateEstimate(_ estimate: WaitEstimate, handoffID: String, now: Timestamp) -> [ConversationAction] {
        guard let current = state.handoff, current.id == handoffID, current.status == .waiting || current.status == .requeued else {
            return [.ignored("wait estimate for handoff \(handoffID), which is not waiting")]
        }
        // The customer hears only what they would notice: other minutes, or nobody there / closed now.
        let tellCustomer = current.waitEstimate.map { $0.minutes != estimate.minutes || ($0.seconds == nil) != (estimate.seconds == nil) } ?? true
        var actions = updateHandoff(handoffID, cause: "wait estimate", now: now) { handoff in
            handoff.waitEstimate = estimate
            return []
        }
        let language = Announcements.language(state.handoff?.language ?? "en")
        let text = Announcements.handoff(language, wait: estimate, update: true)
        guard tellCustomer, let handoff = state.handoff, !text.isEmpty else { return actions }
        actions.append(.emit(OutputEvent(channel: .directives, key: state.conversationID, id: "\(handoff.id)/announced/r\(handoff.revision)",
                                         type: EventType.handoffAnnounced, subject: state.conversationID, time: now, data: .object([
                                             "conversation_id": .string(state.conversationID),
                                             "handoff_id": .string(handoff.id),
                                             "queue": .string(handoff.queue),
                                             "text": .string(text),
                                             "language": .string(language),
                                         ].merging(Self.waitMembers(estimate)) { $1 }), policyVersion: handoff.policyVersion)))
        return actions
    }

    /// The handoff has waited past its queue's target: it moves to the backup queue, or, without one,
    /// one step up in priority — once, with an update agents and the queue view see.
    public mutating func missTarget(handoffID: String, overflowTo: String?, now: Timestamp) -> [ConversationAction] {
        guard let current = state.handoff, current.id == handoffID, current.status == .waiting || current.status == .requeued,
              current.targetMissedAt == nil else { return [] }
        return updateHandoff(handoffID, cause: "target wait", now: now) { handoff in
            handoff.targetMissedAt = now
            if let overflowTo, overflowTo != handoff.queue {
                handoff.queue = overflowTo
            } else {
                handoff.priority = max(1, handoff.priority - 1)
            }
            return []
        }
    }

    /// The wait fields of an announcement.
    static func waitMembers(_ estimate: WaitEstimate?) -> [String: JSONValue] {
        guard let estimate else { return [:] }
        var members: [String: JSONValue] = ["position": .number(Double(estimate.position))]
        if let minutes = estimate.minutes { members["wait_minutes"] = .number(Double(minutes)) }
        return members
    }

    /// After a handoff closes, the bot starts afresh: old failures must not re-trigger at once.
    private mutating func startNewCycle() {
        state.replies.removeAll()
        state.consecutiveLowConfidence = 0
        state.recentFrustration.removeAll()
        state.insultThisCycle = false
        state.offeredThisCycle = false
        state.firstSignalAt = nil
        state.topics = TopicClassifier.Scores()
        state.recentCustomerStems.removeAll()
    }

    // MARK: - Helpers

    private mutating func markLastReply(_ outcome: ConversationState.BotReply.Outcome, cause: String?) {
        guard !state.replies.isEmpty else { return }
        let last = state.replies.count - 1
        state.replies[last].outcome = outcome
        if let cause { state.replies[last].failureCauses.append(cause) }
    }

    private mutating func appendTranscript(_ entry: TranscriptEntry, policy: EscalationPolicy) {
        state.transcript.append(entry)
        let overflow = state.transcript.count - max(1, policy.transcriptLimit)
        guard overflow > 0 else { return }
        // A customer message leaving the transcript leaves its facts behind.
        for entry in state.transcript.prefix(overflow) where entry.role == .customer {
            ConversationState.addKeyFacts(of: entry, to: &state.earlierKeyFacts)
        }
        state.transcript.removeFirst(overflow)
    }

    private mutating func noteSignal(_ time: Timestamp) {
        if state.firstSignalAt == nil { state.firstSignalAt = time }
    }

    private func recentCustomerMessageIDs(_ count: Int) -> [String] {
        Array(state.transcript.filter { $0.role == .customer }.suffix(count).map(\.messageID))
    }

    static func format(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}

extension Category {
    var humanName: String {
        switch self {
        case .billing: "billing"
        case .refund: "a refund or compensation"
        case .warranty: "a warranty claim"
        case .complaint: "a complaint"
        case .legal: "a legal matter"
        case .technical: "a technical question"
        case .orderStatus: "order status"
        case .account: "the customer's account"
        case .other: "another topic"
        }
    }
}

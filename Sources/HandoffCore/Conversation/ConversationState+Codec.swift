// MARK: - The durable form of a conversation's state (the changelog's record value)

/// Why a stored state could not be read back.
public struct StateDecodingError: Error, Sendable, CustomStringConvertible {
    public var field: String
    public var description: String { "conversation state: field '\(field)' is missing or has the wrong type" }
}

private struct Reader {
    let value: JSONValue
    let path: String

    func member(_ key: String) -> JSONValue? { value[key].flatMap { $0 == .null ? nil : $0 } }
    func string(_ key: String) throws(StateDecodingError) -> String {
        guard let text = member(key)?.stringValue else { throw StateDecodingError(field: path + key) }
        return text
    }
    func optionalString(_ key: String) -> String? { member(key)?.stringValue }
    func optionalInt(_ key: String) -> Int? { member(key)?.intValue }
    func int(_ key: String) throws(StateDecodingError) -> Int {
        guard let number = member(key)?.intValue else { throw StateDecodingError(field: path + key) }
        return number
    }
    func double(_ key: String) throws(StateDecodingError) -> Double {
        guard let number = member(key)?.numberValue else { throw StateDecodingError(field: path + key) }
        return number
    }
    func bool(_ key: String) throws(StateDecodingError) -> Bool {
        guard case .bool(let flag)? = member(key) else { throw StateDecodingError(field: path + key) }
        return flag
    }
    func time(_ key: String) throws(StateDecodingError) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: Int64(try int(key)))
    }
    func optionalTime(_ key: String) -> Timestamp? { member(key)?.intValue.map { Timestamp(millisecondsSinceEpoch: Int64($0)) } }
    func array(_ key: String) throws(StateDecodingError) -> [JSONValue] {
        guard let elements = member(key)?.arrayValue else { throw StateDecodingError(field: path + key) }
        return elements
    }
    func strings(_ key: String) throws(StateDecodingError) -> [String] {
        try array(key).map { element throws(StateDecodingError) in
            guard let text = element.stringValue else { throw StateDecodingError(field: path + key) }
            return text
        }
    }
    func object(_ key: String) throws(StateDecodingError) -> Reader {
        guard case .object? = member(key) else { throw StateDecodingError(field: path + key) }
        return Reader(value: member(key)!, path: path + key + ".")
    }
}


extension ConversationState {
    /// Format version of the stored state; a reader refuses versions it does not know.
    public static let storageVersion = 1

    /// The stored state: a JSON object, members in sorted order, written straight to bytes without
    /// building a ``JSONValue`` tree (it is written for every changed conversation). A test holds it to
    /// the bytes earlier versions wrote through a tree, so states already in a changelog stay readable.
    public var storageBytes: [UInt8] {
        var out = JSONStreamWriter(capacity: 4096)
        func time(_ timestamp: Timestamp?) {
            if let timestamp { out.integer(timestamp.millisecondsSinceEpoch) } else { out.null() }
        }
        out.beginObject()
        out.key("callbacks")
        out.beginArray()
        for callback in callbacks { out.value(callback.json) }
        out.endArray()
        out.key("called_back"); out.bool(calledBack)
        out.key("channel"); out.string(channel)
        out.key("conversation_id"); out.string(conversationID)
        out.key("customer_id"); out.string(customerID)
        out.key("customer_tier"); out.string(customerTier)
        out.key("ended"); out.bool(ended)
        out.key("first_signal_at"); time(firstSignalAt)
        out.key("goal"); out.string(goal)
        out.key("handoff")
        if let handoff { handoff.write(into: &out) } else { out.null() }
        out.key("insult"); out.bool(insultThisCycle)
        out.key("key_facts")
        out.beginArray()
        for fact in earlierKeyFacts {
            out.beginObject()
            out.key("id"); out.string(fact.messageID)
            out.key("kind"); out.string(fact.kind.rawValue)
            out.key("value"); out.string(fact.value)
            out.endObject()
        }
        out.endArray()
        out.key("last_customer_message"); out.string(lastCustomerMessageID)
        out.key("last_event_at"); time(lastEventAt)
        out.key("last_offset")
        if let lastOffset { out.integer(lastOffset) } else { out.null() }
        out.key("locale"); out.string(locale)
        out.key("low_confidence_run"); out.integer(Int64(consecutiveLowConfidence))
        out.key("offered_this_cycle"); out.bool(offeredThisCycle)
        out.key("offers_made"); out.integer(Int64(offersMade))
        out.key("recent_event_ids")
        out.beginArray()
        for id in recentEventIDs { out.string(id) }
        out.endArray()
        out.key("recent_frustration")
        out.beginArray()
        for score in recentFrustration { out.number(score) }
        out.endArray()
        out.key("recent_stems")
        out.beginArray()
        for stems in recentCustomerStems {
            out.beginArray()
            for stem in stems.sorted { out.string(stem) }
            out.endArray()
        }
        out.endArray()
        out.key("replies")
        out.beginArray()
        for reply in replies {
            out.beginObject()
            out.key("cannot_help"); out.bool(reply.cues.cannotHelp)
            out.key("causes")
            out.beginArray()
            for cause in reply.failureCauses { out.string(cause) }
            out.endArray()
            out.key("clarifying"); out.bool(reply.cues.isClarifyingQuestion)
            out.key("confidence")
            if let confidence = reply.confidence { out.number(confidence) } else { out.null() }
            out.key("grounded"); out.bool(reply.grounded)
            out.key("id"); out.string(reply.messageID)
            out.key("length"); out.integer(Int64(reply.cues.length))
            out.key("outcome"); out.string(reply.outcome.rawValue)
            out.key("similarity"); out.number(reply.similarityToPrevious)
            out.key("stems")
            out.beginArray()
            for stem in reply.stems.sorted { out.string(stem) }
            out.endArray()
            out.endObject()
        }
        out.endArray()
        out.key("started_at"); time(startedAt)
        out.key("thanked"); out.bool(lastCustomerThanked)
        out.key("time_zone"); out.string(timeZone)
        out.key("topic_evidence")
        out.beginObject()
        for (category, words) in topics.evidence.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            out.key(text: category.rawValue)
            out.beginArray()
            for word in words { out.string(word) }
            out.endArray()
        }
        out.endObject()
        out.key("topics")
        out.beginObject()
        for (category, score) in topics.byCategory.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            out.key(text: category.rawValue)
            out.number(score)
        }
        out.endObject()
        out.key("transcript")
        out.beginArray()
        for entry in transcript {
            out.beginObject()
            out.key("id"); out.string(entry.messageID)
            out.key("role"); out.string(entry.role.rawValue)
            out.key("text"); out.string(entry.text)
            out.key("time"); out.integer(entry.time.millisecondsSinceEpoch)
            out.endObject()
        }
        out.endArray()
        out.key("v"); out.integer(Int64(Self.storageVersion))
        out.endObject()
        return out.bytes
    }

    /// Reads a state written by ``storageBytes`` (parsed).
    public init(storageJSON json: JSONValue) throws(StateDecodingError) {
        let reader = Reader(value: json, path: "")
        guard try reader.int("v") == Self.storageVersion else { throw StateDecodingError(field: "v") }
        self.init(conversationID: try reader.string("conversation_id"))
        customerID = reader.optionalString("customer_id")
        channel = reader.optionalString("channel")
        locale = reader.optionalString("locale")
        customerTier = reader.optionalString("customer_tier")
        // Absent in states written before the start event carried it.
        timeZone = reader.optionalString("time_zone")
        startedAt = reader.optionalTime("started_at")
        lastEventAt = reader.optionalTime("last_event_at")
        lastOffset = reader.member("last_offset")?.intValue.map(Int64.init)
        ended = try reader.bool("ended")
        transcript = try reader.array("transcript").map { element throws(StateDecodingError) in
            let entry = Reader(value: element, path: "transcript.")
            guard let role = TranscriptEntry.Role(rawValue: try entry.string("role")) else { throw StateDecodingError(field: "transcript.role") }
            return TranscriptEntry(messageID: try entry.string("id"), role: role, text: try entry.string("text"), time: try entry.time("time"))
        }
        replies = try reader.array("replies").map { element throws(StateDecodingError) in
            let reply = Reader(value: element, path: "replies.")
            guard let outcome = BotReply.Outcome(rawValue: try reply.string("outcome")) else { throw StateDecodingError(field: "replies.outcome") }
            return BotReply(
                messageID: try reply.string("id"), outcome: outcome, failureCauses: try reply.strings("causes"), grounded: try reply.bool("grounded"),
                confidence: reply.member("confidence")?.numberValue,
                cues: BotReplyCues(cannotHelp: try reply.bool("cannot_help"), isClarifyingQuestion: try reply.bool("clarifying"), length: try reply.int("length")),
                stems: Stems(try reply.strings("stems")), similarityToPrevious: try reply.double("similarity")
            )
        }
        consecutiveLowConfidence = try reader.int("low_confidence_run")
        recentFrustration = try reader.array("recent_frustration").compactMap(\.numberValue)
        insultThisCycle = try reader.bool("insult")
        lastCustomerThanked = try reader.bool("thanked")
        goal = reader.optionalString("goal")
        earlierKeyFacts = try reader.array("key_facts").map { element throws(StateDecodingError) in
            let fact = Reader(value: element, path: "key_facts.")
            guard let kind = Summary.KeyFact.Kind(rawValue: try fact.string("kind")) else { throw StateDecodingError(field: "key_facts.kind") }
            return Summary.KeyFact(kind: kind, value: try fact.string("value"), messageID: try fact.string("id"))
        }
        if case .object(let scores)? = reader.member("topics") {
            for (name, value) in scores { if let category = Category(rawValue: name), let score = value.numberValue { topics.byCategory[category] = score } }
        }
        if case .object(let evidence)? = reader.member("topic_evidence") {
            for (name, value) in evidence {
                if let category = Category(rawValue: name) { topics.evidence[category] = (value.arrayValue ?? []).compactMap(\.stringValue) }
            }
        }
        recentCustomerStems = try reader.array("recent_stems").map { Stems(($0.arrayValue ?? []).compactMap(\.stringValue)) }
        lastCustomerMessageID = reader.optionalString("last_customer_message")
        offersMade = try reader.int("offers_made")
        offeredThisCycle = try reader.bool("offered_this_cycle")
        if let handoffJSON = reader.member("handoff") { handoff = try Handoff(json: handoffJSON) }
        firstSignalAt = reader.optionalTime("first_signal_at")
        recentEventIDs = try reader.strings("recent_event_ids")
        // Absent in states written before callbacks existed.
        calledBack = reader.member("called_back") == .bool(true)
        for element in reader.member("callbacks")?.arrayValue ?? [] {
            guard let callback = PendingCallback(json: element) else { throw StateDecodingError(field: "callbacks") }
            callbacks.append(callback)
        }
    }
}

extension Handoff {
    /// Reads a handoff snapshot as written by ``json``.
    public init(json: JSONValue) throws(StateDecodingError) {
        let reader = Reader(value: json, path: "handoff.")
        func parseTime(_ key: String) throws(StateDecodingError) -> Timestamp {
            guard let time = Timestamp(rfc3339: try reader.string(key)) else { throw StateDecodingError(field: "handoff." + key) }
            return time
        }
        guard let status = Status(rawValue: try reader.string("status")) else { throw StateDecodingError(field: "handoff.status") }
        guard let category = Category(rawValue: try reader.string("category")) else { throw StateDecodingError(field: "handoff.category") }
        let summary = try reader.object("summary")
        guard let sentiment = Summary.Sentiment(rawValue: try summary.string("sentiment")) else { throw StateDecodingError(field: "handoff.summary.sentiment") }
        self.init(
            id: try reader.string("handoff_id"),
            revision: try reader.int("revision"),
            conversationID: try reader.string("conversation_id"),
            customerID: try reader.string("customer_id"),
            customerTier: reader.optionalString("customer_tier"),
            status: status,
            queue: try reader.string("queue"),
            category: category,
            language: try reader.string("language"),
            priority: try reader.int("priority"),
            reasons: try reader.array("reasons").map { element throws(StateDecodingError) in
                let reason = Reader(value: element, path: "handoff.reasons.")
                guard let code = EscalationReason.Code(rawValue: try reason.string("code")) else { throw StateDecodingError(field: "handoff.reasons.code") }
                var signals: [String: Double] = [:]
                if case .object(let members)? = reason.member("signals") { for (key, value) in members { signals[key] = value.numberValue } }
                return EscalationReason(code: code, detail: try reason.string("detail"), evidence: try reason.strings("evidence"), signals: signals)
            },
            summary: Summary(
                source: try summary.string("source"), goal: try summary.string("goal"), issue: try summary.string("issue"),
                botAnswers: try summary.array("bot_answers").map { element throws(StateDecodingError) in
                    let answer = Reader(value: element, path: "handoff.summary.bot_answers.")
                    return Summary.BotAnswer(messageID: try answer.string("message_id"), text: try answer.string("text"))
                },
                escalationReason: try summary.string("escalation_reason"), sentiment: sentiment,
                keyFacts: try summary.array("key_facts").map { element throws(StateDecodingError) in
                    let fact = Reader(value: element, path: "handoff.summary.key_facts.")
                    guard let kind = Summary.KeyFact.Kind(rawValue: try fact.string("kind")) else { throw StateDecodingError(field: "handoff.summary.key_facts.kind") }
                    return Summary.KeyFact(kind: kind, value: try fact.string("value"), messageID: try fact.string("message_id"))
                },
                language: try summary.string("language"),
                assisted: summary.member("suggested_reply") == nil ? nil : Summary.Assisted(
                    botTried: try summary.array("bot_tried").map { element throws(StateDecodingError) in
                        let attempt = Reader(value: element, path: "handoff.summary.bot_tried.")
                        return Summary.Assisted.Attempt(messageID: try attempt.string("message_id"), what: try attempt.string("what"))
                    },
                    openQuestions: try summary.strings("open_questions"),
                    suggestedReply: try summary.string("suggested_reply"),
                    agentLanguage: try summary.string("agent_language"),
                    coversThrough: try summary.string("covers_through")
                ),
                factsProposed: summary.optionalInt("facts_proposed"),
                factsDropped: summary.optionalInt("facts_dropped"),
                fallbackReason: summary.optionalString("fallback_reason")
            ),
            transcript: try reader.array("transcript").map { element throws(StateDecodingError) in
                let entry = Reader(value: element, path: "handoff.transcript.")
                guard let role = TranscriptEntry.Role(rawValue: try entry.string("role")),
                      let time = Timestamp(rfc3339: try entry.string("time")) else { throw StateDecodingError(field: "handoff.transcript") }
                return TranscriptEntry(messageID: try entry.string("message_id"), role: role, text: try entry.string("text"), time: time)
            },
            agentID: reader.optionalString("agent_id"),
            detectedAt: try parseTime("detected_at"),
            createdAt: try parseTime("created_at"),
            updatedAt: try parseTime("updated_at"),
            policyVersion: try reader.string("policy_version"),
            triggerEventID: try reader.string("trigger_event_id"),
            waitEstimate: reader.member("wait_estimate").flatMap(WaitEstimate.init(json:)),
            targetMissedAt: reader.optionalString("target_missed_at").flatMap(Timestamp.init(rfc3339:))
        )
    }
}

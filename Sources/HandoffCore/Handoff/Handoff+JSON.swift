// MARK: - The wire form of handoffs (protocols/schemas/handoff.json)

extension Handoff {
    /// The wire form as a tree (output events carry it). ``write(into:)`` writes the same bytes
    /// without the tree, for the stored state: change both together (`ConversationStateCodecTests.handoffStreamedAsItsWireForm` compares them).
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "handoff_id": .string(id),
            "revision": .number(Double(revision)),
            "conversation_id": .string(conversationID),
            "customer_id": .string(customerID),
            "status": .string(status.rawValue),
            "queue": .string(queue),
            "category": .string(category.rawValue),
            "language": .string(language),
            "priority": .number(Double(priority)),
            "reasons": .array(reasons.map(\.json)),
            "summary": summary.json,
            "transcript": .array(transcript.map(\.json)),
            "detected_at": .string(detectedAt.rfc3339),
            "created_at": .string(createdAt.rfc3339),
            "updated_at": .string(updatedAt.rfc3339),
            "policy_version": .string(policyVersion),
            "trigger_event_id": .string(triggerEventID),
        ]
        if let customerTier { members["customer_tier"] = .string(customerTier) }
        if let agentID { members["agent_id"] = .string(agentID) }
        if let waitEstimate { members["wait_estimate"] = waitEstimate.json }
        if let targetMissedAt { members["target_missed_at"] = .string(targetMissedAt.rfc3339) }
        return .object(members)
    }
}

extension Handoff {
    /// Writes ``json`` member by member, in key order, as `JSONWriter` would write it: a conversation
    /// with a handoff stores it with every change of its state, and the tree's dictionaries cost more
    /// than the bytes.
    func write(into out: inout JSONStreamWriter) {
        func time(_ timestamp: Timestamp) { out.string(timestamp.rfc3339) }
        out.beginObject()
        if let agentID { out.key("agent_id"); out.string(agentID) }
        out.key("category"); out.string(category.rawValue)
        out.key("conversation_id"); out.string(conversationID)
        out.key("created_at"); time(createdAt)
        out.key("customer_id"); out.string(customerID)
        if let customerTier { out.key("customer_tier"); out.string(customerTier) }
        out.key("detected_at"); time(detectedAt)
        out.key("handoff_id"); out.string(id)
        out.key("language"); out.string(language)
        out.key("policy_version"); out.string(policyVersion)
        out.key("priority"); out.integer(Int64(priority))
        out.key("queue"); out.string(queue)
        out.key("reasons")
        out.beginArray()
        for reason in reasons { out.value(reason.json) }
        out.endArray()
        out.key("revision"); out.integer(Int64(revision))
        out.key("status"); out.string(status.rawValue)
        out.key("summary"); out.value(summary.json)
        if let targetMissedAt { out.key("target_missed_at"); time(targetMissedAt) }
        out.key("transcript")
        out.beginArray()
        for entry in transcript {
            out.beginObject()
            out.key("message_id"); out.string(entry.messageID)
            out.key("role"); out.string(entry.role.rawValue)
            out.key("text"); out.string(entry.text)
            out.key("time"); time(entry.time)
            out.endObject()
        }
        out.endArray()
        out.key("trigger_event_id"); out.string(triggerEventID)
        out.key("updated_at"); time(updatedAt)
        if let waitEstimate { out.key("wait_estimate"); out.value(waitEstimate.json) }
        out.endObject()
    }
}

extension EscalationReason {
    public var json: JSONValue {
        .object([
            "code": .string(code.rawValue),
            "detail": .string(detail),
            "evidence": .array(evidence.map(JSONValue.string)),
            "signals": .object(signals.mapValues(JSONValue.number)),
        ])
    }
}

extension TranscriptEntry {
    public var json: JSONValue {
        .object([
            "message_id": .string(messageID),
            "role": .string(role.rawValue),
            "text": .string(text),
            "time": .string(time.rfc3339),
        ])
    }
}

extension Summary {
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "source": .string(source),
            "goal": .string(goal),
            "issue": .string(issue),
            "bot_answers": .array(botAnswers.map { .object(["message_id": .string($0.messageID), "text": .string($0.text)]) }),
            "escalation_reason": .string(escalationReason),
            "sentiment": .string(sentiment.rawValue),
            "key_facts": .array(keyFacts.map { .object(["kind": .string($0.kind.rawValue), "value": .string($0.value), "message_id": .string($0.messageID)]) }),
            "language": .string(language),
        ]
        if let assisted {
            members["bot_tried"] = .array(assisted.botTried.map { .object(["message_id": .string($0.messageID), "what": .string($0.what)]) })
            members["open_questions"] = .array(assisted.openQuestions.map(JSONValue.string))
            members["suggested_reply"] = .string(assisted.suggestedReply)
            members["agent_language"] = .string(assisted.agentLanguage)
            members["covers_through"] = .string(assisted.coversThrough)
        }
        if let factsProposed { members["facts_proposed"] = .number(Double(factsProposed)) }
        if let factsDropped { members["facts_dropped"] = .number(Double(factsDropped)) }
        if let fallbackReason { members["fallback_reason"] = .string(fallbackReason) }
        return .object(members)
    }
}

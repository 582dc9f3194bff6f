// MARK: - The wire form of handoffs (protocols/schemas/handoff.json)

extension Handoff {
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

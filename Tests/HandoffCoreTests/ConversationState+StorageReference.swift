@testable import HandoffCore

private func time(_ timestamp: Timestamp) -> JSONValue { .number(Double(timestamp.millisecondsSinceEpoch)) }
private func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
private func optional(_ timestamp: Timestamp?) -> JSONValue { timestamp.map(time) ?? .null }

extension ConversationState {
    /// The stored state as earlier versions built it, through a ``JSONValue`` tree and ``JSONWriter``:
    /// the format of the states already in changelogs, which ``storageBytes`` must keep writing.
    var referenceStorageJSON: JSONValue {
        .object([
            "v": .number(Double(Self.storageVersion)),
            "conversation_id": .string(conversationID),
            "customer_id": optional(customerID),
            "channel": optional(channel),
            "locale": optional(locale),
            "customer_tier": optional(customerTier),
            "started_at": optional(startedAt),
            "last_event_at": optional(lastEventAt),
            "last_offset": lastOffset.map { .number(Double($0)) } ?? .null,
            "ended": .bool(ended),
            "transcript": .array(transcript.map { entry in
                .object(["id": .string(entry.messageID), "role": .string(entry.role.rawValue), "text": .string(entry.text), "time": time(entry.time)])
            }),
            "replies": .array(replies.map { reply in
                .object([
                    "id": .string(reply.messageID), "outcome": .string(reply.outcome.rawValue),
                    "causes": .array(reply.failureCauses.map(JSONValue.string)), "grounded": .bool(reply.grounded),
                    "confidence": reply.confidence.map(JSONValue.number) ?? .null,
                    "cannot_help": .bool(reply.cues.cannotHelp), "clarifying": .bool(reply.cues.isClarifyingQuestion),
                    "length": .number(Double(reply.cues.length)), "stems": .array(reply.stems.sorted.map(JSONValue.string)),
                    "similarity": .number(reply.similarityToPrevious),
                ])
            }),
            "low_confidence_run": .number(Double(consecutiveLowConfidence)),
            "recent_frustration": .array(recentFrustration.map(JSONValue.number)),
            "insult": .bool(insultThisCycle),
            "thanked": .bool(lastCustomerThanked),
            "time_zone": optional(timeZone),
            "goal": optional(goal),
            "key_facts": .array(earlierKeyFacts.map { .object(["kind": .string($0.kind.rawValue), "value": .string($0.value), "id": .string($0.messageID)]) }),
            "topics": .object(topics.byCategory.reduce(into: [String: JSONValue]()) { $0[$1.key.rawValue] = .number($1.value) }),
            "topic_evidence": .object(topics.evidence.reduce(into: [String: JSONValue]()) { $0[$1.key.rawValue] = .array($1.value.map(JSONValue.string)) }),
            "recent_stems": .array(recentCustomerStems.map { .array($0.sorted.map(JSONValue.string)) }),
            "last_customer_message": optional(lastCustomerMessageID),
            "offers_made": .number(Double(offersMade)),
            "offered_this_cycle": .bool(offeredThisCycle),
            "handoff": handoff?.json ?? .null,
            "first_signal_at": optional(firstSignalAt),
            "recent_event_ids": .array(recentEventIDs.map(JSONValue.string)),
            "callbacks": .array(callbacks.map(\.json)),
            "called_back": .bool(calledBack),
        ])
    }
}

import HandoffCore
import Kafka

/// The processing loop's book of summaries in waiting: handoffs held back (at most until their
/// deadline) for the model's summary, and summaries written ahead for conversations close to
/// escalating. Plain values, no I/O: the loop decides, this remembers.
struct SummaryDesk {
    /// A `support.handoff.created` not yet published, and the record it belongs to (not finished,
    /// so its offset is not committed before the handoff is out).
    struct Held {
        var conversationID: String
        var handoffID: String
        var output: OutputEvent
        var partition: TopicPartition
        var offset: Int64
        /// The tracker's epoch of the partition when the record was begun (see ``OffsetTracker/begin(_:_:)``).
        var epoch: UInt64
        var deadline: Timestamp
    }

    /// How long a handoff may wait for its summary (milliseconds); 0 never holds one.
    let deadline: Int64
    /// Summaries written ahead, kept for at most this many conversations (the oldest go first).
    let aheadCapacity: Int
    private var held: [String: Held] = [:]
    private var ahead: [String: Summary] = [:]
    private var aheadOrder: [String] = []

    init(deadline: Int64, aheadCapacity: Int = 10_000) {
        self.deadline = max(0, deadline)
        self.aheadCapacity = aheadCapacity
    }

    /// Conversations whose handoff is not published yet.
    var heldConversations: Set<String> { Set(held.keys) }

    func isHeld(_ conversation: String) -> Bool { held[conversation] != nil }

    mutating func hold(_ handoff: Held) {
        held[handoff.conversationID] = handoff
    }

    /// The held handoff of a conversation (if it is `handoffID`, when given), no longer held.
    mutating func release(conversation: String, handoffID: String? = nil) -> Held? {
        guard let handoff = held[conversation], handoffID.map({ $0 == handoff.handoffID }) ?? true else { return nil }
        held[conversation] = nil
        return handoff
    }

    /// Held handoffs whose deadline has come, earliest first.
    mutating func expired(at now: Timestamp) -> [Held] {
        let due = held.values.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
        for handoff in due { held[handoff.conversationID] = nil }
        return due
    }

    mutating func releaseAll() -> [Held] {
        defer { held.removeAll() }
        return held.values.sorted { $0.deadline < $1.deadline }
    }

    /// Forgets held handoffs of partitions this instance no longer owns.
    mutating func dropHeld(where gone: (TopicPartition) -> Bool) {
        held = held.filter { !gone($0.value.partition) }
    }

    /// Keeps a model summary written ahead of escalation (extractive fallbacks are not worth keeping).
    mutating func keepAhead(_ summary: Summary, for conversation: String) {
        guard summary.source == "llm" else { return }
        if ahead.updateValue(summary, forKey: conversation) == nil { aheadOrder.append(conversation) }
        while ahead.count > aheadCapacity, !aheadOrder.isEmpty {
            ahead[aheadOrder.removeFirst()] = nil
        }
        // Taken summaries leave their names behind; keep the order list as bounded as the map.
        if aheadOrder.count > 2 * max(1, aheadCapacity) {
            var seen: Set<String> = []
            aheadOrder = aheadOrder.reversed().filter { ahead[$0] != nil && seen.insert($0).inserted }.reversed()
        }
    }

    mutating func takeAhead(for conversation: String) -> Summary? {
        ahead.removeValue(forKey: conversation)
    }
}

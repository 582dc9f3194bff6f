import Kafka

/// The records processed since the changelog was last written. At the window's end the latest state of
/// every conversation they changed is written once, tracked under the record that last changed it, and
/// only then are the records finished: an offset is committed only once the state it produced is stored,
/// and a conversation touched by many records in the window costs one changelog write, not many.
///
/// - Important: a record whose conversation's state was kept out of the write (its handoff is held for a
///   summary) is not finished: it stays, with the conversation, for the next window. Finishing it would
///   let the offset pass a change that no stored state holds.
struct ChangelogWindow {
    typealias Record = (partition: TopicPartition, offset: Int64)

    /// Records to finish when the window ends, with the conversation each changed (if any).
    private(set) var records: [(record: Record, conversation: String?)] = []
    /// The record that last changed each conversation: its state write is tracked under it.
    private(set) var lastRecordOf: [String: Record] = [:]
    /// Conversations left out of an earlier write: their state is written at the next end.
    private(set) var carried: Set<String> = []
    private var endedAt: ContinuousClock.Instant

    init(now: ContinuousClock.Instant) {
        endedAt = now
    }

    /// A record processed, which changed `conversation` (if any): it is finished when the window ends,
    /// and that conversation's state is written under it unless a later record changes it too.
    /// - Important: only for records the window finishes: a record finished elsewhere (a held handoff's)
    ///   may be finished before the window ends, and nothing may be tracked under it afterwards.
    mutating func add(_ record: Record, changed conversation: String?) {
        records.append((record, conversation))
        if let conversation { lastRecordOf[conversation] = record }
    }

    /// The window's last record: what a write with no record of its own (a tombstone) is tracked under.
    var anchor: Record? { records.last?.record }

    /// Whether the window should end now: `interval` has passed since the last end, or it holds `recordLimit` records.
    func isDue(now: ContinuousClock.Instant, interval: Duration, recordLimit: Int) -> Bool {
        now - endedAt >= interval || records.count >= recordLimit
    }

    /// Ends the window: the records to finish now. Records of the `kept` conversations stay for the next
    /// window, and so do those conversations: their state is written when it ends.
    mutating func end(keeping kept: Set<String>, now: ContinuousClock.Instant) -> [Record] {
        endedAt = now
        var finished: [Record] = []
        var staying: [(record: Record, conversation: String?)] = []
        for entry in records {
            if let conversation = entry.conversation, kept.contains(conversation) { staying.append(entry) } else { finished.append(entry.record) }
        }
        records = staying
        lastRecordOf.removeAll(keepingCapacity: true)
        for entry in staying { if let conversation = entry.conversation { lastRecordOf[conversation] = entry.record } }
        carried = Set(lastRecordOf.keys)
        return finished
    }

    /// Forgets what belongs to partitions taken away: their records are another instance's now, and
    /// their conversations' state must not be written by this one.
    mutating func drop(_ partitions: Set<TopicPartition>) {
        guard !partitions.isEmpty else { return }
        records.removeAll { partitions.contains($0.record.partition) }
        let gone = lastRecordOf.filter { partitions.contains($0.value.partition) }.keys
        for conversation in gone {
            lastRecordOf[conversation] = nil
            carried.remove(conversation)
        }
    }

    /// Forgets everything (an aborted transaction: the records are consumed again).
    mutating func reset(now: ContinuousClock.Instant) {
        self = ChangelogWindow(now: now)
    }
}

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

    /// Records to finish when the window ends, with the tracker's epoch of their partition when they
    /// were begun, and the conversation each changed (if any).
    private(set) var records: [(record: Record, epoch: UInt64, conversation: String?)] = []
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
    mutating func add(_ record: Record, epoch: UInt64, changed conversation: String?) {
        records.append((record, epoch, conversation))
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
    mutating func end(keeping kept: Set<String>, now: ContinuousClock.Instant) -> [(record: Record, epoch: UInt64)] {
        endedAt = now
        var finished: [(record: Record, epoch: UInt64)] = []
        var staying: [(record: Record, epoch: UInt64, conversation: String?)] = []
        for entry in records {
            if let conversation = entry.conversation, kept.contains(conversation) { staying.append(entry) } else { finished.append((entry.record, entry.epoch)) }
        }
        records = staying
        lastRecordOf.removeAll(keepingCapacity: true)
        for entry in staying { if let conversation = entry.conversation { lastRecordOf[conversation] = entry.record } }
        carried = Set(lastRecordOf.keys)
        return finished
    }

    /// Forgets everything (an aborted transaction: the records are consumed again).
    mutating func reset(now: ContinuousClock.Instant) {
        self = ChangelogWindow(now: now)
    }
}

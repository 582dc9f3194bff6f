public import HandoffCore
import Synchronization

/// What every instance knows about all queues (``QueueView``), rebuilt by reading `support.agents`
/// and `support.handoffs` in full, outside the consumer group, beside the processing loop.
///
/// How stale it can be: a record is applied when the reader has fetched it; ``delay`` is the time from
/// the record's Kafka timestamp to its application (the worst of the last batch), and the reader's lag
/// is exported as a metric. An instance's own handoffs reach its view the same way, after their round trip.
public final class GlobalView: Sendable {
    private struct State {
        var view = QueueView()
        var book = CallbackBook()
        var recordsRead = 0
        var lastDelayMilliseconds: Int64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    public func apply(agent status: AgentStatus) {
        state.withLock { state in
            state.view.apply(agent: status)
            state.recordsRead += 1
        }
    }

    /// Applies a `support.handoff.created`/`updated` snapshot (its `data`).
    public func apply(handoffSnapshot data: JSONValue) {
        state.withLock { state in
            state.view.apply(snapshot: data)
            state.recordsRead += 1
        }
    }

    /// Applies an event read from `support.callbacks` (slot bookings).
    public func apply(callbackEvent type: String, data: JSONValue) {
        state.withLock { state in
            state.book.apply(type: type, data: data)
            state.recordsRead += 1
        }
    }

    /// The bookings as of now, with those of slots long past forgotten.
    public func bookings(now: Timestamp) -> CallbackBook {
        state.withLock { state in
            state.book.prune(before: now.adding(milliseconds: -86_400_000))
            return state.book
        }
    }

    /// Notes how long the records just applied took from their Kafka timestamp to here.
    func noteDelay(milliseconds: Int64) {
        state.withLock { $0.lastDelayMilliseconds = max(0, milliseconds) }
    }

    /// Forgets handoffs whose close was never logged (see ``QueueView/expire(before:)``).
    @discardableResult
    public func expire(before cutoff: Timestamp) -> Int {
        state.withLock { $0.view.expire(before: cutoff) }
    }

    /// A consistent copy of the queues as of now.
    public var queues: QueueView { state.withLock { $0.view } }

    /// Takes the acceptances seen since the last call (scoring).
    public func takeServed() -> [(entry: QueueView.Entry, waited: Double)] {
        state.withLock { $0.view.takeServed() }
    }

    public var agents: [String: QueueView.Agent] { state.withLock { $0.view.agents } }
    public var openHandoffs: [String: QueueView.Entry] { state.withLock { $0.view.open } }
    public var recordsRead: Int { state.withLock { $0.recordsRead } }
    /// From a record's Kafka timestamp to its application, for the last batch read (milliseconds).
    public var delay: Int64 { state.withLock { $0.lastDelayMilliseconds } }
}

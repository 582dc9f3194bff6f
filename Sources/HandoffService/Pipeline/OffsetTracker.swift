import Kafka
import Synchronization

/// Knows, per partition, which consumed records still have outputs in flight, and moves the
/// committable offset forward only past records whose every output the broker acknowledged.
///
/// - Important: an offset is stored (and so committed) only when it and every offset before it
///   are done: a crash may re-emit outputs, never lose them.
final class OffsetTracker: Sendable {
    struct Delivery: Sendable {
        var partition: TopicPartition
        var offset: Int64
        var topic: String
        var key: [UInt8]?
        /// nil: a tombstone (deletes the key from a compacted topic).
        var value: [UInt8]?
        /// An explicit partition of the output topic (the co-partitioned changelog); nil lets the key decide.
        var targetPartition: Int32? = nil
        /// Failed attempts so far, and the last error.
        var failures = 0
        var lastError: KafkaError?
        /// The partition's epoch when the tracker registered it (set by the tracker).
        var epoch: UInt64 = 0

        /// An output with no input record behind it: it holds no offset. Registered with ``OffsetTracker/add(_:)``
        /// (what nothing else would send again: a model's summary after its handoff went out, a callback coming
        /// due), a failed delivery is sent again like any other; sent under an ``OffsetTracker/untrackedToken()``
        /// (what the next one supersedes), it is sent once.
        static func untracked(topic: String, key: [UInt8]?, value: [UInt8]?, targetPartition: Int32? = nil) -> Delivery {
            Delivery(partition: noRecord, offset: -1, topic: topic, key: key, value: value, targetPartition: targetPartition)
        }

        private static let noRecord = TopicPartition(topic: "", partition: -1)
        /// Whether a record waits for this output (its offset is held until it is acknowledged).
        var isTracked: Bool { partition != Self.noRecord }
    }

    private struct PartitionState {
        /// Offsets in consumption order with their outstanding work.
        var order: [Int64] = []
        var head = 0
        var pending: [Int64: Int] = [:]

        /// Holds `offset` once more; true when it was not held before.
        mutating func hold(_ offset: Int64) -> Bool {
            let new = pending[offset] == nil
            if new { order.append(offset) }
            pending[offset, default: 0] += 1
            return new
        }

        /// Releases `offset` once. Returns whether it is done now, and the offset to store when the
        /// records before it are done too.
        mutating func release(_ offset: Int64) -> (done: Bool, store: Int64?) {
            guard let remaining = pending[offset] else { return (false, nil) }
            if remaining > 1 {
                pending[offset] = remaining - 1
                return (false, nil)
            }
            pending.removeValue(forKey: offset)
            var next: Int64?
            while head < order.count, pending[order[head]] == nil {
                next = order[head] + 1
                head += 1
            }
            if head > 1024 {
                order.removeFirst(head)
                head = 0
            }
            return (true, next)
        }
    }

    private struct State: ~Copyable {
        var partitions: [TopicPartition: PartitionState] = [:]
        var deliveries: [UInt64: Delivery] = [:]
        var nextToken: UInt64 = 1
        var failed: [Delivery] = []
        var outstanding = 0
        /// Raised each time a partition is dropped: a record begun before cannot finish one begun after.
        var epochs: [TopicPartition: UInt64] = [:]
        var resets: UInt64 = 0
        func epoch(of partition: TopicPartition) -> UInt64 { resets &+ epochs[partition, default: 0] }
    }

    private let state = Mutex(State())
    private let store: @Sendable (TopicPartition, Int64) -> Void

    /// - Parameter store: records "everything before this offset is done" (the consumer's offset store).
    init(store: @escaping @Sendable (TopicPartition, Int64) -> Void) {
        self.store = store
    }

    /// A record was taken for processing: hold its offset until ``finish(_:_:epoch:)``.
    /// - Returns: the partition's epoch: finishing the record later with it is ignored if the partition
    ///   was dropped meanwhile (revoked, and perhaps assigned again with the same offsets to read).
    @discardableResult
    func begin(_ partition: TopicPartition, _ offset: Int64) -> UInt64 {
        state.withLock { state in
            // Mutated in place: a copy of the partition's state would copy its whole pending table.
            if state.partitions[partition, default: PartitionState()].hold(offset) { state.outstanding += 1 }
            return state.epoch(of: partition)
        }
    }

    /// An output of the record at `offset` (or an untracked one) is about to be sent; returns its delivery token.
    func add(_ delivery: Delivery) -> UInt64 {
        state.withLock { state in
            let token = state.nextToken
            state.nextToken += 1
            var delivery = delivery
            delivery.epoch = state.epoch(of: delivery.partition)
            state.deliveries[token] = delivery
            // Only while the record is held: one dropped meanwhile must not come back half-counted.
            state.partitions[delivery.partition]?.pending[delivery.offset]? += 1
            return token
        }
    }

    /// Re-registers a failed delivery for another attempt; returns its new token.
    func retry(_ delivery: Delivery) -> UInt64 {
        state.withLock { state in
            let token = state.nextToken
            state.nextToken += 1
            state.deliveries[token] = delivery
            return token
        }
    }

    /// Processing of the record is over (its outputs, if any, were enqueued).
    /// - Parameter epoch: what ``begin(_:_:)`` returned; nil when the partition cannot have been dropped since.
    func finish(_ partition: TopicPartition, _ offset: Int64, epoch: UInt64? = nil) {
        complete(partition, offset, epoch: epoch)
    }

    /// The broker acknowledged (or refused) the output with this token.
    func delivered(token: UInt64, error: KafkaError?) {
        let delivery: Delivery? = state.withLock { state in
            // A token of a partition dropped since (revoked) is stale: its record is someone else's now.
            guard var delivery = state.deliveries.removeValue(forKey: token) else { return nil }
            if let error {
                delivery.failures += 1
                delivery.lastError = error
                state.failed.append(delivery)
            }
            return delivery
        }
        guard let delivery, error == nil else { return }
        complete(delivery.partition, delivery.offset, epoch: delivery.epoch)
    }

    /// Deliveries that failed and must be sent again (their records stay uncommitted until then).
    func takeFailed() -> [Delivery] {
        state.withLock { state in
            defer { state.failed.removeAll() }
            return state.failed
        }
    }

    /// Records taken and not yet fully acknowledged.
    var outstanding: Int { state.withLock { $0.outstanding } }

    /// Whether an untracked delivery is in flight or waits to be sent again (shutdown waits for these too).
    var hasUntrackedWork: Bool {
        state.withLock { state in state.failed.contains { !$0.isTracked } || state.deliveries.values.contains { !$0.isTracked } }
    }

    /// Whether any record of these partitions still has work in flight.
    func hasPending(in partitions: Set<TopicPartition>) -> Bool {
        state.withLock { state in partitions.contains { !(state.partitions[$0]?.pending.isEmpty ?? true) } }
    }

    /// Forgets partitions that are no longer ours, with their deliveries still in flight or failed:
    /// a late acknowledgement must not count for a record re-read after the partition comes back.
    func drop(_ partitions: Set<TopicPartition>) {
        state.withLock { state in
            for partition in partitions {
                state.epochs[partition, default: 0] &+= 1
                if let dropped = state.partitions.removeValue(forKey: partition) { state.outstanding -= dropped.pending.count }
            }
            state.deliveries = state.deliveries.filter { !partitions.contains($0.value.partition) }
            state.failed.removeAll { partitions.contains($0.partition) }
        }
    }

    /// Forgets every partition, delivery and failure (an aborted transaction: its records are consumed again).
    func reset() {
        state.withLock { state in
            state.partitions.removeAll()
            state.deliveries.removeAll()
            state.failed.removeAll()
            state.outstanding = 0
            state.resets &+= 1
        }
    }

    /// A token for a best-effort send: its report is ignored, a failure is not sent again.
    func untrackedToken() -> UInt64 {
        state.withLock { state in
            defer { state.nextToken += 1 }
            return state.nextToken
        }
    }

    /// Completes a delivery that will never succeed (it was dead-lettered instead).
    func abandon(_ delivery: Delivery) {
        complete(delivery.partition, delivery.offset, epoch: delivery.epoch)
    }

    private func complete(_ partition: TopicPartition, _ offset: Int64, epoch: UInt64? = nil) {
        // The store runs under the lock so two threads completing offsets cannot store them out of order.
        state.withLock { state in
            if let epoch, epoch != state.epoch(of: partition) { return }
            guard let (done, next) = state.partitions[partition]?.release(offset) else { return }
            if done { state.outstanding -= 1 }
            if let next { store(partition, next) }
        }
    }
}

import Foundation
import Kafka
import Synchronization

/// Exactly-once processing: each round of the processing loop is one Kafka transaction holding its
/// outputs, its changelog writes and the input offsets it consumed. A crash or an abort discards all
/// three together; the records are consumed again from the last committed offsets.
final class Transactions: Sendable {
    private let producer: KafkaProducer
    private let timeout: Duration
    private let faults: FaultInjection
    private let state = Mutex(State())

    private struct State {
        var open = false
    }

    init(producer: KafkaProducer, timeout: Duration, faults: FaultInjection) {
        self.producer = producer
        self.timeout = timeout
        self.faults = faults
    }

    /// Registers the transactional id, fencing a previous incarnation of this instance and aborting what it left open.
    func start() async throws {
        var attempt = 0
        while true {
            do {
                try await producer.initTransactions(timeout: timeout)
                return
            } catch {
                guard error.isRetriable, attempt < 5 else { throw error }
                attempt += 1
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    func begin() throws(KafkaError) {
        try producer.beginTransaction()
        state.withLock { $0.open = true }
    }

    /// Commits the round with the next offset of every input partition it consumed.
    /// - Throws: a ``KafkaError`` with `requiresAbort` when the round must be aborted and consumed again.
    /// - Parameter outputsProduced: outputs the pipeline produced so far (for fault injection).
    func commit(offsets: [TopicPartition: Int64], consumer: KafkaConsumer, outputsProduced: Int) async throws {
        if !offsets.isEmpty, let crash = faults.crashBeforeCommit, crash(outputsProduced) {
            // Outputs reach the broker, the commit never happens: what a crash at the worst moment leaves.
            let flushed = await producer.flush(timeout: timeout)
            faults.die?(outputsProduced, flushed)
            throw InjectedCrash(outputsProduced: outputsProduced)
        }
        var attempt = 0
        while true {
            do {
                try await producer.commitTransaction(offsets: offsets, consumer: consumer, timeout: timeout)
                break
            } catch {
                guard error.isRetriable, !error.requiresAbort, !error.isFatal, attempt < 5 else { throw error }
                attempt += 1
            }
        }
        state.withLock { $0.open = false }
    }

    func abort() async throws(KafkaError) {
        try await producer.abortTransaction(timeout: timeout)
        state.withLock { $0.open = false }
    }

    /// For the rebalance callback (the consumer's poll thread): lets the round in progress commit, with
    /// the offsets of the partitions being revoked, before another instance may take them. Past the
    /// deadline the round's offsets are refused by the group (stale generation) and it is aborted instead.
    func waitForOpenRound(until deadline: ContinuousClock.Instant) {
        while state.withLock({ $0.open }) && ContinuousClock.now < deadline { usleep(2000) }
    }
}

/// Faults injected on purpose, for tests of what a crash leaves behind. Empty in production.
public struct FaultInjection: Sendable {
    /// Called before committing a transaction that carries input offsets, with the outputs produced so far
    /// (this one's included); true stops the pipeline there with the outputs flushed to the broker and the
    /// transaction left open (``InjectedCrash``).
    public var crashBeforeCommit: (@Sendable (_ outputsProduced: Int) -> Bool)?
    /// Called at that crash once the outputs were flushed (whether the flush finished in time): a process
    /// ends itself here, as a SIGKILL would leave it. Nil: the pipeline throws ``InjectedCrash``.
    public var die: (@Sendable (_ outputsProduced: Int, _ flushed: Bool) -> Void)?
    /// The global view's reader starts this much later (a slow catch-up, as with a long retention).
    public var globalViewDelay: Duration = .zero

    public init(crashBeforeCommit: (@Sendable (_ outputsProduced: Int) -> Bool)? = nil, die: (@Sendable (_ outputsProduced: Int, _ flushed: Bool) -> Void)? = nil,
                globalViewDelay: Duration = .zero) {
        self.crashBeforeCommit = crashBeforeCommit
        self.die = die
        self.globalViewDelay = globalViewDelay
    }
}

/// The pipeline stopped on purpose between producing and committing (``FaultInjection``).
public struct InjectedCrash: Error, CustomStringConvertible {
    public var outputsProduced: Int
    public var description: String { "injected crash before a commit, \(outputsProduced) outputs produced" }
}

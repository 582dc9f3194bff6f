public import HandoffCore
public import HandoffLLM
import Synchronization

/// Runs model summaries beside the processing loop, which hands jobs in without waiting and collects
/// what finished on its next round. The queue and the requests in flight are bounded: when the model
/// is slow or down, jobs are refused (the handoff keeps its extractive summary), never piled up.
public final class SummaryWorkers: Sendable {
    public enum Purpose: Sendable, Equatable {
        /// For this handoff, created (or about to be published) now.
        case handoff(id: String)
        /// Ahead of an escalation that looks likely.
        case ahead
    }

    public struct Finished: Sendable {
        public var purpose: Purpose
        public var conversationID: String
        /// The last message the model saw.
        public var lastMessageID: String?
        public var outcome: LLMSummarizer.Outcome
    }

    private struct Work: Sendable {
        var job: SummaryJob
        var purpose: Purpose
    }

    private struct State {
        var queue: [Work] = []
        var busy: Set<String> = []
        var finished: [Finished] = []
    }

    public let summarizer: LLMSummarizer
    private let maxConcurrency: Int
    private let maxQueued: Int
    private let state = Mutex(State())
    private let doorbell: AsyncStream<Void>
    private let ring: AsyncStream<Void>.Continuation

    public init(summarizer: LLMSummarizer, maxConcurrency: Int, maxQueued: Int) {
        self.summarizer = summarizer
        self.maxConcurrency = max(1, maxConcurrency)
        self.maxQueued = maxQueued
        (doorbell, ring) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues a job. Refused when the queue is full, or — for jobs ahead of time — when the
    /// conversation already has one queued or running.
    /// - Returns: whether the job was taken.
    @discardableResult
    public func submit(_ job: SummaryJob, purpose: Purpose) -> Bool {
        let taken = state.withLock { state in
            guard state.queue.count < maxQueued else { return false }
            if purpose == .ahead && state.busy.contains(job.conversationID) { return false }
            state.queue.append(Work(job: job, purpose: purpose))
            state.busy.insert(job.conversationID)
            return true
        }
        if taken { ring.yield() }
        return taken
    }

    /// The summaries finished since the last call.
    public func takeFinished() -> [Finished] {
        state.withLock { state in
            defer { state.finished.removeAll() }
            return state.finished
        }
    }

    public var queued: Int { state.withLock { $0.queue.count } }

    /// Works until cancelled; at most `maxConcurrency` requests at once.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for await _ in doorbell {
                while !Task.isCancelled, let work = state.withLock({ $0.queue.isEmpty ? nil : $0.queue.removeFirst() }) {
                    if running >= maxConcurrency {
                        await group.next()
                        running -= 1
                    }
                    running += 1
                    group.addTask { [summarizer] in
                        let outcome = await summarizer.summarize(work.job)
                        self.state.withLock { state in
                            state.finished.append(Finished(purpose: work.purpose, conversationID: work.job.conversationID,
                                                         lastMessageID: work.job.lastMessageID, outcome: outcome))
                            if !state.queue.contains(where: { $0.job.conversationID == work.job.conversationID }) {
                                state.busy.remove(work.job.conversationID)
                            }
                        }
                    }
                }
                if Task.isCancelled { break }
            }
            group.cancelAll()
        }
    }

    /// Stops ``run()``: what is still queued is dropped (its handoffs went out with the extractive summary).
    public func finish() {
        state.withLock { $0.queue.removeAll() }
        ring.finish()
    }
}

internal import CRdKafka
public import Logging
import Foundation
import Synchronization

/// A consumer-group member (or, with ``Mode/readAll``, a reader of whole topics outside any group).
///
/// A dedicated thread polls librdkafka so `max.poll.interval.ms` is honoured whatever the
/// processing does. Messages wait in a bounded buffer. While it is full the thread stops taking
/// messages (librdkafka's own prefetch queue is bounded too, by `queued.max.messages.kbytes`); if it
/// stays full for ``pauseAfter``, the partitions are paused and polling goes on, so rebalances and
/// the poll interval are served during long stalls. Pausing is the last resort because librdkafka
/// drops its prefetched messages on pause and fetches them again on resume, which costs about a
/// second on the brokers we measured. Memory stays bounded and nothing is dropped.
public final class KafkaConsumer: Sendable {
    public enum Mode: Sendable {
        /// Join the group of `group.id` and consume the topics' partitions assigned to us.
        case group(topics: [String])
        /// Read every partition of these topics from the beginning, outside any group, never committing.
        case readAll(topics: [String])
        /// Read these partitions from the beginning, outside any group, never committing.
        case readPartitions([TopicPartition])
    }

    let handle: KafkaHandle
    private let state: Mutex<BufferState>
    /// `BufferState.changes`, readable without the lock: a message buffered at the current count is fresh.
    private let changeCount = Atomic<UInt64>(0)
    private let poller: Mutex<PollThread?> = Mutex(nil)
    private let highWatermark: Int
    private let lowWatermark: Int
    private let logger: Logger
    private let isGroup: Bool

    /// How long the buffer may stay full before the partitions are paused.
    public static let pauseAfter: Duration = .seconds(2)

    struct BufferState: ~Copyable {
        var messages: [KafkaMessage] = []
        /// The topic of the last record buffered.
        var topicName = ""
        var head = 0
        var waiter: CheckedContinuation<Void, Never>?
        var paused = false
        var fullSince: ContinuousClock.Instant?
        var lastPoll = ContinuousClock.now
        var closed = false
        var revoked: Set<TopicPartition> = []
        /// Revocations and rewinds so far; each buffered message carries the count of its time.
        var changes: UInt64 = 0
        /// The count at a partition's last revocation, and at the last rewind (of every partition).
        var revokedAt: [TopicPartition: UInt64] = [:]
        var rewoundAt: UInt64 = 0
        /// Where librdkafka last reported the end of a partition (readers outside the group ask for it).
        var endsReached: [TopicPartition: Int64] = [:]
        /// A rewind asked for: the poll thread performs it between two polls (see ``rewindToCommitted(timeout:)``).
        var rewind: (timeout: Duration, done: CheckedContinuation<KafkaError?, Never>)?
        var count: Int { messages.count - head }
    }

    /// - Parameters:
    ///   - bufferLimit: messages held between librdkafka and the processing; above it, partitions pause.
    ///   - onRebalance: called on the poll thread before an assignment changes. On `.revoked`, finish
    ///     and store offsets for those partitions before returning.
    public init(configuration: KafkaConfiguration, mode: Mode, logger: Logger, bufferLimit: Int = 10_000,
                onRebalance: (@Sendable (RebalanceEvent) -> Void)? = nil) throws(KafkaError) {
        var configuration = configuration
        var ownRebalance = onRebalance
        switch mode {
        case .group:
            isGroup = true
            guard configuration["group.id"] != nil else {
                throw KafkaError(code: .configuration, message: "a group consumer needs 'group.id'")
            }
            // Offsets are stored only after the outputs of a record were delivered; librdkafka
            // commits what was stored.
            if configuration["enable.auto.offset.store"] == nil { configuration["enable.auto.offset.store"] = "false" }
            if configuration["auto.offset.reset"] == nil { configuration["auto.offset.reset"] = "earliest" }
            // Stored offsets are committed every second (librdkafka's default is 5 s): what a crash makes
            // the next owner process again stays small.
            if configuration["auto.commit.interval.ms"] == nil { configuration["auto.commit.interval.ms"] = "1000" }
        case .readAll, .readPartitions:
            isGroup = false
            ownRebalance = nil
            configuration["enable.auto.commit"] = "false"
            // A reader to the end needs to know when it got there: see ``readToEnd``.
            if configuration["enable.partition.eof"] == nil { configuration["enable.partition.eof"] = "true" }
            if configuration["group.id"] == nil { configuration["group.id"] = "handoffd-reader-\(UUID().uuidString)" }
        }
        // A broker may hold an idle fetch this long before answering; handoffs are latency-bound,
        // so wait less than librdkafka's 500 ms default (some brokers do not answer early when data arrives).
        if configuration["fetch.wait.max.ms"] == nil { configuration["fetch.wait.max.ms"] = "50" }
        highWatermark = max(1, bufferLimit)
        lowWatermark = max(0, bufferLimit / 2)
        self.logger = logger
        state = Mutex(BufferState())
        let box = RebalanceBox()
        let forward: (@Sendable (RebalanceEvent) -> Void)? = isGroup ? { @Sendable event in box.handler?(event) } : nil
        handle = try KafkaHandle(type: RD_KAFKA_CONSUMER, configuration: configuration,
                                 callbacks: KafkaCallbacks(logger: logger, rebalance: forward))
        rd_kafka_poll_set_consumer(handle.rk)
        let userHandler = ownRebalance
        box.handler = { [weak self] event in
            self?.rebalanced(event)
            userHandler?(event)
        }
        switch mode {
        case .group(let topics):
            let list = rd_kafka_topic_partition_list_new(Int32(topics.count))
            defer { rd_kafka_topic_partition_list_destroy(list) }
            for topic in topics { rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA) }
            let result = rd_kafka_subscribe(handle.rk, list)
            guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(result) }
        case .readAll(let topics):
            try assignAll(topics: topics)
        case .readPartitions(let partitions):
            let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))!
            defer { rd_kafka_topic_partition_list_destroy(list) }
            for partition in partitions {
                rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset = Int64(RD_KAFKA_OFFSET_BEGINNING)
            }
            let result = rd_kafka_assign(handle.rk, list)
            guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(result) }
        }
        let pointer = handle.pointer
        poller.withLock { $0 = PollThread(name: "kafka-consumer-poll") { [weak self] in self?.pollOnce(pointer) } }
    }

    deinit {
        poller.withLock { $0?.stop() }
    }

    private func assignAll(topics: [String]) throws(KafkaError) {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let list = rd_kafka_topic_partition_list_new(16)!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics {
            let topicHandle = rd_kafka_topic_new(handle.rk, topic, nil)
            defer { rd_kafka_topic_destroy(topicHandle) }
            let result = rd_kafka_metadata(handle.rk, 0, topicHandle, &metadata, 10_000)
            guard result == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError.from(result) }
            defer { rd_kafka_metadata_destroy(metadata) }
            guard metadata.pointee.topic_cnt == 1 else { throw KafkaError(code: .librdkafka, message: "no metadata for topic \(topic)") }
            let described = metadata.pointee.topics[0]
            if described.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(code: .librdkafka, message: "topic \(topic): \(String(cString: rd_kafka_err2str(described.err)))", librdkafkaCode: described.err.rawValue)
            }
            for index in 0..<Int(described.partition_cnt) {
                let element = rd_kafka_topic_partition_list_add(list, topic, described.partitions[index].id)
                element?.pointee.offset = Int64(RD_KAFKA_OFFSET_BEGINNING)
            }
        }
        let result = rd_kafka_assign(handle.rk, list)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(result) }
    }

    // MARK: - Poll thread

    private func pollOnce(_ pointer: KafkaPointer) {
        if let rewind = state.withLock({ state in defer { state.rewind = nil }; return state.rewind }) {
            rewind.done.resume(returning: seekToCommitted(pointer, timeout: rewind.timeout))
            return
        }
        enum Room { case take, wait, pause }
        let room: Room = state.withLock { state in
            state.lastPoll = ContinuousClock.now
            if state.closed { return .wait }
            guard state.count >= highWatermark, !state.paused else {
                state.fullSince = nil
                return .take
            }
            let now = ContinuousClock.now
            guard let since = state.fullSince else {
                state.fullSince = now
                return .wait
            }
            guard now - since >= Self.pauseAfter else { return .wait }
            state.paused = true
            return .pause
        }
        switch room {
        case .take: break
        case .wait:
            usleep(2000)
            return
        case .pause:
            setPaused(true)
        }
        guard let message = rd_kafka_consumer_poll(pointer.raw, 100) else { return }
        defer { rd_kafka_message_destroy(message) }
        let record = message.pointee
        if record.err == RD_KAFKA_RESP_ERR__PARTITION_EOF, let topic = record.rkt.map({ String(cString: rd_kafka_topic_name($0)) }) {
            state.withLock { $0.endsReached[TopicPartition(topic: topic, partition: record.partition)] = record.offset }
            return
        }
        if record.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            if record.err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                logger.warning("consumer error: \(String(cString: rd_kafka_err2str(record.err)))")
            }
            return
        }
        let topicName = record.rkt.flatMap { rd_kafka_topic_name($0) }
        let value = record.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: record.len)) } ?? []
        let key = record.key.map { Array(UnsafeRawBufferPointer(start: $0, count: record.key_len)) }
        var headers: [(String, [UInt8])] = []
        var headerList: OpaquePointer?
        if rd_kafka_message_headers(message, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList {
            var index = 0
            var name: UnsafePointer<CChar>?
            var bytes: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(headerList, index, &name, &bytes, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                if let name {
                    headers.append((String(cString: name), bytes.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []))
                }
                index += 1
            }
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            // A topic's name is made once, not per record: records of one topic share it.
            if let topicName, !state.topicName.withCString({ strcmp($0, topicName) == 0 }) { state.topicName = String(cString: topicName) }
            state.messages.append(KafkaMessage(topic: topicName == nil ? "" : state.topicName, partition: record.partition, offset: record.offset,
                                               key: key, value: value, headers: headers,
                                               timestamp: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp, buffered: state.changes))
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    private func setPaused(_ paused: Bool) {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(handle.rk, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        _ = paused ? rd_kafka_pause_partitions(handle.rk, list) : rd_kafka_resume_partitions(handle.rk, list)
        logger.debug(paused ? "buffer full: partitions paused" : "buffer drained: partitions resumed")
    }

    private func rebalanced(_ event: RebalanceEvent) {
        switch event {
        case .revoked(let partitions):
            // Buffered records of revoked partitions belong to the next owner now; it re-reads them
            // from the committed offset.
            let revoked = Set(partitions)
            state.withLock { state in
                state.messages = Array(state.messages[state.head...]).filter { !revoked.contains($0.topicPartition) }
                state.head = 0
                state.revoked.formUnion(revoked)
                state.changes += 1
                for partition in revoked { state.revokedAt[partition] = state.changes }
                changeCount.store(state.changes, ordering: .releasing)
            }
        case .assigned(let partitions):
            state.withLock { state in state.revoked.subtract(partitions) }
            // A fresh assignment starts unpaused in librdkafka; keep our flag honest.
            let paused = state.withLock { $0.paused }
            if paused { setPaused(true) }
        }
    }

    // MARK: - Processing side

    /// Up to `maximum` buffered messages in order; waits while there are none. Nil once closed;
    /// an empty batch when the calling task is cancelled.
    public func nextBatch(maximum: Int = 512) async -> [KafkaMessage]? {
        while true {
            if Task.isCancelled { return [] }
            enum Step { case batch([KafkaMessage], resume: Bool), wait, closed }
            let step: Step = state.withLock { state in
                // Once closed, buffered records are left uncommitted: the next owner reads them again.
                if state.closed { return .closed }
                if state.count > 0 {
                    let end = min(state.messages.count, state.head + maximum)
                    let batch = Array(state.messages[state.head..<end])
                    state.head = end
                    if state.head > 4096 || state.head == state.messages.count {
                        state.messages.removeFirst(state.head)
                        state.head = 0
                    }
                    var resume = false
                    if state.paused && state.count <= lowWatermark {
                        state.paused = false
                        resume = true
                    }
                    return .batch(batch, resume: resume)
                }
                return .wait
            }
            switch step {
            case .batch(let batch, let resume):
                if resume { setPaused(false) }
                return batch
            case .closed:
                return nil
            case .wait:
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let resumeNow = state.withLock { state -> Bool in
                            if state.count > 0 || state.closed || Task.isCancelled { return true }
                            state.waiter = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                        defer { state.waiter = nil }
                        return state.waiter
                    }
                    waiter?.resume()
                }
            }
        }
    }

    /// Like ``nextBatch(maximum:)``, but gives up after `timeout` with an empty batch.
    public func nextBatch(maximum: Int = 512, timeout: Duration) async -> [KafkaMessage]? {
        await withTaskGroup(of: [KafkaMessage]?.self) { group in
            group.addTask { await self.nextBatch(maximum: maximum) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return []
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            // The loser returns at once on cancellation; a batch it took must not be lost.
            var batch = first
            while let more = await group.next() {
                if let more, !more.isEmpty { batch = (batch ?? []) + more }
            }
            return batch
        }
    }

    /// When the poll thread last went round its loop: a liveness signal (it goes round at least every 100 ms).
    public var lastPoll: ContinuousClock.Instant { state.withLock { $0.lastPoll } }

    /// Records behind the end of each assigned partition: the high watermark librdkafka last saw in a
    /// fetch response minus the consumer's position. Cheap (no request); partitions not fetched yet are left out.
    public func lag() -> [TopicPartition: Int64] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(handle.rk, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [:] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard rd_kafka_position(handle.rk, list) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [:] }
        var lags: [TopicPartition: Int64] = [:]
        for index in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[index]
            var low: Int64 = 0
            var high: Int64 = 0
            guard rd_kafka_get_watermark_offsets(handle.rk, element.topic, element.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR,
                  high >= 0, element.offset >= 0 else { continue }
            lags[TopicPartition(topic: String(cString: element.topic), partition: element.partition)] = max(0, high - element.offset)
        }
        return lags
    }

    /// Every record of the given partitions, from the beginning to their end as the broker reports it
    /// when the call starts (a restore: later records keep arriving elsewhere).
    /// - Throws: when the end cannot be learnt or is not reached within `timeout`.
    public static func readToEnd(configuration: KafkaConfiguration, partitions: [TopicPartition], logger: Logger,
                                 timeout: Duration = .seconds(60)) async throws(KafkaError) -> [KafkaMessage] {
        guard !partitions.isEmpty else { return [] }
        let consumer = try KafkaConsumer(configuration: configuration, mode: .readPartitions(partitions), logger: logger, bufferLimit: 50_000)
        let deadline = ContinuousClock.now + timeout
        var ends: [TopicPartition: Int64]
        do {
            ends = try await readableEnds(consumer.handle.pointer, of: partitions, timeout: timeout)
        } catch {
            await consumer.close()
            throw error
        }
        let anyToRead = !ends.isEmpty
        var records: [KafkaMessage] = []
        while !ends.isEmpty {
            guard ContinuousClock.now < deadline else {
                await consumer.close()
                throw KafkaError(code: .librdkafka, message: "reading \(ends.keys.map(\.description).sorted().joined(separator: ", ")) to the end took longer than \(timeout)", isRetriable: true)
            }
            let batch = await consumer.nextBatch(maximum: 10_000, timeout: .milliseconds(200)) ?? []
            records += batch
            ends = consumer.unreached(ends, after: batch)
        }
        // Some brokers report the end of a partition as the base offset of its last batch + 1 (Tansu
        // does): the rest of that batch lies beyond the reported end. Read on until nothing more comes.
        // (Not where every partition was empty: an end at the first offset is no batch's base + 1.)
        let reported = records.count
        while anyToRead && ContinuousClock.now < deadline {
            let more = await consumer.nextBatch(maximum: 10_000, timeout: .milliseconds(300)) ?? []
            if more.isEmpty { break }
            records += more
        }
        if records.count > reported {
            logger.warning("the broker reported a partition's end early; read on past it", metadata: ["records_after_end": "\(records.count - reported)"])
        }
        await consumer.close()
        return records
    }

    /// `ends` without the partitions this reader has reached now: a message of `batch` at or past the
    /// end, or librdkafka's end-of-partition report at or past it. (A partition's last offsets may be
    /// records never delivered, transaction markers and the records of aborted transactions: only that
    /// report gets past them.)
    public func unreached(_ ends: [TopicPartition: Int64], after batch: [KafkaMessage]) -> [TopicPartition: Int64] {
        var ends = ends
        for message in batch where ends[message.topicPartition].map({ message.offset + 1 >= $0 }) ?? false { ends[message.topicPartition] = nil }
        let reported = state.withLock { $0.endsReached }
        for (partition, end) in ends where (reported[partition] ?? -1) >= end { ends[partition] = nil }
        return ends
    }

    /// Messages waiting in the buffer.
    public var bufferedCount: Int { state.withLock { $0.count } }

    /// Whether the partitions are paused because the buffer stayed full.
    public var isPaused: Bool { state.withLock { $0.paused } }

    /// Whether a message taken from ``nextBatch(maximum:)`` must not be processed: its partition is revoked,
    /// or was revoked or rewound after the message was buffered. An assignment (again) or a rewind fetches
    /// from the committed offset, which such a message is not behind: processing it would be processing
    /// it twice, and another owner may have it.
    public func isStale(_ message: KafkaMessage) -> Bool {
        // Called for every record: no revocation or rewind since it was buffered needs no lock.
        if message.buffered == changeCount.load(ordering: .acquiring) { return false }
        return state.withLock { state in
            state.revoked.contains(message.topicPartition) || message.buffered < max(state.revokedAt[message.topicPartition] ?? 0, state.rewoundAt)
        }
    }

    /// Marks everything before `offset` as done; librdkafka commits it with the next auto-commit.
    public func storeOffset(_ partition: TopicPartition, nextOffset: Int64) {
        let list = rd_kafka_topic_partition_list_new(1)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset = nextOffset
        let result = rd_kafka_offsets_store(handle.rk, list)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.debug("offset store for \(partition) skipped: \(String(cString: rd_kafka_err2str(result)))")
        }
    }

    /// Commits the stored offsets now (synchronously, on a dedicated thread).
    public func commit() async -> KafkaError? {
        guard isGroup else { return nil }
        let pointer = handle.pointer
        let result = await BlockingCall.run { rd_kafka_commit(pointer.raw, nil, 0).rawValue }
        let code = rd_kafka_resp_err_t(rawValue: result)
        if code == RD_KAFKA_RESP_ERR_NO_ERROR || code == RD_KAFKA_RESP_ERR__NO_OFFSET { return nil }
        return KafkaError.from(code)
    }

    /// Commits the stored offsets synchronously on the calling thread. Only for the rebalance
    /// handler, which runs on the poll thread, never on the cooperative pool.
    public func commitNow() -> KafkaError? {
        guard isGroup else { return nil }
        let code = rd_kafka_commit(handle.rk, nil, 0)
        if code == RD_KAFKA_RESP_ERR_NO_ERROR || code == RD_KAFKA_RESP_ERR__NO_OFFSET { return nil }
        return KafkaError.from(code)
    }

    /// The end (high watermark) of every assigned partition with something to read, asked of the broker now.
    public func endOffsets(timeout: Duration) async throws(KafkaError) -> [TopicPartition: Int64] {
        let pointer = handle.pointer
        // rd_kafka_assignment waits for librdkafka's own thread: off the cooperative pool, like the queries.
        let assignment: Result<[TopicPartition], KafkaError> = await BlockingCall.run {
            var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            let code = rd_kafka_assignment(pointer.raw, &list)
            guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return .failure(KafkaError.from(code)) }
            defer { rd_kafka_topic_partition_list_destroy(list) }
            return .success((0..<Int(list.pointee.cnt)).map { TopicPartition(topic: String(cString: list.pointee.elems[$0].topic), partition: list.pointee.elems[$0].partition) })
        }
        return try await Self.readableEnds(pointer, of: try assignment.get(), timeout: timeout)
    }

    /// The end of each partition that holds something to read (its end is past its first offset), asked of
    /// the broker in one request per partition leader for each end. (`rd_kafka_query_watermark_offsets`
    /// sends two requests per partition, one partition after another: at start-up the global view's 13
    /// partitions took 0.6 s on Tansu, a restore of 6 empty changelog partitions 0.4 s.)
    static func readableEnds(_ pointer: KafkaPointer, of partitions: [TopicPartition], timeout: Duration) async throws(KafkaError) -> [TopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let milliseconds = timeout.librdkafkaMilliseconds
        let outcome: Result<[TopicPartition: Int64], KafkaError> = await BlockingCall.run {
            // The offset of every partition at a logical position: the first (OFFSET_BEGINNING) or the end
            // (OFFSET_END), which ListOffsets takes in place of a timestamp.
            func offsets(at position: Int64) -> Result<[TopicPartition: Int64], KafkaError> {
                guard let list = rd_kafka_topic_partition_list_new(Int32(partitions.count)) else { return .failure(KafkaError.from(RD_KAFKA_RESP_ERR__FAIL)) }
                defer { rd_kafka_topic_partition_list_destroy(list) }
                for partition in partitions { rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset = position }
                let code = rd_kafka_offsets_for_times(pointer.raw, list, milliseconds)
                guard code == RD_KAFKA_RESP_ERR_NO_ERROR else { return .failure(KafkaError.from(code)) }
                var found: [TopicPartition: Int64] = [:]
                for index in 0..<Int(list.pointee.cnt) {
                    let element = list.pointee.elems[index]
                    let partition = TopicPartition(topic: String(cString: element.topic), partition: element.partition)
                    guard element.err == RD_KAFKA_RESP_ERR_NO_ERROR else { return .failure(KafkaError.from(element.err)) }
                    // A partition the broker's answer left out keeps the position it was asked with.
                    guard element.offset >= 0 else {
                        return .failure(KafkaError(code: .librdkafka, message: "the broker gave no offset for \(partition)", isRetriable: true))
                    }
                    found[partition] = element.offset
                }
                return .success(found)
            }
            return offsets(at: Int64(RD_KAFKA_OFFSET_BEGINNING)).flatMap { first in
                offsets(at: Int64(RD_KAFKA_OFFSET_END)).map { ends in ends.filter { $0.value > first[$0.key, default: 0] } }
            }
        }
        return try outcome.get()
    }

    /// Moves every assigned partition back to its committed offset (the beginning where nothing was
    /// committed) and drops what was buffered: after an aborted transaction, the records whose outputs
    /// were aborted are consumed again, in order.
    ///
    /// The poll thread does it between two polls: no message fetched before the seek can then be taken
    /// after the buffer was emptied, and none fetched after it is dropped.
    public func rewindToCommitted(timeout: Duration) async throws(KafkaError) {
        let failure: KafkaError? = await withCheckedContinuation { continuation in
            let refused = state.withLock { state -> Bool in
                guard !state.closed, state.rewind == nil else { return true }
                state.rewind = (timeout, continuation)
                return false
            }
            if refused { continuation.resume(returning: KafkaError(code: .shutdown, message: "the consumer is closed or already rewinding")) }
        }
        if let failure { throw failure }
    }

    /// On the poll thread: seeks every assigned partition to its committed offset, empties the buffer and
    /// resumes partitions the full buffer had paused.
    private func seekToCommitted(_ pointer: KafkaPointer, timeout: Duration) -> KafkaError? {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        let assigned = rd_kafka_assignment(pointer.raw, &list)
        guard assigned == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return KafkaError.from(assigned) }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        var failure: KafkaError?
        if list.pointee.cnt > 0 {
            let committed = rd_kafka_committed(pointer.raw, list, timeout.librdkafkaMilliseconds)
            if committed != RD_KAFKA_RESP_ERR_NO_ERROR { return KafkaError.from(committed) }
            for index in 0..<Int(list.pointee.cnt) where list.pointee.elems[index].offset < 0 {
                list.pointee.elems[index].offset = Int64(RD_KAFKA_OFFSET_BEGINNING)
            }
            if let error = rd_kafka_seek_partitions(pointer.raw, list, timeout.librdkafkaMilliseconds) {
                failure = KafkaError.consuming(error)
            } else if let index = (0..<Int(list.pointee.cnt)).first(where: { list.pointee.elems[$0].err != RD_KAFKA_RESP_ERR_NO_ERROR }) {
                failure = KafkaError.from(list.pointee.elems[index].err)
            }
        }
        let wasPaused = state.withLock { state in
            state.messages.removeAll()
            state.head = 0
            state.changes += 1
            state.rewoundAt = state.changes
            changeCount.store(state.changes, ordering: .releasing)
            state.fullSince = nil
            defer { state.paused = false }
            return state.paused
        }
        if wasPaused { setPaused(false) }
        return failure
    }

    /// Ends delivery: pending and future ``nextBatch`` calls return nil. Polling goes on (the group
    /// membership stays healthy) until ``close()``. Safe to call from any context.
    public func stopDelivering() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Stops delivering and polling, commits, and leaves the group. Idempotent.
    public func close() async {
        stopDelivering()
        guard let thread = poller.withLock({ poller -> PollThread? in
            defer { poller = nil }
            return poller
        }) else { return }
        await BlockingCall.run { thread.stop() }
        let pointer = handle.pointer
        let isGroup = isGroup
        let result = await BlockingCall.run { isGroup ? rd_kafka_consumer_close(pointer.raw).rawValue : 0 }
        if result != 0 { logger.warning("consumer close: \(String(cString: rd_kafka_err2str(rd_kafka_resp_err_t(rawValue: result))))") }
    }

    /// The fatal error librdkafka raised, if any.
    public var fatalError: KafkaError? { handle.fatalError }
}

/// Lets the rebalance callback reach the consumer created after librdkafka needed the callback.
private final class RebalanceBox: Sendable {
    private let stored = Mutex<(@Sendable (RebalanceEvent) -> Void)?>(nil)
    var handler: (@Sendable (RebalanceEvent) -> Void)? {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }
}

import Foundation
public import HandoffCore
import HandoffLLM
public import Kafka
public import Logging
public import ServiceLifecycle
import Synchronization

/// The production path: consume `support.conversations` in the consumer group, decide, publish
/// handoffs and directives, store offsets only after every output was acknowledged.
public final class HandoffPipeline: Service, Sendable {
    private let configuration: Mutex<HandoffdConfiguration>
    private let kafka: KafkaConfiguration
    private let logger: Logger
    private let clock: @Sendable () -> Timestamp
    private let pendingPolicy = Mutex<EscalationPolicy?>(nil)
    private let assignment = Mutex<Assignment>(Assignment())
    /// Set once shutdown has drained what it could: revocation during close then has nothing to wait for.
    private let closing = Mutex(false)
    public let globalView = GlobalView()
    private let statistics = Mutex(Statistics())
    private let metrics: PipelineMetrics
    private let health = Mutex(Health())
    /// Model summaries, when an LLM is configured.
    private let summaries: SummaryWorkers?
    private let faults: FaultInjection

    /// What /healthz and /readyz report.
    public struct Health: Sendable {
        /// When the processing loop and the consumer's poll thread last went round (nil before they started).
        public var processingHeartbeat: ContinuousClock.Instant?
        public var pollHeartbeat: ContinuousClock.Instant?
        public var partitionsAssigned = 0
        public var stopped = false
        /// Reading conversation state back from the changelog: not ready until done.
        public var restoring = false
        /// The global view has read its topics up to the ends seen at start-up (queues, agents, bookings).
        public var globalViewCaughtUp = false
        public init() {}
    }

    public var healthSnapshot: Health { health.withLock { $0 } }

    struct Assignment {
        var partitions: Set<TopicPartition> = []
        var generation = 0
        /// A revocation waits for the changelog window to end (its records finished, their state stored).
        var windowEndRequested = false
    }

    /// What the pipeline has done so far (for logs, the demo and tests).
    public struct Statistics: Sendable {
        public var records = 0
        public var outputs = 0
        public var deadLetters = 0
        public var unknownTypes = 0
        public var redeliveries = 0
        /// Exactly once: rounds committed, and rounds aborted (consumed again).
        public var transactionsCommitted = 0
        public var transactionsAborted = 0
    }

    /// - Parameters:
    ///   - kafka: the librdkafka configuration (brokers, group, security).
    ///   - clock: the processing time of each event (the wall clock in production); it also measures
    ///     the summary deadline.
    ///   - summaries: the model that writes handoff summaries, if one is configured.
    ///   - faults: faults injected on purpose (tests); none in production.
    public init(configuration: HandoffdConfiguration, kafka: KafkaConfiguration, logger: Logger,
                metrics: PipelineMetrics = PipelineMetrics(), clock: @escaping @Sendable () -> Timestamp = { .now },
                summaries: SummaryWorkers? = nil, faults: FaultInjection = FaultInjection()) {
        self.summaries = summaries
        self.faults = faults
        self.configuration = Mutex(configuration)
        self.kafka = kafka
        self.logger = logger
        self.metrics = metrics
        self.clock = clock
    }

    public var statisticsSnapshot: Statistics { statistics.withLock { $0 } }

    /// Replaces the rules from the next record on (SIGHUP reload); the caller validated them.
    public func reload(policy: EscalationPolicy) {
        pendingPolicy.withLock { $0 = policy }
    }

    public func run() async throws {
        let configuration = self.configuration.withLock { $0 }
        let topics = configuration.topics
        let logger = self.logger
        logger.info("starting handoffd", metadata: [
            "librdkafka": "\(librdkafkaVersion)",
            "brokers": "\(kafka["bootstrap.servers"] ?? "?")",
            "group": "\(kafka["group.id"] ?? "?")",
            LogKey.policyVersion: "\(configuration.policy.version)",
        ])

        if configuration.processing.changelog { try await checkChangelog(configuration) }
        // An erase request is spread to every partition of the input (the customer's conversations may be on any).
        let inputPartitions = (try? await KafkaTopics.partitionCount(configuration: producerKafka, topic: topics.conversations, logger: logger)) ?? nil
        if inputPartitions == nil { logger.warning("cannot learn the partition count of the conversations topic: erase requests reach only the partition they arrive on") }

        let exactlyOnce = configuration.processing.guarantee == .exactlyOnce
        let consumerBox = ConsumerBox()
        // Exactly once: offsets go into each transaction, never to the consumer's own commits.
        let tracker = OffsetTracker { partition, next in if !exactlyOnce { consumerBox.consumer?.storeOffset(partition, nextOffset: next) } }
        var producerKafka = self.producerKafka
        var consumerKafka = kafka
        if exactlyOnce {
            producerKafka["transactional.id"] = configuration.processing.transactionalID ?? "\(kafka["group.id"] ?? "handoffd")-\(configuration.instance)"
            consumerKafka["enable.auto.commit"] = "false"
            consumerKafka["isolation.level"] = "read_committed"
        }
        let producer = try KafkaProducer(configuration: producerKafka, logger: logger) { token, error in
            if let error { logger.warning(exactlyOnce ? "delivery failed; the transaction will be aborted and its records consumed again" : "delivery failed; will retry",
                                          metadata: ["error": "\(error)"]) }
            tracker.delivered(token: token, error: error)
        }
        let shutdownTimeout = configuration.processing.shutdownTimeout
        let transactions = exactlyOnce ? Transactions(producer: producer, timeout: shutdownTimeout, faults: faults) : nil
        try await transactions?.start()
        // The global view is read beside the processing; processing itself runs to its end (its
        // last deliveries retried) before the reader is stopped. The group is joined once the view has
        // caught up (or the wait ran out): partitions are not taken from running instances only to wait.
        let consumer: KafkaConsumer = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.readGlobalTables(topics: topics) }
            if let summaries = self.summaries { group.addTask { await summaries.run() } }
            try await waitForGlobalView(configuration.processing.globalViewWait)
            let consumer = try joinGroup(consumerKafka, topic: topics.conversations, bufferLimit: configuration.processing.bufferLimit, tracker: tracker,
                                         transactions: transactions, shutdownTimeout: shutdownTimeout, consumerBox: consumerBox)
            consumerBox.consumer = consumer
            try await withGracefulShutdownHandler {
                try await self.process(consumer: consumer, producer: producer, tracker: tracker, transactions: transactions,
                                       inputPartitions: inputPartitions, configuration: configuration)
            } onGracefulShutdown: {
                consumer.stopDelivering()
            }
            group.cancelAll()
            return consumer
        }

        // Drain: every output acknowledged (or the timeout), offsets stored, committed, group left.
        let drained = await producer.flush(timeout: shutdownTimeout)
        if !drained || tracker.outstanding > 0 {
            logger.warning("shutting down with outputs unacknowledged; their records stay uncommitted and will be processed again", metadata: ["records": "\(tracker.outstanding)"])
        }
        if let error = await consumer.commit() { logger.warning("final commit failed", metadata: ["error": "\(error)"]) }
        closing.withLock { $0 = true }
        await consumer.close()
        consumerBox.consumer = nil
        health.withLock { $0.stopped = true }
        logger.info("handoffd stopped", metadata: ["records": "\(statisticsSnapshot.records)", "outputs": "\(statisticsSnapshot.outputs)"])
    }

    /// Joins the consumer group: assignments and revocations keep ``Assignment`` and readiness current,
    /// and a revocation lets the revoked partitions' work finish (and be committed) first.
    private func joinGroup(_ configuration: KafkaConfiguration, topic: String, bufferLimit: Int, tracker: OffsetTracker, transactions: Transactions?,
                           shutdownTimeout: Duration, consumerBox: ConsumerBox) throws -> KafkaConsumer {
        try KafkaConsumer(configuration: configuration, mode: .group(topics: [topic]), logger: logger, bufferLimit: bufferLimit) { [self] event in
            switch event {
            case .assigned(let partitions):
                // Added, not replaced: with a cooperative assignor the list holds only the new partitions
                // (an eager rebalance revoked everything first, so the union is the new assignment).
                let count = self.assignment.withLock { state in
                    state.partitions.formUnion(partitions)
                    state.generation += 1
                    return state.partitions.count
                }
                self.health.withLock { $0.partitionsAssigned = count }
                logger.info("partitions assigned", metadata: ["partitions": "\(partitions.map(\.description).sorted().joined(separator: ","))"])
            case .revoked(let partitions):
                // Let in-flight outputs of these partitions land so their offsets can be committed
                // before another instance takes over.
                let revoked = Set(partitions)
                let deadline = ContinuousClock.now + shutdownTimeout
                if let transactions {
                    // The round in progress commits these partitions' offsets with its outputs, or is aborted.
                    if !self.closing.withLock({ $0 }) { transactions.waitForOpenRound(until: deadline) }
                } else {
                    // The records of the open changelog window finish when it ends: the loop ends it at its next round.
                    if !self.closing.withLock({ $0 }) { self.assignment.withLock { $0.windowEndRequested = true } }
                    while tracker.hasPending(in: revoked) && ContinuousClock.now < deadline && !self.closing.withLock({ $0 }) { usleep(5000) }
                    if tracker.hasPending(in: revoked) { logger.warning("revoking partitions with outputs still in flight; they will be re-processed by the next owner") }
                    if let error = consumerBox.consumer?.commitNow() { logger.warning("commit on revoke failed", metadata: ["error": "\(error)"]) }
                }
                tracker.drop(revoked)
                let count = self.assignment.withLock { state in
                    state.partitions.subtract(revoked)
                    return state.partitions.count
                }
                self.health.withLock { $0.partitionsAssigned = count }
                logger.info("partitions revoked", metadata: ["partitions": "\(partitions.map(\.description).sorted().joined(separator: ","))"])
            }
        }
    }

    /// The Kafka configuration without consumer-only properties, for producers and metadata look-ups.
    private var producerKafka: KafkaConfiguration { kafka.forProducer }

    /// The Kafka configuration for readers outside the group (global views, changelog restores).
    private var readerKafka: KafkaConfiguration {
        var configuration = kafka
        configuration.properties.removeValue(forKey: "group.id")
        return configuration
    }

    // MARK: - Processing

    private func process(consumer: KafkaConsumer, producer: KafkaProducer, tracker: OffsetTracker, transactions: Transactions?,
                         inputPartitions: Int?, configuration: HandoffdConfiguration) async throws {
        var engine = Engine(policy: configuration.policy, limits: configuration.limits, deadLetterMaxBytes: configuration.deadLetterMaxBytes,
                            idleTimeout: configuration.processing.idleTimeout.milliseconds)
        var ownerOf: [String: TopicPartition] = [:]
        var previouslyOwned: Set<TopicPartition> = []
        let monotonic = ContinuousClock()
        var quality = QualityMonitor(gates: configuration.qualityGates)
        var repeats = RepeatContacts(window: configuration.processing.repeatContactWindow.milliseconds, capacity: configuration.processing.repeatContactCapacity)
        var lastLagReport = monotonic.now
        var seenGeneration = 0
        var lastSweep = clock()
        let topics = configuration.topics
        let source = configuration.source
        let contentType: [(String, [UInt8])] = [("content-type", Array("application/cloudevents+json; charset=utf-8".utf8))]
        // Exactly once commits a partition's offsets round by round: a handoff cannot wait across rounds
        // for its summary, so it goes out at once and the model's summary follows as an update.
        var desk = SummaryDesk(deadline: transactions == nil ? configuration.llm.deadline.milliseconds : 0)
        // Exactly once: the model summaries a round put on its handoffs. An abort discards the update and
        // the stored state with the round, and the model is not asked again: they are put on once more.
        var roundSummaries: [SummaryWorkers.Finished] = []
        var abortedSummaries: [SummaryWorkers.Finished] = []
        /// The next offset of each input partition consumed in the current transaction.
        var consumedOffsets: [TopicPartition: Int64] = [:]
        let estimator = configuration.waits.estimator
        // Plans, zones and rules are built once; each use gets the view and bookings of the moment.
        let advisorBase = configuration.advisor()
        func advisor(view: QueueView, book: CallbackBook) -> QueueAdvisor {
            var advisor = advisorBase
            advisor.view = view
            advisor.book = book
            return advisor
        }
        var scoreboard = WaitScoreboard(recordLimit: 0)
        // At least once, the changelog is written once per window of rounds (the latest state of each
        // conversation); exactly once, every round is a transaction and ends its window.
        var window = ChangelogWindow(now: monotonic.now)
        let windowInterval: Duration = configuration.processing.changelog && transactions == nil ? configuration.processing.changelogInterval : .zero
        let windowRecordLimit = max(1, configuration.processing.maxInFlight / 2)
        var lastRefresh = clock()
        var lastStats = clock()

        /// Publishes one output, tracked under its record. Outputs with no record hold no offset: those
        /// nothing would send again (a model's summary arriving after its handoff went out, a callback
        /// coming due) are sent again when their delivery fails; those the next one supersedes (estimate
        /// refreshes, queue stats) are sent once, so a late copy never overtakes a newer one. Either kind
        /// refused for good is dropped with an error (see ``publish``), not a reason to stop.
        func send(_ output: OutputEvent, under record: (TopicPartition, Int64)?, superseded: Bool = false) async throws {
            metrics.outputPublished(type: output.type)
            let value = output.envelopeBytes(source: source)
            let key = output.key.map { Array($0.utf8) }
            let topic = topics.name(for: output.channel)
            let delivery = record.map { OffsetTracker.Delivery(partition: $0.0, offset: $0.1, topic: topic, key: key, value: value) }
                ?? .untracked(topic: topic, key: key, value: value)
            try await publish(delivery, producer: producer, tracker: tracker, headers: contentType, source: source, deadLetterTopic: topics.deadLetter,
                              deadLetterMaxBytes: configuration.deadLetterMaxBytes,
                              register: record == nil && superseded ? { _ in tracker.untrackedToken() } : tracker.add)
        }

        /// Publishes a handoff held for its summary (with `summary` put in first, if given) and lets its record finish.
        func release(_ held: SummaryDesk.Held, summary: Summary?, how: String) async throws {
            var output = held.output
            if let summary, engine.attachSummary(summary, conversationID: held.conversationID, handoffID: held.handoffID, published: false, now: clock()) != nil,
               let handoff = engine.conversations[held.conversationID]?.state.handoff {
                output.data = handoff.json
            }
            // Its state was kept out of the changelog while held (a restore must not skip a record whose
            // handoff never went out); it is stored now, under the record, before the record may finish.
            if configuration.processing.changelog, let state = engine.conversations[held.conversationID]?.state {
                let delivery = OffsetTracker.Delivery(partition: held.partition, offset: held.offset, topic: topics.changelog,
                                                      key: Array(held.conversationID.utf8), value: state.storageBytes,
                                                      targetPartition: held.partition.partition)
                try await publish(delivery, producer: producer, tracker: tracker, headers: [], source: source, deadLetterTopic: topics.deadLetter,
                                  deadLetterMaxBytes: configuration.deadLetterMaxBytes, register: tracker.add)
            }
            metrics.handoffSummary(how)
            logger.info("handoff created", metadata: [LogKey.conversation: "\(held.conversationID)", LogKey.handoff: "\(held.handoffID)",
                                                      "summary": "\(output.data["summary"]?["source"]?.stringValue ?? "")", "summary_at": "\(how)"])
            try await send(output, under: (held.partition, held.offset))
            tracker.finish(held.partition, held.offset, epoch: held.epoch)
        }

        /// Waiting customers whose estimate changed materially hear of it; acceptances are scored; every
        /// `stats_interval` the per-queue figures go out as `support.queue.stats`.
        func refreshWaits(now: Timestamp) async throws {
            for (entry, waited) in globalView.takeServed() where engine.conversations[entry.conversationID] != nil {
                scoreboard.served(handoffID: entry.handoffID, waited: waited)
                metrics.waitScored(queue: entry.queue, estimate: entry.estimate, waited: waited)
            }
            if now.milliseconds(since: lastRefresh) >= configuration.waits.updateInterval.milliseconds {
                lastRefresh = now
                let expired = globalView.expire(before: now.adding(milliseconds: -configuration.waits.staleAfter.milliseconds))
                if expired > 0 { logger.info("handoffs without a logged close left the queue view", metadata: ["count": "\(expired)"]) }
                let advisor = advisor(view: globalView.queues, book: globalView.bookings(now: now))
                let updates = engine.refreshEstimates(now: now, maxSilence: configuration.waits.maxSilence.milliseconds, advisor: advisor,
                                                      held: desk.heldConversations)
                for output in updates { try await send(output, under: nil, superseded: true) }
                metrics.globalView(delayMilliseconds: globalView.delay)
            }
            if now.milliseconds(since: lastStats) >= configuration.waits.statsInterval.milliseconds {
                lastStats = now
                for queue in scoreboard.byQueue.keys.sorted() {
                    guard let data = scoreboard.statsEvent(queue: queue, instance: configuration.instance, now: now) else { continue }
                    let id = "stats/\(configuration.instance)/\(queue)/\(now.millisecondsSinceEpoch)"
                    try await send(OutputEvent(channel: .alerts, key: queue, id: id, type: EventType.queueStats, subject: queue, time: now, data: data), under: nil, superseded: true)
                }
            }
        }

        /// Model summaries that finished: into the handoff still held for them, or as an update of one
        /// already published; those written ahead wait for the handoff they anticipate.
        func collectSummaries() async throws {
            guard let summaries else { return }
            let fresh = summaries.takeFinished()
            for finished in fresh {
                metrics.summary(finished.outcome, ahead: finished.purpose == .ahead)
                var logger = self.logger
                logger[metadataKey: LogKey.conversation] = "\(finished.conversationID)"
                logger.info("summary finished", metadata: ["source": "\(finished.outcome.summary.source)", "facts_proposed": "\(finished.outcome.figures.factsProposed)",
                                                           "facts_kept": "\(finished.outcome.figures.factsKept)", "latency": "\(finished.outcome.latency)",
                                                           LogKey.reason: "\(finished.outcome.figures.fallbackReason ?? "")"])
            }
            let work = abortedSummaries + fresh
            abortedSummaries = []
            if transactions != nil { roundSummaries = work.filter { $0.purpose != .ahead } }
            for finished in work {
                switch finished.purpose {
                case .ahead:
                    desk.keepAhead(finished.outcome.summary, for: finished.conversationID)
                    // The conversation moved on while the model wrote: ask again for what it has become.
                    if let state = engine.conversations[finished.conversationID]?.state, !(state.handoff?.status.isOpen ?? false),
                       state.transcript.last?.messageID != finished.lastMessageID {
                        summaries.submit(SummaryJob(ahead: state, policy: engine.policy), purpose: .ahead)
                    }
                case .handoff(let handoffID):
                    if let held = desk.release(conversation: finished.conversationID, handoffID: handoffID) {
                        try await release(held, summary: finished.outcome.summary, how: finished.outcome.isModelSummary ? "model" : "unavailable")
                    } else if finished.outcome.isModelSummary,
                              let outputs = engine.attachSummary(finished.outcome.summary, conversationID: finished.conversationID, handoffID: handoffID, published: true, now: clock()) {
                        for output in outputs { try await send(output, under: nil) }
                    }
                }
            }
            for held in desk.expired(at: clock()) {
                try await release(held, summary: nil, how: "deadline")
            }
        }

        /// Ends the changelog window: the state of every conversation changed since the last end is
        /// written, tracked under the record that last changed it, and then those records are finished.
        func endWindow() async throws {
            // A conversation whose handoff is held for its summary keeps its records in the window (and its
            // state out of the changelog) until the handoff goes out. Its own record is held by the desk; the
            // others may be that record read again after its partition was revoked and given back, and
            // finishing one of them would commit past a handoff not yet published.
            let held = desk.heldConversations
            if configuration.processing.changelog {
                var changes = engine.takeChanges()
                if !window.carried.isEmpty {
                    let changed = Set(changes.changed.map(\.conversationID))
                    changes.changed += window.carried.subtracting(changed).compactMap { engine.conversations[$0]?.state }
                }
                if !held.isEmpty { changes.changed.removeAll { held.contains($0.conversationID) } }
                try await writeChangelog(changes, lastRecordOf: window.lastRecordOf, anchor: window.anchor, ownerOf: &ownerOf, producer: producer,
                                         tracker: tracker, configuration: configuration)
            }
            for (record, epoch) in window.end(keeping: held, now: monotonic.now) { tracker.finish(record.partition, record.offset, epoch: epoch) }
        }

        /// One round of the loop: what finished meanwhile, the batch, the changelog, the waits.
        func round(_ batch: DecodedBatch) async throws {
            let lastPoll = consumer.lastPoll
            health.withLock { state in
                state.processingHeartbeat = monotonic.now
                state.pollHeartbeat = lastPoll
            }
            if let policy = pendingPolicy.withLock({ state -> EscalationPolicy? in defer { state = nil }; return state }) {
                engine.policy = policy
                logger.info("policy reloaded", metadata: [LogKey.policyVersion: "\(policy.version)"])
            }
            let (owned, generation) = assignment.withLock { ($0.partitions, $0.generation) }
            if generation != seenGeneration {
                // A held handoff of a partition gone elsewhere is published by its next owner, which reads the record again.
                desk.dropHeld { !owned.contains($0) }
                // Conversations of partitions we no longer own belong to another instance now.
                seenGeneration = generation
                engine.forget { ownerOf[$0].map { !owned.contains($0) } ?? false }
                ownerOf = ownerOf.filter { owned.contains($0.value) }
                // Partitions new to this instance: their state comes back from the changelog before
                // any of their records is processed.
                let added = owned.subtracting(previouslyOwned)
                previouslyOwned = owned
                if configuration.processing.changelog && !added.isEmpty {
                    try await restore(added, into: &engine, ownerOf: &ownerOf, configuration: configuration)
                }
            }
            // After the restore: a summary must find its conversation's state (also after an abort forgot it).
            try await collectSummaries()
            // The queues as the global logs show them now: new handoffs are estimated, callbacks booked, against this.
            let queues = globalView.queues
            let bookings = globalView.bookings(now: clock())
            engine.settleBookings(with: bookings)
            // Optional once per round, so each record borrows it instead of copying it into an optional.
            let advisor: QueueAdvisor? = advisor(view: queues, book: bookings)
            // Callbacks whose slot has come: handed to the dialer (best effort, like estimate updates;
            // a crash before the changelog has it fires it again from the next owner, with the same id).
            for output in engine.fireDue(now: clock()) { try await send(output, under: nil) }
            // Records are finished only after their window's changelog writes are queued under them, so an
            // offset is committed only once the state it produced is stored.
            for index in batch.messages.indices {
                let message = batch.messages[index]
                let partition = message.topicPartition
                if consumer.isStale(message) { continue }
                // A window's records of a partition revoked (and perhaps assigned again) before it ends are
                // another instance's: the epoch makes finishing them a no-op.
                let epoch = tracker.begin(partition, message.offset)
                if transactions != nil { consumedOffsets[partition] = message.offset + 1 }
                let origin = RecordOrigin(topic: message.topic, partition: message.partition, offset: message.offset)
                let started = monotonic.now
                let now = clock()
                let decoded = batch.decoded[index]
                let result = engine.process(decoded: decoded.outcome, analysis: decoded.analysis, value: message.value, key: message.key,
                                            origin: origin, now: now, advisor: advisor)
                quality.observe(result, at: now)
                if !result.isRedelivery, let event = result.event, case .started(let started) = event.payload,
                   repeats.started(customer: started.customerID, conversation: event.conversationID, at: now) {
                    metrics.repeatContact()
                }
                let elapsed = monotonic.now - started
                metrics.record(result, conversation: { result.conversationID.flatMap { engine.conversations[$0]?.state } },
                               processingNanoseconds: elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
                if let conversation = result.conversationID {
                    ownerOf[conversation] = partition
                    // Anything this record publishes for the conversation comes after its held handoff.
                    if !result.outputs.isEmpty, let waiting = desk.release(conversation: conversation) {
                        try await release(waiting, summary: nil, how: "deadline")
                    }
                }
                var waitsForSummary = false
                // Most records log nothing: the record's metadata is only built for those that do.
                var recordLogger: Logger {
                    var logger = self.logger
                    logger[metadataKey: LogKey.partition] = "\(message.partition)"
                    logger[metadataKey: LogKey.offset] = "\(message.offset)"
                    if let conversation = result.conversationID { logger[metadataKey: LogKey.conversation] = "\(conversation)" }
                    return logger
                }
                for var output in result.outputs {
                    if output.type == EventType.handoffCreated, let conversation = result.conversationID,
                       let handoff = engine.conversations[conversation]?.state.handoff, let told = handoff.waitEstimate {
                        scoreboard.predicted(handoffID: handoff.id, queue: handoff.queue, createdAt: handoff.createdAt, estimate: told,
                                             baselines: estimator.baselines(queue: handoff.queue, priority: handoff.priority, createdAt: handoff.createdAt,
                                                                            handoffID: handoff.id, view: queues, now: handoff.createdAt))
                    }
                    if output.type == EventType.handoffCreated, let summaries, let conversation = result.conversationID,
                       let handoff = engine.conversations[conversation]?.state.handoff {
                        if let ahead = desk.takeAhead(for: conversation), ahead.covers(handoff.transcript),
                           engine.attachSummary(handoff.summary.adopting(ahead, transcript: handoff.transcript), conversationID: conversation,
                                                handoffID: handoff.id, published: false, now: now) != nil,
                           let updated = engine.conversations[conversation]?.state.handoff {
                            output.data = updated.json
                            metrics.handoffSummary("ready")
                        } else if summaries.submit(SummaryJob(handoff: handoff), purpose: .handoff(id: handoff.id)) {
                            if desk.deadline > 0 {
                                desk.hold(SummaryDesk.Held(conversationID: conversation, handoffID: handoff.id, output: output, partition: partition,
                                                           offset: message.offset, epoch: epoch, deadline: now.adding(milliseconds: desk.deadline)))
                                waitsForSummary = true
                                continue
                            }
                            metrics.handoffSummary("deadline")
                        } else {
                            metrics.handoffSummary("unavailable")
                        }
                    }
                    try await send(output, under: (partition, message.offset))
                    switch output.type {
                    case EventType.deadLetter:
                        recordLogger.warning("dead letter", metadata: [LogKey.reason: "\(output.data["reason"].map(JSONWriter.string) ?? "")"])
                    case EventType.handoffCreated:
                        recordLogger.info("handoff created", metadata: [LogKey.handoff: "\(output.data["handoff_id"].map(JSONWriter.string) ?? "")",
                                                                  "queue": "\(output.data["queue"].map(JSONWriter.string) ?? "")"])
                    default:
                        break
                    }
                }
                for reason in result.ignored { recordLogger.info("event changed nothing", metadata: [LogKey.reason: "\(reason)"]) }
                if let type = result.unknownType { recordLogger.debug("skipped event of unknown type", metadata: [LogKey.eventType: "\(type)"]) }
                if let status = result.agentStatus { globalView.apply(agent: status) }
                if let erase = result.erase {
                    for conversation in result.erased { _ = desk.takeAhead(for: conversation) }
                    repeats.forget(customer: erase.customerID)
                    recordLogger.info("customer erased", metadata: ["erase_id": "\(erase.id)", "conversations": "\(result.erased.count)"])
                    if erase.partition == nil, let inputPartitions {
                        // The request itself: a copy to every other partition, tracked under this record, so each owner erases what it holds.
                        for target in 0..<inputPartitions where target != Int(partition.partition) {
                            let copy = OffsetTracker.Delivery(partition: partition, offset: message.offset, topic: topics.conversations,
                                                              key: Array(erase.customerID.utf8), value: JSONWriter.bytes(erase.copy(forPartition: target, source: source)),
                                                              targetPartition: Int32(target))
                            try await publish(copy, producer: producer, tracker: tracker, headers: contentType, source: source, deadLetterTopic: topics.deadLetter,
                                              deadLetterMaxBytes: configuration.deadLetterMaxBytes, register: tracker.add)
                        }
                    }
                }
                statistics.withLock { statistics in
                    statistics.records += 1
                    statistics.outputs += result.outputs.count
                    statistics.deadLetters += result.outputs.count { $0.channel == .deadLetter }
                    if result.unknownType != nil { statistics.unknownTypes += 1 }
                }
                if !waitsForSummary { window.add((partition, message.offset), epoch: epoch, changed: result.conversationID) }
                if let conversation = result.conversationID {
                    // Close to escalating: have the summary written before the handoff needs it.
                    if let summaries, configuration.llm.summarizeAhead, !result.isRedelivery, case .botMessage? = result.event?.payload,
                       let state = engine.conversations[conversation]?.state, !(state.handoff?.status.isOpen ?? false),
                       state.unsuccessfulReplies >= 1 || state.offeredThisCycle {
                        summaries.submit(SummaryJob(ahead: state, policy: engine.policy), purpose: .ahead)
                    }
                }
            }
            // Quality alerts ride on the window's last record: they are published at least once, like its outputs.
            if let last = window.anchor {
                for transition in quality.evaluate(at: clock()) {
                    let alert = transition.event(instance: configuration.instance)
                    let delivery = OffsetTracker.Delivery(partition: last.0, offset: last.1, topic: topics.alerts,
                                                          key: Array(transition.gate.utf8), value: alert.envelopeBytes(source: source))
                    try await publish(delivery, producer: producer, tracker: tracker, headers: contentType, source: source, deadLetterTopic: topics.deadLetter,
                                      deadLetterMaxBytes: configuration.deadLetterMaxBytes, register: tracker.add)
                    logger.warning(transition.kind == .fired ? "quality gate fired" : "quality gate resolved",
                                   metadata: ["gate": "\(transition.gate)", "value": "\(transition.value)", "limit": "\(transition.limit)"])
                }
            }
            let endRequested = assignment.withLock { state in
                defer { state.windowEndRequested = false }
                return state.windowEndRequested
            }
            if endRequested || window.isDue(now: monotonic.now, interval: windowInterval, recordLimit: windowRecordLimit) {
                try await endWindow()
            }
            try await resendFailed(producer: producer, tracker: tracker, headers: contentType)
            metrics.consumer(buffered: consumer.bufferedCount, paused: consumer.isPaused, partitions: healthSnapshot.partitionsAssigned, inFlight: tracker.outstanding)
            if monotonic.now - lastLagReport > .seconds(1) {
                lastLagReport = monotonic.now
                metrics.lag(consumer.lag())
            }
            if let fatal = producer.fatalError ?? consumer.fatalError { throw fatal }
            // Bounded memory: wait for acknowledgements before taking more (a transaction waits for all of
            // them when it commits).
            while transactions == nil && tracker.outstanding > configuration.processing.maxInFlight && !Task.isShuttingDownGracefully {
                try await Task.sleep(for: .milliseconds(2))
                try await resendFailed(producer: producer, tracker: tracker, headers: contentType)
            }
            let now = clock()
            try await refreshWaits(now: now)
            if now.milliseconds(since: lastSweep) > 60_000 {
                lastSweep = now
                let evicted = engine.evictIdle(now: now)
                if evicted > 0 { logger.debug("forgot idle conversations", metadata: ["count": "\(evicted)"]) }
            }
        }

        // The next batch is taken and decoded while the current one is processed: decoding is pure and
        // runs on every core, processing is one loop. A batch taken ahead and left unprocessed at shutdown
        // was never begun, so no offset passes it; records taken before a revocation or a rewind are
        // skipped as stale (`KafkaConsumer.isStale`): they are read again from the committed offset.
        let decoder = engine.decoder
        func takeAhead() -> Task<DecodedBatch?, Never> {
            Task {
                // A bounded wait, so failed deliveries are re-sent even when no input arrives.
                guard let messages = await consumer.nextBatch(timeout: .milliseconds(100)) else { return nil }
                return DecodedBatch(messages: messages, decoded: await Self.decode(messages, with: decoder))
            }
        }
        var ahead = takeAhead()
        defer { ahead.cancel() }
        while let batch = await ahead.value, !Task.isCancelled {
            ahead = takeAhead()
            guard let transactions else {
                try await round(batch)
                continue
            }
            consumedOffsets.removeAll(keepingCapacity: true)
            roundSummaries.removeAll()
            // The quality gates' windows go back with the round if it aborts: its records are observed again.
            let observedBefore = quality
            do {
                try transactions.begin()
                try await round(batch)
                try await transactions.commit(offsets: consumedOffsets, consumer: consumer, outputsProduced: statisticsSnapshot.outputs)
                metrics.transaction(committed: true)
                statistics.withLock { $0.transactionsCommitted += 1 }
            } catch let error as KafkaError where error.requiresAbort {
                // Outputs, changelog and offsets of the round are discarded together; so is what the
                // round did to memory: the state comes back from the changelog, the records from the input.
                logger.warning("transaction aborted; its records are consumed again", metadata: ["error": "\(error)"])
                metrics.transaction(committed: false)
                statistics.withLock { $0.transactionsAborted += 1 }
                try await transactions.abort()
                try await consumer.rewindToCommitted(timeout: configuration.processing.shutdownTimeout)
                tracker.reset()
                window.reset(now: monotonic.now)
                engine.forget { _ in true }
                _ = engine.takeChanges()
                quality = observedBefore
                abortedSummaries += roundSummaries
                ownerOf.removeAll()
                previouslyOwned.removeAll()
                seenGeneration = -1
            }
        }
        // Handoffs still waiting for a summary go out as they are; then the last window's state is stored.
        for held in desk.releaseAll() { try await release(held, summary: nil, how: "deadline") }
        try await endWindow()
        summaries?.finish()
        // Deliveries that failed during the last batch still need their retry before shutdown, and so do
        // summary updates and due calls, which no record would bring back.
        let deadline = ContinuousClock.now + configuration.processing.shutdownTimeout
        while (tracker.outstanding > 0 || tracker.hasUntrackedWork) && ContinuousClock.now < deadline {
            try await resendFailed(producer: producer, tracker: tracker, headers: contentType)
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Waits, at most `limit`, for the global view's first catch-up: until then it knows only part of
    /// the queues and agents, and a new handoff would be told of a wait (or of nobody there) it does not have.
    private func waitForGlobalView(_ limit: Duration) async throws {
        guard limit > .zero else { return }
        let deadline = ContinuousClock.now + limit
        while !healthSnapshot.globalViewCaughtUp && !Task.isShuttingDownGracefully {
            guard ContinuousClock.now < deadline else {
                logger.warning("joining the group before the global view caught up: wait estimates and callback slots see part of the queues until it does",
                               metadata: ["waited": "\(limit)", "records_read": "\(globalView.recordsRead)"])
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    // MARK: - Changelog

    /// The changelog must exist with the input's partition count (a conversation's state must live on
    /// the partition numbered like its input); it should be compacted. Says what to fix.
    private func checkChangelog(_ configuration: HandoffdConfiguration) async throws {
        let topics = configuration.topics
        let metadataConfiguration = producerKafka
        let input = try await KafkaTopics.partitionCount(configuration: metadataConfiguration, topic: topics.conversations, logger: logger)
        let changelog = try await KafkaTopics.partitionCount(configuration: metadataConfiguration, topic: topics.changelog, logger: logger)
        guard let changelog else {
            throw KafkaError(code: .configuration, message: "processing.changelog is on, but topic '\(topics.changelog)' does not exist: create it with "
                             + "\(input.map(String.init) ?? "as many") partitions as '\(topics.conversations)' and cleanup.policy=compact (docs/operations.md)")
        }
        if let input, input != changelog {
            throw KafkaError(code: .configuration, message: "topic '\(topics.changelog)' has \(changelog) partitions but '\(topics.conversations)' has \(input): "
                             + "they must be equal, or conversation state is restored on the wrong instance. Recreate the changelog with \(input) partitions.")
        }
        switch try await KafkaTopics.configValue(configuration: metadataConfiguration, topic: topics.changelog, name: "cleanup.policy", logger: logger) {
        case nil:
            logger.warning("cannot check that the changelog is compacted (the broker does not answer DescribeConfigs); make sure cleanup.policy=compact",
                           metadata: ["topic": "\(topics.changelog)"])
        case let policy? where !policy.contains("compact"):
            logger.warning("the changelog is not compacted: it will keep every state ever written. Set cleanup.policy=compact",
                           metadata: ["topic": "\(topics.changelog)", "cleanup.policy": "\(policy)"])
        default:
            break
        }
    }

    /// Stores the state of every conversation the window changed (tracked under the record that last
    /// changed it) and tombstones those forgotten, each on the changelog partition of its input partition.
    private func writeChangelog(_ changes: (changed: [ConversationState], forgotten: [String]), lastRecordOf: [String: ChangelogWindow.Record],
                                anchor: ChangelogWindow.Record?,
                                ownerOf: inout [String: TopicPartition], producer: KafkaProducer, tracker: OffsetTracker,
                                configuration: HandoffdConfiguration) async throws {
        let topic = configuration.topics.changelog
        // Tracked under the record behind the write; where none stands behind it, best effort: sent once,
        // and dropped with an error if the broker refuses it for good.
        func store(_ delivery: OffsetTracker.Delivery) async throws {
            try await publish(delivery, producer: producer, tracker: tracker, headers: [], source: configuration.source, deadLetterTopic: configuration.topics.deadLetter,
                              deadLetterMaxBytes: configuration.deadLetterMaxBytes, register: delivery.isTracked ? tracker.add : { _ in tracker.untrackedToken() })
        }
        for (state, value) in zip(changes.changed, await Self.encode(changes.changed)) {
            let key = Array(state.conversationID.utf8)
            if let (partition, offset) = lastRecordOf[state.conversationID] {
                try await store(OffsetTracker.Delivery(partition: partition, offset: offset, topic: topic, key: key, value: value, targetPartition: partition.partition))
            } else if let partition = ownerOf[state.conversationID] {
                // Changed by a summary, not by a record: best effort, like the summary update itself.
                try await store(.untracked(topic: topic, key: key, value: value, targetPartition: partition.partition))
            }
        }
        for conversation in changes.forgotten {
            guard let partition = ownerOf.removeValue(forKey: conversation) else { continue }
            // Tracked under the batch's last record: an erased customer's state must not outlive a lost
            // tombstone. (Without a record, an idle eviction's tombstone is best effort: a stale state is
            // restored and evicted again later.)
            let key = Array(conversation.utf8)
            try await store(anchor.map { OffsetTracker.Delivery(partition: $0.0, offset: $0.1, topic: topic, key: key, value: nil, targetPartition: partition.partition) }
                            ?? .untracked(topic: topic, key: key, value: nil, targetPartition: partition.partition))
        }
    }

    /// Records taken from the consumer together with what ``decode(_:with:)`` made of them.
    struct DecodedBatch: Sendable {
        var messages: [KafkaMessage]
        var decoded: [Decoded]
    }

    /// One record's decoding and, for a message, the analysis of its text. A class: it is handed from
    /// the slices to the loop, and a copy of the event would retain each of its strings.
    final class Decoded: Sendable {
        let outcome: EventDecoder.Outcome
        let analysis: MessageAnalysis?

        init(_ outcome: EventDecoder.Outcome, _ analysis: MessageAnalysis?) {
            self.outcome = outcome
            self.analysis = analysis
        }
    }

    /// The batch's records decoded, their messages' text analysed. Both are pure and most of the work: a
    /// large batch is done in slices on every core, then applied in order.
    static func decode(_ batch: [KafkaMessage], with decoder: EventDecoder) async -> [Decoded] {
        await inSlices(batch) { message in
            let outcome = decoder.decode(value: message.value, headers: message.headers, keyBytes: message.key)
            guard case .conversation(let event) = outcome else { return Decoded(outcome, nil) }
            return Decoded(outcome, MessageAnalysis(event))
        }
    }

    /// `transform` applied to every element, in order; slices of a large array run on every core.
    static func inSlices<Element: Sendable, Transformed: Sendable>(_ elements: [Element], minimumSlice: Int = 64,
                                                                   _ transform: @escaping @Sendable (Element) -> Transformed) async -> [Transformed] {
        let slices = min(ProcessInfo.processInfo.activeProcessorCount, elements.count / minimumSlice)
        guard slices > 1 else { return elements.map(transform) }
        let size = (elements.count + slices - 1) / slices
        return await withTaskGroup(of: (Int, [Transformed]).self) { group in
            for slice in 0..<slices {
                let part = elements[min(elements.count, slice * size)..<min(elements.count, (slice + 1) * size)]
                group.addTask { (slice, part.map(transform)) }
            }
            var results = [[Transformed]](repeating: [], count: slices)
            for await (slice, values) in group { results[slice] = values }
            return results.flatMap { $0 }
        }
    }

    /// The states' changelog values. Serialising them is most of the changelog's cost, and they are
    /// independent: a large batch is encoded in slices on every core.
    static func encode(_ states: [ConversationState]) async -> [[UInt8]] {
        await inSlices(states) { $0.storageBytes }
    }

    /// Reads the changelog partitions of newly assigned input partitions to their end and puts the
    /// latest state of each conversation in place. Readiness waits for it.
    private func restore(_ partitions: Set<TopicPartition>, into engine: inout Engine, ownerOf: inout [String: TopicPartition],
                         configuration: HandoffdConfiguration) async throws {
        health.withLock { $0.restoring = true }
        defer { health.withLock { $0.restoring = false } }
        let started = ContinuousClock.now
        let changelog = partitions.map { TopicPartition(topic: configuration.topics.changelog, partition: $0.partition) }
        let records = try await KafkaConsumer.readToEnd(configuration: readerKafka, partitions: changelog, logger: logger)
        var latest: [String: (partition: Int32, value: [UInt8])] = [:]
        for record in records {
            guard let key = record.keyString else { continue }
            latest[key] = (record.partition, record.value)
        }
        var states: [ConversationState] = []
        var unreadable = 0
        for (conversation, record) in latest where !record.value.isEmpty {
            do {
                states.append(try ConversationState(storageJSON: try JSONParser.parse(record.value)))
                ownerOf[conversation] = TopicPartition(topic: configuration.topics.conversations, partition: record.partition)
            } catch {
                unreadable += 1
                logger.error("stored conversation state unreadable; the conversation starts afresh", metadata: [LogKey.conversation: "\(conversation)", "error": "\(error)"])
            }
        }
        engine.restore(states)
        logger.info("state restored", metadata: ["partitions": "\(partitions.map(\.description).sorted().joined(separator: ","))",
                                                "conversations": "\(states.count)", "records": "\(records.count)", "unreadable": "\(unreadable)",
                                                "duration": "\(ContinuousClock.now - started)"])
    }

    /// Sends failed outputs again (at least once). Exactly once never re-sends: a failed delivery fails
    /// its transaction's commit, and the whole round is consumed again.
    private func resendFailed(producer: KafkaProducer, tracker: OffsetTracker, headers: [(String, [UInt8])]) async throws {
        let configuration = self.configuration.withLock { $0 }
        guard configuration.processing.guarantee == .atLeastOnce else { return }
        for delivery in tracker.takeFailed() {
            statistics.withLock { $0.redeliveries += 1 }
            metrics.redelivery()
            if delivery.failures >= Self.attemptsBeforeDeadLetter, let error = delivery.lastError, !error.isRetriable {
                // Refused for good (too large for the broker, not authorised, …): retrying would hold
                // the partition forever. The output goes to the dead-letter topic with the reason instead.
                guard delivery.isTracked else {
                    undeliverable(delivery, error: error)
                    continue
                }
                try await deadLetter(delivery, error: error, producer: producer, tracker: tracker, headers: headers, source: configuration.source,
                                     deadLetterTopic: configuration.topics.deadLetter, deadLetterMaxBytes: configuration.deadLetterMaxBytes)
                tracker.abandon(delivery)
                continue
            }
            try await publish(delivery, producer: producer, tracker: tracker, headers: headers, source: configuration.source,
                              deadLetterTopic: configuration.topics.deadLetter, deadLetterMaxBytes: configuration.deadLetterMaxBytes, register: tracker.retry)
        }
    }

    /// Failed deliveries with a non-retriable error are tried this often before they are dead-lettered.
    static let attemptsBeforeDeadLetter = 3

    /// Sends one output, tracked under its input record (or untracked, see ``OffsetTracker/Delivery/untracked(topic:key:value:targetPartition:)``).
    /// An output librdkafka refuses at once for good (e.g. larger than `message.max.bytes`) is
    /// dead-lettered instead of stopping the service (dropped with an error log when no record stands behind it).
    private func publish(_ delivery: OffsetTracker.Delivery, producer: KafkaProducer, tracker: OffsetTracker, headers: [(String, [UInt8])],
                         source: String, deadLetterTopic: String, deadLetterMaxBytes: Int,
                         register: (OffsetTracker.Delivery) -> UInt64) async throws {
        let token = register(delivery)
        let refused: KafkaError
        do {
            try await producer.send(topic: delivery.topic, partition: delivery.targetPartition, key: delivery.key, value: delivery.value, headers: headers, token: token)
            return
        } catch {
            refused = error
        }
        guard !refused.isFatal, !refused.isRetriable, !refused.requiresAbort, refused.code == .librdkafka, delivery.topic != deadLetterTopic else { throw refused }
        guard delivery.isTracked else {
            undeliverable(delivery, error: refused)
            tracker.delivered(token: token, error: nil)
            return
        }
        // The dead letter is registered under the same record before the refused output is let go.
        try await deadLetter(delivery, error: refused, producer: producer, tracker: tracker, headers: headers, source: source,
                             deadLetterTopic: deadLetterTopic, deadLetterMaxBytes: deadLetterMaxBytes)
        tracker.delivered(token: token, error: nil)
    }

    /// An output with no record behind it that the broker refuses for good: no input record to name in a
    /// dead letter, so the error log keeps what was lost.
    private func undeliverable(_ delivery: OffsetTracker.Delivery, error: KafkaError) {
        let value = delivery.value ?? []
        let type = (try? JSONParser.parse(value))?["type"]?.stringValue ?? ""
        logger.error("output refused for good and dropped", metadata: ["topic": "\(delivery.topic)", LogKey.eventType: "\(type)",
                                                                     "bytes": "\(value.count)", "error": "\(error)"])
        metrics.outputDropped()
    }

    private func deadLetter(_ delivery: OffsetTracker.Delivery, error: KafkaError, producer: KafkaProducer, tracker: OffsetTracker,
                            headers: [(String, [UInt8])], source: String, deadLetterTopic: String, deadLetterMaxBytes: Int) async throws {
        let value = delivery.value ?? []
        let type = (try? JSONParser.parse(value))?["type"]?.stringValue
        let failure = DecodeFailure(.undeliverable, "the output could not be published to \(delivery.topic) (\(value.count) bytes): \(error.message)", eventType: type)
        let event = DeadLetter.event(failure: failure, value: value, key: delivery.key,
                                     origin: RecordOrigin(topic: self.configuration.withLock { $0.topics.conversations }, partition: delivery.partition.partition, offset: delivery.offset),
                                     maxOriginalBytes: deadLetterMaxBytes, now: clock())
        logger.error("output dead-lettered", metadata: [LogKey.partition: "\(delivery.partition.partition)", LogKey.offset: "\(delivery.offset)", "error": "\(error)"])
        statistics.withLock { $0.deadLetters += 1 }
        metrics.outputDeadLettered()
        let letter = OffsetTracker.Delivery(partition: delivery.partition, offset: delivery.offset, topic: deadLetterTopic, key: delivery.key,
                                            value: event.envelopeBytes(source: source))
        try await producer.send(topic: letter.topic, key: letter.key, value: letter.value, headers: headers, token: tracker.add(letter))
    }

    // MARK: - Global tables

    /// Reads `support.agents`, `support.handoffs` and `support.callbacks` in full, outside the group, for the queue view and slot bookings.
    private func readGlobalTables(topics: HandoffdConfiguration.Topics) async {
        metrics.globalViewCaughtUp(false)
        if faults.globalViewDelay > .zero { try? await Task.sleep(for: faults.globalViewDelay) }
        var reader: KafkaConsumer?
        while reader == nil && !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                reader = try KafkaConsumer(configuration: readerKafka, mode: .readAll(topics: [topics.agents, topics.handoffs, topics.callbacks]), logger: logger, bufferLimit: 5000)
            } catch {
                logger.warning("cannot read the global topics yet; retrying in 5 s", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(5))
            }
        }
        guard let reader else { return }
        let decoder = EventDecoder()
        // How long rebuilding the view from the whole retention takes: logged once the ends seen at the start are reached.
        let started = ContinuousClock.now
        // Not knowing the ends is not being at them: asked again until answered (readiness waits meanwhile).
        var behind: [TopicPartition: Int64] = [:]
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                behind = try await reader.endOffsets(timeout: .seconds(30))
                break
            } catch {
                logger.warning("cannot learn where the global topics end yet; retrying in 5 s", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(5))
            }
        }
        guard !Task.isCancelled && !Task.isShuttingDownGracefully else {
            await reader.close()
            return
        }
        var read = 0
        func caughtUp() {
            logger.info("global view caught up", metadata: ["records": "\(read)", "duration": "\(ContinuousClock.now - started)"])
            health.withLock { $0.globalViewCaughtUp = true }
            metrics.globalViewCaughtUp(true)
            metrics.globalViewRebuilt(seconds: (ContinuousClock.now - started).seconds)
        }
        if behind.isEmpty { caughtUp() }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                // Until caught up, a bounded wait: the end may be reached by a report, with no message to take.
                while let batch = behind.isEmpty ? await reader.nextBatch() : await reader.nextBatch(timeout: .milliseconds(200)),
                      !Task.isCancelled, !Task.isShuttingDownGracefully {
                    let applied = Timestamp.now.millisecondsSinceEpoch
                    if let oldest = batch.compactMap(\.timestamp).min() { globalView.noteDelay(milliseconds: applied - oldest) }
                    for message in batch {
                        if message.topic == topics.agents {
                            if case .agentStatus(let status) = decoder.decode(value: message.value, headers: message.headers, key: message.keyString) {
                                globalView.apply(agent: status)
                            }
                        } else if message.topic == topics.callbacks {
                            if let envelope = try? JSONParser.parse(message.value), let data = envelope["data"] {
                                globalView.apply(callbackEvent: envelope["type"]?.stringValue ?? "", data: data)
                            }
                        } else if case .object(_, let data?)? = try? JSONParser.parseDocument(message.value, nested: "data", keeping: QueueView.snapshotMembers) {
                            // A snapshot carries its summary and transcript too: only what the queue view reads is built.
                            globalView.apply(handoffSnapshot: data.object)
                        }
                    }
                    // Caught up only once the batch that reached the end is in the view: the start-up wait ends here.
                    if !behind.isEmpty {
                        read += batch.count
                        behind = reader.unreached(behind, after: batch)
                        if behind.isEmpty { caughtUp() }
                    }
                }
            } onCancel: {
                reader.stopDelivering()
            }
        } onGracefulShutdown: {
            reader.stopDelivering()
        }
        await reader.close()
    }
}

/// Lets the tracker reach the consumer, which is created after it.
private final class ConsumerBox: Sendable {
    private let stored = Mutex<KafkaConsumer?>(nil)
    var consumer: KafkaConsumer? {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }
}

extension KafkaConfiguration {
    /// Without consumer-only properties (librdkafka warns when a producer gets them) and group settings.
    public var forProducer: KafkaConfiguration {
        var configuration = self
        configuration.properties = properties.filter { !Self.consumerOnlyProperties.contains($0.key) && !$0.key.hasPrefix("group.") }
        return configuration
    }

    /// Properties that only mean something to a consumer.
    static let consumerOnlyProperties: Set<String> = [
        "session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms", "auto.offset.reset", "enable.auto.commit",
        "auto.commit.interval.ms", "enable.auto.offset.store", "partition.assignment.strategy", "isolation.level",
        "fetch.min.bytes", "fetch.max.bytes", "fetch.wait.max.ms", "queued.min.messages", "queued.max.messages.kbytes",
        "enable.partition.eof", "check.crcs", "allow.auto.create.topics",
    ]
}

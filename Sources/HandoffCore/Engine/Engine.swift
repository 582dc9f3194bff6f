/// Decodes records and drives each conversation's machine: everything between "bytes arrived" and
/// "these events must be published", with no I/O. `serve`, `replay` and `demo` all use it.
public struct Engine: Sendable {
    public var policy: EscalationPolicy
    public var decoder: EventDecoder
    /// How many bytes of a refused record its dead letter carries.
    public var deadLetterMaxBytes: Int
    /// Conversations with no event for this long are forgotten (milliseconds).
    public var idleTimeout: Int64
    public private(set) var conversations: [String: ConversationMachine] = [:]
    public private(set) var counters = Counters()
    /// The latest event time seen: replay's virtual clock.
    public private(set) var latestEventTime: Timestamp?
    /// Conversations changed since ``takeChanges()`` (their state must go to the changelog), and
    /// those forgotten (a tombstone must).
    private var touched: Set<String> = []
    private var forgotten: Set<String> = []
    /// Conversations whose handoff waits for an agent: what an estimate refresh visits, never a scan of all.
    private var waitingIDs: Set<String> = []
    /// Due times of every pending callback of this instance's conversations.
    public private(set) var timers = TimerQueue()
    /// Slots this instance booked, until the global log shows them (see ``CallbackBook``).
    public private(set) var ownBookings = CallbackBook()

    public init(policy: EscalationPolicy, limits: DecodingLimits = DecodingLimits(), deadLetterMaxBytes: Int = 64 * 1024, idleTimeout: Int64 = 24 * 3_600_000) {
        self.policy = policy
        decoder = EventDecoder(limits: limits)
        self.deadLetterMaxBytes = deadLetterMaxBytes
        self.idleTimeout = idleTimeout
    }

    /// What became of one record.
    public struct Result: Sendable {
        public var outputs: [OutputEvent] = []
        /// Valid events that changed nothing, with the reason (for the log).
        public var ignored: [String] = []
        public var unknownType: String?
        public var agentStatus: AgentStatus?
        /// A data-protection erase this record asked for (already applied to this engine's conversations).
        public var erase: CustomerErase?
        /// Conversations the erase removed.
        public var erased: [String] = []
        /// The decoded conversation event, when the record was one.
        public var event: ConversationEvent?
        /// The event had been applied before: it changed nothing and must not be counted again.
        public var isRedelivery = false
        public var conversationID: String? { event?.conversationID }
    }

    /// Processes one record.
    /// - Parameter now: the processing time; nil in replay, where the clock follows the events' `time`.
    /// - Parameter advisor: the queues as the global logs show them (waits, hours, callback slots).
    public mutating func process(value: [UInt8], headers: [(String, [UInt8])] = [], key: [UInt8]?, origin: RecordOrigin, now: Timestamp?,
                                 advisor: QueueAdvisor? = nil) -> Result {
        process(decoded: decoder.decode(value: value, headers: headers, keyBytes: key), value: value, key: key, origin: origin, now: now, advisor: advisor)
    }

    /// Applies one record decoded by ``decoder`` (decoding is pure: records may be decoded ahead, on other
    /// threads, and applied in order); `value` and `key` are the record's own (a dead letter keeps them).
    /// - Parameter analysis: the message's text analysed ahead, like the decoding (``MessageAnalysis``).
    public mutating func process(decoded outcome: EventDecoder.Outcome, analysis: MessageAnalysis? = nil, value: [UInt8], key: [UInt8]?,
                                 origin: RecordOrigin, now: Timestamp?, advisor: QueueAdvisor? = nil) -> Result {
        var result = Result()
        counters.records += 1
        switch outcome {
        case .rejected(let failure):
            counters.deadLetters[failure.code, default: 0] += 1
            let time = now ?? latestEventTime ?? Timestamp(millisecondsSinceEpoch: 0)
            result.outputs.append(DeadLetter.event(failure: failure, value: value, key: key, origin: origin, maxOriginalBytes: deadLetterMaxBytes, now: time))
        case .unknownType(let type):
            counters.unknownTypes[type, default: 0] += 1
            result.unknownType = type
        case .agentStatus(let status):
            counters.eventsByType[EventType.agentStatus, default: 0] += 1
            result.agentStatus = status
        case .customerErase(let erase):
            counters.eventsByType[EventType.customerErase, default: 0] += 1
            let time = now ?? latestEventTime ?? erase.time
            result.erase = erase
            let (erased, cancellations) = eraseCustomer(erase.customerID, now: time)
            result.erased = erased
            result.outputs = cancellations
            // The receipt: what this record erased, without the customer's id (it is personal data itself).
            result.outputs.append(OutputEvent(channel: .alerts, key: erase.id, id: "\(erase.id)/erased/\(origin.partition)", type: EventType.customerErased,
                                              subject: erase.id, time: time, data: .object([
                                                  "erase_id": .string(erase.id),
                                                  "partition": .number(Double(origin.partition)),
                                                  "conversations_erased": .number(Double(erased.count)),
                                                  "callbacks_cancelled": .number(Double(cancellations.count)),
                                              ])))
            for output in result.outputs { counters.outputsByType[output.type, default: 0] += 1 }
        case .conversation(let event):
            counters.eventsByType[event.payload.typeName, default: 0] += 1
            if latestEventTime.map({ event.time > $0 }) ?? true { latestEventTime = event.time }
            let time = now ?? latestEventTime!
            result.event = event
            // The machine is changed where it is stored (one look-up, no copy). Most records come with no
            // booking of this instance waiting to be merged: the advisor goes as it is.
            let id = event.conversationID
            let (applied, waiting, hasCallbacks) = if ownBookings.count > 0, let advisor {
                Self.apply(event, to: &conversations[id, default: ConversationMachine(conversationID: id)], offset: origin.offset,
                           policy: policy, now: time, advisor: withOwnBookings(advisor), analysis: analysis)
            } else {
                Self.apply(event, to: &conversations[id, default: ConversationMachine(conversationID: id)], offset: origin.offset,
                           policy: policy, now: time, advisor: advisor, analysis: analysis)
            }
            if waiting.before != waiting.after { noteWaiting(id, waiting.after) }
            guard case .applied(let actions) = applied else {
                // A record read again after a restart or rebalance, already reflected in restored state.
                if case .alreadyApplied(let last) = applied {
                    result.isRedelivery = true
                    result.ignored.append("record at offset \(origin.offset) was already applied (state restored up to \(last))")
                }
                return result
            }
            touched.insert(id)
            for action in actions {
                switch action {
                case .emit(let output):
                    result.outputs.append(output)
                    counters.outputsByType[output.type, default: 0] += 1
                case .ignored(let reason):
                    result.ignored.append(reason)
                case .redelivered:
                    result.isRedelivery = true
                    result.ignored.append("event \(event.id) was already applied (re-delivery)")
                }
            }
            if hasCallbacks || result.outputs.contains(where: { $0.channel == .callbacks }), let state = conversations[id]?.state {
                noteCallbacks(result.outputs, of: state)
            }
        }
        return result
    }

    private enum Applied {
        case applied([ConversationAction])
        case alreadyApplied(upTo: Int64)
    }

    /// One event on its conversation's machine, unless the machine has applied its record already.
    /// - Returns: what happened, whether the conversation's handoff waited for an agent before and does
    ///   after, and whether the conversation has pending callbacks.
    private static func apply(_ event: ConversationEvent, to machine: inout ConversationMachine, offset: Int64, policy: EscalationPolicy, now: Timestamp,
                              advisor: QueueAdvisor?, analysis: MessageAnalysis?) -> (Applied, waiting: (before: Bool, after: Bool), hasCallbacks: Bool) {
        let before = machine.isWaiting
        if let last = machine.state.lastOffset, offset <= last { return (.alreadyApplied(upTo: last), (before, before), false) }
        let actions = machine.handle(event, policy: policy, now: now, advisor: advisor, analysis: analysis)
        machine.noteApplied(offset: offset)
        return (.applied(actions), (before, machine.isWaiting), !machine.state.callbacks.isEmpty)
    }

    /// Forgets every conversation of a customer (matched by the customer id of its start event): their
    /// state is tombstoned with the next ``takeChanges()``, their pending callbacks cancelled.
    /// - Returns: the conversations erased, and the cancellations to publish.
    public mutating func eraseCustomer(_ customerID: String, now: Timestamp) -> (erased: [String], cancellations: [OutputEvent]) {
        let erased = conversations.filter { $0.value.state.customerID == customerID }.keys.sorted()
        var cancellations: [OutputEvent] = []
        for id in erased {
            guard var machine = conversations.removeValue(forKey: id) else { continue }
            waitingIDs.remove(id)
            cancellations += machine.cancelAllCallbacks(now: now)
            touched.remove(id)
            forgotten.insert(id)
        }
        for output in cancellations { ownBookings.apply(type: output.type, data: output.data) }
        return (erased, cancellations)
    }

    /// Stores a conversation's machine and keeps the set of waiting handoffs in step with it.
    private mutating func put(_ machine: consuming ConversationMachine, _ id: String) {
        noteWaiting(id, machine.isWaiting)
        conversations[id] = machine
    }

    private mutating func noteWaiting(_ id: String, _ waiting: Bool) {
        if waiting { waitingIDs.insert(id) } else { waitingIDs.remove(id) }
    }

    /// Drops own bookings the global log already shows (they count there now), so merging stays cheap.
    public mutating func settleBookings(with global: CallbackBook) {
        if ownBookings.count > 0 { ownBookings.removeKnown(to: global) }
    }

    private func withOwnBookings(_ advisor: QueueAdvisor) -> QueueAdvisor {
        var advisor = advisor
        advisor.book.merge(ownBookings)
        return advisor
    }

    /// Keeps this instance's bookings and the callback timers in step with what a conversation emitted.
    private mutating func noteCallbacks(_ outputs: [OutputEvent], of state: ConversationState) {
        for output in outputs where output.channel == .callbacks {
            ownBookings.apply(type: output.type, data: output.data)
        }
        for callback in state.callbacks {
            switch callback.status {
            case .scheduled:
                timers.arm(TimerQueue.Entry(due: callback.slot.start, conversationID: state.conversationID, key: callback.timerKey))
            case .due:
                for recheck in callback.rechecks {
                    timers.arm(TimerQueue.Entry(due: recheck.at, conversationID: state.conversationID, key: recheck.key))
                }
            }
        }
    }

    /// Fires the callbacks whose slot has come: `support.callback.due` for each (once per attempt; a
    /// timer whose callback changed meanwhile fires nothing).
    public mutating func fireDue(now: Timestamp) -> [OutputEvent] {
        guard let next = timers.next, next <= now else { return [] }
        var outputs: [OutputEvent] = []
        for entry in timers.popDue(now) {
            guard var machine = conversations[entry.conversationID] else { continue }
            let actions = entry.key.hasSuffix("/recheck1") || entry.key.hasSuffix("/recheck2")
                ? machine.callbackRecheck(timerKey: entry.key, now: now) : machine.callbackDue(timerKey: entry.key, now: now)
            for case .emit(let output) in actions {
                outputs.append(output)
                counters.outputsByType[output.type, default: 0] += 1
            }
            put(machine, entry.conversationID)
            noteCallbacks([], of: machine.state)
            touched.insert(entry.conversationID)
        }
        // Bookings of slots long gone limit nothing; the global log has them by now.
        ownBookings.prune(before: now.adding(milliseconds: -3_600_000))
        return outputs
    }

    /// Puts a model-written summary on a conversation's open handoff (see
    /// ``ConversationMachine/attachSummary(_:handoffID:published:now:)``).
    /// - Returns: what to publish (a `support.handoff.updated` when the handoff was published already),
    ///   or nil when the conversation or its handoff is gone or changed (the summary is stale).
    public mutating func attachSummary(_ summary: Summary, conversationID: String, handoffID: String, published: Bool, now: Timestamp) -> [OutputEvent]? {
        guard var machine = conversations[conversationID] else { return nil }
        var outputs: [OutputEvent] = []
        for action in machine.attachSummary(summary, handoffID: handoffID, published: published, now: now) {
            switch action {
            case .emit(let output):
                outputs.append(output)
                counters.outputsByType[output.type, default: 0] += 1
            case .ignored, .redelivered:
                return nil
            }
        }
        put(machine, conversationID)
        touched.insert(conversationID)
        return outputs
    }

    /// Re-estimates every waiting handoff of this instance and tells those whose estimate changed
    /// materially (``WaitEstimate/differsMaterially(from:)``) or was last told `maxSilence` ago or more.
    /// - Parameter held: conversations whose handoff is not published yet (left alone: revision 1 goes first).
    public mutating func refreshEstimates(now: Timestamp, maxSilence: Int64, advisor: QueueAdvisor, held: Set<String> = []) -> [OutputEvent] {
        var outputs: [OutputEvent] = []
        // In conversation order, so a replay gives the same bytes every time.
        for id in waitingIDs.subtracting(held).sorted() {
            guard var machine = conversations.removeValue(forKey: id) else { continue }
            defer { put(machine, id) }
            guard var handoff = machine.state.handoff else { continue }
            // Past the queue's target time: re-prioritised or overflowed first, then estimated where it is now.
            if handoff.targetMissedAt == nil, let target = advisor.targets[handoff.queue], now.milliseconds(since: handoff.createdAt) > target.wait {
                for case .emit(let output) in machine.missTarget(handoffID: handoff.id, overflowTo: target.overflowTo, now: now) {
                    outputs.append(output)
                    counters.outputsByType[output.type, default: 0] += 1
                }
                touched.insert(id)
                handoff = machine.state.handoff ?? handoff
            }
            let fresh = advisor.estimate(handoff, now: now)
            if let told = handoff.waitEstimate, !fresh.differsMaterially(from: told), now.milliseconds(since: told.estimatedAt) < maxSilence { continue }
            for case .emit(let output) in machine.updateEstimate(fresh, handoffID: handoff.id, now: now) {
                outputs.append(output)
                counters.outputsByType[output.type, default: 0] += 1
            }
            touched.insert(id)
        }
        return outputs
    }

    /// Forgets conversations idle for longer than ``idleTimeout`` and without an open handoff.
    /// - Returns: how many were forgotten.
    @discardableResult
    public mutating func evictIdle(now: Timestamp) -> Int {
        let before = conversations.count
        conversations = conversations.filter { id, machine in
            guard let last = machine.state.lastEventAt else { return true }
            let keep = machine.state.botPaused || !machine.state.callbacks.isEmpty || now.milliseconds(since: last) < idleTimeout
            if !keep { forgotten.insert(id) }
            return keep
        }
        waitingIDs = waitingIDs.filter { conversations[$0] != nil }
        return before - conversations.count
    }

    /// The conversations changed since the last call (with their state) and those forgotten: what the
    /// changelog must record.
    public mutating func takeChanges() -> (changed: [ConversationState], forgotten: [String]) {
        defer {
            touched.removeAll(keepingCapacity: true)
            forgotten.removeAll(keepingCapacity: true)
        }
        // A conversation forgotten and then started again has a state to store, not a tombstone; one
        // changed and then forgotten (evicted, erased) has a tombstone.
        return (touched.compactMap { conversations[$0]?.state }, forgotten.filter { conversations[$0] == nil })
    }

    /// Puts restored state in place (a partition assigned to this instance, read from the changelog).
    public mutating func restore(_ states: [ConversationState]) {
        for state in states {
            put(ConversationMachine(state: state), state.conversationID)
            // Pending callbacks come back with their conversation: their timers are armed here now.
            noteCallbacks([], of: state)
        }
    }

    /// Drops the state of conversations that another instance owns now.
    public mutating func forget(where belongsElsewhere: (String) -> Bool) {
        conversations = conversations.filter { !belongsElsewhere($0.key) }
        waitingIDs = waitingIDs.filter { conversations[$0] != nil }
    }

    public struct Counters: Sendable, Equatable {
        public var records = 0
        public var eventsByType: [String: Int] = [:]
        public var deadLetters: [DecodeFailure.Code: Int] = [:]
        public var unknownTypes: [String: Int] = [:]
        public var outputsByType: [String: Int] = [:]
        public init() {}
    }
}

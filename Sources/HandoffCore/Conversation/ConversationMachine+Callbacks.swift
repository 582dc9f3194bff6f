// MARK: - Callbacks: requested, scheduled, due, retried, failed, cancelled

extension ConversationMachine {
    /// The most callbacks one conversation may have pending at once.
    static let callbackLimit = 3

    /// The queue a callback of this conversation is made from: the one asked for, the open handoff's,
    /// else the routing's for what the conversation is about.
    func callbackQueue(_ asked: String?, context: Context) -> String {
        if let asked { return asked }
        if let handoff = state.handoff { return handoff.queue }
        let category = state.topics.category(sensitiveMinimum: context.policy.sensitiveTopic.minimumScore)
        return context.policy.routing.queue(for: category, language: state.language)
    }

    mutating func callbackRequested(_ request: ConversationEvent.CallbackRequest, context: Context) -> [ConversationAction] {
        guard let advisor = context.advisor else { return [.ignored("callback requested, but callbacks are not set up on this path")] }
        let id = PendingCallback.id(conversationID: state.conversationID, requestEventID: context.eventID)
        guard !state.callbacks.contains(where: { $0.id == id }) else { return [.ignored("callback \(id) is already pending")] }
        let queue = callbackQueue(request.queue, context: context)
        let language = Announcements.language(state.language)
        // A zone the database does not know is taken as UTC, for the calling hours and the times the callback states.
        let zone = advisor.zone(request.timeZone)
        let zoneName = zone == nil ? "UTC" : request.timeZone
        let callingZone = zone ?? advisor.zone("UTC")
        // A queue named by the frontend must be one the configuration has: a misspelt name is refused, not
        // booked where no agent will ever call (nor quietly moved to another team's queue).
        let known = request.queue.map { context.policy.routing.queues.contains($0) || advisor.knows(queue: $0) } ?? true
        guard known, state.callbacks.count < Self.callbackLimit,
              let slot = advisor.slots(queue: queue, after: context.now, windows: request.windows, customerZone: callingZone).first else {
            let reason = !known ? "unknown_queue" : state.callbacks.count >= Self.callbackLimit ? "too_many"
                : !request.windows.isEmpty && !request.windows.contains(where: { $0.end > context.now }) ? "windows_past"
                : advisor.outsideCallingHours(queue: queue, after: context.now, windows: request.windows, customerZone: callingZone) ? "outside_calling_hours"
                : "no_capacity"
            return [.emit(OutputEvent(channel: .directives, key: state.conversationID, id: "\(id)/unavailable", type: EventType.callbackUnavailable,
                                      subject: state.conversationID, time: context.now, data: .object([
                                          "conversation_id": .string(state.conversationID),
                                          "callback_id": .string(id),
                                          "queue": .string(queue),
                                          "reason": .string(reason),
                                          "text": .string(Announcements.callbackUnavailable(language, reason: reason, days: advisor.scheduler.horizonDays)),
                                          "language": .string(language),
                                      ])))]
        }
        let callback = PendingCallback(id: id, queue: queue, contactRef: request.contactRef, timeZone: zoneName, windows: request.windows,
                                       attempt: 1, slot: slot, status: .scheduled, requestedAt: context.now)
        state.callbacks.append(callback)
        state.calledBack = true
        return scheduledOutputs(callback, confirm: true, zone: zone, now: context.now)
    }

    mutating func callbackCancelled(_ callbackID: String?, now: Timestamp) -> [ConversationAction] {
        guard let index = callbackID.map({ id in state.callbacks.firstIndex { $0.id == id } }) ?? (state.callbacks.count == 1 ? 0 : nil) else {
            return [.ignored("callback cancelled, but \(callbackID ?? "no single callback") is pending for \(state.conversationID)")]
        }
        let callback = state.callbacks.remove(at: index)
        return [.emit(cancellation(callback, now: now))]
    }

    /// Withdraws every pending callback (the customer's data is being erased); each is announced on the callbacks topic.
    mutating func cancelAllCallbacks(now: Timestamp) -> [OutputEvent] {
        defer { state.callbacks.removeAll() }
        return state.callbacks.map { cancellation($0, now: now) }
    }

    private func cancellation(_ callback: PendingCallback, now: Timestamp) -> OutputEvent {
        OutputEvent(channel: .callbacks, key: state.conversationID, id: "\(callback.id)/cancelled/\(callback.attempt)", type: EventType.callbackCancelled,
                    subject: state.conversationID, time: now, data: callbackData(callback))
    }

    mutating func callbackCompleted(_ callbackID: String, attempt: Int?, outcome: ConversationEvent.CallbackOutcome, context: Context) -> [ConversationAction] {
        guard let index = state.callbacks.firstIndex(where: { $0.id == callbackID }) else {
            return [.ignored("callback \(callbackID) is not pending for \(state.conversationID)")]
        }
        var callback = state.callbacks[index]
        if let attempt, attempt != callback.attempt {
            return [.ignored("callback \(callbackID) reported for attempt \(attempt), but attempt \(callback.attempt) is pending")]
        }
        switch outcome {
        case .connected:
            state.callbacks.remove(at: index)
            return []
        case .failed:
            state.callbacks.remove(at: index)
            return [failed(callback, reason: "failed", now: context.now)]
        case .noAnswer, .busy:
            let settings = context.advisor?.callbacks ?? QueueAdvisor.CallbackSettings()
            guard callback.attempt < settings.maxAttempts, let advisor = context.advisor else {
                state.callbacks.remove(at: index)
                return [failed(callback, reason: "no_answer", now: context.now)]
            }
            // Backoff doubles per attempt; the next slot still has to be in business hours and the customer's windows (or calling hours).
            let after = context.now.adding(milliseconds: settings.retryAfter << (callback.attempt - 1))
            let from = after.adding(milliseconds: -advisor.scheduler.leadTime)
            let zone = advisor.zone(callback.timeZone)
            guard let slot = advisor.slots(queue: callback.queue, after: from, windows: callback.windows, customerZone: zone).first else {
                state.callbacks.remove(at: index)
                let reason = advisor.outsideCallingHours(queue: callback.queue, after: from, windows: callback.windows, customerZone: zone)
                    ? "outside_calling_hours" : "no_capacity"
                return [failed(callback, reason: reason, now: context.now)]
            }
            callback.attempt += 1
            callback.slot = slot
            callback.status = .scheduled
            state.callbacks[index] = callback
            return scheduledOutputs(callback, confirm: true, zone: advisor.zone(callback.timeZone), now: context.now)
        }
    }

    /// The slot of a scheduled callback has come: hand it to the dialer with the context the agent needs.
    /// - Returns: nothing when the callback is gone or is at another attempt (a stale timer).
    public mutating func callbackDue(timerKey: String, now: Timestamp) -> [ConversationAction] {
        guard let index = state.callbacks.firstIndex(where: { $0.timerKey == timerKey && $0.status == .scheduled }) else { return [] }
        state.callbacks[index].status = .due
        let callback = state.callbacks[index]
        var data = callbackData(callback)
        if case .object(var members) = data {
            if let handoff = state.handoff {
                members["handoff_id"] = .string(handoff.id)
                members["summary"] = handoff.summary.json
            } else {
                let category = state.topics.category(sensitiveMinimum: 0)
                members["summary"] = Self.summarizer.summarize(state: state, reasons: [], category: category, language: state.language).json
            }
            data = .object(members)
        }
        return [.emit(OutputEvent(channel: .callbacks, key: state.conversationID, id: "\(callback.id)/due/\(callback.attempt)", type: EventType.callbackDue,
                                  subject: state.conversationID, time: now, data: data))]
    }

    /// A callback handed to the dialer with no report by its recheck time: the due call may have been
    /// lost, so it is sent again (same id: a dialer that has it drops it); with still no report at the
    /// second recheck, the callback fails (`no_report`) instead of waiting for ever.
    public mutating func callbackRecheck(timerKey: String, now: Timestamp) -> [ConversationAction] {
        guard let cut = timerKey.lastIndex(of: "/") else { return [] }
        let base = String(timerKey[..<cut])
        let round = timerKey[timerKey.index(after: cut)...]
        guard let index = state.callbacks.firstIndex(where: { $0.timerKey == base && $0.status == .due }) else { return [] }
        if round == "recheck1" {
            guard !state.callbacks[index].resent else { return [] }
            state.callbacks[index].status = .scheduled
            let again = callbackDue(timerKey: base, now: now)
            state.callbacks[index].resent = true
            return again
        }
        let callback = state.callbacks.remove(at: index)
        return [failed(callback, reason: "no_report", now: now)]
    }

    private func scheduledOutputs(_ callback: PendingCallback, confirm: Bool, zone: (any ZoneRules)?, now: Timestamp) -> [ConversationAction] {
        var actions: [ConversationAction] = [
            .emit(OutputEvent(channel: .callbacks, key: state.conversationID, id: "\(callback.id)/scheduled/\(callback.attempt)", type: EventType.callbackScheduled,
                              subject: state.conversationID, time: now, data: callbackData(callback))),
        ]
        if confirm {
            let language = Announcements.language(state.language)
            let rules = zone ?? UTCRules()
            let start = LocalTime(callback.slot.start, in: rules)
            let end = LocalTime(callback.slot.end, in: rules)
            actions.append(.emit(OutputEvent(channel: .directives, key: state.conversationID, id: "\(callback.id)/confirmed/\(callback.attempt)",
                                             type: EventType.callbackConfirmed, subject: state.conversationID, time: now, data: .object([
                                                 "conversation_id": .string(state.conversationID),
                                                 "callback_id": .string(callback.id),
                                                 "attempt": .number(Double(callback.attempt)),
                                                 "slot_start": .string(callback.slot.start.rfc3339),
                                                 "slot_end": .string(callback.slot.end.rfc3339),
                                                 "time_zone": .string(callback.timeZone),
                                                 "local_date": .string(start.dateText),
                                                 "local_start": .string(start.clockText),
                                                 "local_end": .string(end.clockText),
                                                 "text": .string(Announcements.callbackConfirmed(language, date: start.dateText, from: start.clockText, to: end.clockText,
                                                                                                  zone: callback.timeZone, retry: callback.attempt > 1)),
                                                 "language": .string(language),
                                             ]))))
        }
        return actions
    }

    private func failed(_ callback: PendingCallback, reason: String, now: Timestamp) -> ConversationAction {
        var data = callbackData(callback)
        if case .object(var members) = data {
            members["reason"] = .string(reason)
            data = .object(members)
        }
        return .emit(OutputEvent(channel: .callbacks, key: state.conversationID, id: "\(callback.id)/failed", type: EventType.callbackFailed,
                                 subject: state.conversationID, time: now, data: data))
    }

    func callbackData(_ callback: PendingCallback) -> JSONValue {
        var members: [String: JSONValue] = [
            "callback_id": .string(callback.id),
            "conversation_id": .string(state.conversationID),
            "queue": .string(callback.queue),
            "attempt": .number(Double(callback.attempt)),
            "slot_start": .string(callback.slot.start.rfc3339),
            "slot_end": .string(callback.slot.end.rfc3339),
            "contact_ref": .string(callback.contactRef),
            "time_zone": .string(callback.timeZone),
        ]
        if let customer = state.customerID { members["customer_id"] = .string(customer) }
        return .object(members)
    }

    // MARK: - Proposing a callback

    /// The callback part of an announcement: when waiting makes little sense, the next free windows, in
    /// the customer's calling hours when the start event gave their time zone (UTC if the zone database
    /// lacks it, as for a request); without one, the queue's next slots.
    func callbackOffer(_ estimate: WaitEstimate?, queue: String, context: Context) -> [String: JSONValue] {
        guard let advisor = context.advisor, let estimate, advisor.suggestsCallback(estimate) else { return [:] }
        let customerZone = state.timeZone.flatMap { advisor.zone($0) ?? advisor.zone("UTC") }
        let windows = advisor.slots(queue: queue, after: context.now, customerZone: customerZone, count: advisor.callbacks.windowsOffered)
        guard !windows.isEmpty else { return [:] }
        return ["callback_windows": .array(windows.map { .object(["start": .string($0.start.rfc3339), "end": .string($0.end.rfc3339)]) })]
    }

    /// For an offer: the wait a handoff would have now, and the windows when it is long.
    func offerWindows(_ context: Context) -> [String: JSONValue] {
        guard let advisor = context.advisor else { return [:] }
        let category = resolveCategory(context)
        let queue = context.policy.routing.queue(for: category, language: state.language)
        let priority = context.policy.priority.priority(category: category, frustrated: true, tier: state.customerTier)
        let estimate = advisor.estimate(queue: queue, priority: priority, createdAt: context.now, handoffID: "offer", now: context.now)
        var members = callbackOffer(estimate, queue: queue, context: context)
        if let minutes = estimate.minutes { members["wait_minutes"] = .number(Double(minutes)) }
        return members
    }
}

/// UTC, for customers whose time zone is unknown.
struct UTCRules: ZoneRules {
    var identifier: String { "UTC" }
    func offset(at instant: Timestamp) -> Int { 0 }
}

/// The CloudEvents `type` names of the v1 contract (see `protocols/README.md`).
public enum EventType {
    public static let conversationStarted = "support.conversation.started"
    public static let customerMessage = "support.message.customer"
    public static let botMessage = "support.message.bot"
    public static let feedback = "support.feedback"
    public static let handoffRequested = "support.handoff.requested"
    public static let offerAnswered = "support.escalation.offer_answered"
    public static let handoffAbandoned = "support.handoff.abandoned"
    public static let conversationEnded = "support.conversation.ended"
    public static let handoffAccepted = "support.handoff.accepted"
    public static let handoffRequeued = "support.handoff.requeued"
    public static let handoffCompleted = "support.handoff.completed"
    public static let callbackRequested = "support.callback.requested"
    public static let callbackCancelled = "support.callback.cancelled"
    public static let callbackCompleted = "support.callback.completed"
    public static let callbackScheduled = "support.callback.scheduled"
    public static let callbackConfirmed = "support.callback.confirmed"
    public static let callbackUnavailable = "support.callback.unavailable"
    public static let callbackDue = "support.callback.due"
    public static let callbackFailed = "support.callback.failed"
    public static let agentStatus = "support.agent.status"
    public static let customerErase = "support.customer.erase"

    public static let handoffCreated = "support.handoff.created"
    public static let handoffUpdated = "support.handoff.updated"
    public static let escalationOffered = "support.escalation.offered"
    public static let handoffAnnounced = "support.handoff.announced"
    public static let botPaused = "support.bot.paused"
    public static let botResumed = "support.bot.resumed"
    public static let deadLetter = "support.deadletter"
    public static let qualityAlert = "support.quality.alert"
    public static let qualityResolved = "support.quality.resolved"
    public static let queueStats = "support.queue.stats"
    public static let customerErased = "support.customer.erased"

    /// The input types read from the conversations topic.
    public static let conversationInputs: Set<String> = [
        conversationStarted, customerMessage, botMessage, feedback, handoffRequested, offerAnswered,
        handoffAbandoned, conversationEnded, handoffAccepted, handoffRequeued, handoffCompleted,
        callbackRequested, callbackCancelled, callbackCompleted,
    ]
}

extension ConversationEvent.Payload {
    /// The CloudEvents `type` this payload arrives as.
    public var typeName: String {
        switch self {
        case .started: EventType.conversationStarted
        case .customerMessage: EventType.customerMessage
        case .botMessage: EventType.botMessage
        case .feedback: EventType.feedback
        case .handoffRequested: EventType.handoffRequested
        case .offerAnswered: EventType.offerAnswered
        case .handoffAbandoned: EventType.handoffAbandoned
        case .ended: EventType.conversationEnded
        case .handoffAccepted: EventType.handoffAccepted
        case .handoffRequeued: EventType.handoffRequeued
        case .handoffCompleted: EventType.handoffCompleted
        case .callbackRequested: EventType.callbackRequested
        case .callbackCancelled: EventType.callbackCancelled
        case .callbackCompleted: EventType.callbackCompleted
        }
    }
}

public import HandoffCore
import Synchronization

/// What every instance knows about all queues: agents' last status and the open handoffs,
/// rebuilt by reading `support.agents` and `support.handoffs` in full.
public final class GlobalView: Sendable {
    public struct OpenHandoff: Sendable, Equatable {
        public var handoffID: String
        public var conversationID: String
        public var queue: String
        public var status: String
        public var priority: Int
        public var revision: Int
    }

    private struct State: ~Copyable {
        var agents: [String: AgentStatus] = [:]
        var open: [String: OpenHandoff] = [:]
        var recordsRead = 0
    }

    private let state = Mutex(State())

    public init() {}

    public func apply(agent status: AgentStatus) {
        state.withLock { state in
            state.agents[status.agentID] = status
            state.recordsRead += 1
        }
    }

    /// Applies a `support.handoff.created`/`updated` snapshot; closed handoffs leave the view.
    public func apply(handoffSnapshot data: JSONValue) {
        guard case .string(let id)? = data["handoff_id"], case .string(let status)? = data["status"] else { return }
        let revision = data["revision"]?.intValue ?? 0
        state.withLock { state in
            state.recordsRead += 1
            if let known = state.open[id], known.revision > revision { return }
            guard status == "waiting" || status == "accepted" || status == "requeued" else {
                state.open.removeValue(forKey: id)
                return
            }
            let queue: String = if case .string(let queue)? = data["queue"] { queue } else { "" }
            let conversation: String = if case .string(let conversation)? = data["conversation_id"] { conversation } else { "" }
            let priority = data["priority"]?.intValue ?? 4
            state.open[id] = OpenHandoff(handoffID: id, conversationID: conversation, queue: queue, status: status, priority: priority, revision: revision)
        }
    }

    public var agents: [String: AgentStatus] { state.withLock { $0.agents } }
    public var openHandoffs: [String: OpenHandoff] { state.withLock { $0.open } }
    public var recordsRead: Int { state.withLock { $0.recordsRead } }
}

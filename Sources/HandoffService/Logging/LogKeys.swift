/// Logger metadata keys, in one place so logs stay searchable.
public enum LogKey {
    public static let conversation = "conversation_id"
    public static let handoff = "handoff_id"
    public static let topic = "topic"
    public static let partition = "partition"
    public static let offset = "offset"
    public static let eventType = "event_type"
    public static let reason = "reason"
    public static let policyVersion = "policy_version"
}

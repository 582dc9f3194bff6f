/// The triage category of an escalated conversation; decides its queue and base priority.
public enum Category: String, Sendable, CaseIterable, Comparable, Hashable {
    case billing, refund, warranty, complaint, legal, technical
    case orderStatus = "order_status"
    case account, other

    /// Topics the seed's rules always hand to a person.
    public var isSensitive: Bool {
        switch self {
        case .refund, .warranty, .complaint, .legal: true
        default: false
        }
    }

    /// Ties between equally strong topics go to the more sensitive one (legal first).
    var precedence: Int {
        switch self {
        case .legal: 0
        case .refund: 1
        case .warranty: 2
        case .complaint: 3
        case .billing: 4
        case .technical: 5
        case .orderStatus: 6
        case .account: 7
        case .other: 8
        }
    }

    public static func < (lhs: Category, rhs: Category) -> Bool { lhs.precedence < rhs.precedence }
}

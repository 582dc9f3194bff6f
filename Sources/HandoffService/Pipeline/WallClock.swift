import Foundation
public import HandoffCore

extension Timestamp {
    /// The wall clock, for `serve`.
    public static var now: Timestamp {
        Timestamp(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
    }
}

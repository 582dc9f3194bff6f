/// Stops asking an endpoint that keeps failing: after `threshold` consecutive failures the circuit
/// opens for `openFor`; then one request probes it (half-open), and its outcome closes or re-opens it.
/// A value type driven with explicit times, so its behaviour is tested without waiting.
public struct CircuitBreaker: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case closed(failures: Int)
        case open(until: ContinuousClock.Instant)
        case halfOpen
    }

    public private(set) var state: State = .closed(failures: 0)
    public var threshold: Int
    public var openFor: Duration

    public init(threshold: Int, openFor: Duration) {
        self.threshold = max(1, threshold)
        self.openFor = openFor
    }

    /// Whether a request may go out now; in half-open state only the first caller gets to probe.
    public mutating func allow(at now: ContinuousClock.Instant) -> Bool {
        switch state {
        case .closed:
            return true
        case .open(let until):
            guard now >= until else { return false }
            state = .halfOpen
            return true
        case .halfOpen:
            return false
        }
    }

    public mutating func succeeded() {
        state = .closed(failures: 0)
    }

    public mutating func failed(at now: ContinuousClock.Instant) {
        switch state {
        case .closed(let failures) where failures + 1 < threshold:
            state = .closed(failures: failures + 1)
        default:
            state = .open(until: now + openFor)
        }
    }

    public var isOpen: Bool {
        if case .closed = state { return false }
        return true
    }
}

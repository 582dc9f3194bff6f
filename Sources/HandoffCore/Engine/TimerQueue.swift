/// The instance's one timer structure: every pending callback's due time in a binary min-heap, so
/// tens of thousands pending cost a few bytes each and firing the next is O(log n). Entries are not
/// removed when a callback changes; a popped entry is checked against the conversation's state.
public struct TimerQueue: Sendable {
    public struct Entry: Sendable, Equatable {
        public var due: Timestamp
        public var conversationID: String
        /// ``PendingCallback/timerKey``: one firing per attempt.
        public var key: String
    }

    private var heap: [Entry] = []
    private var armed: Set<String> = []

    public init() {}

    public var count: Int { heap.count }
    public var next: Timestamp? { heap.first?.due }

    /// Arms a timer unless one with this key is armed already.
    public mutating func arm(_ entry: Entry) {
        guard armed.insert(entry.key).inserted else { return }
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].due < heap[parent].due else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Takes every entry due at or before `now`, earliest first.
    public mutating func popDue(_ now: Timestamp) -> [Entry] {
        var due: [Entry] = []
        while let first = heap.first, first.due <= now {
            due.append(first)
            armed.remove(first.key)
            let last = heap.removeLast()
            guard !heap.isEmpty else { break }
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < heap.count && heap[left].due < heap[smallest].due { smallest = left }
                if right < heap.count && heap[right].due < heap[smallest].due { smallest = right }
                guard smallest != parent else { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return due
    }
}

import Kafka
import Testing
@testable import HandoffService

@Suite("Changelog window")
struct ChangelogWindowTests {
    let zero = TopicPartition(topic: "support.conversations", partition: 0)
    let one = TopicPartition(topic: "support.conversations", partition: 1)
    let start = ContinuousClock.now

    func offsets(_ records: [(record: ChangelogWindow.Record, epoch: UInt64)]) -> [Int64] { records.map(\.record.offset) }

    @Test("each conversation's state is tracked under the last record that changed it; every record finishes at the end, in order")
    func coalesces() {
        var window = ChangelogWindow(now: start)
        window.add((zero, 1), epoch: 0, changed: "a")
        window.add((zero, 2), epoch: 0, changed: "b")
        window.add((zero, 3), epoch: 0, changed: "a")
        window.add((zero, 4), epoch: 0, changed: nil)
        #expect(window.lastRecordOf["a"]?.offset == 3)
        #expect(window.lastRecordOf["b"]?.offset == 2)
        #expect(window.anchor?.offset == 4)
        #expect(offsets(window.end(keeping: [], now: start)) == [1, 2, 3, 4])
        #expect(window.records.isEmpty && window.lastRecordOf.isEmpty && window.carried.isEmpty && window.anchor == nil)
    }

    @Test("a conversation kept out of the write keeps its records unfinished, and is written at the next end")
    func keptConversation() {
        var window = ChangelogWindow(now: start)
        window.add((zero, 1), epoch: 0, changed: "held")
        window.add((zero, 2), epoch: 0, changed: "other")
        window.add((zero, 3), epoch: 0, changed: "held")
        #expect(offsets(window.end(keeping: ["held"], now: start)) == [2])
        #expect(window.carried == ["held"])
        #expect(window.lastRecordOf["held"]?.offset == 3, "its state goes under a record that is still unfinished")
        window.add((zero, 4), epoch: 0, changed: "other")
        #expect(offsets(window.end(keeping: [], now: start)) == [1, 3, 4])
        #expect(window.carried.isEmpty)
    }

    @Test("a kept conversation without records in the window is not carried (its held record stores it)")
    func keptWithoutRecords() {
        var window = ChangelogWindow(now: start)
        window.add((zero, 1), epoch: 0, changed: "other")
        #expect(offsets(window.end(keeping: ["held"], now: start)) == [1])
        #expect(window.carried.isEmpty)
    }

    @Test("each record finishes with the epoch it was begun in")
    func epochs() {
        var window = ChangelogWindow(now: start)
        window.add((zero, 1), epoch: 3, changed: "a")
        window.add((one, 1), epoch: 7, changed: "b")
        #expect(window.end(keeping: [], now: start).map { "\($0.record.partition.partition):\($0.record.offset)@\($0.epoch)" } == ["0:1@3", "1:1@7"])
    }

    @Test("due after the interval, or once it holds the record limit; a zero interval ends every round")
    func due() {
        var window = ChangelogWindow(now: start)
        #expect(!window.isDue(now: start + .milliseconds(999), interval: .seconds(1), recordLimit: 3))
        #expect(window.isDue(now: start + .seconds(1), interval: .seconds(1), recordLimit: 3))
        #expect(window.isDue(now: start, interval: .zero, recordLimit: 3))
        for offset in Int64(0)..<3 { window.add((zero, offset), epoch: 0, changed: nil) }
        #expect(window.isDue(now: start, interval: .seconds(1), recordLimit: 3))
        _ = window.end(keeping: [], now: start + .seconds(5))
        #expect(!window.isDue(now: start + .seconds(5), interval: .seconds(1), recordLimit: 3), "the interval counts from the last end")
    }
}

import Kafka
import Synchronization
import Testing
@testable import HandoffService

@Suite("Offset tracking")
struct OffsetTrackerTests {
    final class Stored: Sendable {
        let offsets = Mutex<[Int64]>([])
        var last: Int64? { offsets.withLock { $0.last } }
        var all: [Int64] { offsets.withLock { $0 } }
    }

    let partition = TopicPartition(topic: "t", partition: 0)

    func make() -> (OffsetTracker, Stored) {
        let stored = Stored()
        return (OffsetTracker { _, next in stored.offsets.withLock { $0.append(next) } }, stored)
    }

    func delivery(_ offset: Int64) -> OffsetTracker.Delivery {
        OffsetTracker.Delivery(partition: partition, offset: offset, topic: "out", key: nil, value: [])
    }

    @Test("a record with no outputs is done when processed; one with outputs when every output is acknowledged")
    func outputsHoldTheOffset() {
        let (tracker, stored) = make()
        tracker.begin(partition, 10)
        tracker.finish(partition, 10)
        #expect(stored.last == 11)
        tracker.begin(partition, 11)
        let first = tracker.add(delivery(11))
        let second = tracker.add(delivery(11))
        tracker.finish(partition, 11)
        tracker.delivered(token: first, error: nil)
        #expect(stored.last == 11, "one output of 11 is still in flight")
        tracker.delivered(token: second, error: nil)
        #expect(stored.last == 12)
        #expect(tracker.outstanding == 0)
    }

    @Test("a later record finishing first does not move the offset past an earlier one")
    func inOrder() {
        let (tracker, stored) = make()
        tracker.begin(partition, 1)
        let slow = tracker.add(delivery(1))
        tracker.finish(partition, 1)
        tracker.begin(partition, 2)
        tracker.finish(partition, 2)
        #expect(stored.all.isEmpty)
        tracker.delivered(token: slow, error: nil)
        #expect(stored.all == [3])
    }

    @Test("a failed delivery keeps its record uncommitted until the retry is acknowledged")
    func failedDelivery() {
        let (tracker, stored) = make()
        tracker.begin(partition, 5)
        let token = tracker.add(delivery(5))
        tracker.finish(partition, 5)
        tracker.delivered(token: token, error: KafkaError(code: .librdkafka, message: "timed out", isRetriable: true))
        #expect(stored.all.isEmpty)
        let failed = tracker.takeFailed()
        #expect(failed.count == 1 && failed[0].failures == 1)
        let retry = tracker.retry(failed[0])
        tracker.delivered(token: retry, error: nil)
        #expect(stored.all == [6])
    }

    @Test("an output with no record holds no offset, and a failed delivery of it is sent again, also across a revocation")
    func untrackedFailure() {
        let (tracker, stored) = make()
        tracker.begin(partition, 7)
        let update = tracker.add(.untracked(topic: "out", key: Array("conv".utf8), value: Array("summary".utf8)))
        tracker.finish(partition, 7)
        #expect(stored.all == [8], "the record does not wait for an output it did not make")
        tracker.drop([partition])
        tracker.delivered(token: update, error: KafkaError(code: .librdkafka, message: "timed out", isRetriable: true))
        let failed = tracker.takeFailed()
        #expect(failed.count == 1 && !failed[0].isTracked && failed[0].value == Array("summary".utf8))
        tracker.delivered(token: tracker.retry(failed[0]), error: nil)
        #expect(tracker.takeFailed().isEmpty && tracker.outstanding == 0 && stored.all == [8])
    }

    @Test("after a partition is dropped, a late acknowledgement does not count for the record read again")
    func staleTokens() {
        let (tracker, stored) = make()
        tracker.begin(partition, 7)
        let stale = tracker.add(delivery(7))
        tracker.finish(partition, 7)
        tracker.drop([partition])
        #expect(tracker.outstanding == 0)
        // The partition comes back and record 7 is processed again.
        tracker.begin(partition, 7)
        let fresh = tracker.add(delivery(7))
        tracker.finish(partition, 7)
        tracker.delivered(token: stale, error: nil)
        #expect(stored.all.isEmpty, "the old output's acknowledgement is not the new one's")
        tracker.delivered(token: fresh, error: nil)
        #expect(stored.all == [8])
    }

    @Test("a record begun before its partition was dropped cannot finish the same offset begun after it")
    func staleFinish() {
        let (tracker, stored) = make()
        let before = tracker.begin(partition, 3)
        tracker.drop([partition])
        // Assigned again: record 3 is read again and its output is still in flight.
        let after = tracker.begin(partition, 3)
        #expect(before != after)
        let output = tracker.add(delivery(3))
        tracker.finish(partition, 3, epoch: before)
        tracker.finish(partition, 3, epoch: after)
        #expect(stored.all.isEmpty, "the stale finish did not release the record; its output is still in flight")
        #expect(tracker.outstanding == 1)
        tracker.delivered(token: output, error: nil)
        #expect(stored.all == [4])
        #expect(tracker.outstanding == 0)
    }

    @Test("an output registered under a record no longer held neither holds nor releases anything")
    func addAfterFinish() {
        let (tracker, stored) = make()
        tracker.begin(partition, 1)
        tracker.finish(partition, 1)
        #expect(stored.all == [2])
        let late = tracker.add(delivery(1))
        #expect(tracker.outstanding == 0)
        tracker.begin(partition, 2)
        tracker.delivered(token: late, error: nil)
        #expect(tracker.outstanding == 1, "record 2 is still held")
        tracker.finish(partition, 2)
        #expect(stored.all == [2, 3])
        #expect(tracker.outstanding == 0)
    }
}

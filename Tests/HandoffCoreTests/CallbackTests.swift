import Foundation
import Testing
@testable import HandoffCore

/// The system time-zone database, as the service supplies it.
struct SystemZone: ZoneRules {
    let zone: TimeZone
    init(_ name: String) { zone = TimeZone(identifier: name)! }
    var identifier: String { zone.identifier }
    func offset(at instant: Timestamp) -> Int { zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant.millisecondsSinceEpoch) / 1000)) }
}

@Suite("Callbacks: business hours, slots, time zones, retries")
struct CallbackTests {
    static let berlin = SystemZone("Europe/Berlin")
    static let newYork = SystemZone("America/New_York")
    static let weekdays: [Int: [Range<Int>]] = Dictionary(uniqueKeysWithValues: (1...5).map { ($0, [9 * 3600..<17 * 3600]) })

    static func t(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }

    @Test("wall-clock times across daylight saving: 09:00 stays 09:00, a time in the gap is pushed forward, the overlap takes the earlier")
    func localTimes() {
        #expect(LocalTime(year: 2026, month: 3, day: 27, secondOfDay: 9 * 3600).instant(in: Self.berlin) == Self.t("2026-03-27T08:00:00Z"))
        #expect(LocalTime(year: 2026, month: 3, day: 30, secondOfDay: 9 * 3600).instant(in: Self.berlin) == Self.t("2026-03-30T07:00:00Z"))
        #expect(LocalTime(year: 2026, month: 3, day: 29, secondOfDay: 2 * 3600 + 1800).instant(in: Self.berlin) == Self.t("2026-03-29T01:30:00Z"), "02:30 does not exist: 03:30 CEST")
        #expect(LocalTime(year: 2026, month: 10, day: 25, secondOfDay: 2 * 3600 + 1800).instant(in: Self.berlin) == Self.t("2026-10-25T00:30:00Z"), "02:30 twice: the first")
        let local = LocalTime(Self.t("2026-03-30T07:00:00Z"), in: Self.berlin)
        #expect(local.dateText == "2026-03-30" && local.clockText == "09:00" && local.weekday == 1)
    }

    @Test("opening hours: weekdays 09–17 in Berlin, holidays closed, right across the spring-forward weekend")
    func openings() {
        let hours = BusinessHours(weekly: Self.weekdays, holidays: ["2026-04-03"], zone: Self.berlin)
        let openings = hours.openings(from: Self.t("2026-03-27T10:00:00Z"), days: 8)
        #expect(openings.map(\.start) == [Self.t("2026-03-27T08:00:00Z"), Self.t("2026-03-30T07:00:00Z"), Self.t("2026-03-31T07:00:00Z"),
                                          Self.t("2026-04-01T07:00:00Z"), Self.t("2026-04-02T07:00:00Z")], "Good Friday (2026-04-03) closed")
        #expect(hours.isOpen(at: Self.t("2026-03-30T07:30:00Z")))
        #expect(!hours.isOpen(at: Self.t("2026-03-28T10:00:00Z")), "Saturday")
        #expect(BusinessHours.parseRanges("09:00-12:00, 13:00-17:30") == [9 * 3600..<12 * 3600, 13 * 3600..<(17 * 3600 + 1800)])
        #expect(BusinessHours.parseRanges("17:00-09:00") == nil)
    }

    @Test("the earliest free slot: after the lead time, inside hours, inside the customer's window in their own zone, with room")
    func slots() {
        let plan = CallbackPlan(hours: BusinessHours(weekly: Self.weekdays, zone: Self.berlin), slotLength: 30 * 60_000, capacity: 2)
        let scheduler = CallbackScheduler()
        let now = Self.t("2026-03-27T15:50:00Z") // Friday 16:50 in Berlin
        let next = scheduler.slots(plan: plan, after: now, windows: [], booked: { _ in 0 })
        #expect(next == [CallbackSlot(start: Self.t("2026-03-30T07:00:00Z"), end: Self.t("2026-03-30T07:30:00Z"))], "Monday 09:00 CEST, after the clocks changed")
        // A New Yorker's 10:00–11:00 on Monday is 14:00–15:00Z: 16:00–17:00 in Berlin.
        let window = CallbackSlot(start: LocalTime(year: 2026, month: 3, day: 30, secondOfDay: 10 * 3600).instant(in: Self.newYork),
                                  end: LocalTime(year: 2026, month: 3, day: 30, secondOfDay: 11 * 3600).instant(in: Self.newYork))
        let inWindow = scheduler.slots(plan: plan, after: now, windows: [window], booked: { _ in 0 }, count: 3)
        #expect(inWindow.map(\.start) == [Self.t("2026-03-30T14:00:00Z"), Self.t("2026-03-30T14:30:00Z")], "the 17:00 close ends it")
        let full = scheduler.slots(plan: plan, after: now, windows: [window], booked: { $0 == Self.t("2026-03-30T14:00:00Z") ? 2 : 0 })
        #expect(full.map(\.start) == [Self.t("2026-03-30T14:30:00Z")], "a full slot is skipped")
        #expect(scheduler.slots(plan: plan, after: now, windows: [], booked: { _ in 2 }).isEmpty, "no capacity for 14 days: nothing")
        #expect(scheduler.slots(plan: plan, after: now, windows: [CallbackSlot(start: Self.t("2026-03-26T10:00:00Z"), end: Self.t("2026-03-26T11:00:00Z"))],
                                booked: { _ in 0 }).isEmpty, "a window in the past")
    }

    static func advisor() -> QueueAdvisor {
        var advisor = QueueAdvisor(plans: ["billing": CallbackPlan(hours: BusinessHours(weekly: weekdays, zone: berlin), capacity: 1)],
                                   zone: { name in TimeZone(identifier: name).map { _ in SystemZone(name) } })
        advisor.callbacks.maxAttempts = 3
        advisor.callbacks.retryAfter = 15 * 60_000
        return advisor
    }

    static func line(_ n: Int, _ type: String, _ time: String, _ data: [String: JSONValue], conversation: String = "cb-conv") -> [UInt8] {
        var members = data
        members["conversation_id"] = .string(conversation)
        return JSONWriter.bytes(.object(["specversion": .string("1.0"), "id": .string("e\(n)"), "source": .string("t"), "type": .string(type),
                                         "time": .string(time), "subject": .string(conversation), "data": .object(members)]))
    }

    @Test("requested → scheduled and confirmed in the customer's time; due at the slot with context; no answer twice → retried later; third → failed")
    func lifecycle() throws {
        var engine = Engine(policy: EscalationPolicy())
        var advisor = Self.advisor()
        // Any time of the customer's day, to follow the queue's hours alone (calling hours: `callingHours` below).
        advisor.callbacks.customerHours = [0..<86_400]
        func process(_ n: Int, _ type: String, _ time: String, _ data: [String: JSONValue]) -> [OutputEvent] {
            engine.process(value: Self.line(n, type, time, data), key: nil, origin: RecordOrigin(topic: "t", partition: 0, offset: Int64(n)), now: nil, advisor: advisor).outputs
        }
        _ = process(1, EventType.conversationStarted, "2026-03-27T15:40:00Z", ["customer_id": .string("c"), "channel": .string("web"), "locale": .string("de-DE")])
        _ = process(2, EventType.customerMessage, "2026-03-27T15:45:00Z", ["message_id": .string("m1"), "text": .string("Meine Rechnung RE-2024-1 ist doppelt abgebucht")])
        let requested = process(3, EventType.callbackRequested, "2026-03-27T15:50:00Z", [
            "contact_ref": .string("crm:4711"), "time_zone": .string("America/New_York"), "queue": .string("billing"),
        ])
        #expect(requested.map(\.type) == [EventType.callbackScheduled, EventType.callbackConfirmed])
        let confirmed = requested[1].data
        #expect(confirmed["local_date"]?.stringValue == "2026-03-30" && confirmed["local_start"]?.stringValue == "03:00", "09:00 Berlin is 03:00 in New York")
        #expect(confirmed["text"]?.stringValue?.contains("America/New_York") == true)
        let callbackID = try #require(requested[0].data["callback_id"]?.stringValue)
        #expect(engine.timers.count == 1)

        #expect(engine.fireDue(now: Self.t("2026-03-30T06:59:59Z")).isEmpty)
        let due = engine.fireDue(now: Self.t("2026-03-30T07:00:00Z"))
        #expect(due.map(\.type) == [EventType.callbackDue])
        #expect(due.first?.id == "\(callbackID)/due/1")
        #expect(due.first?.data["summary"]?["key_facts"]?.arrayValue?.isEmpty == false, "the agent calling back gets the context")
        #expect(engine.fireDue(now: Self.t("2026-03-30T07:45:00Z")).isEmpty, "once per attempt")

        let retried = process(4, EventType.callbackCompleted, "2026-03-30T07:10:00Z", ["callback_id": .string(callbackID), "attempt": .number(1), "outcome": .string("no_answer")])
        #expect(retried.map(\.type) == [EventType.callbackScheduled, EventType.callbackConfirmed])
        #expect(retried[0].data["attempt"]?.intValue == 2)
        let second = try #require(retried[0].data["slot_start"]?.stringValue.flatMap(Timestamp.init(rfc3339:)))
        #expect(second >= Self.t("2026-03-30T07:25:00Z"), "15 minutes later at the earliest")
        _ = engine.fireDue(now: second)
        let third = process(5, EventType.callbackCompleted, "2026-03-30T08:00:00Z", ["callback_id": .string(callbackID), "outcome": .string("busy")])
        let thirdStart = try #require(third.first?.data["slot_start"]?.stringValue.flatMap(Timestamp.init(rfc3339:)))
        #expect(thirdStart >= Self.t("2026-03-30T08:30:00Z"), "30 minutes: the backoff doubles")
        _ = engine.fireDue(now: thirdStart)
        let failed = process(6, EventType.callbackCompleted, "2026-03-30T09:00:00Z", ["callback_id": .string(callbackID), "outcome": .string("no_answer")])
        #expect(failed.map(\.type) == [EventType.callbackFailed])
        #expect(failed.first?.data["reason"]?.stringValue == "no_answer")
        #expect(engine.conversations["cb-conv"]?.state.callbacks.isEmpty == true)
    }

    @Test("a customer who names no windows is called in their own daytime; windows they name are kept, even at night")
    func callingHours() throws {
        var advisor = Self.advisor()
        advisor.plans["general"] = CallbackPlan(hours: nil)
        var engine = Engine(policy: EscalationPolicy())
        var offset: Int64 = 0
        func request(_ time: String, zone: String, queue: String = "billing", windows: [(String, String)] = []) -> JSONValue {
            offset += 1
            var data: [String: JSONValue] = ["contact_ref": .string("crm:\(offset)"), "time_zone": .string(zone), "queue": .string(queue)]
            if !windows.isEmpty { data["windows"] = .array(windows.map { .object(["start": .string($0.0), "end": .string($0.1)]) }) }
            // A conversation each: one may have only three callbacks pending.
            let outputs = engine.process(value: Self.line(Int(offset), EventType.callbackRequested, time, data, conversation: "hours-\(offset)"), key: nil,
                                         origin: RecordOrigin(topic: "t", partition: 0, offset: offset), now: nil, advisor: advisor).outputs
            return (outputs.first { $0.type == EventType.callbackConfirmed } ?? outputs.first)?.data ?? .null
        }
        // Billing opens Monday 09:00 Berlin (07:00 UTC): 03:00 in New York, 16:00 in Tokyo.
        let newYork = request("2026-03-27T15:50:00Z", zone: "America/New_York")
        #expect(newYork["local_date"]?.stringValue == "2026-03-30" && newYork["local_start"]?.stringValue == "08:00",
                "not at 03:00: at 08:00 New York (12:00 UTC), still inside billing's hours")
        let tokyo = request("2026-03-27T15:51:00Z", zone: "Asia/Tokyo")
        #expect(tokyo["local_date"]?.stringValue == "2026-03-30" && tokyo["local_start"]?.stringValue == "16:00", "billing's opening is daytime in Tokyo")
        let night = request("2026-03-27T15:52:00Z", zone: "America/New_York", windows: [("2026-03-30T07:00:00Z", "2026-03-30T08:00:00Z")])
        #expect(night["local_start"]?.stringValue == "03:30", "a window the customer names is theirs to choose (07:00 UTC is Tokyo's: capacity 1)")
        // Billing's hours end (15:00 UTC) when a Los Angeles customer's day begins: no slot inside their
        // calling hours in 14 days. Said as such, not as a full queue: the customer may name windows.
        let losAngeles = request("2026-03-27T15:53:00Z", zone: "America/Los_Angeles")
        #expect(losAngeles["reason"]?.stringValue == "outside_calling_hours")
        #expect(losAngeles["text"]?.stringValue?.contains("Tell us times that suit you") == true)
        let named = request("2026-03-27T15:53:30Z", zone: "America/Los_Angeles", windows: [("2026-03-30T14:00:00Z", "2026-03-30T15:00:00Z")])
        #expect(named["local_start"]?.stringValue == "07:00", "with a window of their own, 07:00 in Los Angeles")
        // Configured to any time, the first free slot is the queue's opening again.
        advisor.callbacks.customerHours = [0..<86_400]
        #expect(request("2026-03-27T15:54:00Z", zone: "America/New_York")["local_start"]?.stringValue == "04:00", "07:00 and 07:30 UTC are booked above")
        advisor.callbacks.customerHours = [8 * 3600..<20 * 3600]

        // A zone the database lacks counts as UTC, for the calling hours too: asked for at 23:00 UTC on a
        // queue open around the clock, the call waits for 08:00 UTC.
        let unknownZone = request("2026-03-30T23:00:00Z", zone: "Mars/Olympus_Mons", queue: "general")
        #expect(unknownZone["time_zone"]?.stringValue == "UTC" && unknownZone["local_date"]?.stringValue == "2026-03-31"
                && unknownZone["local_start"]?.stringValue == "08:00")

        // A queue open around the clock: asked for at 19:00 in New York, the call comes at 19:30, and a
        // retry after no answer waits for the next morning instead of ringing at night.
        let evening = request("2026-03-30T23:00:00Z", zone: "America/New_York", queue: "general")
        #expect(evening["local_start"]?.stringValue == "19:30")
        let callbackID = try #require(evening["callback_id"])
        let retried = engine.process(value: Self.line(99, EventType.callbackCompleted, "2026-03-30T23:35:00Z", ["callback_id": callbackID, "outcome": .string("no_answer")],
                                                      conversation: "hours-\(offset)"),
                                     key: nil, origin: RecordOrigin(topic: "t", partition: 0, offset: 99), now: nil, advisor: advisor).outputs
        let next = try #require(retried.first { $0.type == EventType.callbackConfirmed }?.data)
        #expect(next["local_date"]?.stringValue == "2026-03-31" && next["local_start"]?.stringValue == "08:00")

    }

    @Test("a cancelled callback releases its slot and never fires; a full queue says so instead of swallowing the request")
    func cancellationAndCapacity() throws {
        var engine = Engine(policy: EscalationPolicy())
        var advisor = Self.advisor()
        _ = engine.process(value: Self.line(1, EventType.conversationStarted, "2026-03-27T15:40:00Z", ["customer_id": .string("c"), "channel": .string("web"), "locale": .string("en-GB")]),
                           key: nil, origin: RecordOrigin(topic: "t", partition: 0, offset: 1), now: nil, advisor: advisor)
        let request: [String: JSONValue] = ["contact_ref": .string("crm:1"), "time_zone": .string("Europe/London"), "queue": .string("billing")]
        let first = engine.process(value: Self.line(2, EventType.callbackRequested, "2026-03-27T15:50:00Z", request), key: nil,
                                   origin: RecordOrigin(topic: "t", partition: 0, offset: 2), now: nil, advisor: advisor).outputs
        let second = engine.process(value: Self.line(3, EventType.callbackRequested, "2026-03-27T15:51:00Z", request), key: nil,
                                    origin: RecordOrigin(topic: "t", partition: 0, offset: 3), now: nil, advisor: advisor).outputs
        #expect(first[0].data["slot_start"] != second[0].data["slot_start"], "capacity 1: this instance's own booking counts at once")
        let cancelled = engine.process(value: Self.line(4, EventType.callbackCancelled, "2026-03-27T16:00:00Z", ["callback_id": first[0].data["callback_id"]!]), key: nil,
                                       origin: RecordOrigin(topic: "t", partition: 0, offset: 4), now: nil, advisor: advisor).outputs
        #expect(cancelled.map(\.type) == [EventType.callbackCancelled])
        let fired = engine.fireDue(now: Self.t("2026-04-01T00:00:00Z"))
        #expect(fired.count == 1 && fired.first?.data["callback_id"] == second[0].data["callback_id"], "only the one not cancelled")

        advisor.scheduler.horizonDays = 1
        advisor.plans["billing"] = CallbackPlan(hours: BusinessHours(weekly: [7: [9 * 3600..<10 * 3600]], zone: Self.berlin), capacity: 1)
        let none = engine.process(value: Self.line(5, EventType.callbackRequested, "2026-03-27T15:55:00Z", request), key: nil,
                                  origin: RecordOrigin(topic: "t", partition: 0, offset: 5), now: nil, advisor: advisor).outputs
        #expect(none.map(\.type) == [EventType.callbackUnavailable])
        #expect(none.first?.data["reason"]?.stringValue == "no_capacity")
    }

    @Test("pending callbacks survive the changelog: restored elsewhere, they fire once, from the new owner")
    func durable() throws {
        var engine = Engine(policy: EscalationPolicy())
        let advisor = Self.advisor()
        _ = engine.process(value: Self.line(1, EventType.callbackRequested, "2026-03-27T15:50:00Z", [
            "contact_ref": .string("crm:9"), "time_zone": .string("Europe/Berlin"), "queue": .string("billing"),
        ]), key: nil, origin: RecordOrigin(topic: "t", partition: 0, offset: 1), now: nil, advisor: advisor)
        let stored = try #require(engine.takeChanges().changed.first)
        let restored = try ConversationState(storageJSON: try JSONParser.parse(stored.storageBytes))
        #expect(restored.callbacks == stored.callbacks)
        var successor = Engine(policy: EscalationPolicy())
        successor.restore([restored])
        #expect(successor.fireDue(now: Self.t("2026-03-30T07:00:00Z")).map(\.type) == [EventType.callbackDue])
        #expect(successor.fireDue(now: Self.t("2026-03-30T07:00:00Z")).isEmpty)
    }

    @Test("a long wait or a closed queue: the announcement proposes callback windows")
    func proposals() throws {
        var advisor = Self.advisor()
        advisor.plans["general"] = CallbackPlan(hours: BusinessHours(weekly: Self.weekdays, zone: Self.berlin))
        var engine = Engine(policy: EscalationPolicy())
        for (n, type, data) in [(1, EventType.conversationStarted, ["customer_id": JSONValue.string("c"), "channel": .string("web"), "locale": .string("en-GB")]),
                                (2, EventType.customerMessage, ["message_id": .string("m1"), "text": .string("I want to speak to a person")])] {
            let outputs = engine.process(value: Self.line(n, type, "2026-03-28T10:00:00Z", data), key: nil, origin: RecordOrigin(topic: "t", partition: 0, offset: Int64(n)),
                                         now: nil, advisor: advisor).outputs
            guard let announced = outputs.first(where: { $0.type == EventType.handoffAnnounced }) else { continue }
            #expect(announced.data["text"]?.stringValue?.contains("Nobody from the team is available") == true, "Saturday: closed")
            #expect(announced.data["callback_windows"]?.arrayValue?.first?["start"]?.stringValue == "2026-03-30T07:00:00.000Z")
            let created = try #require(outputs.first { $0.type == EventType.handoffCreated })
            #expect(created.data["wait_estimate"]?["method"]?.stringValue == "closed")
        }
        // A start event with the customer's zone: the windows proposed fall in their calling hours. The
        // queue opens Monday 09:00 Berlin (07:00 UTC), 03:00 in New York; the first window is 08:00 there.
        func firstWindow(_ conversation: String, zone: String?) -> String? {
            var started: [String: JSONValue] = ["customer_id": .string("c"), "channel": .string("web"), "locale": .string("en-US")]
            if let zone { started["time_zone"] = .string(zone) }
            var offset = Int64(conversation.count * 10)
            var windows: String?
            for (type, data) in [(EventType.conversationStarted, started), (EventType.customerMessage, ["message_id": .string("m1"), "text": .string("I want to speak to a person")])] {
                offset += 1
                let outputs = engine.process(value: Self.line(Int(offset), type, "2026-03-28T10:00:00Z", data, conversation: conversation), key: nil,
                                             origin: RecordOrigin(topic: "t", partition: 0, offset: offset), now: nil, advisor: advisor).outputs
                windows = outputs.first { $0.type == EventType.handoffAnnounced }?.data["callback_windows"]?.arrayValue?.first?["start"]?.stringValue ?? windows
            }
            return windows
        }
        #expect(firstWindow("zone-ny", zone: "America/New_York") == "2026-03-30T12:00:00.000Z")
        #expect(firstWindow("zone-none", zone: nil) == "2026-03-30T07:00:00.000Z", "no zone given: the queue's first slot, as before")
        #expect(firstWindow("zone-unknown", zone: "Mars/Olympus_Mons") == "2026-03-30T08:00:00.000Z", "a zone the database lacks counts as UTC")
    }

    @Test("a callback asked for on a queue the deployment does not have is refused as unknown_queue, not booked where nobody calls")
    func unknownQueue() throws {
        var engine = Engine(policy: EscalationPolicy())
        var advisor = Self.advisor()
        func request(_ n: Int, queue: String) -> [OutputEvent] {
            engine.process(value: Self.line(n, EventType.callbackRequested, "2026-03-27T15:50:00Z", [
                "contact_ref": .string("crm:5"), "time_zone": .string("Europe/Berlin"), "queue": .string(queue),
            ]), key: nil, origin: RecordOrigin(topic: "t", partition: 0, offset: Int64(n)), now: nil, advisor: advisor).outputs
        }
        let refused = request(1, queue: "biling")
        #expect(refused.map(\.type) == [EventType.callbackUnavailable])
        #expect(refused.first?.data["reason"]?.stringValue == "unknown_queue")
        #expect(refused.first?.data["queue"]?.stringValue == "biling", "the frontend sees which name it sent")
        #expect(refused.first?.data["text"]?.stringValue?.contains("could not be booked") == true)
        #expect(engine.conversations["cb-conv"]?.state.callbacks.isEmpty == true)
        #expect(engine.timers.count == 0, "nothing booked")

        // Deterministic: agents seen serving a queue do not make it known (another instance, or a replay,
        // may not have seen them yet); configuring it does.
        advisor.view.apply(agent: AgentStatus(agentID: "a1", status: .available, queues: ["vip"], capacity: 1, time: Self.t("2026-03-27T15:00:00Z")))
        #expect(request(2, queue: "vip").first?.data["reason"]?.stringValue == "unknown_queue")
        advisor.plans["vip"] = CallbackPlan(hours: nil)
        #expect(request(3, queue: "vip").first?.type == EventType.callbackScheduled, "a queue under queues:")
        #expect(request(4, queue: "refunds").first?.type == EventType.callbackScheduled, "a routing queue")

        // Every other way the configuration has a queue.
        let bare = QueueAdvisor()
        #expect(!bare.knows(queue: "premium"))
        var configured = bare
        configured.targets["premium"] = (wait: 60_000, overflowTo: "overflow")
        #expect(configured.knows(queue: "premium") && configured.knows(queue: "overflow"), "a wait target, and where it overflows to")
        #expect(EscalationPolicy().routing.queues.isSuperset(of: ["general", "legal", "refunds"]))
    }

    @Test("a due call the dialer never reports on is sent again after 30 minutes, and fails after 2 hours instead of waiting for ever")
    func unreported() throws {
        var engine = Engine(policy: EscalationPolicy())
        _ = engine.process(value: Self.line(1, EventType.callbackRequested, "2026-03-27T15:50:00Z", [
            "contact_ref": .string("crm:9"), "time_zone": .string("Europe/Berlin"), "queue": .string("billing"),
        ]), key: nil, origin: RecordOrigin(topic: "t", partition: 0, offset: 1), now: nil, advisor: Self.advisor())
        let due = engine.fireDue(now: Self.t("2026-03-30T07:00:00Z"))
        #expect(due.map(\.type) == [EventType.callbackDue])
        #expect(engine.fireDue(now: Self.t("2026-03-30T07:59:00Z")).isEmpty, "before slot end + 30 min")
        let again = engine.fireDue(now: Self.t("2026-03-30T08:00:00Z"))
        #expect(again.map(\.id) == due.map(\.id), "the same call, the same id")
        let failed = engine.fireDue(now: Self.t("2026-03-30T09:30:00Z"))
        #expect(failed.map(\.type) == [EventType.callbackFailed])
        #expect(failed.first?.data["reason"]?.stringValue == "no_report")
        #expect(engine.conversations.values.allSatisfy { $0.state.callbacks.isEmpty })
    }
}

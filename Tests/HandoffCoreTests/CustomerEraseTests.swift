import Foundation
import Testing
@testable import HandoffCore

@Suite("Erasing a customer (support.customer.erase)")
struct CustomerEraseTests {
    static func line(_ id: String, _ type: String, conversation: String?, _ data: [String: JSONValue], time: String = "2026-03-27T15:40:00Z") -> [UInt8] {
        var members = data
        if let conversation { members["conversation_id"] = .string(conversation) }
        return JSONWriter.bytes(.object(["specversion": .string("1.0"), "id": .string(id), "source": .string("t"), "type": .string(type),
                                         "time": .string(time), "data": .object(members)]))
    }

    static func started(_ conversation: String, customer: String) -> [UInt8] {
        line("\(conversation)-start", EventType.conversationStarted, conversation: conversation,
             ["customer_id": .string(customer), "channel": .string("web"), "locale": .string("en-GB")])
    }

    @Test("every conversation of the customer is forgotten and tombstoned, their callbacks cancelled, a receipt without the customer id; other customers are untouched")
    func erases() throws {
        var engine = Engine(policy: EscalationPolicy())
        let advisor = CallbackTests.advisor()
        var offset: Int64 = 0
        func process(_ value: [UInt8], key: String? = nil) -> Engine.Result {
            offset += 1
            return engine.process(value: value, key: key.map { Array($0.utf8) }, origin: RecordOrigin(topic: "t", partition: 2, offset: offset), now: nil, advisor: advisor)
        }
        _ = process(Self.started("conv-a", customer: "cust-x"))
        _ = process(Self.started("conv-b", customer: "cust-x"))
        _ = process(Self.started("conv-c", customer: "cust-y"))
        let booked = process(Self.line("cb", EventType.callbackRequested, conversation: "conv-b",
                                       ["contact_ref": .string("crm:1"), "time_zone": .string("Europe/London"), "queue": .string("billing")],
                                       time: "2026-03-27T15:50:00Z"))
        #expect(booked.outputs.first?.type == EventType.callbackScheduled)
        _ = engine.takeChanges()

        let result = process(Self.line("erase-1", EventType.customerErase, conversation: nil, ["customer_id": .string("cust-x")]), key: "cust-x")
        #expect(result.erase?.customerID == "cust-x" && result.erase?.partition == nil)
        #expect(result.erased == ["conv-a", "conv-b"])
        #expect(engine.conversations.keys.sorted() == ["conv-c"])
        #expect(Set(engine.takeChanges().forgotten) == ["conv-a", "conv-b"], "their stored state gets tombstones")
        #expect(result.outputs.map(\.type) == [EventType.callbackCancelled, EventType.customerErased])
        let receipt = try #require(result.outputs.last)
        #expect(receipt.channel == .alerts && receipt.id == "erase-1/erased/2")
        #expect(receipt.data["conversations_erased"]?.intValue == 2 && receipt.data["callbacks_cancelled"]?.intValue == 1)
        #expect(!String(decoding: receipt.envelopeBytes(source: "s"), as: UTF8.self).contains("cust-x"), "the receipt does not repeat the customer id")
        #expect(engine.fireDue(now: Timestamp(rfc3339: "2026-04-30T00:00:00Z")!).isEmpty, "the cancelled callback never fires")

        // Again (a re-delivery, or the copy reaching a partition this instance also owns): nothing more to erase.
        let again = process(Self.line("erase-1/p0", EventType.customerErase, conversation: nil,
                                      ["customer_id": .string("cust-x"), "erase_id": .string("erase-1"), "partition": .number(0)]))
        #expect(again.erase?.id == "erase-1" && again.erase?.partition == 0)
        #expect(again.erased.isEmpty && again.outputs.map(\.type) == [EventType.customerErased])
        // The customer writes again later: a fresh conversation, nothing remembered.
        _ = process(Self.line("a-2", EventType.customerMessage, conversation: "conv-a", ["message_id": .string("m9"), "text": .string("hello again")]))
        #expect(engine.conversations["conv-a"]?.state.transcript.count == 1)
    }

    @Test("an erase request with no customer id, or keyed by another customer, is a dead letter")
    func rejects() {
        let decoder = EventDecoder()
        guard case .rejected(let missing) = decoder.decode(value: Self.line("e", EventType.customerErase, conversation: nil, [:])) else {
            Issue.record("accepted without customer_id")
            return
        }
        #expect(missing.reason.contains("customer_id"))
        guard case .rejected(let mismatch) = decoder.decode(value: Self.line("e", EventType.customerErase, conversation: nil, ["customer_id": .string("cust-x")]), key: "cust-y") else {
            Issue.record("accepted under another customer's key")
            return
        }
        #expect(mismatch.reason.contains("cust-y"))
    }

    @Test("the request as handoffd erase sends it, and its copy for another partition, decode back to the same request")
    func copies() {
        let request = CustomerErase(id: "erase-7", customerID: "cust-x", time: Timestamp(rfc3339: "2026-03-27T15:40:00Z")!)
        let copy = JSONWriter.bytes(request.copy(forPartition: 4, source: "urn:handoffd"))
        guard case .customerErase(let decoded) = EventDecoder().decode(value: copy, key: "cust-x") else {
            Issue.record("the copy does not decode")
            return
        }
        #expect(decoded == CustomerErase(id: "erase-7", customerID: "cust-x", time: request.time, partition: 4))
        guard case .customerErase(let original) = EventDecoder().decode(value: JSONWriter.bytes(request.envelope(source: "urn:handoffd/admin")), key: "cust-x") else {
            Issue.record("the request (as handoffd erase sends it) does not decode")
            return
        }
        #expect(original == request, "the request itself has no partition: it is spread")
    }
}

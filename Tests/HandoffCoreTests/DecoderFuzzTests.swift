import Foundation
import Testing
@testable import HandoffCore

/// A seeded subset of `make fuzz` (which runs over a million inputs): every mutated record ends as a
/// dead letter, a skipped unknown type, or a valid event — never a crash — and the engine survives them.
@Suite("Decoder fuzzing (seeded)")
struct DecoderFuzzTests {
    static func corpus() throws -> [[UInt8]] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("protocols/examples")
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil).filter { $0.pathExtension == "jsonl" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
            .flatMap { try String(contentsOf: $0, encoding: .utf8).split(separator: "\n").map { Array($0.utf8) } }
    }

    @Test("50 000 mutated records: each one classified, valid ones decode to what the contract allows")
    func seededSubset() throws {
        var fuzzer = MutationFuzzer(seed: 20_261_126, corpus: try Self.corpus())
        var engine = Engine(policy: EscalationPolicy())
        var outcomes: [String: Int] = [:]
        for index in 0..<50_000 {
            let (value, headers) = fuzzer.input()
            let result = engine.process(value: value, headers: headers, key: nil, origin: RecordOrigin(topic: "fuzz", partition: 0, offset: Int64(index)), now: nil)
            if result.outputs.contains(where: { $0.type == EventType.deadLetter }) {
                outcomes["dead_letter", default: 0] += 1
                let letter = result.outputs.first { $0.type == EventType.deadLetter }!
                #expect(letter.data["original_length"]?.intValue == value.count)
                let reason = letter.data["reason"]?.stringValue ?? ""
                #expect(reason.count > 10)
            } else if result.unknownType != nil {
                outcomes["unknown_type", default: 0] += 1
            } else if let event = result.event {
                outcomes["valid", default: 0] += 1
                #expect(!event.conversationID.isEmpty && event.conversationID.unicodeScalars.count <= 200)
            } else if result.agentStatus != nil {
                outcomes["agent_status", default: 0] += 1
            } else if let erase = result.erase {
                outcomes["erase", default: 0] += 1
                #expect(!erase.customerID.isEmpty)
            } else {
                Issue.record("record \(index) was neither a dead letter, an unknown type nor a valid event")
            }
        }
        print("decoder fuzz (seed 20261126, 50 000 inputs): \(outcomes.sorted { $0.key < $1.key })")
        #expect(outcomes.values.reduce(0, +) == 50_000)
        #expect((outcomes["dead_letter"] ?? 0) > 10_000, "the mutations do break most records")
        #expect((outcomes["valid"] ?? 0) > 1_000, "and leave some valid, so the engine is exercised too")
    }
}

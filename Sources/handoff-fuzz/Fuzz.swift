import Foundation
import HandoffCore

/// `make fuzz`: a million or more mutated records through the decoder and the engine.
///
///     handoff-fuzz [--iterations N] [--seed S] [--examples DIR]
@main
struct Fuzz {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        func option(_ name: String) -> String? {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
            return arguments[index + 1]
        }
        let iterations = Int(option("--iterations") ?? "") ?? 1_000_000
        let seed = UInt64(option("--seed") ?? "") ?? 20_261_126
        let folder = option("--examples") ?? "protocols/examples"
        let corpus = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".jsonl") }.sorted()
            .flatMap { try String(contentsOfFile: folder + "/" + $0, encoding: .utf8).split(separator: "\n").map { Array($0.utf8) } }
        var fuzzer = MutationFuzzer(seed: seed, corpus: corpus)
        var engine = Engine(policy: EscalationPolicy())
        var outcomes: [String: Int] = [:]
        let clock = ContinuousClock()
        let start = clock.now
        for index in 0..<iterations {
            let (value, headers) = fuzzer.input()
            let result = engine.process(value: value, headers: headers, key: nil, origin: RecordOrigin(topic: "fuzz", partition: 0, offset: Int64(index)), now: nil)
            let outcome: String
            if result.outputs.contains(where: { $0.type == EventType.deadLetter }) { outcome = "dead_letter" }
            else if result.unknownType != nil { outcome = "unknown_type" }
            else if result.event != nil { outcome = "valid_event" }
            else if result.agentStatus != nil { outcome = "agent_status" }
            else if result.erase != nil { outcome = "erase" }
            else {
                FileHandle.standardError.write(Data("input \(index) (seed \(seed)) was not classified: \(Base64.encode(value))\n".utf8))
                exit(1)
            }
            outcomes[outcome, default: 0] += 1
            if index > 0 && index % 100_000 == 0 { engine.evictIdle(now: Timestamp(millisecondsSinceEpoch: .max / 2)) }
        }
        let elapsed = clock.now - start
        print("fuzz: \(iterations) inputs (seed \(seed)) in \(elapsed): " + outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "; no crash")
    }
}

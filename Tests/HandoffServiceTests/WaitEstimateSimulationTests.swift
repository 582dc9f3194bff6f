import Foundation
import HandoffCore
import Testing
@testable import HandoffService

/// The wait estimator against a simulated day (``WaitSimulation``), driven through `replay` like a
/// recorded history: a steady load, a spike, a shift change. Three seeds, fixed; the figures are printed.
@Suite("Wait estimates on a simulated day")
struct WaitEstimateSimulationTests {
    static let seeds: [UInt64] = [11, 23, 47]

    /// Handoffs by the phase of the day their customer arrived in (hours after 08:00).
    static let phases: [(name: String, ranges: [Range<Double>])] = [
        ("steady", [0.5..<2.5, 7.0..<11.5]),
        ("spike", [2.5..<4.0]),
        ("shift change", [5.75..<6.75]),
    ]

    static func simulate(seed: UInt64) -> (WaitSimulation.Outcome, Replayer.Report) {
        var simulation = WaitSimulation()
        simulation.queueHint = EscalationPolicy().routing.queue(for: .other, language: "en")
        let outcome = simulation.run(seed: seed)
        let report = Replayer(configuration: HandoffdConfiguration()).run(lines: outcome.lines.map { Substring($0) }, name: "sim")
        return (outcome, report)
    }

    static func describe(_ figures: WaitScoreboard.Figures) -> String {
        guard let mae = figures.meanAbsoluteError, let bias = figures.bias else { return "n=0" }
        let coverage = figures.coverage.map { " coverage \(Int(($0 * 100).rounded())) %" } ?? ""
        return "n=\(figures.count) MAE \(Int(mae.rounded())) s bias \(Int(bias.rounded())) s" + coverage
    }

    @Test("ours beats last-to-enter-service in every phase and does not lose to queue length × mean handle time ÷ agents", arguments: seeds)
    func beatsBaselines(seed: UInt64) throws {
        let (outcome, report) = Self.simulate(seed: seed)
        let records = report.waits.records
        print("seed \(seed): \(outcome.customers) customers, \(outcome.abandoned) abandoned, \(records.count) scored")
        #expect(records.count > outcome.customers / 2, "most customers were served and scored")
        let start = WaitSimulation().start
        for phase in Self.phases {
            let inPhase = records.filter { record in
                let hour = Double(record.createdAt.milliseconds(since: start)) / 3_600_000
                return phase.ranges.contains { $0.contains(hour) }
            }
            let figures = WaitScoreboard.figures(inPhase)
            print("  \(phase.name): handoffd \(Self.describe(figures.ours)) | last-to-enter-service \(Self.describe(figures.lastToEnterService))"
                  + " | queue length simple \(Self.describe(figures.queueLengthSimple))")
            let ours = try #require(figures.ours.meanAbsoluteError)
            let les = try #require(figures.lastToEnterService.meanAbsoluteError)
            let simple = try #require(figures.queueLengthSimple.meanAbsoluteError)
            #expect(ours < les, "seed \(seed), \(phase.name): \(ours) vs last-to-enter-service \(les)")
            #expect(ours <= simple * 1.05, "seed \(seed), \(phase.name): \(ours) vs queue-length simple \(simple)")
        }
    }

    @Test("every estimate is a number with an interval around it, and replay gives the same bytes twice")
    func wellFormed() throws {
        let (outcome, report) = Self.simulate(seed: Self.seeds[0])
        for record in report.waits.records {
            let estimate = record.estimate
            let seconds = try #require(estimate.seconds)
            #expect(seconds >= 0 && seconds.isFinite)
            #expect((estimate.p10 ?? -1) <= seconds && seconds <= (estimate.p90 ?? -1), "p10 ≤ estimate ≤ p90")
        }
        let again = Replayer(configuration: HandoffdConfiguration()).run(lines: outcome.lines.map { Substring($0) }, name: "sim")
        #expect(again.lines.count == report.lines.count)
        #expect(again.lines.elementsEqual(report.lines), "the same bytes, line for line")
    }
}

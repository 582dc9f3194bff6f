import Foundation
import Testing
@testable import HandoffCore

/// Precision and recall of triage on labelled customer utterances (Tests/HandoffCoreTests/Resources/triage).
///
/// `dev.tsv` is the tuning set; `heldout.tsv` was written independently and frozen before any
/// tuning, and is only measured. See Resources/triage/README.md for where each set came from.
struct TriageEvaluation {
    struct Row {
        var category: Category
        var language: String
        var asksHuman: Bool
        var text: String
    }

    struct Scores: CustomStringConvertible {
        var rows = 0
        var correct = 0
        var truePositives: [Category: Int] = [:]
        var predicted: [Category: Int] = [:]
        var actual: [Category: Int] = [:]
        var human = (tp: 0, fp: 0, fn: 0)
        var humanFalsePositives: [String] = []
        var humanMisses: [String] = []
        var misclassified: [String] = []

        func precision(_ category: Category) -> Double { ratio(truePositives[category] ?? 0, predicted[category] ?? 0) }
        func recall(_ category: Category) -> Double { ratio(truePositives[category] ?? 0, actual[category] ?? 0) }
        var accuracy: Double { ratio(correct, rows) }
        var macroPrecision: Double { Category.allCases.map(precision).reduce(0, +) / Double(Category.allCases.count) }
        var macroRecall: Double { Category.allCases.map(recall).reduce(0, +) / Double(Category.allCases.count) }
        var humanPrecision: Double { ratio(human.tp, human.tp + human.fp) }
        var humanRecall: Double { ratio(human.tp, human.tp + human.fn) }
        /// Recall of the sensitive categories taken together: a sensitive utterance routed to any sensitive category.
        var sensitiveRows = 0
        var sensitiveCaught = 0
        var sensitiveRecall: Double { ratio(sensitiveCaught, sensitiveRows) }
        var nonSensitiveRows = 0
        var nonSensitiveFlagged = 0

        private func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }

        var description: String {
            func pct(_ value: Double) -> String { String(format: "%5.1f%%", value * 100) }
            var lines = ["rows \(rows), accuracy \(pct(accuracy)), macro precision \(pct(macroPrecision)), macro recall \(pct(macroRecall))"]
            for category in Category.allCases {
                lines.append("  \(category.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)) precision \(pct(precision(category))) recall \(pct(recall(category))) (n=\(actual[category] ?? 0))")
            }
            lines.append("  sensitive topic (→ handoff): recall \(pct(sensitiveRecall)) of \(sensitiveRows); flagged \(nonSensitiveFlagged) of \(nonSensitiveRows) non-sensitive")
            lines.append("  asks for a person: precision \(pct(humanPrecision)) recall \(pct(humanRecall)) (tp \(human.tp), fp \(human.fp), fn \(human.fn))")
            return lines.joined(separator: "\n")
        }
    }

    static func load(_ name: String) throws -> [Row] {
        let url = try #require(Bundle.module.resourceURL?.appendingPathComponent("triage/\(name).tsv"))
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").dropFirst().map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            try #require(fields.count == 4, "bad row: \(line)")
            return Row(category: try #require(Category(rawValue: String(fields[0])), "unknown category in \(line)"),
                       language: String(fields[1]), asksHuman: fields[2] == "1", text: String(fields[3]))
        }
    }

    static func evaluate(_ rows: [Row], policy: EscalationPolicy = EscalationPolicy()) -> Scores {
        let classifier = TopicClassifier()
        let humans = HumanRequestDetector()
        var scores = Scores()
        for row in rows {
            let text = NormalizedText(row.text)
            let topic = classifier.score(text)
            let predicted = topic.category(sensitiveMinimum: policy.sensitiveTopic.minimumScore)
            scores.rows += 1
            scores.actual[row.category, default: 0] += 1
            scores.predicted[predicted, default: 0] += 1
            if predicted == row.category {
                scores.correct += 1
                scores.truePositives[predicted, default: 0] += 1
            } else {
                scores.misclassified.append("\(row.category.rawValue) → \(predicted.rawValue): \(row.text)")
            }
            let flagged = topic.sensitive(minimum: policy.sensitiveTopic.minimumScore) != nil
            if row.category.isSensitive {
                scores.sensitiveRows += 1
                if flagged { scores.sensitiveCaught += 1 }
            } else {
                scores.nonSensitiveRows += 1
                if flagged { scores.nonSensitiveFlagged += 1 }
            }
            let asks = humans.detect(text) != nil
            switch (asks, row.asksHuman) {
            case (true, true): scores.human.tp += 1
            case (true, false): scores.human.fp += 1; scores.humanFalsePositives.append(row.text)
            case (false, true): scores.human.fn += 1; scores.humanMisses.append(row.text)
            case (false, false): break
            }
        }
        return scores
    }
}

@Suite("Triage on labelled customer language")
struct TriageEvaluationTests {
    /// TRIAGE_DUMP=1 lists what a tuning set gets wrong (never called for the held-out set).
    static func dumpErrorsIfAsked(_ scores: TriageEvaluation.Scores) {
        guard ProcessInfo.processInfo.environment["TRIAGE_DUMP"] != nil else { return }
        print((scores.misclassified + scores.humanFalsePositives.map { "FP human: \($0)" } + scores.humanMisses.map { "missed human: \($0)" }).joined(separator: "\n"))
    }

    @Test("the tuning set: figures printed, floors guard against regressions")
    func devSet() throws {
        let scores = TriageEvaluation.evaluate(try TriageEvaluation.load("dev"))
        print("triage dev set:\n\(scores)")
        Self.dumpErrorsIfAsked(scores)
        #expect(scores.rows >= 360)
        #expect(scores.accuracy >= 0.90)
        #expect(scores.sensitiveRecall >= 0.85)
        #expect(scores.nonSensitiveFlagged <= 2)
        #expect(scores.humanPrecision >= 0.95)
        #expect(scores.humanRecall >= 0.95)
    }

    @Test("the second tuning set (indirect wording): figures printed, floors guard against regressions")
    func dev2Set() throws {
        let scores = TriageEvaluation.evaluate(try TriageEvaluation.load("dev2"))
        print("triage dev2 set:\n\(scores)")
        Self.dumpErrorsIfAsked(scores)
        #expect(scores.rows >= 300)
        #expect(scores.accuracy >= 0.90)
        #expect(scores.sensitiveRecall >= 0.80)
        #expect(scores.nonSensitiveFlagged <= 3)
        #expect(scores.humanPrecision >= 0.95)
        #expect(scores.humanRecall >= 0.95)
    }

    @Test("the held-out set, frozen before tuning: figures printed, floors guard against regressions")
    func heldOutSet() throws {
        let scores = TriageEvaluation.evaluate(try TriageEvaluation.load("heldout"))
        print("triage held-out set:\n\(scores)")
        // Measured twice, never tuned on. 2026-11-26 after tuning on dev.tsv: accuracy 76.2 %,
        // sensitive recall 51.4 % (1 of 188 non-sensitive flagged), person requests P 91.5 % R 79.6 %.
        // After also tuning on dev2.tsv: accuracy 83.8 %, sensitive recall 63.6 % (2 of 188 flagged),
        // P 91.7 % R 81.5 %. Floors a little under the latter: a change that makes real customer
        // language worse fails here.
        #expect(scores.rows >= 240)
        #expect(scores.accuracy >= 0.80)
        #expect(scores.sensitiveRecall >= 0.60)
        #expect(scores.nonSensitiveFlagged <= 4)
        #expect(scores.humanPrecision >= 0.88)
        #expect(scores.humanRecall >= 0.78)
    }
}

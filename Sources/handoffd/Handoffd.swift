import ArgumentParser
import Foundation
import HandoffCore
import HandoffLLM
import HandoffService

@main
struct Handoffd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "handoffd",
        abstract: "Decides when a person must take over from a support chatbot, and hands the conversation over with its context.",
        subcommands: [Serve.self, Replay.self, Demo.self, Erase.self],
        defaultSubcommand: nil
    )
}

/// Loads the configuration file, or the defaults; exits with a message a person can act on.
func loadConfiguration(_ path: String?) throws -> HandoffdConfiguration {
    do {
        // No file: the defaults, with the policy version they hash to.
        guard let path else { return try HandoffdConfiguration.parse(yaml: "") }
        return try HandoffdConfiguration.load(path: path)
    } catch {
        FileHandle.standardError.write(Data((error.description + "\n").utf8))
        throw ExitCode(ExitCodes.configuration)
    }
}

/// Exit codes that mean something to a supervisor.
enum ExitCodes {
    static let configuration: Int32 = 78   // EX_CONFIG
    static let unavailable: Int32 = 69     // EX_UNAVAILABLE: Kafka fatal error
    static let input: Int32 = 66           // EX_NOINPUT
}

struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Runs the decision logic over recorded events (JSON lines) with no Kafka; writes every output event to stdout as one JSON line.",
        discussion: "Ends with the figures of the replayed history on stderr (escalation and deflection rate, reasons, time to escalation, offers, categories, CSAT). With --compare, replays a second time under another configuration and shows both side by side."
    )

    @Option(name: .long, help: "Events to replay: one CloudEvent (structured mode) per line. '-' reads stdin.")
    var input: String

    @Option(name: .long, help: "YAML configuration (rules, routing, topics).")
    var config: String?

    @Option(name: .long, help: "A second configuration: replay under both and compare them (what-if).")
    var compare: String?

    @Option(name: .customLong("report-json"), help: "Also write the figures as JSON to this file.")
    var reportJSON: String?

    @Flag(name: .long, help: "Have the model of the config's llm: section write each handoff's summary (otherwise the extractive summary: byte-identical output).")
    var llm = false

    @Option(name: .long, help: "Log level of the model client's logs (stderr) with --llm.")
    var logLevel: String = "warning"

    func run() async throws {
        let configuration = try loadConfiguration(config)
        let text: String
        if input == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            guard let data = FileManager.default.contents(atPath: input) else {
                FileHandle.standardError.write(Data("cannot read \(input)\n".utf8))
                throw ExitCode(ExitCodes.input)
            }
            text = String(decoding: data, as: UTF8.self)
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let output = FileHandle.standardOutput
        let write: ([UInt8]) -> Void = { line in output.write(Data(line + [0x0A])) }
        let report: Replayer.Report
        if llm {
            let summarizer: LLMSummarizer
            do {
                summarizer = try configuration.summarizer(logger: makeLogger(level: logLevel))
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(ExitCodes.configuration)
            }
            report = await Replayer(configuration: configuration).run(lines: lines, name: input, summarizer: summarizer, emit: write)
        } else {
            report = Replayer(configuration: configuration).run(lines: lines, name: input, emit: write)
        }
        FileHandle.standardError.write(Data((ReportFormatter.replaySummary(report, policyVersion: configuration.policy.version)
                                             + ReportFormatter.summaries(report) + ReportFormatter.waits(report.waits)).utf8))
        var json = ReportFormatter.json(report.figures, policyVersion: configuration.policy.version)
        if case .object(var members) = json {
            members["waits"] = ReportFormatter.waitsJSON(report.waits)
            json = .object(members)
        }
        if llm, case .object(var members) = json {
            members["llm"] = ReportFormatter.summariesJSON(report)
            json = .object(members)
        }
        if let compare {
            let other = try loadConfiguration(compare)
            let second = Replayer(configuration: other).run(lines: lines, name: input)
            let names = (config ?? "defaults", compare)
            FileHandle.standardError.write(Data(("\n" + ReportFormatter.comparison(report, second, names: names)).utf8))
            json = .object(["first": json, "second": ReportFormatter.json(second.figures, policyVersion: other.policy.version)])
        }
        if let reportJSON {
            guard FileManager.default.createFile(atPath: reportJSON, contents: Data(JSONWriter.bytes(json) + [0x0A])) else {
                FileHandle.standardError.write(Data("cannot write \(reportJSON)\n".utf8))
                throw ExitCode(ExitCodes.input)
            }
        }
    }
}

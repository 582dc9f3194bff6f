import Yams

/// Walks a YAML mapping, collects every problem with its key path and line, and rejects keys it
/// does not know (a misspelt threshold must not silently keep its default).
final class ConfigReader {
    private(set) var problems: [String] = []

    func problem(_ node: Node?, _ path: String, _ text: String) {
        let line = node?.mark.map { " (line \($0.line))" } ?? ""
        problems.append("\(path)\(line): \(text)")
    }

    /// The members of a mapping, after checking that it has only `allowed` keys.
    func mapping(_ node: Node?, _ path: String, allowed: [String]) -> [String: Node] {
        guard let node else { return [:] }
        if node.null != nil { return [:] }
        guard let mapping = node.mapping else {
            problem(node, path, "must be a mapping of keys to values")
            return [:]
        }
        var members: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string else {
                problem(key, path, "keys must be strings")
                continue
            }
            if !allowed.isEmpty && !allowed.contains(name) {
                let suggestion = allowed.min { editDistance($0, name) < editDistance($1, name) }
                let hint = suggestion.map { editDistance($0, name) <= 3 ? " — did you mean '\($0)'?" : "" } ?? ""
                problem(key, join(path, name), "unknown key\(hint) Known keys: \(allowed.joined(separator: ", ")).")
                continue
            }
            members[name] = value
        }
        return members
    }

    func string(_ node: Node?, _ path: String, into value: inout String, nonEmpty: Bool = true) {
        guard let node else { return }
        guard node.scalar != nil, let text = node.string else { return problem(node, path, "must be a string") }
        if nonEmpty && text.trimmingCharacters(in: .whitespaces).isEmpty { return problem(node, path, "must not be empty") }
        value = text
    }

    func bool(_ node: Node?, _ path: String, into value: inout Bool) {
        guard let node else { return }
        guard let flag = node.bool else { return problem(node, path, "must be true or false, got '\(node.string ?? "?")'") }
        value = flag
    }

    func int(_ node: Node?, _ path: String, into value: inout Int, range: ClosedRange<Int>) {
        guard let node else { return }
        guard let number = node.int else { return problem(node, path, "must be a whole number, got '\(node.string ?? "?")'") }
        guard range.contains(number) else { return problem(node, path, "must be between \(range.lowerBound) and \(range.upperBound), got \(number)") }
        value = number
    }

    func double(_ node: Node?, _ path: String, into value: inout Double, range: ClosedRange<Double>) {
        guard let node else { return }
        guard let number = node.float ?? node.int.map(Double.init) else { return problem(node, path, "must be a number, got '\(node.string ?? "?")'") }
        guard range.contains(number) else { return problem(node, path, "must be between \(range.lowerBound) and \(range.upperBound), got \(number)") }
        value = number
    }

    /// Durations are written `500ms`, `30s`, `5m`, `24h` or `7d`.
    func duration(_ node: Node?, _ path: String, into value: inout Duration) {
        guard let node else { return }
        guard let text = node.string, let parsed = Self.parseDuration(text) else {
            return problem(node, path, "must be a duration such as 500ms, 30s, 5m, 24h or 7d, got '\(node.string ?? "?")'")
        }
        value = parsed
    }

    static func parseDuration(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (unit, milliseconds) in units where trimmed.hasSuffix(unit) {
            let number = trimmed.dropLast(unit.count)
            if let amount = Int64(number), amount >= 0 {
                let (total, overflow) = amount.multipliedReportingOverflow(by: milliseconds)
                return overflow ? nil : .milliseconds(total)
            }
        }
        return nil
    }

    func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs), b = Array(rhs)
        var previous = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

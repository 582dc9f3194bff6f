/// A configuration that cannot be used, with every problem found (not just the first), each
/// naming the key and what to write instead.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible, Equatable {
    public var file: String?
    public var problems: [String]

    public init(file: String?, problems: [String]) {
        self.file = file
        self.problems = problems
    }

    public var description: String {
        let header = file.map { "invalid configuration in \($0):" } ?? "invalid configuration:"
        return ([header] + problems.map { "  - \($0)" }).joined(separator: "\n")
    }
}

import ArgumentParser
struct Serve: AsyncParsableCommand {
    func run() async throws {}
}
struct Demo: AsyncParsableCommand {
    func run() async throws {}
}

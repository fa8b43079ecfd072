import ArgumentParser

@main
struct Floe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "floe",
        abstract: "Floe: an LLM inference engine and server.",
        subcommands: [GenerateCommand.self, BenchCommand.self])
}

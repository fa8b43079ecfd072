import ArgumentParser

@main
struct Floe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "floe",
        abstract: "Floe: an LLM inference engine and server.",
        subcommands: [GenerateCommand.self, BenchCommand.self, TokenizeCommand.self, BenchTokenizerCommand.self, BenchOfflineCommand.self, ServeCommand.self, EmbedCommand.self, BenchEmbedCommand.self])
}

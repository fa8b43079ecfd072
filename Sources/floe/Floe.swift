import ArgumentParser

@main
struct Floe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "floe",
        abstract: "Floe: an LLM inference engine and server.",
        subcommands: [GenerateCommand.self, BenchGroupCommand.self, TokenizeCommand.self, BenchTokenizerCommand.self, BenchOfflineCommand.self, ServeCommand.self, EmbedCommand.self, BenchEmbedCommand.self, BenchSuffixCommand.self, SuffixSimulateCommand.self, CUDACheckCommand.self])
}

import ArgumentParser

/// `floe bench`: `model` (the default: prefill/decode speed) and `serve` (load-test a server).
/// A group rather than options on `bench` itself, so `floe bench serve --model NAME` is not
/// taken for the model benchmark's `--model PATH`.
struct BenchGroupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks: model speed (default) or an OpenAI-compatible server under load.",
        subcommands: [BenchCommand.self, BenchServeCommand.self], defaultSubcommand: BenchCommand.self)
}

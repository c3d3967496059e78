import ArgumentParser

@main
struct Seismo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seismo",
        abstract: "Prometheus remote-write receiver that stores every sample in a per-second columnar store (Parquet).",
        subcommands: [Serve.self, Inspect.self, Export.self, ReportCommand.self, Check.self, Replay.self],
        defaultSubcommand: nil
    )
}

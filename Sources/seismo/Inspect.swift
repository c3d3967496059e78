import ArgumentParser
import SeismoStore

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a JSON summary of a data directory (read-only; safe on a live one).",
        discussion: """
        Keys: series, samples (non-null cells, sealed segments plus the unsealed head \
        replayed from the WAL), first_timestamp_ms, last_timestamp_ms, segments, \
        bytes_on_disk, bytes_per_sample (bytes_on_disk / samples), and details: \
        sealed_samples, head_samples, segment_files, segment_bytes, \
        segment_bytes_per_sample, wal_bytes, sealed_until_ms, problems.
        """
    )

    @Option(help: "Data directory. (default: ./data)")
    var data: String = "./data"

    func run() throws {
        do {
            print(try StoreInspection.inspect(dataDirectory: data).json)
        } catch {
            throw ValidationError("cannot inspect \(data): \(error)")
        }
    }
}

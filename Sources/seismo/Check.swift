import ArgumentParser
import Foundation
import SeismoAlerting

/// `seismo check …`: validate configuration without starting anything, so CI and
/// deploy scripts can refuse a broken file before a SIGHUP makes the server reject it.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate configuration files without starting the server.",
        subcommands: [CheckRules.self]
    )
}

struct CheckRules: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Validate alert rules files (see docs/alerting.md).",
        discussion: """
        Prints "FILE: N rules OK" for each valid file, or one "FILE:LINE: problem" line per \
        problem. Exits 1 if any file has a problem.
        """
    )

    @Argument(help: "Rules files to check.")
    var files: [String]

    func run() throws {
        var failed = false
        for file in files {
            do {
                let set = try RuleSet.load(path: file)
                print("\(file): \(set.rules.count) rules OK")
            } catch {
                failed = true
                // Problems go to stderr so `check rules a b > ok.txt` still shows them.
                FileHandle.standardError.write(Data("\(error)\n".utf8))
            }
        }
        if failed { throw ExitCode(1) }
    }
}

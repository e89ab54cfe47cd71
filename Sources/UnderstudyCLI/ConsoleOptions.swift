import ArgumentParser
import Foundation
import Understudy

/// Where the admin commands find the server's state: the same flags and `UNDERSTUDY_*` variables as `serve`.
struct ConsoleOptions: ParsableArguments {
    @Option(help: "SQLite database file (env UNDERSTUDY_DB; default ./.understudy/understudy.sqlite).") var db: String?
    @Option(help: "Seed file or folder; repeatable (env UNDERSTUDY_SEED; default seed/default.yaml).") var seed: [String] = []
    @Option(help: "Folder of PEM signing keys (env UNDERSTUDY_KEYS; default keys).") var keys: String?
    @Option(help: "Issuer, as `serve` is given it (env UNDERSTUDY_ISSUER).") var issuer: String?
    @Flag(help: "Print JSON instead of a table.") var json = false

    /// Opens the database, runs `body`, and closes it again.
    func withConsole<T>(_ body: (AdminConsole) async throws -> T) async throws -> T {
        let environment = ProcessInfo.processInfo.environment
        let flags = ServerConfiguration.Flags(issuer: self.issuer, databasePath: self.db, seedPaths: self.seed, keysDirectory: self.keys)
        let seed = try SeedLoader.load(paths: ServerConfiguration.seedPaths(flags: flags, environment: environment))
        let configuration = try ServerConfiguration.resolve(flags: flags, environment: environment, seedSettings: seed.settings)
        let console = try await AdminConsole.open(configuration: configuration)
        do {
            let result = try await body(console)
            try await console.close()
            return result
        } catch {
            try? await console.close()
            throw error
        }
    }

    /// Prints `values` as JSON (with `--json`) or as a table of `columns`.
    func print(_ values: [JSONValue], columns: [String]) throws {
        if self.json {
            try Output.json(.array(values))
        } else {
            Output.table(values, columns: columns)
        }
    }

    /// Prints one value as JSON (with `--json`) or as `name: value` lines.
    func print(_ value: JSONValue) throws {
        if self.json {
            try Output.json(value)
        } else {
            Output.fields(value)
        }
    }
}

/// A mistake in a command's arguments found while running it: printed as one `Error:` line, without usage.
struct CommandError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

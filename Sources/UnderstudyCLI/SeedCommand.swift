import ArgumentParser
import Understudy

/// `understudy seed check`: validate seed files without starting a server.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "seed", abstract: "Work with seed files.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check seed files (and folders) and apply them to a scratch database.")

        @Argument(help: "Seed files or folders.") var files: [String]

        func run() async throws {
            let summary = try await SeedCheck.run(paths: self.files)
            print("\(self.files.joined(separator: ", ")): ok (\(summary))")
        }
    }
}

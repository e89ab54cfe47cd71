import ArgumentParser
import Understudy

/// `understudy keys generate`: new signing keys for `--keys`.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage signing keys.",
        subcommands: [Generate.self]
    )

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a new RSA 2048 (RS256) and P-256 (ES256) key as PEM files.")

        @Option(help: "Folder to write to.") var dir: String = "keys"
        @Flag(help: "Replace existing files.") var force = false

        func run() async throws {
            for (path, kid) in try KeyGenerator.generate(folder: self.dir, force: self.force) {
                print("wrote \(path) (kid \(kid))")
            }
            print("serve with: understudy serve --keys \(self.dir)")
        }
    }
}

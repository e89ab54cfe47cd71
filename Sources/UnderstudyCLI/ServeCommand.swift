import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Understudy

/// `understudy serve`: resolve the configuration, build the server, run until SIGTERM/SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the identity provider.")

    @Option(help: "Listening address (env UNDERSTUDY_HOST; default 127.0.0.1).") var host: String?
    @Option(help: "Listening port (env UNDERSTUDY_PORT; default 9400).") var port: Int?
    @Option(help: "Issuer: the fixed `iss` and public base URL (env UNDERSTUDY_ISSUER; default http://HOST:PORT).") var issuer: String?
    @Option(help: "Base URL for back-channel endpoints in discovery, e.g. http://idp:9400 (env UNDERSTUDY_INTERNAL_URL).")
    var internalURL: String?
    @Option(help: "SQLite database file, or :memory: (env UNDERSTUDY_DB; default ./.understudy/understudy.sqlite).") var db: String?
    @Option(help: "Seed file or folder; repeatable (env UNDERSTUDY_SEED, comma-separated; default seed/default.yaml).") var seed: [String] = []
    @Option(help: "Folder of PEM signing keys (env UNDERSTUDY_KEYS; default keys).") var keys: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical (env UNDERSTUDY_LOG_LEVEL; default info).") var logLevel: String?
    @Option(help: "Bearer token of the admin API (env UNDERSTUDY_ADMIN_TOKEN; default: generated at start and logged once).")
    var adminToken: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let flags = ServerConfiguration.Flags(
            host: self.host,
            port: self.port,
            issuer: self.issuer,
            internalURL: self.internalURL,
            databasePath: self.db,
            seedPaths: self.seed,
            keysDirectory: self.keys,
            logLevel: self.logLevel,
            adminToken: self.adminToken
        )
        let seed = try SeedLoader.load(paths: ServerConfiguration.seedPaths(flags: flags, environment: environment))
        let configuration = try ServerConfiguration.resolve(flags: flags, environment: environment, seedSettings: seed.settings)
        var logger = Logger(label: "understudy")
        logger.logLevel = configuration.logLevel
        let app = try await buildApplication(configuration: configuration, logger: logger)
        try await app.runService()
    }
}

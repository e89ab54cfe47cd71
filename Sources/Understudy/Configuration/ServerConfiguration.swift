public import Foundation
public import Logging

/// Runtime settings of a server, resolved from flags > environment > seed settings > defaults.
public struct ServerConfiguration: Sendable {
    /// Listening address. Default `127.0.0.1`.
    public var host: String = "127.0.0.1"
    /// Listening port. Default `9400`; 0 picks a free port.
    public var port: Int = 9400
    /// The `iss` of every token and the public base URL. Default `http://HOST:PORT` (`localhost` for a wildcard host).
    public var issuer: String = "http://127.0.0.1:9400"
    /// Base URL for back-channel endpoints in discovery (token, JWKS, introspection, revocation), e.g. `http://idp:9400`.
    public var internalURL: String?
    /// SQLite database file, or `:memory:`. Default `./.understudy/understudy.sqlite`.
    public var databasePath: String = "./.understudy/understudy.sqlite"
    /// Seed files or folders, applied in order. Default `seed/default.yaml`.
    public var seedPaths: [String] = ["seed/default.yaml"]
    /// Folder of PEM signing keys. Default `keys`.
    public var keysDirectory: String = "keys"
    /// Log level. Default `info`.
    public var logLevel: Logger.Level = .info
    /// Access token lifetime in seconds. Default 3600.
    public var accessTokenTTL: Int = 3600
    /// ID token lifetime in seconds. Default 3600.
    public var idTokenTTL: Int = 3600
    /// Refresh token lifetime in seconds. Default 30 days.
    public var refreshTokenTTL: Int = 30 * 24 * 3600
    /// Authorization code lifetime in seconds. Fixed at 60.
    public var authorizationCodeTTL: Int = 60
    /// How long a browser stays signed in (the login session), in seconds. Default 3600.
    public var sessionTTL: Int = 3600
    /// Show the one-click list of seeded users on the login page. Default false; the default seed turns it on.
    public var loginUserPicker: Bool = false
    /// Show the Deny button on the login page. Default true.
    public var loginDenyButton: Bool = true
    /// Lock a username out after five failed sign-ins in a row, as Cognito does (seed `login_lockout`).
    public var loginLockout: Bool = true
    /// The Cognito user pool that `dialect: cognito` clients see (seed `settings.cognito`); nil: none configured.
    public var cognito: CognitoSettings?
    /// The IDCS identity domain that `dialect: idcs` clients see (seed `settings.idcs`).
    public var idcs = IDCSSettings()
    /// The server-wide pre-token-generation hook (seed `hooks.pre_token_generation`).
    public var preTokenGeneration: HookConfiguration?
    /// Bearer token of the admin API; nil: one is generated at start and logged once.
    public var adminToken: String?
    /// The clock every token and check uses (tests pin it).
    public var now: @Sendable () -> Date = { Date() }

    public init() {}

    /// Values given on the command line; nil means "not given".
    public struct Flags: Sendable {
        public var host: String?
        public var port: Int?
        public var issuer: String?
        public var internalURL: String?
        public var databasePath: String?
        public var seedPaths: [String] = []
        public var keysDirectory: String?
        public var logLevel: String?
        public var adminToken: String?

        public init(
            host: String? = nil,
            port: Int? = nil,
            issuer: String? = nil,
            internalURL: String? = nil,
            databasePath: String? = nil,
            seedPaths: [String] = [],
            keysDirectory: String? = nil,
            logLevel: String? = nil,
            adminToken: String? = nil
        ) {
            self.host = host
            self.port = port
            self.issuer = issuer
            self.internalURL = internalURL
            self.databasePath = databasePath
            self.seedPaths = seedPaths
            self.keysDirectory = keysDirectory
            self.logLevel = logLevel
            self.adminToken = adminToken
        }
    }

    /// Seed paths from flags or `UNDERSTUDY_SEED` (comma-separated), before any seed is read.
    public static func seedPaths(flags: Flags, environment: [String: String]) -> [String] {
        if !flags.seedPaths.isEmpty { return flags.seedPaths }
        if let value = environment["UNDERSTUDY_SEED"], !value.isEmpty {
            return value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return ServerConfiguration().seedPaths
    }

    /// Resolves flags > `UNDERSTUDY_*` environment > seed `settings:` > defaults, then validates.
    /// - Throws: ``ConfigurationError`` listing every problem.
    public static func resolve(
        flags: Flags,
        environment: [String: String],
        seedSettings: SeedFile.Settings = .init()
    ) throws -> ServerConfiguration {
        var config = ServerConfiguration()
        var problems: [String] = []
        func pick(_ flag: String?, _ variable: String) -> String? {
            flag ?? environment["UNDERSTUDY_\(variable)"].flatMap { $0.isEmpty ? nil : $0 }
        }
        func integer(_ flag: Int?, _ variable: String) -> Int? {
            if let flag { return flag }
            guard let text = pick(nil, variable) else { return nil }
            guard let value = Int(text) else {
                problems.append("UNDERSTUDY_\(variable) must be a whole number, not '\(text)'")
                return nil
            }
            return value
        }

        config.host = pick(flags.host, "HOST") ?? config.host
        config.port = integer(flags.port, "PORT") ?? config.port
        config.internalURL = pick(flags.internalURL, "INTERNAL_URL")
        config.databasePath = pick(flags.databasePath, "DB") ?? config.databasePath
        config.seedPaths = Self.seedPaths(flags: flags, environment: environment)
        config.keysDirectory = pick(flags.keysDirectory, "KEYS") ?? config.keysDirectory
        config.adminToken = pick(flags.adminToken, "ADMIN_TOKEN")
        if let level = pick(flags.logLevel, "LOG_LEVEL") ?? environment["LOG_LEVEL"] {
            if let parsed = Logger.Level(rawValue: level.lowercased()) {
                config.logLevel = parsed
            } else {
                problems.append("log level must be one of trace, debug, info, notice, warning, error, critical, not '\(level)'")
            }
        }
        config.accessTokenTTL = seedSettings.accessTokenTTL ?? config.accessTokenTTL
        config.idTokenTTL = seedSettings.idTokenTTL ?? config.idTokenTTL
        config.refreshTokenTTL = seedSettings.refreshTokenTTL ?? config.refreshTokenTTL
        config.sessionTTL = seedSettings.sessionTTL ?? config.sessionTTL
        config.loginUserPicker = seedSettings.loginUserPicker ?? config.loginUserPicker
        config.loginDenyButton = seedSettings.loginDenyButton ?? config.loginDenyButton
        config.loginLockout = seedSettings.loginLockout ?? config.loginLockout
        config.cognito = seedSettings.cognito
        config.idcs = seedSettings.idcs ?? config.idcs
        let wildcard = ["0.0.0.0", "::", "[::]"].contains(config.host)
        let defaultIssuer = "http://\(wildcard ? "localhost" : config.host):\(config.port)"
        config.issuer = pick(flags.issuer, "ISSUER") ?? seedSettings.issuer ?? defaultIssuer

        if !(0...65535).contains(config.port) { problems.append("port must be between 0 and 65535, not \(config.port)") }
        if let problem = IssuerURL.problem(with: config.issuer) { problems.append("issuer \(problem)") }
        if let internalURL = config.internalURL, let problem = IssuerURL.problem(with: internalURL) {
            problems.append("internal URL \(problem)")
        }
        guard problems.isEmpty else { throw ConfigurationError(problems: problems) }
        return config
    }
}

/// Configuration that cannot be used; lists every problem at once.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var problems: [String]
    public var description: String {
        "invalid configuration:\n" + self.problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

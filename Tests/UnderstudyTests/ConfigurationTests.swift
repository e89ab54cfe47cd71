import Testing

@testable import Understudy

@Suite struct ConfigurationTests {
    @Test func defaultsMatchTheContract() throws {
        let config = try ServerConfiguration.resolve(flags: .init(), environment: [:])
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 9400)
        #expect(config.issuer == "http://127.0.0.1:9400")
        #expect(config.databasePath == "./.understudy/understudy.sqlite")
        #expect(config.seedPaths == ["seed/default.yaml"])
        #expect(config.keysDirectory == "keys")
        #expect(config.accessTokenTTL == 3600)
        #expect(config.internalURL == nil)
        #expect(config.sessionTTL == 3600)
        #expect(config.refreshTokenTTL == 30 * 24 * 3600)
        #expect(config.loginUserPicker == false)
        #expect(config.loginDenyButton == true)
    }

    @Test func adminTokenComesFromTheFlagThenTheEnvironment() throws {
        #expect(try ServerConfiguration.resolve(flags: .init(), environment: [:]).adminToken == nil)
        let environment = ["UNDERSTUDY_ADMIN_TOKEN": "from-env"]
        #expect(try ServerConfiguration.resolve(flags: .init(), environment: environment).adminToken == "from-env")
        #expect(try ServerConfiguration.resolve(flags: .init(adminToken: "from-flag"), environment: environment).adminToken == "from-flag")
        #expect(try ServerConfiguration.resolve(flags: .init(), environment: ["UNDERSTUDY_ADMIN_TOKEN": ""]).adminToken == nil)
    }

    @Test func browserSettingsComeFromTheSeed() throws {
        var settings = SeedFile.Settings()
        settings.sessionTTL = 120
        settings.loginUserPicker = true
        settings.loginDenyButton = false
        let config = try ServerConfiguration.resolve(flags: .init(), environment: [:], seedSettings: settings)
        #expect(config.sessionTTL == 120)
        #expect(config.loginUserPicker)
        #expect(!config.loginDenyButton)
    }

    /// An issuer path that would turn into a scheme-relative Location (`//host`) or a cookie attribute (`;`).
    @Test(arguments: ["http://localhost:9400//evil.example", "http://localhost:9400/a;b"])
    func issuerPathsThatCannotBeMountedAreRefused(_ issuer: String) {
        #expect(throws: ConfigurationError.self) {
            try ServerConfiguration.resolve(flags: .init(issuer: issuer), environment: [:])
        }
    }

    @Test func flagsBeatEnvironmentBeatSeedSettings() throws {
        var settings = SeedFile.Settings()
        settings.issuer = "http://seed.example"
        settings.accessTokenTTL = 900
        let environment = ["UNDERSTUDY_ISSUER": "http://env.example", "UNDERSTUDY_PORT": "9500", "UNDERSTUDY_SEED": "a.yaml, b.yaml"]

        let fromSeed = try ServerConfiguration.resolve(flags: .init(), environment: [:], seedSettings: settings)
        #expect(fromSeed.issuer == "http://seed.example")
        #expect(fromSeed.accessTokenTTL == 900)

        let fromEnvironment = try ServerConfiguration.resolve(flags: .init(), environment: environment, seedSettings: settings)
        #expect(fromEnvironment.issuer == "http://env.example")
        #expect(fromEnvironment.port == 9500)
        #expect(fromEnvironment.seedPaths == ["a.yaml", "b.yaml"])

        let fromFlags = try ServerConfiguration.resolve(
            flags: .init(port: 9600, issuer: "http://flag.example", seedPaths: ["c.yaml"]),
            environment: environment,
            seedSettings: settings
        )
        #expect(fromFlags.issuer == "http://flag.example")
        #expect(fromFlags.port == 9600)
        #expect(fromFlags.seedPaths == ["c.yaml"])
    }

    @Test func aWildcardHostGivesALocalhostIssuer() throws {
        let config = try ServerConfiguration.resolve(flags: .init(host: "0.0.0.0", port: 9401), environment: [:])
        #expect(config.issuer == "http://localhost:9401")
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        let error = try #require(throws: ConfigurationError.self) {
            try ServerConfiguration.resolve(
                flags: .init(port: 70000, issuer: "ftp://x", internalURL: "not a url", logLevel: "loud"),
                environment: [:]
            )
        }
        #expect(error.problems.count == 4)
    }
}

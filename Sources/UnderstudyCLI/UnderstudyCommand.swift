import ArgumentParser

/// `understudy`: a mock OpenID Connect provider standing in for AWS Cognito and Oracle IDCS in tests.
@main
struct UnderstudyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "understudy",
        abstract: "A mock OpenID Connect provider for tests, standing in for AWS Cognito and Oracle IDCS.",
        version: "0.1.0",
        subcommands: [ServeCommand.self, HealthCommand.self, KeysCommand.self, SeedCommand.self]
    )
}

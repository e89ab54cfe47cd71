import ArgumentParser
import Logging
import Understudy

/// The process entry: sets up the runtime, then runs the command line.
@main
enum Entrypoint {
    static func main() async {
        EventLoopGlobalExecutor.install()
        LoggingSystem.bootstrap { label in LineLogHandler(label: label) }
        await UnderstudyCommand.main()
    }
}

/// `understudy`: a mock OpenID Connect provider standing in for AWS Cognito and Oracle IDCS in tests.
struct UnderstudyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "understudy",
        abstract: "A mock OpenID Connect provider for tests, standing in for AWS Cognito and Oracle IDCS.",
        version: "0.1.0",
        subcommands: [
            ServeCommand.self, HealthCommand.self, KeysCommand.self, SeedCommand.self, UsersCommand.self, ClientsCommand.self, TokenCommand.self,
            AuditCommand.self,
        ]
    )
}

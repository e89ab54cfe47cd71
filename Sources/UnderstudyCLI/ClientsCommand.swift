import ArgumentParser
import Understudy

/// `understudy clients list|add`: clients, on the database directly.
struct ClientsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clients",
        abstract: "List and add clients (on the database; the server may be running).",
        subcommands: [List.self, Add.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List clients.")
        @OptionGroup var options: ConsoleOptions

        func run() async throws {
            let clients = try await self.options.withConsole { try await $0.clients() }
            try self.options.print(clients, columns: ["client_id", "public", "grant_types", "scopes", "dialect", "signing_alg"])
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a client; a confidential client without --secret gets a generated one, printed once."
        )
        @Argument(help: "The client_id.") var clientID: String
        @Option(help: "Display name.") var name: String?
        @Flag(help: "A public client (no secret): SPAs and native apps.") var `public` = false
        @Option(help: "The client secret (stored hashed).") var secret: String?
        @Option(help: "A grant type; repeatable (client_credentials, authorization_code, implicit, refresh_token, password).")
        var grantType: [String] = []
        @Option(help: "A scope the client may be granted; repeatable.") var scope: [String] = []
        @Option(help: "A redirect URI; repeatable.") var redirectURI: [String] = []
        @Option(help: "An audience of its access tokens; repeatable.") var audience: [String] = []
        @Option(help: "generic, cognito or idcs.") var dialect: String?
        @Option(help: "RS256 or ES256.") var signingAlg: String?
        @OptionGroup var options: ConsoleOptions

        func run() async throws {
            var members: [String: JSONValue] = ["client_id": .string(self.clientID)]
            if self.public { members["public"] = .bool(true) }
            let optional: [(String, String?)] = [
                ("name", self.name), ("client_secret", self.secret), ("dialect", self.dialect), ("signing_alg", self.signingAlg),
            ]
            for (key, value) in optional { if let value { members[key] = .string(value) } }
            let lists: [(String, [String])] = [
                ("grant_types", self.grantType), ("scopes", self.scope), ("redirect_uris", self.redirectURI), ("audience", self.audience),
            ]
            for (key, values) in lists where !values.isEmpty { members[key] = .array(values.map(JSONValue.string)) }
            let client = try await self.options.withConsole { try await $0.addClient(members) }
            try self.options.print(client)
        }
    }
}

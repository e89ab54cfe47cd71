import ArgumentParser
import Foundation
import Understudy

/// `understudy token mint`: a signed token without a sign-in, as `POST /admin/v1/tokens` makes it.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Mint tokens.", subcommands: [Mint.self])

    struct Mint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign an access token (and an ID token for a user with openid) for a client; prints the access token."
        )
        @Option(help: "The client_id.") var client: String
        @Option(help: "A username or sub; without it, the client's own token.") var user: String?
        @Option(help: "Space-separated scopes; default: the client's.") var scope: String?
        @Option(help: "An extra access-token claim, name=value (value read as JSON when it is JSON); repeatable.") var claim: [String] = []
        @Option(help: "Lifetime in seconds, instead of the client's.") var expiresIn: Int?
        @OptionGroup var options: ConsoleOptions

        /// `--claim name=value` pairs; a value that is JSON (`3`, `true`, `["a"]`) is read as JSON.
        func claims() throws -> [String: JSONValue] {
            var claims: [String: JSONValue] = [:]
            for item in self.claim {
                guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                    throw CommandError("--claim takes name=value, not '\(item)'")
                }
                let text = String(item[item.index(after: equals)...])
                claims[String(item[..<equals])] = (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .string(text)
            }
            return claims
        }

        func run() async throws {
            let claims = try self.claims()
            let response = try await self.options.withConsole { console in
                try await console.mintToken(clientID: self.client, user: self.user, scope: self.scope, claims: claims, lifetime: self.expiresIn)
            }
            if self.options.json {
                try Output.json(response)
            } else {
                print(Output.text(Output.member(response, "access_token")))
            }
        }
    }
}

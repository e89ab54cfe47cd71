import ArgumentParser
import Understudy

/// `understudy users list|add|passwd|groups`: users, on the database directly.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "List and change users (on the database; the server may be running).",
        subcommands: [List.self, Add.self, Passwd.self, Groups.self]
    )

    static let columns = ["username", "sub", "email", "groups", "active", "password"]

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var options: ConsoleOptions

        func run() async throws {
            let users = try await self.options.withConsole { try await $0.users() }
            try self.options.print(users, columns: UsersCommand.columns)
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user.")
        @Argument(help: "The username.") var username: String
        @Option(help: "Password to sign in with (stored hashed).") var password: String?
        @Option(help: "Email address (marked verified).") var email: String?
        @Option(help: "Given name.") var givenName: String?
        @Option(help: "Family name.") var familyName: String?
        @Option(help: "A group to join; repeatable.") var group: [String] = []
        @OptionGroup var options: ConsoleOptions

        func run() async throws {
            let user = try await self.options.withConsole { console in
                try await console.addUser(
                    username: self.username,
                    password: self.password,
                    email: self.email,
                    givenName: self.givenName,
                    familyName: self.familyName,
                    groups: self.group
                )
            }
            try self.options.print(user)
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's password.")
        @Argument(help: "The username.") var username: String
        @Option(help: "The new password (stored hashed).") var password: String
        @OptionGroup var options: ConsoleOptions

        func run() async throws {
            try await self.options.withConsole { try await $0.setPassword(username: self.username, password: self.password) }
            if self.options.json {
                try Output.json(.object(["username": .string(self.username), "password_changed": .bool(true)]))
            } else {
                print("password of \(self.username) changed")
            }
        }
    }

    struct Groups: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a user's groups, or add and remove them.")
        @Argument(help: "The username.") var username: String
        @Option(help: "A group to join; repeatable.") var add: [String] = []
        @Option(help: "A group to leave; repeatable.") var remove: [String] = []
        @OptionGroup var options: ConsoleOptions

        func run() async throws {
            let groups = try await self.options.withConsole { console in
                try await console.changeGroups(username: self.username, add: self.add, remove: self.remove)
            }
            if self.options.json {
                try Output.json(.array(groups.map(JSONValue.string)))
            } else {
                print(groups.isEmpty ? "(no groups)" : groups.joined(separator: "\n"))
            }
        }
    }
}

import ArgumentParser
import Foundation
import Understudy

/// `understudy audit tail`: the audit log's latest events, and with `--follow` the ones that come.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Read the audit log.", subcommands: [Tail.self])

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the latest events, oldest first.")
        @Option(name: [.customShort("n"), .customLong("lines")], help: "How many events.") var count = 20
        @Flag(help: "Keep printing new events as the server writes them (Ctrl-C to stop).") var follow = false
        @Option(help: "Only this client's events.") var clientID: String?
        @Option(help: "Only this subject's events.") var subject: String?
        @Option(help: "issued, denied or revoked.") var outcome: String?
        @Option(help: "token, revoke, login, admin_mint, …") var action: String?
        @OptionGroup var options: ConsoleOptions

        static let columns = ["id", "time", "action", "outcome", "client_id", "subject", "scope", "reason"]

        func run() async throws {
            try await self.options.withConsole { console in
                var last: Int64?
                var first = true
                repeat {
                    let events = try await console.auditEvents(
                        clientID: self.clientID,
                        subject: self.subject,
                        outcome: self.outcome,
                        action: self.action,
                        afterID: last,
                        limit: last == nil ? self.count : 10_000
                    )
                    if case .int(let id)? = events.last.flatMap({ Output.member($0, "id") }) { last = Int64(id) }
                    if self.options.json {
                        for event in events { try Output.json(event) }
                    } else if first || !events.isEmpty {
                        Output.table(events, columns: Self.columns, header: first)
                    }
                    first = false
                    if last == nil { last = 0 }
                    // A pipe buffers stdout: each poll's lines go out now, not when the buffer fills.
                    fflush(nil)
                    if self.follow { try await Task.sleep(for: .milliseconds(500)) }
                } while self.follow
            }
        }
    }
}

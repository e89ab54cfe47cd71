import Foundation
import GRDB
import HTTPTypes
import Hummingbird

/// `GET /admin/v1/audit`: the audit log, newest first, filtered by `client_id`, `subject`, `outcome`,
/// `action` and `since` (RFC 3339 time or Unix seconds), at most `limit` events (1–1000, default 100).
struct AuditController: Sendable {
    let audit: AuditLog

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.get("audit", use: self.list)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let filter = try AuditLog.Filter(query: request.uri.queryParameters)
        let events = try await self.audit.events(filter)
        return AdminJSON.response(.object(["events": .array(events.map(\.json))]))
    }
}

extension AuditLog.Filter {
    /// Reads the query string; unknown parameters and bad values are a 400 problem.
    init(query: Parameters) throws(AdminProblem) {
        let known: Set<String> = ["client_id", "subject", "outcome", "action", "since", "limit"]
        if let unknown = query.map({ String($0.key) }).sorted().first(where: { !known.contains($0) }) {
            throw AdminProblem(.badRequest, "unknown parameter '\(unknown.prefix(40))'; expected \(known.sorted().joined(separator: ", "))")
        }
        self.init()
        self.clientID = query["client_id"].map(String.init)
        self.subject = query["subject"].map(String.init)
        self.action = query["action"].map(String.init)
        if [self.clientID, self.subject, self.action].contains(where: { $0?.utf8.contains(0) == true }) {
            throw AdminProblem(.badRequest, "parameters must not contain NUL characters")
        }
        if let outcome = query["outcome"] {
            guard let parsed = AuditEvent.Outcome(rawValue: String(outcome)) else {
                throw AdminProblem(.badRequest, "outcome must be issued, denied or revoked")
            }
            self.outcome = parsed
        }
        if let since = query["since"] {
            guard let date = Self.date(String(since)) else {
                throw AdminProblem(.badRequest, "since must be an RFC 3339 time (2026-12-02T13:00:00Z) or Unix seconds")
            }
            self.since = date
        }
        if let limit = query["limit"] {
            guard let value = Int(limit), (1...1000).contains(value) else { throw AdminProblem(.badRequest, "limit must be from 1 to 1000") }
            self.limit = value
        }
    }

    private static func date(_ text: String) -> Date? {
        var date: Date?
        if let seconds = Int(text) {
            date = Date(timeIntervalSince1970: TimeInterval(seconds))
        } else {
            date = (try? Date(text, strategy: .iso8601)) ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        guard let date, DatabaseTimestamp.range.contains(date.timeIntervalSince1970) else { return nil }
        return date
    }
}

extension AuditEvent {
    /// The event as the admin API shows it; times in RFC 3339, UTC, with milliseconds.
    var json: JSONValue {
        var members: [String: JSONValue] = [
            "time": .string(self.time.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))),
            "action": .string(self.action),
            "outcome": .string(self.outcome.rawValue),
        ]
        if let id = self.id { members["id"] = .int(Int(id)) }
        let optional: [(String, String?)] = [
            ("grant_type", self.grantType), ("client_id", self.clientID), ("subject", self.subject), ("scope", self.scopes),
            ("jti", self.jti), ("reason", self.reason),
        ]
        for (name, value) in optional { if let value { members[name] = .string(value) } }
        return .object(members)
    }
}

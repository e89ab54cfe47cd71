import Foundation
import GRDB

/// One token issued or denied. Table `auditEvent`; written in batches by ``AuditLog``.
struct AuditEvent: Codable, Sendable, Equatable, FetchableRecord {
    enum Outcome: String, Codable, Sendable { case issued, denied, revoked }

    var id: Int64?
    var time: Date
    /// The endpoint or action, e.g. `token`, `revoke`.
    var action: String
    var outcome: Outcome
    var grantType: String?
    var clientID: String?
    var subject: String?
    var scopes: String?
    var jti: String?
    /// The OAuth error code and description when denied.
    var reason: String?

    static let databaseTableName = "auditEvent"
}

extension AuditEvent: MutablePersistableRecord, TimestampedRecord {
    mutating func didInsert(_ inserted: InsertionSuccess) {
        self.id = inserted.rowID
    }
}

extension AuditEvent {
    /// One row of a batch insert; a cached statement costs far less per row than a record's `insert`.
    static let insertSQL = """
        INSERT INTO auditEvent (time, action, outcome, grantType, clientID, subject, scopes, jti, reason)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    var insertArguments: StatementArguments {
        [
            DatabaseTimestamp.string(self.time), self.action, self.outcome.rawValue, self.grantType, self.clientID, self.subject,
            self.scopes, self.jti, self.reason,
        ]
    }
}

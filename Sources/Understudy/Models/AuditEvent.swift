import Foundation
import GRDB
import GRDBSQLite

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
    /// One row of a batch insert (``insert(with:in:)``).
    static let insertSQL = """
        INSERT INTO auditEvent (time, action, outcome, grantType, clientID, subject, scopes, jti, reason)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// Inserts this event with `statement`, a prepared ``insertSQL`` of `db`.
    ///
    /// The values are bound through SQLite's C API: GRDB's `StatementArguments` and checked execution cost
    /// about 20,000 instructions a row (callgrind), close to what SQLite's own insert with its three indexes
    /// costs, and the audit log writes a row for every token.
    func insert(with statement: Statement, in db: Database) throws {
        let handle = statement.sqliteStatement
        func bind(_ index: Int32, _ text: String?) {
            guard let text else {
                sqlite3_bind_null(handle, index)
                return
            }
            // A C string, as GRDB binds a `String`: the value ends at a NUL byte, as before.
            sqlite3_bind_text(handle, index, text, -1, Self.sqliteTransient)
        }
        bind(1, DatabaseTimestamp.string(self.time))
        bind(2, self.action)
        bind(3, self.outcome.rawValue)
        bind(4, self.grantType)
        bind(5, self.clientID)
        bind(6, self.subject)
        bind(7, self.scopes)
        bind(8, self.jti)
        bind(9, self.reason)
        let code = sqlite3_step(handle)
        defer { sqlite3_reset(handle) }
        guard code == SQLITE_DONE else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code),
                message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                sql: Self.insertSQL
            )
        }
    }

    /// SQLite's `SQLITE_TRANSIENT` (copy the value now), a C macro Swift does not import.
    private static let sqliteTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}

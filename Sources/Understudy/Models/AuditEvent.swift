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
    /// One row of a batch insert (``insert(with:)``).
    static let insertSQL = """
        INSERT INTO auditEvent (time, action, outcome, grantType, clientID, subject, scopes, jti, reason)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// Inserts this event with `statement`, a prepared ``insertSQL``, inside the caller's write.
    ///
    /// The values are bound through SQLite's C API: GRDB's `StatementArguments` and checked execution added
    /// about 11,000 instructions a row to SQLite's own 23,000 (callgrind), and the audit log writes a row for
    /// every token. What GRDB does around a statement it runs is skipped: its cancellation check (a
    /// cancelled write still fails, at `COMMIT`) and its transaction observers (the database has none).
    func insert(with statement: Statement) throws {
        let handle = statement.sqliteStatement
        // Reset first as well: another user of the cached statement may have left it stepped, and SQLite
        // refuses binds to a statement that has not been reset.
        sqlite3_reset(handle)
        defer { sqlite3_reset(handle) }
        func fail(_ code: Int32) -> DatabaseError {
            DatabaseError(
                resultCode: ResultCode(rawValue: code),
                message: String(cString: sqlite3_errmsg(sqlite3_db_handle(handle))),
                sql: Self.insertSQL
            )
        }
        func bind(_ index: Int32, _ text: String?) throws {
            // A C string, as GRDB binds a `String`: the value ends at a NUL byte, as before.
            let code = text.map { sqlite3_bind_text(handle, index, $0, -1, Self.sqliteTransient) } ?? sqlite3_bind_null(handle, index)
            guard code == SQLITE_OK else { throw fail(code) }
        }
        try bind(1, DatabaseTimestamp.string(self.time))
        try bind(2, self.action)
        try bind(3, self.outcome.rawValue)
        try bind(4, self.grantType)
        try bind(5, self.clientID)
        try bind(6, self.subject)
        try bind(7, self.scopes)
        try bind(8, self.jti)
        try bind(9, self.reason)
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else { throw fail(code) }
    }

    /// SQLite's `SQLITE_TRANSIENT` (copy the value now), a C macro Swift does not import.
    private static let sqliteTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}

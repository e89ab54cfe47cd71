import Foundation
import GRDB

/// Login sessions behind the browser's session cookie (single sign-on across authorization requests).
struct SessionRepository: Sendable {
    let writer: any DatabaseWriter

    /// Starts a session and returns the cookie value; only its digest is stored.
    func create(userID: String, authTime: Date, lifetime: TimeInterval) async throws -> String {
        let token = OpaqueToken.generate()
        let session = LoginSession(
            id: OpaqueToken.digest(token),
            userID: userID,
            authTime: authTime,
            createdAt: authTime,
            expiresAt: authTime.addingTimeInterval(lifetime)
        )
        try await self.writer.write { db in
            try db.execute(sql: "DELETE FROM loginSession WHERE expiresAt <= ?", arguments: [authTime.databaseTimestamp])
            try session.insert(db)
        }
        return token
    }

    /// The live session for a cookie value, or nil (unknown, ended or expired).
    func find(token: String, now: Date) async throws -> LoginSession? {
        let id = OpaqueToken.digest(token)
        let session = try await self.writer.read { db in try LoginSession.fetchOne(db, key: id) }
        guard let session, session.expiresAt > now else { return nil }
        return session
    }

    /// Ends the session of a cookie value (nothing happens for an unknown one).
    func delete(token: String) async throws {
        let id = OpaqueToken.digest(token)
        _ = try await self.writer.write { db in try LoginSession.deleteOne(db, key: id) }
    }
}

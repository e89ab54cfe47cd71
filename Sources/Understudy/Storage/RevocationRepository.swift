import Foundation
import GRDB
import Synchronization

/// Revoked token ids: written through to SQLite before a revocation is acknowledged, read from memory.
final class RevocationRepository: Sendable {
    let writer: any DatabaseWriter
    private let revoked: Mutex<Set<String>>

    /// Loads the revocations of tokens that have not expired yet.
    init(writer: any DatabaseWriter, now: Date) throws {
        self.writer = writer
        let jtis = try writer.read { db in
            try String.fetchSet(db, sql: "SELECT jti FROM revocation WHERE expiresAt > ?", arguments: [now])
        }
        self.revoked = Mutex(jtis)
    }

    func isRevoked(jti: String) -> Bool {
        self.revoked.withLock { $0.contains(jti) }
    }

    /// Records a revocation durably, then answers from memory.
    func revoke(_ revocation: Revocation) async throws {
        try await self.writer.write { db in
            try revocation.upsert(db)
            try db.execute(sql: "DELETE FROM revocation WHERE expiresAt <= ?", arguments: [revocation.revokedAt])
        }
        self.revoked.withLock { _ = $0.insert(revocation.jti) }
    }
}

import Foundation
import GRDB
import Synchronization

/// Revoked token ids: written through to SQLite before a revocation is acknowledged, read from memory.
final class RevocationRepository: Sendable {
    let writer: any DatabaseWriter
    /// Revoked `jti` → when the token expires; entries go once the token could no longer be used anyway.
    private let revoked: Mutex<[String: Date]>

    /// Loads the revocations of tokens that have not expired yet.
    init(writer: any DatabaseWriter, now: Date) throws {
        self.writer = writer
        let rows = try writer.read { db in
            try Revocation.fetchAll(db, sql: "SELECT * FROM revocation WHERE expiresAt > ?", arguments: [now.databaseTimestamp])
        }
        self.revoked = Mutex(Dictionary(rows.map { (Self.key($0.jti), $0.expiresAt) }, uniquingKeysWith: max))
    }

    func isRevoked(jti: String) -> Bool {
        let key = Self.key(jti)
        return self.revoked.withLock { $0[key] != nil }
    }

    /// Token ids compare without dashes and case: IDCS writes the same UUID as 32 hex digits.
    static func key(_ jti: String) -> String {
        jti.replacingOccurrences(of: "-", with: "").lowercased()
    }

    /// Records a revocation durably, then answers from memory.
    func revoke(_ revocation: Revocation) async throws {
        try await self.revoke([revocation])
    }

    /// Records several revocations in one transaction, then answers from memory.
    func revoke(_ revocations: [Revocation]) async throws {
        guard let now = revocations.map(\.revokedAt).max() else { return }
        try await self.writer.write { db in
            for revocation in revocations { try revocation.upsert(db) }
            try db.execute(sql: "DELETE FROM revocation WHERE expiresAt <= ?", arguments: [now.databaseTimestamp])
        }
        self.revoked.withLock { revoked in
            revoked = revoked.filter { $0.value > now }
            for revocation in revocations { revoked[Self.key(revocation.jti)] = revocation.expiresAt }
        }
    }
}

import Foundation
import GRDB

/// Keeps the `signingKey` table in step with the keys loaded at start (metadata only).
struct SigningKeyRepository: Sendable {
    let writer: any DatabaseWriter

    /// Records keys seen for the first time; the active key per algorithm is marked `active`, others `retired`.
    func record(_ keys: KeyRing, now: Date) async throws {
        try await self.writer.write { db in
            for key in keys.keys {
                let isActive = keys.active[key.algorithm]?.kid == key.kid
                let existing = try SigningKeyRecord.fetchOne(db, key: key.kid)
                var record =
                    existing
                    ?? SigningKeyRecord(
                        kid: key.kid,
                        algorithm: key.algorithm.rawValue,
                        source: key.source,
                        status: .active,
                        firstSeenAt: now
                    )
                record.source = key.source
                record.status = isActive ? .active : .retired
                record.retiredAt = isActive ? nil : (existing?.retiredAt ?? now)
                try record.save(db)
            }
        }
    }
}

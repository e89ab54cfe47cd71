import Foundation
import GRDB
import Synchronization

/// Puts the directory back to the seed's state in one transaction: users, groups, clients and scopes that
/// the seed does not name are deleted, the seed's entries are written again as the seed has them, and
/// sign-in sessions, authorization codes and refresh tokens are dropped.
///
/// Signing keys, revocations and the audit log are kept: tokens already issued stay as valid (or as
/// revoked) as they were. The bcrypt hashes of the seed's plaintext secrets are made once and reused.
final class SeedReset: Sendable {
    let seeder: Seeder
    let seed: SeedFile
    private let hashes = Mutex<Seeder.Hashes?>(nil)

    init(seeder: Seeder, seed: SeedFile) {
        self.seeder = seeder
        self.seed = seed
    }

    /// What was removed.
    struct Outcome: Sendable, Equatable {
        var users = 0
        var groups = 0
        var clients = 0
        var scopes = 0
    }

    func reset() async throws -> Outcome {
        let hashes: Seeder.Hashes
        if let cached = self.hashes.withLock({ $0 }) {
            hashes = cached
        } else {
            hashes = try await self.seeder.hashSecrets(self.seed)
            self.hashes.withLock { $0 = hashes }
        }
        let seed = self.seed
        let now = self.seeder.now()
        return try await self.seeder.database.writer.write { db in
            var outcome = Outcome()
            outcome.users = try Self.delete(db, table: "user", key: "username", keeping: seed.users.map(\.username))
            outcome.groups = try Self.delete(db, table: "userGroup", key: "name", keeping: seed.groups.map(\.name))
            outcome.clients = try Self.delete(db, table: "client", key: "id", keeping: seed.clients.map(\.clientID))
            outcome.scopes = try Self.delete(db, table: "scope", key: "name", keeping: seed.scopes.map(\.name), where: "isStandard = 0")
            for table in ["loginSession", "authorizationCode", "refreshToken", "refreshFamily"] {
                try db.execute(sql: "DELETE FROM \(table)")
            }
            // What SCIM can set beyond the seed's fields.
            try db.execute(sql: "UPDATE user SET externalId = NULL, active = 1, formattedName = NULL")
            try db.execute(sql: "UPDATE userGroup SET externalId = NULL")
            try self.seeder.write(seed, hashes: hashes, now: now, db)
            return outcome
        }
    }

    /// Deletes the rows of `table` whose `key` is not in `keeping`; returns how many.
    private static func delete(_ db: Database, table: String, key: String, keeping: [String], where condition: String = "1") throws -> Int {
        let kept = Set(keeping)
        let doomed = try String.fetchAll(db, sql: "SELECT \(key) FROM \(table) WHERE \(condition)").filter { !kept.contains($0) }
        let statement = try db.cachedStatement(sql: "DELETE FROM \(table) WHERE \(key) = ?")
        for value in doomed { try statement.execute(arguments: [value]) }
        return doomed.count
    }
}

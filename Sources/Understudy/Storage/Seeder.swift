import Crypto
import Foundation
import GRDB

/// Applies a ``SeedFile`` to the database: upsert by natural key, all in one transaction.
///
/// A fingerprint of the applied seed is stored; starting again with the same seed skips the work (and the
/// bcrypt hashing), so runtime changes made through the admin API survive restarts with an unchanged seed.
struct Seeder: Sendable {
    let database: AppDatabase
    let now: @Sendable () -> Date

    enum Outcome: Equatable { case applied, unchanged }

    @discardableResult
    func apply(_ seed: SeedFile, force: Bool = false) async throws -> Outcome {
        let fingerprint = try Self.fingerprint(of: seed)
        if !force {
            let stored = try await self.database.writer.read { db in
                try String.fetchOne(db, sql: "SELECT fingerprint FROM seedState WHERE id = 1")
            }
            if stored == fingerprint { return .unchanged }
        }
        let hashes = try await self.hashSecrets(seed)
        let now = self.now()
        try await self.database.writer.write { db in
            try self.write(seed, hashes: hashes, now: now, db)
            try db.execute(
                sql:
                    "INSERT INTO seedState (id, fingerprint, appliedAt) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET fingerprint = excluded.fingerprint, appliedAt = excluded.appliedAt",
                arguments: [fingerprint, now.databaseTimestamp]
            )
        }
        return .applied
    }

    func write(_ seed: SeedFile, hashes: Hashes, now: Date, _ db: Database) throws {
        for group in seed.groups {
            try UserGroup(name: group.name, description: group.description).upsert(db)
        }
        for scope in seed.scopes {
            try Scope(name: scope.name, description: scope.description, isStandard: false).upsert(db)
        }
        for entry in seed.users {
            let existing = try User.filter(User.Columns.username == entry.username).fetchOne(db)
            let id = entry.sub ?? existing?.id ?? Self.derivedSubject(username: entry.username)
            if let existing, existing.id != id {
                try db.execute(sql: "UPDATE user SET id = ? WHERE id = ?", arguments: [id, existing.id])
            }
            let user = User(
                id: id,
                username: entry.username,
                passwordHash: entry.passwordHash ?? hashes.users[entry.username],
                email: entry.email,
                emailVerified: entry.emailVerified ?? (entry.email != nil),
                givenName: entry.givenName,
                familyName: entry.familyName,
                name: entry.name ?? Self.displayName(entry),
                phoneNumber: entry.phoneNumber,
                attributes: entry.attributes,
                createdAt: existing?.createdAt ?? now,
                updatedAt: now
            )
            try user.save(db)
            try GroupMembership.filter(GroupMembership.Columns.userID == id).deleteAll(db)
            for group in entry.groups {
                try GroupMembership(userID: id, groupName: group).insert(db)
            }
        }
        for entry in seed.clients {
            try ClientRepository.write(entry, secretHash: entry.clientSecretHash ?? hashes.clients[entry.clientID], now: now, db)
        }
    }

    struct Hashes: Sendable {
        var users: [String: String] = [:]
        var clients: [String: String] = [:]
    }

    /// bcrypt-hashes every plaintext password and secret, in parallel, before the write transaction.
    func hashSecrets(_ seed: SeedFile) async throws -> Hashes {
        enum Owner {
            case user(String)
            case client(String)
        }
        var jobs: [(Owner, String)] = seed.users.compactMap { user in user.password.map { (.user(user.username), $0) } }
        jobs += seed.clients.compactMap { client in client.clientSecret.map { (.client(client.clientID), $0) } }
        return try await withThrowingTaskGroup(of: (Owner, String).self) { group in
            for (owner, secret) in jobs {
                group.addTask { (owner, try await PasswordHasher.hash(secret)) }
            }
            var hashes = Hashes()
            for try await (owner, hash) in group {
                switch owner {
                case .user(let name): hashes.users[name] = hash
                case .client(let id): hashes.clients[id] = hash
                }
            }
            return hashes
        }
    }

    static func fingerprint(of seed: SeedFile) throws -> String {
        // Line numbers are for messages; moving an entry or editing a comment does not change the seed.
        var seed = seed
        for index in seed.users.indices { seed.users[index].line = 0 }
        for index in seed.clients.indices { seed.clients[index].line = 0 }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let digest = SHA256.hash(data: try encoder.encode(seed))
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    static func displayName(_ user: SeedFile.User) -> String? {
        let parts = [user.givenName, user.familyName].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    /// A name-based (version 5) UUID, so a seeded user's `sub` is the same in every fresh database.
    static func derivedSubject(username: String) -> String {
        // Namespace for Understudy user subjects (a fixed random UUID).
        let namespace = UUID(uuidString: "6f3c2a1e-9b7d-4c5e-8f10-2a4b6c8d0e1f")!
        var bytes = withUnsafeBytes(of: namespace.uuid) { Array($0) }
        bytes += Array(username.utf8)
        var hash = Array(Insecure.SHA1.hash(data: bytes).prefix(16))
        hash[6] = (hash[6] & 0x0F) | 0x50
        hash[8] = (hash[8] & 0x3F) | 0x80
        let uuid = hash.withUnsafeBytes { $0.loadUnaligned(as: uuid_t.self) }
        return UUID(uuid: uuid).lowercaseText
    }
}

import Foundation
import GRDB

/// The SQLite database: opens the file (WAL) or memory, and migrates it on open.
///
/// Every repository takes its ``writer``; writes are transactions.
public struct AppDatabase: Sendable {
    /// The GRDB connection (a `DatabasePool` on disk, a `DatabaseQueue` in memory).
    let writer: any DatabaseWriter

    init(_ writer: any DatabaseWriter) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
    }

    /// Opens (creating folder and file as needed) the database at `path`, in WAL mode.
    public static func file(path: String) throws -> AppDatabase {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        return try AppDatabase(DatabasePool(path: path, configuration: configuration))
    }

    /// A fresh private in-memory database (tests, `seed check`).
    public static func inMemory() throws -> AppDatabase {
        try AppDatabase(DatabaseQueue())
    }

    /// Named, append-only migrations. Never edit one that has shipped: add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: users, groups, memberships, scopes, clients") { db in
            try db.create(table: "user") { t in
                t.primaryKey("id", .text)
                t.column("username", .text).notNull().unique()
                t.column("passwordHash", .text)
                t.column("email", .text)
                t.column("emailVerified", .boolean).notNull().defaults(to: false)
                t.column("givenName", .text)
                t.column("familyName", .text)
                t.column("name", .text)
                t.column("phoneNumber", .text)
                t.column("attributes", .jsonText).notNull().defaults(to: "{}")
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "userGroup") { t in
                t.primaryKey("name", .text)
                t.column("description", .text)
            }
            try db.create(table: "groupMembership") { t in
                t.column("userID", .text).notNull().references("user", onDelete: .cascade, onUpdate: .cascade)
                t.column("groupName", .text).notNull().references("userGroup", onDelete: .cascade, onUpdate: .cascade)
                t.primaryKey(["userID", "groupName"])
            }
            try db.create(index: "groupMembership_groupName", on: "groupMembership", columns: ["groupName"])
            try db.create(table: "scope") { t in
                t.primaryKey("name", .text)
                t.column("description", .text)
                t.column("isStandard", .boolean).notNull().defaults(to: false)
            }
            for name in StandardScope.all.sorted() {
                try db.execute(
                    sql: "INSERT INTO scope (name, description, isStandard) VALUES (?, ?, 1)",
                    arguments: [name, StandardScope.descriptions[name]]
                )
            }
            try db.create(table: "client") { t in
                t.primaryKey("id", .text)
                t.column("name", .text)
                t.column("isPublic", .boolean).notNull()
                t.column("secretHash", .text)
                t.column("grantTypes", .jsonText).notNull()
                t.column("defaultScopes", .jsonText)
                t.column("audience", .jsonText).notNull()
                t.column("dialect", .text).notNull()
                t.column("signingAlgorithm", .text).notNull()
                t.column("accessTokenTTL", .integer)
                t.column("idTokenTTL", .integer)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "clientRedirectURI") { t in
                t.column("clientID", .text).notNull().references("client", onDelete: .cascade, onUpdate: .cascade)
                t.column("uri", .text).notNull()
                t.column("kind", .text).notNull()
                t.primaryKey(["clientID", "kind", "uri"])
            }
            try db.create(table: "clientScope") { t in
                t.column("clientID", .text).notNull().references("client", onDelete: .cascade, onUpdate: .cascade)
                t.column("scopeName", .text).notNull().references("scope", onDelete: .cascade, onUpdate: .cascade)
                t.primaryKey(["clientID", "scopeName"])
            }
        }
        migrator.registerMigration("v1: signing keys, revocations, audit log, seed state") { db in
            try db.create(table: "signingKey") { t in
                t.primaryKey("kid", .text)
                t.column("algorithm", .text).notNull()
                t.column("source", .text).notNull()
                t.column("status", .text).notNull()
                t.column("firstSeenAt", .datetime).notNull()
                t.column("retiredAt", .datetime)
            }
            try db.create(table: "revocation") { t in
                t.primaryKey("jti", .text)
                t.column("clientID", .text).notNull()
                t.column("expiresAt", .datetime).notNull().indexed()
                t.column("revokedAt", .datetime).notNull()
            }
            try db.create(table: "auditEvent") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("time", .datetime).notNull().indexed()
                t.column("action", .text).notNull()
                t.column("outcome", .text).notNull()
                t.column("grantType", .text)
                t.column("clientID", .text).indexed()
                t.column("subject", .text).indexed()
                t.column("scopes", .text)
                t.column("jti", .text)
                t.column("reason", .text)
            }
            try db.create(table: "seedState") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("fingerprint", .text).notNull()
                t.column("appliedAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v2: login sessions, authorization codes, refresh tokens") { db in
            try db.alter(table: "client") { t in
                t.add(column: "allowsPlainPKCE", .boolean).notNull().defaults(to: false)
            }
            try db.create(table: "loginSession") { t in
                t.primaryKey("id", .text)
                t.column("userID", .text).notNull().references("user", onDelete: .cascade, onUpdate: .cascade)
                t.column("authTime", .datetime).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("expiresAt", .datetime).notNull().indexed()
            }
            try db.create(table: "authorizationCode") { t in
                t.primaryKey("id", .text)
                t.column("clientID", .text).notNull().references("client", onDelete: .cascade, onUpdate: .cascade)
                t.column("userID", .text).notNull().references("user", onDelete: .cascade, onUpdate: .cascade)
                t.column("redirectURI", .text).notNull()
                t.column("scopes", .jsonText).notNull()
                t.column("nonce", .text)
                t.column("codeChallenge", .text)
                t.column("codeChallengeMethod", .text)
                t.column("authTime", .datetime).notNull()
                t.column("expiresAt", .datetime).notNull().indexed()
                t.column("consumedAt", .datetime)
                t.column("accessJTI", .text)
                t.column("accessExpiresAt", .datetime)
                t.column("refreshFamilyID", .text)
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "refreshFamily") { t in
                t.primaryKey("id", .text)
                t.column("expiresAt", .datetime).notNull().indexed()
                t.column("revokedAt", .datetime)
            }
            try db.create(table: "refreshToken") { t in
                t.primaryKey("id", .text)
                t.column("familyID", .text).notNull().indexed()
                t.column("clientID", .text).notNull().references("client", onDelete: .cascade, onUpdate: .cascade)
                t.column("userID", .text).notNull().references("user", onDelete: .cascade, onUpdate: .cascade)
                t.column("scopes", .jsonText).notNull()
                t.column("authTime", .datetime).notNull()
                t.column("accessJTI", .text)
                t.column("accessExpiresAt", .datetime)
                t.column("expiresAt", .datetime).notNull().indexed()
                t.column("usedAt", .datetime)
                t.column("revokedAt", .datetime)
                t.column("createdAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v3: per-client pre-token-generation hook") { db in
            try db.alter(table: "client") { t in
                t.add(column: "preTokenGeneration", .jsonText)
            }
        }
        migrator.registerMigration("v4: generated signing keys and their grace period") { db in
            try db.alter(table: "signingKey") { t in
                // PEM of a key generated by rotation (keys loaded from --keys stay in their files).
                t.add(column: "privateKeyPEM", .text)
                // When a retired key leaves the JWKS; nil keeps it published.
                t.add(column: "expiresAt", .datetime)
            }
        }
        migrator.registerMigration("v5: SCIM group ids, external ids and active flags") { db in
            try db.alter(table: "user") { t in
                t.add(column: "externalId", .text)
                t.add(column: "active", .boolean).notNull().defaults(to: true)
                t.add(column: "formattedName", .text)
            }
            try db.alter(table: "userGroup") { t in
                t.add(column: "id", .text)
                t.add(column: "externalId", .text)
                t.add(column: "createdAt", .datetime)
                t.add(column: "updatedAt", .datetime)
            }
            // Groups made by any path (seed, CLI, SCIM) get a random version 4 UUID as their SCIM id and
            // timestamps, unless the insert sets them; existing groups get theirs here.
            let uuid = """
                lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || \
                substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))
                """
            let timestamp = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
            try db.execute(sql: "UPDATE userGroup SET id = \(uuid), createdAt = \(timestamp), updatedAt = \(timestamp)")
            try db.create(index: "userGroup_id", on: "userGroup", columns: ["id"], options: .unique)
            try db.execute(
                sql: """
                    CREATE TRIGGER userGroup_scimDefaults AFTER INSERT ON userGroup WHEN NEW.id IS NULL OR NEW.createdAt IS NULL
                    BEGIN
                        UPDATE userGroup SET id = COALESCE(NEW.id, \(uuid)), createdAt = COALESCE(NEW.createdAt, \(timestamp)),
                            updatedAt = COALESCE(NEW.updatedAt, \(timestamp))
                        WHERE rowid = NEW.rowid;
                    END
                    """
            )
        }
        return migrator
    }
}

/// Storage outcomes callers handle (GRDB's own errors stay internal).
enum StorageError: Error, Equatable {
    case notFound
    case alreadyExists
}

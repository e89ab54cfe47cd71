import Foundation
import GRDB

/// Reads users and their group memberships.
struct UserRepository: Sendable {
    let writer: any DatabaseWriter

    /// A user with the names of their groups.
    struct Account: Sendable, Equatable {
        var user: User
        var groups: [String]
        /// False once a SCIM client deactivated the user: no sign-in, no new tokens from earlier grants.
        var active = true
    }

    func find(username: String) async throws -> Account? {
        try await self.writer.read { db in
            guard let user = try User.filter(User.Columns.username == username).fetchOne(db) else { return nil }
            return try Self.account(db, user)
        }
    }

    func find(id: String) async throws -> Account? {
        try await self.writer.read { db in
            guard let user = try User.fetchOne(db, key: id) else { return nil }
            return try Self.account(db, user)
        }
    }

    private static func account(_ db: Database, _ user: User) throws -> Account {
        let active = try Bool.fetchOne(db, sql: "SELECT active FROM user WHERE id = ?", arguments: [user.id]) ?? false
        return Account(user: user, groups: try Self.groups(db, userID: user.id), active: active)
    }

    /// Every user who can sign in with a password, by username (the login page's picker).
    func all() async throws -> [Account] {
        try await self.writer.read { db in
            let users = try User.filter(sql: "passwordHash IS NOT NULL AND active").order(User.Columns.username).fetchAll(db)
            return try users.map { Account(user: $0, groups: try Self.groups(db, userID: $0.id)) }
        }
    }

    static func groups(_ db: Database, userID: String) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT groupName FROM groupMembership WHERE userID = ? ORDER BY groupName", arguments: [userID])
    }
}

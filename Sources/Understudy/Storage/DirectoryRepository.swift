import Foundation
import GRDB

/// Users and groups as the SCIM API manages them: reads with memberships, and writes, each one transaction.
///
/// Group ids are the `userGroup.id` column (a random UUID per group, set on insert); memberships stay keyed by
/// group name, so renaming a group cascades to them.
struct DirectoryRepository: Sendable {
    let writer: any DatabaseWriter
    let now: @Sendable () -> Date

    /// A user with the SCIM-only columns and the groups they belong to.
    struct UserEntry: Sendable, Equatable {
        var user: User
        var externalID: String?
        var active: Bool = true
        /// `name.formatted` when set explicitly; otherwise derived from the given and family names.
        var formattedName: String?
        var groups: [GroupReference] = []
    }

    /// A group as a member list shows it, or a member as a group shows it.
    struct GroupReference: Sendable, Equatable {
        var id: String
        var display: String
    }

    /// A group with its members.
    struct GroupEntry: Sendable, Equatable {
        var id: String
        var name: String
        var externalID: String?
        var description: String?
        var createdAt: Date
        var updatedAt: Date
        var members: [GroupReference] = []
    }

    /// Why a write was refused.
    enum WriteError: Error, Equatable {
        case notFound
        /// The user name or group display name is taken (compared without regard to case).
        case nameTaken
        /// A member id that names no user.
        case unknownMember(String)
    }

    // MARK: Users

    func users() async throws -> [UserEntry] {
        try await self.writer.read { db in try Self.users(db, id: nil) }
    }

    func user(id: String) async throws -> UserEntry? {
        try await self.writer.read { db in try Self.users(db, id: id).first }
    }

    /// Inserts `entry` (its id must be new).
    /// - Parameter groups: names of groups the user joins, in the same transaction (`unknownMember` names a
    ///   group that does not exist).
    func createUser(_ entry: UserEntry, groups: [String] = []) async throws -> UserEntry {
        let now = self.now()
        return try await self.writer.write { db in
            var entry = entry
            entry.user.createdAt = now
            entry.user.updatedAt = now
            try Self.checkUserName(db, entry.user.username, excluding: nil)
            try entry.user.insert(db)
            try Self.saveExtras(db, entry)
            for group in groups.uniqued() {
                guard try UserGroup.fetchOne(db, key: group) != nil else { throw WriteError.unknownMember(group) }
                try GroupMembership(userID: entry.user.id, groupName: group).insert(db)
                try Self.touchGroup(db, name: group, now: now)
            }
            return try Self.users(db, id: entry.user.id)[0]
        }
    }

    /// Reads the user, lets `change` compute the new state, and stores it, all in one transaction.
    func updateUser(id: String, _ change: @escaping @Sendable (UserEntry) throws -> UserEntry) async throws -> UserEntry {
        let now = self.now()
        return try await self.writer.write { db in
            guard let current = try Self.users(db, id: id).first else { throw WriteError.notFound }
            var entry = try change(current)
            entry.user.id = current.user.id
            entry.user.createdAt = current.user.createdAt
            entry.user.updatedAt = now
            try Self.checkUserName(db, entry.user.username, excluding: id)
            try entry.user.update(db)
            try Self.saveExtras(db, entry)
            return try Self.users(db, id: id)[0]
        }
    }

    /// Deletes the user; memberships, sessions, codes and refresh tokens go with them (foreign keys cascade).
    func deleteUser(id: String) async throws {
        let now = self.now()
        try await self.writer.write { db in
            let groups = try String.fetchAll(db, sql: "SELECT groupName FROM groupMembership WHERE userID = ?", arguments: [id])
            guard try User.deleteOne(db, key: id) else { throw WriteError.notFound }
            for group in groups { try Self.touchGroup(db, name: group, now: now) }
        }
    }

    private static func checkUserName(_ db: Database, _ username: String, excluding id: String?) throws {
        let taken = try Bool.fetchOne(
            db,
            sql: "SELECT EXISTS (SELECT 1 FROM user WHERE lower(username) = lower(?) AND id IS NOT ?)",
            arguments: [username, id]
        )
        if taken == true { throw WriteError.nameTaken }
    }

    private static func saveExtras(_ db: Database, _ entry: UserEntry) throws {
        try db.execute(
            sql: "UPDATE user SET externalId = ?, active = ?, formattedName = ? WHERE id = ?",
            arguments: [entry.externalID, entry.active, entry.formattedName, entry.user.id]
        )
    }

    /// One user (`id`) or all, by user name, with their groups.
    private static func users(_ db: Database, id: String?) throws -> [UserEntry] {
        var request = User.all()
        if let id { request = request.filter(User.Columns.id == id) }
        let users = try request.order(User.Columns.username).fetchAll(db)
        var extras: [String: Row] = [:]
        let extrasSQL = "SELECT id, externalId, active, formattedName FROM user" + (id == nil ? "" : " WHERE id = ?")
        for row in try Row.fetchAll(db, sql: extrasSQL, arguments: id.map { [$0] } ?? []) { extras[row["id"]] = row }
        var groups: [String: [GroupReference]] = [:]
        let groupsSQL = """
            SELECT m.userID, g.id, g.name FROM groupMembership m JOIN userGroup g ON g.name = m.groupName
            \(id == nil ? "" : "WHERE m.userID = ?") ORDER BY g.name
            """
        for row in try Row.fetchAll(db, sql: groupsSQL, arguments: id.map { [$0] } ?? []) {
            groups[row[0], default: []].append(GroupReference(id: row[1], display: row[2]))
        }
        return users.map { user in
            let row = extras[user.id]
            return UserEntry(
                user: user,
                externalID: row?["externalId"],
                active: row?["active"] ?? true,
                formattedName: row?["formattedName"],
                groups: groups[user.id] ?? []
            )
        }
    }

    // MARK: Groups

    func groups() async throws -> [GroupEntry] {
        try await self.writer.read { db in try Self.groups(db, id: nil) }
    }

    func group(id: String) async throws -> GroupEntry? {
        try await self.writer.read { db in try Self.groups(db, id: id).first }
    }

    /// Inserts a group with a new random id and the members of `entry`.
    func createGroup(_ entry: GroupEntry) async throws -> GroupEntry {
        let now = self.now()
        return try await self.writer.write { db in
            let id = UUID.random().lowercaseText
            try Self.checkGroupName(db, entry.name, excluding: nil)
            try db.execute(
                sql: "INSERT INTO userGroup (name, description, id, externalId, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [entry.name, entry.description, id, entry.externalID, now.databaseTimestamp, now.databaseTimestamp]
            )
            try Self.replaceMembers(db, group: entry.name, members: entry.members.map(\.id))
            return try Self.groups(db, id: id)[0]
        }
    }

    /// Reads the group, lets `change` compute the new state (name, external id, members), and stores it, all in
    /// one transaction.
    func updateGroup(id: String, _ change: @escaping @Sendable (GroupEntry) throws -> GroupEntry) async throws -> GroupEntry {
        let now = self.now()
        return try await self.writer.write { db in
            guard let current = try Self.groups(db, id: id).first else { throw WriteError.notFound }
            let entry = try change(current)
            if entry.name != current.name {
                try Self.checkGroupName(db, entry.name, excluding: id)
            }
            try db.execute(
                sql: "UPDATE userGroup SET name = ?, externalId = ?, updatedAt = ? WHERE id = ?",
                arguments: [entry.name, entry.externalID, now.databaseTimestamp, id]
            )
            try Self.replaceMembers(db, group: entry.name, members: entry.members.map(\.id))
            return try Self.groups(db, id: id)[0]
        }
    }

    func deleteGroup(id: String) async throws {
        try await self.writer.write { db in
            try db.execute(sql: "DELETE FROM userGroup WHERE id = ?", arguments: [id])
            guard db.changesCount > 0 else { throw WriteError.notFound }
        }
    }

    private static func checkGroupName(_ db: Database, _ name: String, excluding id: String?) throws {
        let taken = try Bool.fetchOne(
            db,
            sql: "SELECT EXISTS (SELECT 1 FROM userGroup WHERE lower(name) = lower(?) AND id IS NOT ?)",
            arguments: [name, id]
        )
        if taken == true { throw WriteError.nameTaken }
    }

    /// Makes `members` (user ids) the group's members: adds the new ones, removes the others.
    private static func replaceMembers(_ db: Database, group: String, members: [String]) throws {
        let wanted = Set(members)
        for member in members {
            guard try User.exists(db, key: member) else { throw WriteError.unknownMember(member) }
        }
        let current = Set(try String.fetchAll(db, sql: "SELECT userID FROM groupMembership WHERE groupName = ?", arguments: [group]))
        for member in current.subtracting(wanted) {
            try db.execute(sql: "DELETE FROM groupMembership WHERE userID = ? AND groupName = ?", arguments: [member, group])
        }
        for member in wanted.subtracting(current) {
            try GroupMembership(userID: member, groupName: group).insert(db)
        }
    }

    private static func touchGroup(_ db: Database, name: String, now: Date) throws {
        try db.execute(sql: "UPDATE userGroup SET updatedAt = ? WHERE name = ?", arguments: [now.databaseTimestamp, name])
    }

    /// One group (`id`) or all, by name, with their members by user name.
    private static func groups(_ db: Database, id: String?) throws -> [GroupEntry] {
        let filter = id == nil ? "" : " WHERE id = ?"
        let arguments: StatementArguments = id.map { [$0] } ?? []
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT id, name, externalId, description, createdAt, updatedAt FROM userGroup\(filter) ORDER BY name",
            arguments: arguments
        )
        var members: [String: [GroupReference]] = [:]
        let membersSQL = """
            SELECT m.groupName, u.id, COALESCE(u.name, u.username) FROM groupMembership m JOIN user u ON u.id = m.userID
            \(id == nil ? "" : "WHERE m.groupName = (SELECT name FROM userGroup WHERE id = ?)") ORDER BY u.username
            """
        for row in try Row.fetchAll(db, sql: membersSQL, arguments: arguments) {
            members[row[0], default: []].append(GroupReference(id: row[1], display: row[2]))
        }
        let fallback = Date(timeIntervalSince1970: 0)
        return rows.compactMap { row in
            // Every insert gets an id from the migration's trigger; a row without one is not addressable.
            guard let id: String = row["id"] else { return nil }
            let name: String = row["name"]
            return GroupEntry(
                id: id,
                name: name,
                externalID: row["externalId"],
                description: row["description"],
                createdAt: row["createdAt"] ?? fallback,
                updatedAt: row["updatedAt"] ?? fallback,
                members: members[name] ?? []
            )
        }
    }
}

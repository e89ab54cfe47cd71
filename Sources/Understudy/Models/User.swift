import Foundation
import GRDB

/// A person who can sign in. Table `user`.
struct User: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord, TimestampedRecord {
    /// The subject identifier (`sub`).
    var id: String
    var username: String
    /// bcrypt hash; nil for a user who cannot sign in with a password.
    var passwordHash: String?
    var email: String?
    var emailVerified: Bool
    var givenName: String?
    var familyName: String?
    var name: String?
    var phoneNumber: String?
    /// Extra values that dialect rules and the hook turn into claims (`.jsonText`).
    var attributes: [String: JSONValue]
    var createdAt: Date
    var updatedAt: Date

    static let databaseTableName = "user"

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let username = Column(CodingKeys.username)
    }
}

/// A named set of users, e.g. `SPA-Manager`. Table `userGroup` (`group` is an SQL keyword).
struct UserGroup: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord, TimestampedRecord {
    var name: String
    var description: String?

    static let databaseTableName = "userGroup"
}

/// One user's membership of one group. Table `groupMembership`.
struct GroupMembership: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord, TimestampedRecord {
    var userID: String
    var groupName: String

    static let databaseTableName = "groupMembership"

    enum Columns {
        static let userID = Column(CodingKeys.userID)
        static let groupName = Column(CodingKeys.groupName)
    }
}

/// A scope that clients can be granted. Table `scope`; the OpenID Connect scopes are built in.
struct Scope: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord, TimestampedRecord {
    var name: String
    var description: String?
    /// True for `openid`, `profile`, `email`, `phone`, `groups`, `offline_access`.
    var isStandard: Bool

    static let databaseTableName = "scope"
}

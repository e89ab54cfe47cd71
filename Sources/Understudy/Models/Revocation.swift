import Foundation
import GRDB

/// A revoked token, by `jti`. Table `revocation`; kept until the token would have expired anyway.
struct Revocation: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord, TimestampedRecord {
    var jti: String
    var clientID: String
    var expiresAt: Date
    var revokedAt: Date

    static let databaseTableName = "revocation"
}

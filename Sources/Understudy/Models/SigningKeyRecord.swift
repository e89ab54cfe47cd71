import Foundation
import GRDB

/// Metadata of a signing key (never its private part). Table `signingKey`.
struct SigningKeyRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    enum Status: String, Codable, Sendable { case active, retired }

    var kid: String
    var algorithm: String
    /// Where the key was loaded from, e.g. `keys/dev-rsa.pem`.
    var source: String
    var status: Status
    var firstSeenAt: Date
    var retiredAt: Date?

    static let databaseTableName = "signingKey"
}

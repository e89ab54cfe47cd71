import Foundation
import GRDB

/// An OAuth client (application). Table `client`; scopes and redirect URIs live in their own tables.
struct ClientRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord, TimestampedRecord {
    var id: String
    var name: String?
    var isPublic: Bool
    /// bcrypt hash of the client secret; nil for public clients.
    var secretHash: String?
    var grantTypes: [String]
    /// Scopes granted when a request names none; nil means the client's resource scopes.
    var defaultScopes: [String]?
    var audience: [String]
    var dialect: String
    var signingAlgorithm: String
    var accessTokenTTL: Int?
    var idTokenTTL: Int?
    /// Accept PKCE `code_challenge_method=plain` (RFC 7636 §4.2) besides S256.
    var allowsPlainPKCE: Bool = false
    /// This client's pre-token-generation hook: nil inherits the server's (`.jsonText`).
    var preTokenGeneration: ClientHookSetting?
    var createdAt: Date
    var updatedAt: Date

    static let databaseTableName = "client"
}

/// A registered redirect URI of a client. Table `clientRedirectURI`.
struct ClientRedirectURI: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord, TimestampedRecord {
    enum Kind: String, Codable, Sendable { case login, logout }
    var clientID: String
    var uri: String
    var kind: Kind

    static let databaseTableName = "clientRedirectURI"
}

/// A scope a client may be granted. Table `clientScope`.
struct ClientScope: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord, TimestampedRecord {
    var clientID: String
    var scopeName: String

    static let databaseTableName = "clientScope"
}

/// A client with everything the OAuth endpoints need, assembled from its tables.
struct Client: Sendable, Equatable {
    var record: ClientRecord
    var scopes: [String]
    var redirectURIs: [String]
    var postLogoutRedirectURIs: [String]

    var id: String { self.record.id }
    var isPublic: Bool { self.record.isPublic }
    var dialect: Dialect { Dialect(rawValue: self.record.dialect) ?? .generic }
    var signingAlgorithm: SigningAlgorithm { SigningAlgorithm(rawValue: self.record.signingAlgorithm) ?? .rs256 }

    func allows(grant: String) -> Bool {
        self.record.grantTypes.contains(grant)
    }

    /// Scopes granted when the request names none: `default_scopes`, or else the client's resource scopes.
    var defaultScopes: [String] {
        self.record.defaultScopes ?? self.scopes.filter { !StandardScope.all.contains($0) }
    }

    /// The `aud` of the client's access tokens.
    var audience: [String] {
        self.record.audience.isEmpty ? [self.id] : self.record.audience
    }
}

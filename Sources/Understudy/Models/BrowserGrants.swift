import Foundation
import GRDB

/// A signed-in browser. Table `loginSession`; the cookie holds a random token, the table only its SHA-256.
struct LoginSession: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord, TimestampedRecord {
    /// SHA-256 (hex) of the cookie value.
    var id: String
    var userID: String
    /// When the user last entered credentials (OIDC `auth_time`).
    var authTime: Date
    var createdAt: Date
    var expiresAt: Date

    static let databaseTableName = "loginSession"
}

/// An authorization code (RFC 6749 §4.1.2): single use, short-lived, bound to client, redirect URI and PKCE.
/// Table `authorizationCode`; keyed by the SHA-256 of the code.
struct AuthorizationCode: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord, TimestampedRecord {
    var id: String
    var clientID: String
    var userID: String
    var redirectURI: String
    var scopes: [String]
    var nonce: String?
    var codeChallenge: String?
    var codeChallengeMethod: String?
    var authTime: Date
    var expiresAt: Date
    /// Set when the code is redeemed; a second redemption revokes what the first one issued.
    var consumedAt: Date?
    /// The `jti` of the access token the redemption issues, recorded in the same transaction that consumes the code.
    var accessJTI: String?
    var accessExpiresAt: Date?
    /// The refresh token family the redemption starts.
    var refreshFamilyID: String?
    var createdAt: Date

    static let databaseTableName = "authorizationCode"
}

/// A chain of refresh tokens descended from one grant. Table `refreshFamily`.
///
/// Revoking a family sets ``revokedAt`` here as well as on its tokens, so a token inserted afterwards by a
/// request already in flight is born revoked.
struct RefreshFamily: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord, TimestampedRecord {
    var id: String
    var expiresAt: Date
    var revokedAt: Date?

    static let databaseTableName = "refreshFamily"
}

/// A refresh token. Table `refreshToken`; keyed by the SHA-256 of the opaque token.
///
/// Every refresh rotates: the presented token is marked used and a new one of the same family is issued.
/// Presenting a used token again is reuse, and revokes the whole family with its access tokens.
struct RefreshToken: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord, TimestampedRecord {
    var id: String
    var familyID: String
    var clientID: String
    var userID: String
    var scopes: [String]
    var authTime: Date
    /// The access token issued together with this refresh token.
    var accessJTI: String?
    var accessExpiresAt: Date?
    var expiresAt: Date
    var usedAt: Date?
    var revokedAt: Date?
    var createdAt: Date

    static let databaseTableName = "refreshToken"
}

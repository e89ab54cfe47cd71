import Foundation
import GRDB

/// Authorization codes and refresh tokens. Every decision about single use, rotation, reuse and family
/// revocation is taken inside one write transaction, so concurrent requests cannot both win.
struct GrantRepository: Sendable {
    let writer: any DatabaseWriter

    // MARK: Authorization codes

    /// Stores a new code and returns its value.
    func createCode(_ make: (_ id: String) -> AuthorizationCode) async throws -> String {
        let value = OpaqueToken.generate()
        let code = make(OpaqueToken.digest(value))
        try await self.writer.write { db in
            try db.execute(
                sql: "DELETE FROM authorizationCode WHERE expiresAt <= ?",
                arguments: [code.createdAt.addingTimeInterval(-3600).databaseTimestamp]
            )
            try code.insert(db)
        }
        return value
    }

    /// The code with this value, whatever its state.
    func findCode(_ value: String) async throws -> AuthorizationCode? {
        let id = OpaqueToken.digest(value)
        return try await self.writer.read { db in try AuthorizationCode.fetchOne(db, key: id) }
    }

    enum Redemption: Sendable, Equatable {
        /// First redemption: the code is now consumed, with what it issues recorded.
        case redeemed(AuthorizationCode)
        /// The code was redeemed before; the caller revokes what that redemption issued.
        case replayed(AuthorizationCode)
        case unknown
    }

    /// Consumes the code and records, in the same transaction, the access token and refresh family the
    /// redemption is about to issue, so a replay at any later moment can revoke them.
    func redeem(code value: String, now: Date, accessJTI: String, accessExpiresAt: Date, refreshFamilyID: String?) async throws -> Redemption {
        let id = OpaqueToken.digest(value)
        return try await self.writer.write { db in
            guard var code = try AuthorizationCode.fetchOne(db, key: id) else { return .unknown }
            if code.consumedAt != nil { return .replayed(code) }
            code.consumedAt = now
            code.accessJTI = accessJTI
            code.accessExpiresAt = accessExpiresAt
            code.refreshFamilyID = refreshFamilyID
            try code.update(db)
            return .redeemed(code)
        }
    }

    // MARK: Refresh tokens

    /// Starts a refresh token family and returns its first token's value. If the family was revoked in the
    /// meantime (a replayed code), the token is stored revoked.
    func createRefreshToken(familyExpiresAt: Date, _ make: (_ id: String) -> RefreshToken) async throws -> String {
        let value = OpaqueToken.generate()
        let token = make(OpaqueToken.digest(value))
        try await self.writer.write { db in
            try db.execute(sql: "DELETE FROM refreshToken WHERE expiresAt <= ?", arguments: [token.createdAt.databaseTimestamp])
            try db.execute(sql: "DELETE FROM refreshFamily WHERE expiresAt <= ?", arguments: [token.createdAt.databaseTimestamp])
            var stored = token
            if let family = try RefreshFamily.fetchOne(db, key: token.familyID) {
                stored.revokedAt = family.revokedAt
            } else {
                try RefreshFamily(id: token.familyID, expiresAt: familyExpiresAt).insert(db)
            }
            try stored.insert(db)
        }
        return value
    }

    /// The refresh token with this value, whatever its state.
    func findRefreshToken(_ value: String) async throws -> RefreshToken? {
        let id = OpaqueToken.digest(value)
        return try await self.writer.read { db in try RefreshToken.fetchOne(db, key: id) }
    }

    enum Rotation: Sendable {
        /// The token was live: it is spent and its successor (this value) stored.
        case rotated(successor: String)
        /// The token was spent before: reuse. Its family is now revoked; these access tokens must be too.
        case reused(revokedAccessTokens: [(jti: String, expiresAt: Date)])
        /// Revoked or expired.
        case inactive
        case unknown
    }

    /// Spends a refresh token and stores its successor, or detects reuse and revokes the family — atomically.
    func rotate(token value: String, now: Date, successor make: (_ id: String) -> RefreshToken) async throws -> Rotation {
        let id = OpaqueToken.digest(value)
        let successorValue = OpaqueToken.generate()
        let successor = make(OpaqueToken.digest(successorValue))
        return try await self.writer.write { db in
            guard var token = try RefreshToken.fetchOne(db, key: id) else { return .unknown }
            let family = try RefreshFamily.fetchOne(db, key: token.familyID)
            if token.revokedAt != nil || family?.revokedAt != nil || token.expiresAt <= now { return .inactive }
            if token.usedAt != nil {
                return .reused(revokedAccessTokens: try Self.revokeFamily(db, familyID: token.familyID, now: now))
            }
            token.usedAt = now
            try token.update(db)
            try successor.insert(db)
            return .rotated(successor: successorValue)
        }
    }

    /// Revokes every refresh token of a family; returns the live access tokens they issued.
    func revokeFamily(_ familyID: String, now: Date) async throws -> [(jti: String, expiresAt: Date)] {
        try await self.writer.write { db in try Self.revokeFamily(db, familyID: familyID, now: now) }
    }

    private static func revokeFamily(_ db: Database, familyID: String, now: Date) throws -> [(jti: String, expiresAt: Date)] {
        try db.execute(
            sql: """
                INSERT INTO refreshFamily (id, expiresAt, revokedAt) VALUES (?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET revokedAt = COALESCE(revokedAt, excluded.revokedAt)
                """,
            // A family revoked before its first token exists keeps its marker for a day; long enough for any request in flight.
            arguments: [familyID, now.addingTimeInterval(86_400).databaseTimestamp, now.databaseTimestamp]
        )
        try db.execute(
            sql: "UPDATE refreshToken SET revokedAt = ? WHERE familyID = ? AND revokedAt IS NULL",
            arguments: [now.databaseTimestamp, familyID]
        )
        let tokens = try RefreshToken.filter(sql: "familyID = ?", arguments: [familyID]).fetchAll(db)
        return tokens.compactMap { token in
            guard let jti = token.accessJTI, let expiry = token.accessExpiresAt, expiry > now else { return nil }
            return (jti, expiry)
        }
    }

    /// Revokes a refresh token family and records the live access tokens it issued as revoked.
    func revokeFamily(_ familyID: String, clientID: String, now: Date, revocations: RevocationRepository) async throws {
        let issued = try await self.revokeFamily(familyID, now: now)
        try await revocations.revoke(issued.map { Revocation(jti: $0.jti, clientID: clientID, expiresAt: $0.expiresAt, revokedAt: now) })
    }
}

import Foundation
import GRDB

/// Authorization codes and refresh tokens: single use and rotation decided inside write transactions, so
/// two concurrent redemptions of one code cannot both succeed.
struct GrantRepository: Sendable {
    let writer: any DatabaseWriter

    // MARK: Authorization codes

    /// Stores a new code and returns its value.
    func createCode(_ make: (_ id: String) -> AuthorizationCode) async throws -> String {
        let value = OpaqueToken.generate()
        let code = make(OpaqueToken.digest(value))
        try await self.writer.write { db in
            try db.execute(sql: "DELETE FROM authorizationCode WHERE expiresAt <= ?", arguments: [code.createdAt.addingTimeInterval(-3600)])
            try code.insert(db)
        }
        return value
    }

    enum Redemption: Sendable, Equatable {
        /// First redemption: the code is now consumed.
        case redeemed(AuthorizationCode)
        /// The code was redeemed before; the caller revokes what it issued.
        case replayed(AuthorizationCode)
        case unknown
    }

    /// Marks the code consumed, or reports that it already was.
    func redeem(code value: String, now: Date) async throws -> Redemption {
        let id = OpaqueToken.digest(value)
        return try await self.writer.write { db in
            guard var code = try AuthorizationCode.fetchOne(db, key: id) else { return .unknown }
            if code.consumedAt != nil { return .replayed(code) }
            code.consumedAt = now
            try code.update(db)
            return .redeemed(code)
        }
    }

    /// Remembers what a redemption issued, so a replay can revoke it.
    func recordIssued(codeID: String, jtis: [String], refreshFamilyID: String?) async throws {
        try await self.writer.write { db in
            guard var code = try AuthorizationCode.fetchOne(db, key: codeID) else { return }
            code.issuedJTIs = jtis
            code.refreshFamilyID = refreshFamilyID
            try code.update(db)
        }
    }

    // MARK: Refresh tokens

    /// Stores a new refresh token and returns its value.
    func createRefreshToken(_ make: (_ id: String) -> RefreshToken) async throws -> String {
        let value = OpaqueToken.generate()
        let token = make(OpaqueToken.digest(value))
        try await self.writer.write { db in
            try db.execute(sql: "DELETE FROM refreshToken WHERE expiresAt <= ?", arguments: [token.createdAt])
            try token.insert(db)
        }
        return value
    }

    enum Rotation: Sendable, Equatable {
        /// The token was live and is now used; issue its successor.
        case rotated(RefreshToken)
        /// The token was used before: reuse. The caller revokes the family.
        case reused(RefreshToken)
        /// Revoked or expired.
        case inactive(RefreshToken)
        case unknown
    }

    func rotate(token value: String, now: Date) async throws -> Rotation {
        let id = OpaqueToken.digest(value)
        return try await self.writer.write { db in
            guard var token = try RefreshToken.fetchOne(db, key: id) else { return .unknown }
            if token.revokedAt != nil || token.expiresAt <= now { return .inactive(token) }
            if token.usedAt != nil { return .reused(token) }
            token.usedAt = now
            try token.update(db)
            return .rotated(token)
        }
    }

    /// The refresh token with this value, whatever its state.
    func findRefreshToken(_ value: String) async throws -> RefreshToken? {
        let id = OpaqueToken.digest(value)
        return try await self.writer.read { db in try RefreshToken.fetchOne(db, key: id) }
    }

    /// Revokes every refresh token of a family; returns the access tokens they issued that have not expired.
    func revokeFamily(_ familyID: String, now: Date) async throws -> [(jti: String, expiresAt: Date)] {
        try await self.writer.write { db in
            try db.execute(
                sql: "UPDATE refreshToken SET revokedAt = ? WHERE familyID = ? AND revokedAt IS NULL",
                arguments: [now, familyID]
            )
            let tokens = try RefreshToken.filter(sql: "familyID = ?", arguments: [familyID]).fetchAll(db)
            return tokens.compactMap { token in
                guard let jti = token.accessJTI, let expiry = token.accessExpiresAt, expiry > now else { return nil }
                return (jti, expiry)
            }
        }
    }

    /// Revokes a refresh token family and records the live access tokens it issued as revoked.
    func revokeFamily(_ familyID: String, clientID: String, now: Date, revocations: RevocationRepository) async throws {
        let issued = try await self.revokeFamily(familyID, now: now)
        try await revocations.revoke(issued.map { Revocation(jti: $0.jti, clientID: clientID, expiresAt: $0.expiresAt, revokedAt: now) })
    }
}

import Foundation
import HTTPTypes
import JWTKit

/// Assembles and signs tokens. The only place that decides what claims a token carries.
struct TokenIssuer: Sendable {
    let issuer: String
    let keys: KeyRing
    let accessTokenTTL: Int
    let now: @Sendable () -> Date

    /// A signed access token and what the token response says about it.
    struct IssuedAccessToken: Sendable {
        var token: String
        var jti: String
        var expiresIn: Int
        var scopes: [String]
        var subject: String
    }

    /// An RFC 9068 access token for a client acting on its own behalf (client credentials grant).
    func clientCredentialsToken(for client: Client, scopes: [String]) async throws -> IssuedAccessToken {
        let issuedAt = Int(self.now().timeIntervalSince1970)
        let ttl = client.record.accessTokenTTL ?? self.accessTokenTTL
        let jti = UUID().uuidString.lowercased()
        let audience = client.audience
        var claims = ClaimSet([
            "iss": .string(self.issuer),
            "sub": .string(client.id),
            "aud": audience.count == 1 ? .string(audience[0]) : .array(audience.map(JSONValue.string)),
            "iat": .int(issuedAt),
            "exp": .int(issuedAt + ttl),
            "jti": .string(jti),
            "client_id": .string(client.id),
        ])
        if !scopes.isEmpty { claims["scope"] = .string(scopes.joined(separator: " ")) }
        let token = try await self.sign(claims, algorithm: client.signingAlgorithm, type: "at+jwt")
        return IssuedAccessToken(token: token, jti: jti, expiresIn: ttl, scopes: scopes, subject: client.id)
    }

    /// Signs `claims` with the active key for `algorithm`; the header carries `alg`, `kid` and `typ`.
    func sign(_ claims: ClaimSet, algorithm: SigningAlgorithm, type: String) async throws -> String {
        guard let key = self.keys.active[algorithm] else {
            throw OAuthError(.serverError, "no \(algorithm.rawValue) signing key is loaded", status: .internalServerError)
        }
        var header = JWTHeader()
        header.alg = algorithm.rawValue
        header.typ = type
        header.kid = key.kid
        return try await self.keys.collection.sign(claims, kid: JWKIdentifier(string: key.kid), header: header)
    }
}

import Foundation
import HTTPTypes
import JWTKit

/// Assembles and signs tokens. The only place that decides what claims a token carries.
struct TokenIssuer: Sendable {
    let issuer: String
    let keys: KeyRing
    let accessTokenTTL: Int
    let idTokenTTL: Int
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

    /// What a user-facing grant asks the issuer for.
    struct UserGrant: Sendable {
        var client: Client
        var account: UserRepository.Account
        var scopes: [String]
        /// When the user last authenticated (OIDC `auth_time`).
        var authTime: Date
        var nonce: String?
        var accessToken = true
        /// An ID token is issued only when this is true and `openid` was granted.
        var idToken = true
        /// The access token's `jti`, when the caller has recorded it beforehand; else a new one.
        var accessTokenID: String?
    }

    /// The access token lifetime for `client`, in seconds.
    func accessTokenTTL(for client: Client) -> Int {
        client.record.accessTokenTTL ?? self.accessTokenTTL
    }

    /// Tokens for a signed-in user.
    struct IssuedUserTokens: Sendable {
        var accessToken: IssuedAccessToken?
        var idToken: String?
        /// Lifetime of the access token, or of the ID token when there is no access token.
        var expiresIn: Int
    }

    /// An RFC 9068 access token and/or an OIDC ID token for a user (authorization code, implicit, refresh, password).
    func userTokens(_ grant: UserGrant) async throws -> IssuedUserTokens {
        let issuedAt = Int(self.now().timeIntervalSince1970)
        let authTime = Int(grant.authTime.timeIntervalSince1970)
        let client = grant.client
        var access: IssuedAccessToken?
        if grant.accessToken {
            let ttl = self.accessTokenTTL(for: client)
            let jti = grant.accessTokenID ?? UUID().uuidString.lowercased()
            let audience = client.audience
            var claims = ClaimSet([
                "iss": .string(self.issuer),
                "sub": .string(grant.account.user.id),
                "aud": audience.count == 1 ? .string(audience[0]) : .array(audience.map(JSONValue.string)),
                "iat": .int(issuedAt),
                "exp": .int(issuedAt + ttl),
                "jti": .string(jti),
                "client_id": .string(client.id),
                "auth_time": .int(authTime),
            ])
            if !grant.scopes.isEmpty { claims["scope"] = .string(grant.scopes.joined(separator: " ")) }
            if grant.scopes.contains(StandardScope.groups) {
                claims["groups"] = .array(grant.account.groups.map(JSONValue.string))
            }
            let token = try await self.sign(claims, algorithm: client.signingAlgorithm, type: "at+jwt")
            access = IssuedAccessToken(token: token, jti: jti, expiresIn: ttl, scopes: grant.scopes, subject: grant.account.user.id)
        }
        var idToken: String?
        let idTTL = client.record.idTokenTTL ?? self.idTokenTTL
        if grant.idToken, grant.scopes.contains(StandardScope.openid) {
            var claims = ClaimSet(UserClaims.claims(of: grant.account, scopes: grant.scopes))
            claims["iss"] = .string(self.issuer)
            claims["aud"] = .string(client.id)
            claims["iat"] = .int(issuedAt)
            claims["exp"] = .int(issuedAt + idTTL)
            claims["auth_time"] = .int(authTime)
            claims["jti"] = .string(UUID().uuidString.lowercased())
            if let nonce = grant.nonce { claims["nonce"] = .string(nonce) }
            if let access { claims["at_hash"] = .string(UserClaims.halfHash(access.token)) }
            idToken = try await self.sign(claims, algorithm: client.signingAlgorithm, type: "JWT")
        }
        return IssuedUserTokens(accessToken: access, idToken: idToken, expiresIn: access?.expiresIn ?? idTTL)
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

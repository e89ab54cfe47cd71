import Foundation
import HTTPTypes

/// Signs tokens for a client, and optionally a user, without a sign-in or a secret: the same claims
/// pipeline as the token endpoint (dialect, hook), then the extra claims asked for. Used by
/// `POST /admin/v1/tokens` and `understudy token mint`; every token is audited as `admin_mint`.
struct TokenMint: Sendable {
    let clients: ClientRepository
    let users: UserRepository
    let issuer: TokenIssuer
    let audit: AuditLog
    /// Where minted lifetimes are noted for key rotation's default grace period.
    var horizon = ExpiryHorizon()
    let now: @Sendable () -> Date

    /// What to mint.
    struct Order: Sendable {
        var clientID: String
        /// A username or `sub`; nil for a client's own token.
        var user: String?
        /// Space-separated; nil for the client's defaults.
        var scope: String?
        var claims: [String: JSONValue] = [:]
        var idTokenClaims: [String: JSONValue] = [:]
        /// Seconds, instead of the client's lifetimes.
        var lifetime: Int?
        var nonce: String?
    }

    /// The token response's members (`access_token`, `token_type`, `expires_in`, `scope`, `id_token`).
    /// - Throws: ``AdminProblem`` 400 naming what is wrong with the order.
    func mint(_ order: Order) async throws -> [String: JSONValue] {
        guard let client = try await self.clients.find(id: order.clientID) else {
            throw AdminProblem(.badRequest, "client_id: no client '\(order.clientID.prefix(100))'")
        }
        var account: UserRepository.Account?
        if let name = order.user {
            account = try await self.users.find(username: name)
            if account == nil { account = try await self.users.find(id: name) }
            guard let found = account else { throw AdminProblem(.badRequest, "user: no user '\(name.prefix(100))'") }
            guard found.active else { throw AdminProblem(.badRequest, "user: '\(name.prefix(100))' is disabled") }
        }
        let scopes: [String]
        do {
            scopes = try ScopeRequest.grant(requested: order.scope, client: client, userless: account == nil)
        } catch {
            throw AdminProblem(.badRequest, "scope: \(error.errorDescription ?? "is not allowed for this client")")
        }
        if let lifetime = order.lifetime, !(1...31_536_000).contains(lifetime) {
            throw AdminProblem(.badRequest, "expires_in must be a whole number of seconds from 1 to 31536000")
        }
        var extra = TokenOverrides()
        extra.accessToken.addOrOverride = try Self.check(order.claims, "claims", reserved: ReservedClaims.accessToken(client.dialect))
        extra.idToken.addOrOverride = try Self.check(order.idTokenClaims, "id_token_claims", reserved: ReservedClaims.idToken(client.dialect))

        let response: TokenController.TokenResponse
        let subject: String
        let jti: String
        if let account {
            var grant = TokenIssuer.UserGrant(client: client, account: account, scopes: scopes, authTime: self.now())
            grant.nonce = order.nonce
            grant.trigger = .authentication
            grant.extra = extra
            grant.lifetime = order.lifetime
            let issued = try await self.issuer.userTokens(grant)
            guard let access = issued.accessToken else { throw AdminProblem(.internalServerError, "no access token was signed") }
            response = .init(
                accessToken: access.token,
                expiresIn: issued.expiresIn,
                scope: issued.scopes.joined(separator: " "),
                idToken: issued.idToken
            )
            (subject, jti) = (account.user.id, access.jti)
        } else {
            let issued = try await self.issuer.clientCredentialsToken(for: client, scopes: scopes, extra: extra, lifetime: order.lifetime)
            response = .init(accessToken: issued.token, expiresIn: issued.expiresIn, scope: issued.scopes.joined(separator: " "))
            (subject, jti) = (issued.subject, issued.jti)
        }
        self.audit.record(
            AuditEvent(
                time: self.now(),
                action: "admin_mint",
                outcome: .issued,
                grantType: account == nil ? GrantType.clientCredentials : nil,
                clientID: client.id,
                subject: subject,
                scopes: scopes.joined(separator: " "),
                jti: jti
            )
        )
        self.horizon.extend(to: self.now().addingTimeInterval(TimeInterval(response.expiresIn)))
        var members = response.json
        if members["scope"] == .string("") { members["scope"] = nil }
        return members
    }

    /// A reserved claim is a 400 problem rather than silently dropped.
    private static func check(_ claims: [String: JSONValue], _ name: String, reserved: Set<String>) throws(AdminProblem) -> [String: JSONValue] {
        if let taken = claims.keys.sorted().first(where: reserved.contains) {
            throw AdminProblem(.badRequest, "\(name): '\(taken)' is set by the server and cannot be given")
        }
        return claims
    }
}

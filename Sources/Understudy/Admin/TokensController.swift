import Foundation
import HTTPTypes
import Hummingbird

/// `POST /admin/v1/tokens`: signs tokens for a client, and optionally a user, without a sign-in or a
/// secret, through the same claims pipeline as the token endpoint (dialect, hook, then `claims`).
///
/// Body: `{"client_id": "spa", "user": "manager", "scope": "openid orders/read", "claims": {…},
/// "id_token_claims": {…}, "expires_in": 300, "nonce": "…"}`; only `client_id` is required. `user` is a
/// username or a `sub`.
struct TokensController: Sendable {
    let clients: ClientRepository
    let users: UserRepository
    let issuer: TokenIssuer
    let audit: AuditLog
    let now: @Sendable () -> Date

    static let members: Set<String> = ["client_id", "user", "scope", "claims", "id_token_claims", "expires_in", "nonce"]

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.post("tokens", use: self.mint)
    }

    @Sendable func mint(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await AdminJSON.body(request, context: context)
        try AdminJSON.checkMembers(body, allowed: Self.members)
        guard let clientID = body["client_id"]?.stringValue else { throw AdminProblem(.badRequest, "client_id is required") }
        guard let client = try await self.clients.find(id: clientID) else {
            throw AdminProblem(.badRequest, "client_id: no client '\(clientID.prefix(100))'")
        }
        var account: UserRepository.Account?
        if let value = body["user"] {
            guard let name = value.stringValue else { throw AdminProblem(.badRequest, "user must be a username or sub") }
            account = try await self.users.find(username: name)
            if account == nil { account = try await self.users.find(id: name) }
            guard account != nil else { throw AdminProblem(.badRequest, "user: no user '\(name.prefix(100))'") }
        }
        if let value = body["scope"], value.stringValue == nil { throw AdminProblem(.badRequest, "scope must be a space-separated string") }
        let scopes: [String]
        do {
            scopes = try ScopeRequest.grant(requested: body["scope"]?.stringValue, client: client, userless: account == nil)
        } catch {
            throw AdminProblem(.badRequest, "scope: \(error.errorDescription ?? "is not allowed for this client")")
        }
        var lifetime: Int?
        if let value = body["expires_in"] {
            guard let seconds = value.intValue, (1...31_536_000).contains(seconds) else {
                throw AdminProblem(.badRequest, "expires_in must be a whole number of seconds from 1 to 31536000")
            }
            lifetime = seconds
        }
        if let value = body["nonce"], value.stringValue == nil { throw AdminProblem(.badRequest, "nonce must be a string") }
        var extra = TokenOverrides()
        extra.accessToken.addOrOverride = try Self.claims(body["claims"], "claims", reserved: ReservedClaims.accessToken(client.dialect))
        extra.idToken.addOrOverride = try Self.claims(body["id_token_claims"], "id_token_claims", reserved: ReservedClaims.idToken(client.dialect))

        let response: TokenController.TokenResponse
        let subject: String
        let jti: String?
        if let account {
            var grant = TokenIssuer.UserGrant(client: client, account: account, scopes: scopes, authTime: self.now())
            grant.nonce = body["nonce"]?.stringValue
            grant.trigger = .authentication
            grant.extra = extra
            grant.lifetime = lifetime
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
            let issued = try await self.issuer.clientCredentialsToken(for: client, scopes: scopes, extra: extra, lifetime: lifetime)
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
        var members = response.json
        if members["scope"] == .string("") { members["scope"] = nil }
        return AdminJSON.response(.object(members))
    }

    /// An object of claims to add; a reserved claim is a 400 problem rather than silently dropped.
    private static func claims(_ value: JSONValue?, _ name: String, reserved: Set<String>) throws(AdminProblem) -> [String: JSONValue] {
        guard let value else { return [:] }
        guard case .object(let claims) = value else { throw AdminProblem(.badRequest, "\(name) must be an object of claims") }
        if let taken = claims.keys.sorted().first(where: reserved.contains) {
            throw AdminProblem(.badRequest, "\(name): '\(taken)' is set by the server and cannot be given")
        }
        return claims
    }
}

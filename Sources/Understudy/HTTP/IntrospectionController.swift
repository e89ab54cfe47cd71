import Foundation
import Hummingbird
import Logging

/// `POST /oauth2/introspect` (RFC 7662): tells an authenticated client whether a token is active, and its claims.
struct IntrospectionController: Sendable {
    let authenticator: ClientAuthenticator
    let verifier: TokenVerifier
    let grants: GrantRepository
    let users: UserRepository
    let now: @Sendable () -> Date

    /// The path and its IDCS alias.
    static let paths = ["oauth2/introspect", "oauth2/v1/introspect"]

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        for path in Self.paths { router.post(RouterPath(path), use: self.introspect) }
    }

    @Sendable func introspect(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await FormParameters.parse(request)
        let caller = try await self.authenticator.authenticate(request, form: form, requireSecret: true)
        guard let token = form["token"] else { throw OAuthError(.invalidRequest, "token is required") }
        if !token.contains("."), let refresh = try await self.grants.findRefreshToken(token) {
            let active = try await self.users.find(id: refresh.userID)?.active ?? false
            return TokenController.noStoreJSON(active ? self.response(for: refresh, caller: caller.client) : ["active": .bool(false)])
        }
        let verified: TokenVerifier.Verified
        do {
            verified = try await self.verifier.verify(token)
        } catch {
            context.logger.debug("introspection: inactive", metadata: ["oauth.client_id": "\(caller.client.id)", "reason": "\(error)"])
            return TokenController.noStoreJSON(["active": .bool(false)])
        }
        // A disabled user's tokens are inactive, as Cognito revokes them.
        if let account = try await DialectUserInfo.account(for: verified.claims, dialect: TokenKind.dialect(of: verified), users: self.users),
            !account.active
        {
            return TokenController.noStoreJSON(["active": .bool(false)])
        }
        return TokenController.noStoreJSON(Self.response(for: verified))
    }

    /// A refresh token is active while unused, unrevoked and unexpired; only its own client learns about it.
    func response(for token: RefreshToken, caller: Client) -> [String: JSONValue] {
        guard token.clientID == caller.id, token.usedAt == nil, token.revokedAt == nil, token.expiresAt > self.now() else {
            return ["active": .bool(false)]
        }
        return [
            "active": .bool(true),
            "client_id": .string(token.clientID),
            "sub": .string(token.userID),
            "scope": .string(token.scopes.joined(separator: " ")),
            "iat": .int(Int(token.createdAt.timeIntervalSince1970)),
            "exp": .int(Int(token.expiresAt.timeIntervalSince1970)),
        ]
    }

    /// RFC 7662 §2.2: `active` plus the token's claims and `token_type`.
    static func response(for verified: TokenVerifier.Verified) -> [String: JSONValue] {
        var body = verified.claims.claims
        body["active"] = .bool(true)
        body["token_type"] = .string(TokenKind(verified) == .access ? "Bearer" : "JWT")
        return body
    }
}

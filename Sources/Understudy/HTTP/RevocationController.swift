import Foundation
import Hummingbird
import Logging

/// `POST /oauth2/revoke` (RFC 7009): a client revokes a token issued to it; the revocation is stored.
///
/// Access tokens are revoked by `jti`; a refresh token revokes its whole family and the access tokens the
/// family issued (as Cognito does). Public clients identify themselves with `client_id`.
struct RevocationController: Sendable {
    let authenticator: ClientAuthenticator
    let verifier: TokenVerifier
    let revocations: RevocationRepository
    let grants: GrantRepository
    let audit: AuditLog
    let now: @Sendable () -> Date

    /// The path and its IDCS alias.
    static let paths = ["oauth2/revoke", "oauth2/v1/revoke"]

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        for path in Self.paths { router.post(RouterPath(path), use: self.revoke) }
    }

    @Sendable func revoke(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await FormParameters.parse(request)
        let caller = try await self.authenticator.authenticate(request, form: form, requireSecret: false)
        guard let token = form["token"] else { throw OAuthError(.invalidRequest, "token is required") }
        if !token.contains("."), let refresh = try await self.grants.findRefreshToken(token) {
            guard refresh.clientID == caller.client.id else { throw OAuthError(.unauthorizedClient, "the token was not issued to this client") }
            let now = self.now()
            try await self.grants.revokeFamily(refresh.familyID, clientID: caller.client.id, now: now, revocations: self.revocations)
            self.audit.record(
                AuditEvent(
                    time: now,
                    action: "revoke",
                    outcome: .revoked,
                    grantType: GrantType.refreshToken,
                    clientID: caller.client.id,
                    subject: refresh.userID
                )
            )
            context.logger.info("refresh token revoked", metadata: ["oauth.client_id": "\(caller.client.id)"])
            return Self.ok()
        }
        // RFC 7009 §2.2: an invalid, expired or already revoked token is answered with 200 all the same.
        guard let verified = try? await self.verifier.verify(token), let jti = verified.claims.string("jti"),
            let expiry = verified.claims.int("exp")
        else { return Self.ok() }
        // Access tokens name their client in client_id; ID tokens in aud.
        let owner = verified.claims.string("client_id") ?? (verified.claims.audience.count == 1 ? verified.claims.audience[0] : nil)
        guard owner == caller.client.id else {
            throw OAuthError(.unauthorizedClient, "the token was not issued to this client")
        }
        let now = self.now()
        try await self.revocations.revoke(
            Revocation(jti: jti, clientID: caller.client.id, expiresAt: Date(timeIntervalSince1970: TimeInterval(expiry)), revokedAt: now)
        )
        self.audit.record(
            AuditEvent(time: now, action: "revoke", outcome: .revoked, clientID: caller.client.id, subject: verified.claims.string("sub"), jti: jti)
        )
        context.logger.info("token revoked", metadata: ["oauth.client_id": "\(caller.client.id)"])
        return Self.ok()
    }

    static func ok() -> Response {
        Response(status: .ok, headers: [.cacheControl: "no-store", .pragma: "no-cache", .contentLength: "0"])
    }
}

import Foundation
import Hummingbird
import Logging

/// Finishes an authorization request for a signed-in user: stores a code (code flow) or issues tokens
/// (implicit), and answers at the redirect URI.
struct AuthorizationCompleter: Sendable {
    let grants: GrantRepository
    let issuer: TokenIssuer
    let audit: AuditLog
    let codeTTL: Int
    let now: @Sendable () -> Date

    func complete(_ request: AuthorizationRequest, account: UserRepository.Account, authTime: Date, logger: Logger) async throws -> Response {
        let now = self.now()
        let grantType = request.responseType.grantType
        var parameters: [(String, String)] = []
        var jtis: [String] = []
        do {
            switch request.responseType {
            case .code:
                let code = try await self.grants.createCode { id in
                    AuthorizationCode(
                        id: id,
                        clientID: request.client.id,
                        userID: account.user.id,
                        redirectURI: request.redirect.redirectURI,
                        scopes: request.scopes,
                        nonce: request.nonce,
                        codeChallenge: request.codeChallenge,
                        codeChallengeMethod: request.codeChallengeMethod,
                        authTime: authTime,
                        expiresAt: now.addingTimeInterval(TimeInterval(self.codeTTL)),
                        consumedAt: nil,
                        accessJTI: nil,
                        accessExpiresAt: nil,
                        refreshFamilyID: nil,
                        createdAt: now
                    )
                }
                parameters.append(("code", code))
            case .token, .idToken, .idTokenToken:
                let tokens = try await self.issuer.userTokens(
                    TokenIssuer.UserGrant(
                        client: request.client,
                        account: account,
                        scopes: request.scopes,
                        authTime: authTime,
                        nonce: request.nonce,
                        accessToken: request.responseType.returnsAccessToken,
                        idToken: request.responseType.returnsIDToken
                    )
                )
                // expires_in describes the access token (RFC 6749 §4.2.2); an ID token alone has none.
                if let access = tokens.accessToken {
                    parameters += [("access_token", access.token), ("token_type", "Bearer"), ("expires_in", "\(access.expiresIn)")]
                    jtis.append(access.jti)
                }
                if let idToken = tokens.idToken { parameters.append(("id_token", idToken)) }
                if request.scopesDefaulted || tokens.scopes != request.scopes { parameters.append(("scope", tokens.scopes.joined(separator: " "))) }
            }
        } catch let error as OAuthError {
            // A failed pre-token-generation hook: back to the application, as Cognito's hosted UI does.
            let description = error.errorDescription ?? error.code.rawValue
            logger.notice("authorization failed", metadata: ["oauth.client_id": "\(request.client.id)", "oauth.error": "\(error.code)"])
            self.record(
                request,
                account: account,
                outcome: .denied,
                grantType: grantType,
                jti: nil,
                reason: "\(error.code): \(description)",
                now: now
            )
            throw AuthorizationRedirectError(error.code, description, redirect: request.redirect)
        } catch {
            logger.error("authorization failed", metadata: ["oauth.client_id": "\(request.client.id)", "error": "\(error)"])
            self.record(request, account: account, outcome: .denied, grantType: grantType, jti: nil, reason: "server_error", now: now)
            throw AuthorizationRedirectError(.serverError, "the server could not complete the request", redirect: request.redirect)
        }
        self.record(request, account: account, outcome: .issued, grantType: grantType, jti: jtis.first, reason: nil, now: now)
        logger.info(
            "authorization granted",
            metadata: ["oauth.client_id": "\(request.client.id)", "oauth.response_type": "\(request.responseType.rawValue)"]
        )
        return request.redirect.response(parameters)
    }

    /// Answers the request with an error at its redirect URI, and audits the denial.
    func deny(_ request: AuthorizationRequest, _ code: OAuthError.Code, _ description: String, subject: String? = nil) -> AuthorizationRedirectError {
        self.audit.record(
            AuditEvent(
                time: self.now(),
                action: "authorize",
                outcome: .denied,
                grantType: request.responseType.grantType,
                clientID: request.client.id,
                subject: subject,
                reason: "\(code.rawValue): \(description)"
            )
        )
        return AuthorizationRedirectError(code, description, redirect: request.redirect)
    }

    private func record(
        _ request: AuthorizationRequest,
        account: UserRepository.Account,
        outcome: AuditEvent.Outcome,
        grantType: String,
        jti: String?,
        reason: String?,
        now: Date
    ) {
        self.audit.record(
            AuditEvent(
                time: now,
                action: "authorize",
                outcome: outcome,
                grantType: grantType,
                clientID: request.client.id,
                subject: account.user.id,
                scopes: request.scopes.joined(separator: " "),
                jti: jti,
                reason: reason
            )
        )
    }
}

import Foundation
import Hummingbird
import Logging

/// `GET|POST /logout`: ends the browser's login session.
///
/// Two request shapes: OpenID Connect RP-Initiated Logout 1.0 (`id_token_hint`, `client_id`,
/// `post_logout_redirect_uri`, `state`) and Cognito's (`client_id` with `logout_uri`, or with `redirect_uri`
/// and `response_type` to sign in again). Every redirect target must be registered for the client, exactly;
/// anything else is an HTML error page and no redirect.
struct LogoutController: Sendable {
    let clients: ClientRepository
    let sessions: SessionRepository
    let verifier: TokenVerifier
    let security: BrowserSecurity
    let audit: AuditLog
    let assetBase: String
    let now: @Sendable () -> Date

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.get("logout", use: self.logout)
        router.post("logout", use: self.logout)
    }

    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
        let values = try await BrowserParameters.read(request, assetBase: self.assetBase)
        let target = try await self.target(values)

        var subject: String?
        if let token = BrowserSecurity.sessionToken(request) {
            subject = try await self.sessions.find(token: token, now: self.now())?.userID
            try await self.sessions.delete(token: token)
        }
        self.audit.record(AuditEvent(time: self.now(), action: "logout", outcome: .revoked, clientID: values["client_id"], subject: subject))
        context.logger.info("signed out", metadata: ["oauth.client_id": "\(values["client_id"] ?? "-")"])

        var response: Response
        if let target {
            response = Response(status: .seeOther, headers: [.location: target, .cacheControl: "no-store", .contentLength: "0"])
        } else {
            let html = HTMLTemplates.render("signedOut", ["assetBase": self.assetBase])
            response = Response(
                status: .ok,
                headers: BrowserSecurity.htmlHeaders(contentSecurityPolicy: BrowserSecurity.staticPagePolicy),
                body: .init(byteBuffer: ByteBuffer(string: html))
            )
        }
        response.setCookie(self.security.expiredSessionCookie())
        return response
    }

    /// Where to send the browser afterwards, or nil for Understudy's own signed-out page.
    private func target(_ values: [String: String]) async throws -> String? {
        var clientID = values["client_id"]
        if let hint = values["id_token_hint"] {
            guard let verified = try? await self.verifier.verify(hint, asHint: true), verified.type == "JWT", verified.claims["auth_time"] != nil
            else {
                throw self.page("id_token_hint is not an ID token issued by this server.")
            }
            let audience = verified.claims.audience
            if let clientID, !audience.contains(clientID) {
                throw self.page("client_id '\(clientID.prefix(100))' does not match the audience of id_token_hint.")
            }
            clientID = clientID ?? audience.first
        }
        let oidcTarget = values["post_logout_redirect_uri"]
        let cognitoTarget = values["logout_uri"]
        let signInAgain = values["redirect_uri"]
        guard oidcTarget != nil || cognitoTarget != nil || signInAgain != nil else { return nil }
        guard let clientID else {
            throw self.page("A redirect after logout needs client_id or id_token_hint to identify the application.")
        }
        guard let client = try await self.clients.find(id: clientID) else {
            throw self.page("There is no client with the id '\(clientID.prefix(100))'.")
        }
        if let oidcTarget {
            guard client.postLogoutRedirectURIs.contains(oidcTarget) else {
                throw self.page("post_logout_redirect_uri '\(oidcTarget.prefix(300))' is not registered for the client '\(client.id)'.")
            }
            guard let state = values["state"] else { return oidcTarget }
            return oidcTarget + (oidcTarget.contains("?") ? "&" : "?") + "state=" + AuthorizationRedirect.encode(state)
        }
        if let cognitoTarget {
            guard client.postLogoutRedirectURIs.contains(cognitoTarget) else {
                throw self.page("logout_uri '\(cognitoTarget.prefix(300))' is not a registered sign-out URL of the client '\(client.id)'.")
            }
            return cognitoTarget
        }
        // Cognito: client_id + redirect_uri + response_type signs out, then starts a new sign-in.
        guard let signInAgain, client.redirectURIs.contains(signInAgain) else {
            throw self.page("redirect_uri '\((signInAgain ?? "").prefix(300))' is not registered for the client '\(client.id)'.")
        }
        guard values["response_type"] != nil else { throw self.page("redirect_uri after logout needs response_type as well.") }
        let names = ["response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge", "code_challenge_method"]
        let query = names.compactMap { name in values[name].map { "\(name)=\(AuthorizationRedirect.encode($0))" } }.joined(separator: "&")
        return "\(self.assetBase)/oauth2/authorize?\(query)"
    }

    private func page(_ message: String) -> BrowserPageError {
        BrowserPageError(status: .badRequest, title: "Cannot sign out here", message: message, assetBase: self.assetBase)
    }
}

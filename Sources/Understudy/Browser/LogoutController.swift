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
        // The path and IDCS's end-session path.
        for path in ["logout", "oauth2/v1/userlogout"] {
            router.get(RouterPath(path), use: self.logout)
            router.post(RouterPath(path), use: self.logout)
        }
    }

    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
        let values = try await BrowserParameters.read(request, assetBase: self.assetBase)
        let hint = try await self.hint(values)
        let target = try await self.target(values, hint: hint)

        let now = self.now()
        let token = BrowserSecurity.sessionToken(request)
        var session: LoginSession?
        if let token { session = try await self.sessions.find(token: token, now: now) }
        // RP-Initiated Logout 1.0 §2: ask the user unless the hint names the signed-in user. Cognito's form
        // (logout_uri, or redirect_uri to sign in again) signs out without asking, as Cognito does.
        let cognitoForm = values["logout_uri"] != nil || values["redirect_uri"] != nil
        if let session, !cognitoForm, !Self.names(session.userID, hint) {
            guard request.method == .post, values["confirm"] == "yes" else {
                return self.confirmationPage(values, request: request)
            }
            guard BrowserSecurity.isSameOrigin(request),
                self.security.verifyCSRF(token: values["csrf"], binding: BrowserSecurity.csrfBinding(request))
            else {
                throw BrowserPageError(
                    status: .forbidden,
                    title: "Sign-out form expired",
                    message: "The sign-out confirmation was not sent from this browser's page (CSRF check failed).",
                    assetBase: self.assetBase
                )
            }
        }

        if let token { try await self.sessions.delete(token: token) }
        self.audit.record(AuditEvent(time: now, action: "logout", outcome: .revoked, clientID: values["client_id"], subject: session?.userID))
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

    /// The verified claims of `id_token_hint`, if sent: an ID token of this server, possibly expired.
    private func hint(_ values: [String: String]) async throws -> ClaimSet? {
        guard let hint = values["id_token_hint"] else { return nil }
        guard let verified = try? await self.verifier.verify(hint, asHint: true), TokenKind(verified) == .id else {
            throw self.page("id_token_hint is not an ID token issued by this server.")
        }
        return verified.claims
    }

    /// Whether the hint is an ID token of the user `userID` (IDCS names users by `user_id`, its `sub` is the user name).
    static func names(_ userID: String, _ hint: ClaimSet?) -> Bool {
        guard let hint else { return false }
        if hint.string("tok_type") == "IT" { return hint.string("user_id") == userID.replacingOccurrences(of: "-", with: "").lowercased() }
        return hint.string("sub") == userID
    }

    /// "Sign out of Understudy?" with the request in hidden fields and a CSRF token.
    private func confirmationPage(_ values: [String: String], request: Request) -> Response {
        let binding = BrowserSecurity.csrfBinding(request) ?? OpaqueToken.generate()
        let fields = values.filter { $0.key != "csrf" && $0.key != "confirm" }.sorted { $0.key < $1.key }
        let html = HTMLTemplates.render(
            "logoutConfirm",
            [
                "assetBase": self.assetBase,
                "hidden": fields.map { ["name": $0.key, "value": $0.value] },
                "csrf": self.security.csrfToken(binding: binding),
            ]
        )
        var response = Response(
            status: .ok,
            headers: BrowserSecurity.htmlHeaders(contentSecurityPolicy: BrowserSecurity.staticPagePolicy),
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
        if BrowserSecurity.csrfBinding(request) == nil { response.setCookie(self.security.csrfCookie(binding)) }
        return response
    }

    /// Where to send the browser afterwards, or nil for Understudy's own signed-out page.
    private func target(_ values: [String: String], hint: ClaimSet?) async throws -> String? {
        var clientID = values["client_id"]
        if let hint {
            // IDCS ID tokens name the issuer in aud too; azp and client_id name the client.
            let hintClient = hint.string("azp") ?? hint.string("client_id") ?? hint.audience.first
            if let clientID, !hint.audience.contains(clientID), clientID != hintClient {
                throw self.page("client_id '\(clientID.prefix(100))' does not match the audience of id_token_hint.")
            }
            clientID = clientID ?? hintClient
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

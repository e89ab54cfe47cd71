import Foundation
import Hummingbird
import Logging

/// `GET|POST /login`: the sign-in page that stands in for the Cognito hosted UI and the IDCS login page.
///
/// The page carries the authorization request in hidden fields; the POST checks the CSRF token, checks the
/// request again from scratch, signs the user in (password, or one click on a seeded user when the picker
/// is on), starts a session and completes the authorization.
struct LoginController: Sendable {
    let clients: ClientRepository
    let users: UserRepository
    let sessions: SessionRepository
    let authenticator: UserAuthenticator
    let completer: AuthorizationCompleter
    let security: BrowserSecurity
    let settings: Settings
    let assetBase: String
    let audit: AuditLog
    let now: @Sendable () -> Date

    /// Switches and lifetimes of the login page.
    struct Settings: Sendable {
        var userPicker: Bool
        var denyButton: Bool
        var sessionTTL: Int
    }

    /// The one message for every failed sign-in: it never tells whether the username exists.
    static let failedSignIn = "Incorrect username or password."

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.get("login", use: self.show)
        router.post("login", use: self.submit)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let values = try await BrowserParameters.read(request, assetBase: self.assetBase)
        guard values["client_id"] != nil else {
            throw BrowserPageError(
                status: .badRequest,
                title: "Start from an application",
                message: "Sign-in starts at the application (its /oauth2/authorize request), or at the playground.",
                assetBase: self.assetBase
            )
        }
        let authorization = try await AuthorizationRequest.parse(
            BrowserParameters.authorizationValues(values),
            clients: self.clients,
            assetBase: self.assetBase
        )
        return try await self.page(for: authorization, request: request, username: authorization.loginHint, error: nil)
    }

    @Sendable func submit(_ request: Request, context: AppRequestContext) async throws -> Response {
        let values = try await BrowserParameters.read(request, assetBase: self.assetBase)
        guard BrowserSecurity.isSameOrigin(request), self.security.verifyCSRF(token: values["csrf"], binding: BrowserSecurity.csrfBinding(request))
        else {
            throw BrowserPageError(
                status: .forbidden,
                title: "Sign-in form expired",
                message:
                    "The sign-in form was not sent from this browser's sign-in page (CSRF check failed). Go back to the application and start again.",
                assetBase: self.assetBase
            )
        }
        let authorization = try await AuthorizationRequest.parse(
            BrowserParameters.authorizationValues(values),
            clients: self.clients,
            assetBase: self.assetBase
        )
        if values["action"] == "deny" {
            guard self.settings.denyButton else { throw self.disabled("The Deny button is turned off on this server.") }
            throw self.completer.deny(authorization, .accessDenied, "the user denied the request")
        }

        let account: UserRepository.Account
        if let picked = values["pick"] {
            guard self.settings.userPicker else { throw self.disabled("The user picker is turned off on this server.") }
            guard let found = try await self.users.find(username: picked), found.user.passwordHash != nil, found.active else {
                return try await self.page(for: authorization, request: request, username: nil, error: "There is no user '\(picked.prefix(100))'.")
            }
            account = found
        } else {
            let username = values["username"] ?? ""
            let password = values["password"] ?? ""
            let outcome: UserAuthenticator.Outcome =
                username.isEmpty || password.isEmpty ? .failure : try await self.authenticator.authenticate(username: username, password: password)
            switch outcome {
            case .success(let found):
                account = found
            case .failure, .lockedOut:
                let lockedOut = if case .lockedOut = outcome { true } else { false }
                let reason = lockedOut ? "password attempts exceeded" : "invalid username or password"
                self.audit.record(AuditEvent(time: self.now(), action: "login", outcome: .denied, clientID: authorization.client.id, reason: reason))
                context.logger.notice("sign-in failed", metadata: ["oauth.client_id": "\(authorization.client.id)", "reason": "\(reason)"])
                let message = lockedOut ? UserAuthenticator.lockedOutMessage + ". Wait a moment and try again." : Self.failedSignIn
                return try await self.page(for: authorization, request: request, username: username, error: message)
            }
        }

        let authTime = self.now()
        if let previous = BrowserSecurity.sessionToken(request) { try await self.sessions.delete(token: previous) }
        let token = try await self.sessions.create(userID: account.user.id, authTime: authTime, lifetime: TimeInterval(self.settings.sessionTTL))
        context.logger.info("signed in", metadata: ["user": "\(account.user.username)", "oauth.client_id": "\(authorization.client.id)"])
        var response: Response
        do {
            response = try await self.completer.complete(authorization, account: account, authTime: authTime, logger: context.logger)
        } catch let error as AuthorizationRedirectError {
            response = try error.response(from: request, context: context)
        }
        response.setCookie(self.security.sessionCookie(token, lifetime: self.settings.sessionTTL))
        return response
    }

    private func disabled(_ message: String) -> BrowserPageError {
        BrowserPageError(status: .forbidden, title: "Not available", message: message, assetBase: self.assetBase)
    }

    /// The login page for `authorization`, with a CSRF token bound to the browser's CSRF cookie.
    private func page(for authorization: AuthorizationRequest, request: Request, username: String?, error: String?) async throws -> Response {
        var binding = BrowserSecurity.csrfBinding(request)
        let newBinding = binding == nil
        if binding == nil { binding = OpaqueToken.generate() }
        var context: [String: Any] = [
            "assetBase": self.assetBase,
            "clientName": authorization.client.record.name ?? authorization.client.id,
            "hidden": authorization.parameters.map { ["name": $0.0, "value": $0.1] },
            "csrf": self.security.csrfToken(binding: binding ?? ""),
            "denyButton": self.settings.denyButton,
        ]
        if let username, !username.isEmpty { context["username"] = username }
        if let error { context["error"] = error }
        if self.settings.userPicker {
            let accounts = try await self.users.all()
            context["hasPicker"] = !accounts.isEmpty
            context["users"] = accounts.map { account -> [String: Any] in
                var entry: [String: Any] = ["username": account.user.username, "groups": account.groups]
                if let name = account.user.name { entry["displayName"] = name }
                return entry
            }
        }
        let html = HTMLTemplates.render("login", context)
        var response = Response(
            status: .ok,
            headers: BrowserSecurity.htmlHeaders(
                contentSecurityPolicy: BrowserSecurity.loginPagePolicy(redirectURI: authorization.redirect.redirectURI)
            ),
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
        if newBinding, let binding { response.setCookie(self.security.csrfCookie(binding)) }
        return response
    }
}

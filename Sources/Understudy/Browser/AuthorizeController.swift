import Foundation
import Hummingbird
import Logging

/// `GET|POST /oauth2/authorize` (RFC 6749 §3.1, OIDC Core §3.1.2.1): checks the request, then completes it
/// for the browser's live session (single sign-on) or sends the browser to the login page.
struct AuthorizeController: Sendable {
    let clients: ClientRepository
    let users: UserRepository
    let sessions: SessionRepository
    let completer: AuthorizationCompleter
    let assetBase: String
    let now: @Sendable () -> Date

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        // The path and its IDCS alias.
        for path in ["oauth2/authorize", "oauth2/v1/authorize"] {
            router.get(RouterPath(path), use: self.authorize)
            router.post(RouterPath(path), use: self.authorize)
        }
    }

    @Sendable func authorize(_ request: Request, context: AppRequestContext) async throws -> Response {
        let values = try await BrowserParameters.read(request, assetBase: self.assetBase)
        let authorization = try await AuthorizationRequest.parse(values, clients: self.clients, assetBase: self.assetBase)
        let now = self.now()
        let live = try await BrowserSession.current(request, sessions: self.sessions, users: self.users, now: now)
        if let live, !Self.needsLogin(authorization, authTime: live.session.authTime, now: now) {
            return try await self.completer.complete(authorization, account: live.account, authTime: live.session.authTime, logger: context.logger)
        }
        if authorization.prompt.contains("none") {
            let reason = live == nil ? "no user is signed in" : "the sign-in is older than max_age"
            throw self.completer.deny(authorization, .loginRequired, reason, subject: live?.account.user.id)
        }
        return Response(status: .seeOther, headers: [.location: "\(self.assetBase)/login?\(authorization.query)", .cacheControl: "no-store"])
    }

    /// `prompt=login` / `select_account` ask for the form; `max_age` asks for a recent sign-in (OIDC Core §3.1.2.1).
    static func needsLogin(_ request: AuthorizationRequest, authTime: Date, now: Date) -> Bool {
        if request.prompt.contains("login") || request.prompt.contains("select_account") { return true }
        if let maxAge = request.maxAge, now.timeIntervalSince(authTime) > TimeInterval(maxAge) { return true }
        return false
    }
}

import Foundation
import Hummingbird

/// Reads the parameters of a browser request (query for GET, form body for POST), answering problems with
/// an HTML page: before the client and redirect URI are known, nothing may be redirected.
enum BrowserParameters {
    static func read(_ request: Request, assetBase: String) async throws -> [String: String] {
        do {
            if request.method == .post, request.headers[.contentType] != nil {
                return try await FormParameters.parse(request).values
            }
            return try FormParameters.decode(request.uri.query ?? "").values
        } catch let error as OAuthError {
            throw BrowserPageError(
                status: error.status == .contentTooLarge ? .contentTooLarge : .badRequest,
                title: "Invalid request",
                message: error.errorDescription ?? "The request could not be read.",
                assetBase: assetBase
            )
        }
    }

    /// Only the authorization parameters of a login form (its own fields stay out).
    static func authorizationValues(_ values: [String: String]) -> [String: String] {
        values.filter { AuthorizationRequest.parameterNames.contains($0.key) }
    }
}

/// The browser's current login session and its user, if the session cookie names a live one.
struct BrowserSession: Sendable {
    var session: LoginSession
    var account: UserRepository.Account

    static func current(_ request: Request, sessions: SessionRepository, users: UserRepository, now: Date) async throws -> BrowserSession? {
        guard let token = BrowserSecurity.sessionToken(request), let session = try await sessions.find(token: token, now: now),
            let account = try await users.find(id: session.userID), account.active
        else { return nil }
        return BrowserSession(session: session, account: account)
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// `GET|POST /oauth2/userinfo` (OIDC Core §5.3): the claims of the access token's user, by granted scope.
///
/// Bearer errors follow RFC 6750 §3: no token → 401 with a bare challenge; a bad request → 400
/// `invalid_request`; a bad, expired or revoked token, or one without a user → 401 `invalid_token`; a token
/// without `openid` → 403 `insufficient_scope`.
struct UserInfoController: Sendable {
    let verifier: TokenVerifier
    let users: UserRepository
    let idcs: IDCSSettings
    let baseURL: String

    /// The path, Cognito's spelling (`userInfo`) and IDCS's.
    static let paths = ["oauth2/userinfo", "oauth2/userInfo", "oauth2/v1/userinfo"]

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        for path in Self.paths {
            router.get(RouterPath(path), use: self.userInfo)
            router.post(RouterPath(path), use: self.userInfo)
        }
    }

    @Sendable func userInfo(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (verified, dialect, account) = try await Self.bearerAccount(request, verifier: self.verifier, users: self.users)
        let scopes = (verified.claims.string("scope") ?? "").split(separator: " ").map(String.init)
        guard scopes.contains(StandardScope.openid) else {
            throw Self.challenge(.insufficientScope, "the token was not granted the openid scope", status: .forbidden, scope: "openid")
        }
        return TokenController.noStoreJSON(
            DialectUserInfo.claims(of: account, scopes: scopes, dialect: dialect, idcs: self.idcs, baseURL: self.baseURL)
        )
    }

    /// The verified access token of `request` (RFC 6750), the dialect that issued it and the active user it
    /// speaks for; otherwise an `invalid_token` challenge. Userinfo and SCIM `/Me` both start here.
    static func bearerAccount(
        _ request: Request,
        verifier: TokenVerifier,
        users: UserRepository
    ) async throws -> (verified: TokenVerifier.Verified, dialect: Dialect, account: UserRepository.Account) {
        let token = try await Self.bearerToken(request)
        let verified: TokenVerifier.Verified
        do {
            verified = try await verifier.verify(token)
        } catch {
            throw Self.challenge(.invalidToken, error.description, status: .unauthorized)
        }
        guard TokenKind(verified) == .access else {
            throw Self.challenge(.invalidToken, "the token is not an access token", status: .unauthorized)
        }
        // The token's own markers say which dialect issued it, whatever has become of its client since.
        let dialect = TokenKind.dialect(of: verified)
        // Client-credentials tokens never carry a user, whatever their `sub`.
        guard let account = try await DialectUserInfo.account(for: verified.claims, dialect: dialect, users: users) else {
            throw Self.challenge(.invalidToken, "the token carries no user", status: .unauthorized)
        }
        // As Cognito revokes a disabled user's access tokens.
        guard account.active else { throw Self.challenge(.invalidToken, "the user is disabled", status: .unauthorized) }
        return (verified, dialect, account)
    }

    /// The access token from `Authorization: Bearer` or, for POST, the `access_token` form field (RFC 6750 §2.1, §2.2).
    static func bearerToken(_ request: Request) async throws -> String {
        var fromBody: String?
        if request.method == .post, let type = request.headers[.contentType], type.lowercased().hasPrefix("application/x-www-form-urlencoded") {
            do {
                fromBody = try await FormParameters.parse(request)["access_token"]
            } catch let error as OAuthError {
                throw Self.challenge(
                    .invalidRequest,
                    error.errorDescription ?? "malformed request",
                    status: error.status == .contentTooLarge ? .contentTooLarge : .badRequest
                )
            }
        }
        guard let authorization = request.headers[.authorization] else {
            guard let fromBody else { throw Self.challenge(nil, nil, status: .unauthorized) }
            return fromBody
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.first?.lowercased() == "bearer" else {
            guard let fromBody else { throw Self.challenge(nil, nil, status: .unauthorized) }
            return fromBody
        }
        guard fromBody == nil else {
            throw Self.challenge(.invalidRequest, "send the access token in one place only", status: .badRequest)
        }
        let token = parts.count == 2 ? parts[1].trimmingHTTPWhitespace() : ""
        guard !token.isEmpty, !token.contains(" ") else {
            throw Self.challenge(.invalidRequest, "the Authorization header is not 'Bearer <token>'", status: .badRequest)
        }
        return token
    }

    /// An RFC 6750 §3 error: `WWW-Authenticate: Bearer realm=…[, error=…, error_description=…]`.
    static func challenge(_ code: OAuthError.Code?, _ description: String?, status: HTTPResponse.Status, scope: String? = nil) -> OAuthError {
        var challenge = #"Bearer realm="understudy""#
        if let code { challenge += #", error="\#(code.rawValue)""# }
        if let description {
            // RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E.
            let safe = String(description.unicodeScalars.filter { (0x20...0x7E).contains($0.value) && $0 != "\"" && $0 != "\\" }.map(Character.init))
            challenge += #", error_description="\#(safe)""#
        }
        if let scope { challenge += #", scope="\#(scope)""# }
        var error = OAuthError(code ?? .invalidToken, description, status: status, headers: [.wwwAuthenticate: challenge])
        error.hasBody = code != nil
        return error
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// `POST /oauth2/token` (RFC 6749 §3.2): client credentials (§4.4), authorization code (§4.1.3, with PKCE),
/// refresh token (§6, rotated) and password (§4.3, only for clients that list it).
struct TokenController: Sendable {
    let authenticator: ClientAuthenticator
    let issuer: TokenIssuer
    let audit: AuditLog
    let grants: GrantRepository
    let users: UserRepository
    let userAuthenticator: UserAuthenticator
    let revocations: RevocationRepository
    let refreshTokenTTL: Int
    let now: @Sendable () -> Date

    /// The path and its IDCS alias.
    static let paths = ["oauth2/token", "oauth2/v1/token"]

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        for path in Self.paths { router.post(RouterPath(path), use: self.token) }
    }

    /// The successful token response (RFC 6749 §5.1).
    struct TokenResponse {
        var accessToken: String
        var tokenType = "Bearer"
        var expiresIn: Int
        var scope: String?
        var idToken: String?
        var refreshToken: String?

        var json: [String: JSONValue] {
            var members: [String: JSONValue] = [
                "access_token": .string(self.accessToken),
                "token_type": .string(self.tokenType),
                "expires_in": .int(self.expiresIn),
            ]
            if let scope = self.scope { members["scope"] = .string(scope) }
            if let idToken = self.idToken { members["id_token"] = .string(idToken) }
            if let refreshToken = self.refreshToken { members["refresh_token"] = .string(refreshToken) }
            return members
        }
    }

    @Sendable func token(_ request: Request, context: AppRequestContext) async throws -> Response {
        var attempt = Attempt()
        do {
            let form = try await FormParameters.parse(request)
            guard let grantType = form["grant_type"] else { throw OAuthError(.invalidRequest, "grant_type is required") }
            attempt.grantType = String(grantType.prefix(64))
            guard GrantType.served.contains(grantType) else {
                throw OAuthError(.unsupportedGrantType, "grant_type '\(grantType.prefix(64))' is not supported")
            }
            let userless = grantType == GrantType.clientCredentials
            let authenticated = try await self.authenticator.authenticate(request, form: form, requireSecret: userless)
            attempt.clientID = authenticated.client.id
            guard authenticated.client.allows(grant: grantType) else {
                throw OAuthError(.unauthorizedClient, "this client may not use the \(grantType) grant")
            }
            let body: TokenResponse
            switch grantType {
            case GrantType.authorizationCode: body = try await self.authorizationCode(form: form, client: authenticated.client, attempt: &attempt)
            case GrantType.refreshToken: body = try await self.refresh(form: form, client: authenticated.client, attempt: &attempt)
            case GrantType.password: body = try await self.password(form: form, client: authenticated.client, attempt: &attempt)
            default: body = try await self.clientCredentials(form: form, client: authenticated.client, attempt: &attempt)
            }
            context.logger.info("token issued", metadata: ["oauth.client_id": "\(authenticated.client.id)", "oauth.grant_type": "\(grantType)"])
            return Self.noStoreJSON(body.json)
        } catch let error as OAuthError {
            attempt.record(in: self.audit, at: self.now(), error: error)
            context.logger.notice(
                "token denied",
                metadata: ["oauth.client_id": "\(attempt.clientID ?? "-")", "oauth.error": "\(error.code)"]
            )
            throw error
        } catch {
            attempt.record(in: self.audit, at: self.now(), error: OAuthError(.serverError, "\(type(of: error))", status: .internalServerError))
            throw error
        }
    }

    /// RFC 6749 §4.4: the client acts for itself, with scopes it is allowed.
    private func clientCredentials(form: FormParameters, client: Client, attempt: inout Attempt) async throws -> TokenResponse {
        let scopes = try ScopeRequest.grant(requested: form["scope"], client: client, userless: true)
        let issued = try await self.issuer.clientCredentialsToken(for: client, scopes: scopes, clientMetadata: try Self.clientMetadata(form))
        attempt.record(in: self.audit, at: self.now(), issued: issued)
        return TokenResponse(
            accessToken: issued.token,
            expiresIn: issued.expiresIn,
            scope: issued.scopes.isEmpty ? nil : issued.scopes.joined(separator: " ")
        )
    }

    /// Cognito's `aws_client_metadata`: a JSON object of strings passed to a version 3 hook as `clientMetadata`.
    static func clientMetadata(_ form: FormParameters) throws -> [String: String] {
        guard let text = form["aws_client_metadata"] else { return [:] }
        guard let metadata = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)) else {
            throw OAuthError(.invalidRequest, "aws_client_metadata must be a JSON object of strings")
        }
        return metadata
    }

    /// A 200 JSON answer that no cache keeps (RFC 6749 §5.1).
    static func noStoreJSON(_ object: [String: JSONValue]) -> Response {
        var writer = JSONWriter()
        writer.write(object: object)
        return Response(
            status: .ok,
            headers: [.contentType: "application/json", .cacheControl: "no-store", .pragma: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes))
        )
    }

    /// What the audit log needs to know about one token request.
    struct Attempt {
        var grantType: String?
        var clientID: String?

        func record(in audit: AuditLog, at time: Date, issued: TokenIssuer.IssuedAccessToken) {
            audit.record(
                AuditEvent(
                    time: time,
                    action: "token",
                    outcome: .issued,
                    grantType: self.grantType,
                    clientID: self.clientID,
                    subject: issued.subject,
                    scopes: issued.scopes.joined(separator: " "),
                    jti: issued.jti
                )
            )
        }

        func record(in audit: AuditLog, at time: Date, error: OAuthError) {
            let reason = [error.code.rawValue, error.errorDescription].compactMap { $0 }.joined(separator: ": ")
            audit.record(
                AuditEvent(time: time, action: "token", outcome: .denied, grantType: self.grantType, clientID: self.clientID, reason: reason)
            )
        }
    }
}

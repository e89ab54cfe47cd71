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
            Self.logIssued(context.logger, clientID: authenticated.client.id, grantType: grantType, answeredBy: "router")
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

    /// Logs an issued token; `answeredBy` says which path answered: `router` or `event_loop` (``FastPathHandler``).
    static func logIssued(_ logger: Logger, clientID: String, grantType: String, answeredBy: String) {
        logger.info(
            "token issued",
            metadata: ["oauth.client_id": "\(clientID)", "oauth.grant_type": "\(grantType)", "http.answered_by": "\(answeredBy)"]
        )
    }

    /// RFC 6749 §4.4: the client acts for itself, with scopes it is allowed.
    private func clientCredentials(form: FormParameters, client: Client, attempt: inout Attempt) async throws -> TokenResponse {
        let scopes = try ScopeRequest.grant(requested: form["scope"], client: client, userless: true)
        let issued = try await self.issuer.clientCredentialsToken(for: client, scopes: scopes, clientMetadata: try Self.clientMetadata(form))
        attempt.record(in: self.audit, at: self.now(), issued: issued)
        return Self.clientCredentialsResponse(issued)
    }

    private static func clientCredentialsResponse(_ issued: TokenIssuer.IssuedAccessToken) -> TokenResponse {
        TokenResponse(
            accessToken: issued.token,
            expiresIn: issued.expiresIn,
            scope: issued.scopes.isEmpty ? nil : issued.scopes.joined(separator: " ")
        )
    }

    /// ``token(_:context:)``'s answer to a client-credentials request, given without suspending when nothing
    /// in it has to wait: a form body, a confidential client in the client cache whose secret was verified
    /// before, no hook, no `aws_client_metadata` (only a hook reads it). Records and logs the token as the
    /// route does and returns the JSON body of the answer.
    ///
    /// Nil for every other request, and for any request the route would refuse, with nothing recorded: the
    /// route then answers it, and its errors, audit records and logs stay in one place.
    func clientCredentialsWithoutWaiting(headers: HTTPFields, body: ByteBuffer, logger: () -> Logger) -> [UInt8]? {
        guard FormParameters.isFormContentType(headers.value(.contentType)), let form = try? FormParameters.decode(body),
            form["grant_type"] == GrantType.clientCredentials, form["aws_client_metadata"] == nil,
            let credentials = try? ClientAuthenticator.credentials(headers, form: form),
            let authenticated = self.authenticator.authenticatedFromMemory(credentials),
            authenticated.client.allows(grant: GrantType.clientCredentials),
            let scopes = try? ScopeRequest.grant(requested: form["scope"], client: authenticated.client, userless: true),
            let issued = try? self.issuer.clientCredentialsTokenWithoutHook(for: authenticated.client, scopes: scopes)
        else { return nil }
        Attempt(grantType: GrantType.clientCredentials, clientID: authenticated.client.id).record(in: self.audit, at: self.now(), issued: issued)
        Self.logIssued(logger(), clientID: authenticated.client.id, grantType: GrantType.clientCredentials, answeredBy: "event_loop")
        var writer = JSONWriter()
        writer.write(object: Self.clientCredentialsResponse(issued).json)
        return writer.bytes
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
        return Response(status: .ok, headers: Self.noStoreJSONHeaders, body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    /// The headers of ``noStoreJSON(_:)``.
    static let noStoreJSONHeaders: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store", .pragma: "no-cache"]

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

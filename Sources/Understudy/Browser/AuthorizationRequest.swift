import Foundation
import HTTPTypes

/// A parsed and checked authorization request (RFC 6749 §4.1.1, §4.2.1; OIDC Core §3.1.2.1, §3.2.2.1).
///
/// The same checks run on `GET /oauth2/authorize`, on `GET /login` and on `POST /login`: the login form's
/// hidden fields are never trusted.
struct AuthorizationRequest: Sendable {
    /// The response types Understudy serves.
    enum ResponseType: String, Sendable, CaseIterable {
        case code
        case token
        case idToken = "id_token"
        case idTokenToken = "id_token token"

        /// Parses a space-separated, order-insensitive value (`token id_token` is `id_token token`).
        init?(parsing value: String) {
            let parts = Set(value.split(separator: " ").map(String.init))
            guard let match = Self.allCases.first(where: { Set($0.rawValue.split(separator: " ").map(String.init)) == parts }) else {
                return nil
            }
            self = match
        }

        var isImplicit: Bool { self != .code }
        var returnsIDToken: Bool { self == .idToken || self == .idTokenToken }
        var returnsAccessToken: Bool { self == .token || self == .idTokenToken }
        var defaultMode: AuthorizationRedirect.Mode { self == .code ? .query : .fragment }
        /// The client grant type that allows this response type.
        var grantType: String { self == .code ? GrantType.authorizationCode : GrantType.implicit }
    }

    /// Parameters the request is made of; exactly these travel through the login form.
    static let parameterNames = [
        "response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "response_mode", "prompt", "login_hint", "max_age",
        "code_challenge", "code_challenge_method",
    ]

    var client: Client
    var responseType: ResponseType
    var redirect: AuthorizationRedirect
    var scopes: [String]
    /// True when the request named no scope and got the client's defaults (the response then states them).
    var scopesDefaulted: Bool
    var nonce: String?
    var prompt: Set<String>
    var loginHint: String?
    var maxAge: Int?
    var codeChallenge: String?
    var codeChallengeMethod: String?
    /// The recognised parameters as sent, to carry to the login page.
    var parameters: [(String, String)]

    /// Runs the checks in order: client → redirect URI (both answered with an HTML page) → everything else
    /// (answered at the redirect URI).
    /// - Throws: ``BrowserPageError`` or ``AuthorizationRedirectError``.
    static func parse(_ values: [String: String], clients: ClientRepository, assetBase: String) async throws -> AuthorizationRequest {
        func page(_ title: String, _ message: String) -> BrowserPageError {
            BrowserPageError(status: .badRequest, title: title, message: message, assetBase: assetBase)
        }
        guard let clientID = values["client_id"] else {
            throw page("Invalid request", "The request has no client_id.")
        }
        guard let client = try await clients.find(id: clientID) else {
            throw page("Unknown application", "There is no client with the id '\(clientID.prefix(100))'.")
        }
        guard let redirectURI = values["redirect_uri"] else {
            throw page("Invalid request", "The request has no redirect_uri.")
        }
        // RFC 9700 §4.1.3: simple string comparison with a registered URI, nothing looser.
        guard client.redirectURIs.contains(redirectURI) else {
            throw page("Unregistered redirect URI", "The redirect_uri '\(redirectURI.prefix(300))' is not registered for the client '\(client.id)'.")
        }

        // The redirect URI is trusted from here on; errors go back to it.
        let parsedType = values["response_type"].flatMap(ResponseType.init(parsing:))
        // An unsupported type that names a token (hybrid flows) answers in the fragment; anything else in the query.
        let namesToken = (values["response_type"] ?? "").split(separator: " ").contains { $0 == "token" || $0 == "id_token" }
        let defaultMode = parsedType?.defaultMode ?? (namesToken ? .fragment : .query)
        var redirect = AuthorizationRedirect(redirectURI: redirectURI, mode: defaultMode, state: values["state"], assetBase: assetBase)
        func fail(_ code: OAuthError.Code, _ description: String) -> AuthorizationRedirectError {
            AuthorizationRedirectError(code, description, redirect: redirect)
        }
        if let modeValue = values["response_mode"] {
            guard let mode = AuthorizationRedirect.Mode(rawValue: modeValue) else {
                throw fail(.invalidRequest, "response_mode must be query, fragment or form_post")
            }
            // Multiple Response Type Encoding Practices §2.1: tokens never travel in the query.
            if mode == .query, let parsedType, parsedType != .code {
                throw fail(.invalidRequest, "response_mode query cannot carry tokens; use fragment or form_post")
            }
            redirect.mode = mode
        }
        if values["request"] != nil { throw fail(.requestNotSupported, "request objects are not supported") }
        if values["request_uri"] != nil { throw fail(.requestURINotSupported, "request_uri is not supported") }
        guard let typeValue = values["response_type"] else { throw fail(.invalidRequest, "response_type is required") }
        guard let responseType = parsedType else {
            throw fail(.unsupportedResponseType, "response_type '\(typeValue.prefix(50))' is not supported (code, token, id_token, id_token token)")
        }
        guard client.allows(grant: responseType.grantType) else {
            throw fail(.unauthorizedClient, "this client may not use the \(responseType.grantType) grant")
        }

        let scopes: [String]
        do {
            scopes = try ScopeRequest.grant(requested: values["scope"], client: client, userless: false)
        } catch {
            throw fail(error.code, error.errorDescription ?? "invalid scope")
        }
        if responseType.returnsIDToken, !scopes.contains(StandardScope.openid) {
            throw fail(.invalidScope, "response_type \(responseType.rawValue) needs the openid scope")
        }
        // OIDC Core §3.2.2.1: nonce is required whenever the authorization endpoint returns an ID token.
        if responseType.returnsIDToken, values["nonce"] == nil {
            throw fail(.invalidRequest, "nonce is required when an ID token is returned from the authorization endpoint")
        }

        let prompt = Set((values["prompt"] ?? "").split(separator: " ").map(String.init))
        let knownPrompts: Set<String> = ["none", "login", "consent", "select_account"]
        if let unknown = prompt.subtracting(knownPrompts).first {
            throw fail(.invalidRequest, "prompt value '\(unknown.prefix(40))' is not supported")
        }
        if prompt.contains("none"), prompt.count > 1 {
            throw fail(.invalidRequest, "prompt=none cannot be combined with other values")
        }
        var maxAge: Int?
        if let value = values["max_age"] {
            guard let parsed = Int(value), parsed >= 0 else { throw fail(.invalidRequest, "max_age must be a whole number of seconds") }
            maxAge = parsed
        }

        var challenge: String?
        var method: String?
        if responseType == .code {
            challenge = values["code_challenge"]
            method = values["code_challenge_method"]
            if let challenge {
                // RFC 7636 §4.3: the method defaults to plain.
                let effective = method ?? "plain"
                guard effective == "S256" || (effective == "plain" && client.record.allowsPlainPKCE) else {
                    throw fail(
                        .invalidRequest,
                        client.record.allowsPlainPKCE
                            ? "code_challenge_method must be S256 or plain"
                            : "code_challenge_method must be S256 (plain is not allowed for this client)"
                    )
                }
                guard PKCE.isValid(challenge) else {
                    throw fail(.invalidRequest, "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~")
                }
                method = effective
            } else if method != nil {
                throw fail(.invalidRequest, "code_challenge_method was given without code_challenge")
            } else if client.isPublic {
                throw fail(.invalidRequest, "PKCE is required for public clients: send code_challenge and code_challenge_method=S256")
            }
        }

        return AuthorizationRequest(
            client: client,
            responseType: responseType,
            redirect: redirect,
            scopes: scopes,
            scopesDefaulted: values["scope"] == nil,
            nonce: values["nonce"],
            prompt: prompt,
            loginHint: values["login_hint"],
            maxAge: maxAge,
            codeChallenge: challenge,
            codeChallengeMethod: method,
            parameters: Self.parameterNames.compactMap { name in values[name].map { (name, $0) } }
        )
    }

    /// The parameters as a query string, to hand the request to the login page.
    var query: String {
        self.parameters.map { "\(AuthorizationRedirect.encode($0.0))=\(AuthorizationRedirect.encode($0.1))" }.joined(separator: "&")
    }
}

/// Proof Key for Code Exchange (RFC 7636).
enum PKCE {
    /// §4.1/§4.2: 43–128 characters from the unreserved set.
    static func isValid(_ value: String) -> Bool {
        (43...128).contains(value.utf8.count)
            && value.utf8.allSatisfy { byte in
                (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2D || byte == 0x2E
                    || byte == 0x5F || byte == 0x7E
            }
    }

    /// §4.6: does `verifier` answer `challenge` under `method`?
    static func verify(verifier: String, challenge: String, method: String) -> Bool {
        guard self.isValid(verifier) else { return false }
        let computed = method == "S256" ? UserClaims.fullHashBase64URL(verifier) : verifier
        return OpaqueToken.constantTimeEquals(computed, challenge)
    }
}

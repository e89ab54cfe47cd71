import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// `/.well-known/openid-configuration`, `/.well-known/oauth-authorization-server` (RFC 8414) and the JWKS.
///
/// Documents are encoded once and served as bytes; a request with forwarding headers gets its own variant,
/// remembered for the next request from the same proxy.
final class DiscoveryController: Sendable {
    /// What the documents say, and the documents encoded from it; replaced when scopes or clients change.
    private struct Documents {
        var metadata: ProviderMetadata
        /// The impersonated Cognito pool: its id (the alias path) and metadata whose issuer is the pool's.
        var cognito: (poolID: String, metadata: ProviderMetadata)?
        var standard: ByteBuffer
        var cognitoDocument: ByteBuffer?
        /// Variants for forwarding proxies, by issuer and base URLs.
        var forwarded: [String: ByteBuffer] = [:]
    }

    let issuerPath: String
    let internalURL: String?
    /// Bodies prepared once: a static document costs no encoding and no copy per request.
    /// The JWKS, re-encoded only when keys change.
    private let keys: SigningKeys
    private let now: @Sendable () -> Date
    private let documents: Mutex<Documents>
    /// Every route, as the router mounts it: a path under the issuer's path, or (`onRoot`) under `/`.
    private let routes: [(path: String, onRoot: Bool, document: Document)]
    /// The request paths of ``addRoutes(to:root:)``'s routes, and what each serves.
    let documentPaths: [String: Document]
    private static let jwksHeaders: HTTPFields = [.contentType: "application/json", .cacheControl: "public, max-age=300"]
    /// The document depends on these headers; shared caches must not serve one proxy's URLs to another.
    private static let discoveryHeaders: HTTPFields = [
        .contentType: "application/json", .cacheControl: "public, max-age=300", .vary: "X-Forwarded-Host, X-Forwarded-Proto",
    ]

    init(
        metadata: ProviderMetadata,
        cognito: (poolID: String, metadata: ProviderMetadata)? = nil,
        issuerPath: String,
        internalURL: String?,
        keys: SigningKeys,
        now: @escaping @Sendable () -> Date
    ) throws {
        self.issuerPath = issuerPath
        self.internalURL = internalURL
        self.keys = keys
        self.now = now
        self.documents = Mutex(try Self.documents(metadata, cognito: cognito, issuerPath: issuerPath, internalURL: internalURL))
        self.routes = Self.routes(cognitoPoolID: cognito?.poolID, issuerPath: issuerPath)
        self.documentPaths = Dictionary(
            self.routes.map { ($0.onRoot ? "/" + $0.path : issuerPath + "/" + $0.path, $0.document) },
            uniquingKeysWith: { first, _ in first }
        )
    }

    /// Advertises a new set of scopes and PKCE methods from now on.
    func update(scopes: [String], codeChallengeMethods: [String]) throws {
        var (metadata, cognito) = self.documents.withLock { ($0.metadata, $0.cognito) }
        metadata.scopes = scopes
        metadata.codeChallengeMethods = codeChallengeMethods
        cognito?.metadata.scopes = scopes
        cognito?.metadata.codeChallengeMethods = codeChallengeMethods
        let documents = try Self.documents(metadata, cognito: cognito, issuerPath: self.issuerPath, internalURL: self.internalURL)
        self.documents.withLock { $0 = documents }
    }

    private static func documents(
        _ metadata: ProviderMetadata,
        cognito: (poolID: String, metadata: ProviderMetadata)?,
        issuerPath: String,
        internalURL: String?
    ) throws -> Documents {
        let urls = ServerURLs.fixed(issuer: metadata.issuer, issuerPath: issuerPath, internalURL: internalURL)
        return Documents(
            metadata: metadata,
            cognito: cognito,
            standard: ByteBuffer(bytes: try metadata.document(urls: urls)),
            cognitoDocument: try cognito.map { ByteBuffer(bytes: try $0.metadata.document(urls: urls)) }
        )
    }

    /// What a path serves.
    enum Document: Sendable { case discovery, cognitoDiscovery, jwks }

    private static func routes(cognitoPoolID: String?, issuerPath: String) -> [(path: String, onRoot: Bool, document: Document)] {
        var routes: [(path: String, onRoot: Bool, document: Document)] = [
            (".well-known/openid-configuration", false, .discovery),
            (".well-known/oauth-authorization-server", false, .discovery),
            (".well-known/jwks.json", false, .jwks),
            // IDCS serves its keys here.
            ("admin/v1/SigningCert/jwk", false, .jwks),
        ]
        if let poolID = cognitoPoolID {
            // What Cognito-style code derives from `iss`: `<iss>/.well-known/…` with iss = `<issuer>/<pool-id>`.
            routes.append(("\(poolID)/.well-known/openid-configuration", false, .cognitoDiscovery))
            routes.append(("\(poolID)/.well-known/jwks.json", false, .jwks))
        }
        if !issuerPath.isEmpty {
            routes.append((".well-known/oauth-authorization-server" + issuerPath, true, .discovery))
        }
        return routes
    }

    /// Mounts discovery and JWKS on `issuerRoutes` (under the issuer's path); with a path, RFC 8414 §3's
    /// `/.well-known/oauth-authorization-server/<path>` goes on `rootRoutes` too.
    func addRoutes(to issuerRoutes: some RouterMethods<AppRequestContext>, root rootRoutes: some RouterMethods<AppRequestContext>) {
        for route in self.routes {
            let handler: @Sendable (Request, AppRequestContext) async throws -> Response =
                switch route.document {
                case .discovery: self.discovery
                case .cognitoDiscovery: self.cognitoDiscovery
                case .jwks: self.jwks
                }
            if route.onRoot {
                rootRoutes.get(RouterPath(route.path), use: handler)
            } else {
                issuerRoutes.get(RouterPath(route.path), use: handler)
            }
        }
    }

    /// What the route at `path` answers to a `GET` without forwarding headers (``FastPathHandler``).
    func preparedDocument(path: String) -> PreparedAnswer? {
        switch self.documentPaths[path] {
        case .discovery: PreparedAnswer(headers: Self.discoveryHeaders, body: self.documents.withLock { $0.standard })
        case .cognitoDiscovery: self.documents.withLock { $0.cognitoDocument }.map { PreparedAnswer(headers: Self.discoveryHeaders, body: $0) }
        case .jwks: PreparedAnswer(headers: Self.jwksHeaders, body: self.keys.jwks(now: self.now()))
        case nil: nil
        }
    }

    @Sendable func discovery(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let urls = ServerURLs.forwarded(request.headers, issuerPath: self.issuerPath, internalURL: self.internalURL) else {
            return Response(status: .ok, headers: Self.discoveryHeaders, body: .init(byteBuffer: self.documents.withLock { $0.standard }))
        }
        let body = try self.forwardedDocument(urls) { $0.metadata }
        return Response(status: .ok, headers: Self.discoveryHeaders, body: .init(byteBuffer: body))
    }

    @Sendable func cognitoDiscovery(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let standard = self.documents.withLock({ $0.cognitoDocument }) else { return Response(status: .notFound) }
        guard let urls = ServerURLs.forwarded(request.headers, issuerPath: self.issuerPath, internalURL: self.internalURL) else {
            return Response(status: .ok, headers: Self.discoveryHeaders, body: .init(byteBuffer: standard))
        }
        let body = try self.forwardedDocument(urls) { $0.cognito?.metadata ?? $0.metadata }
        return Response(status: .ok, headers: Self.discoveryHeaders, body: .init(byteBuffer: body))
    }

    @Sendable func jwks(_ request: Request, context: AppRequestContext) async throws -> Response {
        Response(status: .ok, headers: Self.jwksHeaders, body: .init(byteBuffer: self.keys.jwks(now: self.now())))
    }

    private func forwardedDocument(_ urls: ServerURLs, metadata pick: (Documents) -> ProviderMetadata) throws -> ByteBuffer {
        let (metadata, cached) = self.documents.withLock { documents in
            let metadata = pick(documents)
            return (metadata, documents.forwarded[metadata.issuer + " " + urls.publicBase + " " + urls.backChannelBase])
        }
        if let cached { return cached }
        let document = ByteBuffer(bytes: try metadata.document(urls: urls))
        self.documents.withLock { documents in
            // Only if the documents were not replaced meanwhile.
            guard pick(documents).scopes == metadata.scopes, pick(documents).codeChallengeMethods == metadata.codeChallengeMethods else { return }
            if documents.forwarded.count >= 32 { documents.forwarded.removeAll() }
            documents.forwarded[metadata.issuer + " " + urls.publicBase + " " + urls.backChannelBase] = document
        }
        return document
    }
}

/// What discovery advertises: exactly what this server does (OIDC Discovery 1.0 §3, RFC 8414 §2,
/// RP-Initiated Logout §2.1).
struct ProviderMetadata: Sendable {
    var issuer: String
    var scopes: [String]
    var signingAlgorithms: [SigningAlgorithm]
    /// PKCE methods: S256, and plain when some client allows it.
    var codeChallengeMethods: [String] = ["S256"]
    /// The userinfo path; Cognito spells it `/oauth2/userInfo`.
    var userinfoPath = "/oauth2/userinfo"
    /// Response types to advertise; Cognito's pool offers `code` and `token` only.
    var responseTypes = AuthorizationRequest.ResponseType.allCases.map(\.rawValue)
    /// The JWKS path; for the Cognito pool, `/<pool-id>/.well-known/jwks.json` (that is, `<iss>/.well-known/jwks.json`).
    var jwksPath = "/.well-known/jwks.json"

    /// Claims that ID tokens and userinfo can carry.
    static let claims = [
        "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "jti", "name", "given_name", "family_name",
        "preferred_username", "updated_at", "email", "email_verified", "phone_number", "phone_number_verified", "groups",
    ]

    func document(urls: ServerURLs) throws -> Data {
        let back = urls.backChannelBase
        let front = urls.publicBase
        func strings(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }
        let document: [String: JSONValue] = [
            "issuer": .string(self.issuer),
            "authorization_endpoint": .string(front + "/oauth2/authorize"),
            "end_session_endpoint": .string(front + "/logout"),
            "jwks_uri": .string(back + self.jwksPath),
            "token_endpoint": .string(back + "/oauth2/token"),
            "userinfo_endpoint": .string(back + self.userinfoPath),
            "introspection_endpoint": .string(back + "/oauth2/introspect"),
            "revocation_endpoint": .string(back + "/oauth2/revoke"),
            "grant_types_supported": strings(GrantType.advertised),
            "response_types_supported": strings(self.responseTypes),
            "response_modes_supported": strings(AuthorizationRedirect.Mode.allCases.map(\.rawValue)),
            "code_challenge_methods_supported": strings(self.codeChallengeMethods),
            "subject_types_supported": strings(["public"]),
            "id_token_signing_alg_values_supported": strings(self.signingAlgorithms.map(\.rawValue)),
            "scopes_supported": strings(self.scopes),
            "claims_supported": strings(Self.claims),
            "prompt_values_supported": strings(["none", "login", "consent", "select_account"]),
            "token_endpoint_auth_methods_supported": strings(ClientAuthMethod.served + ["none"]),
            "introspection_endpoint_auth_methods_supported": strings(ClientAuthMethod.served),
            "revocation_endpoint_auth_methods_supported": strings(ClientAuthMethod.served + ["none"]),
            "claims_parameter_supported": .bool(false),
            "request_parameter_supported": .bool(false),
            "request_uri_parameter_supported": .bool(false),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(document)
    }
}

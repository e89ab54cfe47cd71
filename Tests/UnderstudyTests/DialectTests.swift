import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import NIOCore
import NIOFoundationEssentialsCompat
import Testing

@testable import Understudy

/// Cognito, IDCS and generic clients: public browser clients, confidential password and client-credentials
/// clients; a user with a group and custom attributes, and a user without groups.
private let dialectSeedYAML = """
    groups:
      - name: SPA-Manager
    scopes:
      - name: orders/get.order
    users:
      - username: manager
        password: manager-password
        email: manager@example.com
        given_name: Mia
        family_name: Manager
        groups: [SPA-Manager]
        attributes:
          role: Manager
          companies: ["1111"]
      - username: loner
        password: loner-password
        email: loner@example.com
    clients:
      - client_id: pool-spa
        public: true
        dialect: cognito
        redirect_uris: [http://localhost:3000/callback]
        grant_types: [implicit, authorization_code]
        scopes: [openid, email, profile, orders/get.order]
      - client_id: pool-app
        client_secret: pool-secret
        dialect: cognito
        grant_types: [password]
        scopes: [openid, email, profile, orders/get.order]
      - client_id: pool-m2m
        client_secret: pool-m2m-secret
        dialect: cognito
        grant_types: [client_credentials]
        scopes: [orders/get.order]
      - client_id: idcs-spa
        name: IDCS SPA
        public: true
        dialect: idcs
        redirect_uris: [http://localhost:3000/callback]
        grant_types: [implicit, authorization_code]
        scopes: [openid, email, groups, orders/get.order]
      - client_id: idcs-app
        name: IDCS App
        client_secret: idcs-secret
        dialect: idcs
        grant_types: [password, refresh_token]
        scopes: [openid, email, groups, orders/get.order]
      - client_id: idcs-m2m
        name: APIClient
        client_secret: idcs-m2m-secret
        dialect: idcs
        grant_types: [client_credentials]
        scopes: [orders/get.order]
      - client_id: generic-app
        client_secret: generic-secret
        grant_types: [password]
        scopes: [openid, email, groups, orders/get.order]
      - client_id: generic-m2m
        client_secret: generic-m2m-secret
        grant_types: [client_credentials]
        scopes: [orders/get.order]
    """

/// The JSON type of every claim, by claim name: the shape a golden table describes.
private func shape(_ claims: ClaimSet) -> [String: String] {
    claims.claims.mapValues { value in
        switch value {
        case .string: "string"
        case .int, .double: "number"
        case .bool: "boolean"
        case .array: "array"
        case .object: "object"
        case .null: "null"
        }
    }
}

/// The golden tables, written from the documented samples in the shared specification reference.
private enum Golden {
    /// AWS's ID token sample (specs §1.3, id-token.md) with the `cognito:groups` of the current sample.
    static let cognitoIDSample: [String: String] = [
        "sub": "string", "aud": "string", "email_verified": "boolean", "token_use": "string", "auth_time": "number", "iss": "string",
        "cognito:username": "string", "exp": "number", "given_name": "string", "iat": "number", "email": "string", "jti": "string",
        "origin_jti": "string", "cognito:groups": "array",
    ]

    /// AWS's access token sample (specs §1.4, access-token.md) without `device_key` (device tracking only).
    static let cognitoAccessSample: [String: String] = [
        "sub": "string", "cognito:groups": "array", "token_use": "string", "scope": "string", "auth_time": "number", "iss": "string",
        "exp": "number", "iat": "number", "origin_jti": "string", "jti": "string", "client_id": "string", "username": "string",
    ]

    /// Cognito machine-to-machine access token (specs §1.5).
    static let cognitoClientCredentials: [String: String] = [
        "sub": "string", "client_id": "string", "token_use": "string", "scope": "string", "auth_time": "number", "iss": "string",
        "exp": "number", "iat": "number", "version": "number", "jti": "string",
    ]

    /// Oracle's user access token sample (specs §3.3, identity domains, authorization-code grant).
    static let idcsUserAccessSample: [String: String] = [
        "client_ocid": "string", "user_tz": "string", "sub": "string", "user_locale": "string", "sidle": "number", "idp_name": "string",
        "user.tenant.name": "string", "idp_guid": "string", "amr": "array", "iss": "string", "domain_home": "string", "ca_ocid": "string",
        "user_tenantname": "string", "client_id": "string", "sid": "string", "domain_id": "string", "sub_type": "string", "scope": "string",
        "user_ocid": "string", "client_tenantname": "string", "region_name": "string", "user_lang": "string", "userAppRoles": "array",
        "exp": "number", "iat": "number", "client_guid": "string", "client_name": "string", "idp_type": "string", "tenant": "string",
        "jti": "string", "gtp": "string", "user_displayname": "string", "opc": "boolean", "sub_mappingattr": "string", "primTenant": "boolean",
        "tok_type": "string", "aud": "array", "ca_name": "string", "user_id": "string", "domain": "string", "clientAppRoles": "array",
        "tenant_iss": "string",
    ]

    /// Sample claims Understudy does not emit in IDCS user access tokens: OCI identity-domain and session
    /// details (OCIDs, locale and time zone, session id and idle time, identity provider, app roles, tenant issuer).
    static let idcsUserAccessNotEmitted: Set<String> = [
        "client_ocid", "user_tz", "user_locale", "sidle", "idp_name", "idp_guid", "amr", "domain_home", "ca_ocid", "sid", "domain_id",
        "user_ocid", "region_name", "user_lang", "userAppRoles", "gtp", "idp_type", "opc", "primTenant", "ca_name", "domain",
        "clientAppRoles", "tenant_iss",
    ]

    /// Oracle's client-only (client_credentials) access token sample (specs §3.3); `aud` is the resource's
    /// primary audience, a string.
    static let idcsClientAccess: [String: String] = [
        "sub": "string", "user.tenant.name": "string", "sub_mappingattr": "string", "iss": "string", "tok_type": "string",
        "client_id": "string", "aud": "string", "sub_type": "string", "scope": "string", "client_tenantname": "string", "exp": "number",
        "iat": "number", "client_guid": "string", "client_name": "string", "tenant": "string", "jti": "string",
    ]

    /// Oracle's ID token sample (specs §3.4).
    static let idcsIDSample: [String: String] = [
        "user_tz": "string", "at_hash": "string", "sub": "string", "amr": "array", "iss": "string", "user_tenantname": "string",
        "client_id": "string", "sid": "string", "authn_strength": "string", "azp": "string", "auth_time": "number",
        "session_exp": "number", "exp": "number", "iat": "number", "client_name": "string", "client_guid": "string", "idp_type": "string",
        "tenant": "string", "jti": "string", "user_displayname": "string", "sub_mappingattr": "string", "primTenant": "boolean",
        "tok_type": "string", "aud": "array", "user_id": "string", "tenant_iss": "string",
    ]

    /// Sample claims Understudy does not emit in IDCS ID tokens: time zone, session id, primary-tenant flag, tenant issuer.
    static let idcsIDNotEmitted: Set<String> = ["user_tz", "sid", "primTenant", "tenant_iss"]
}

/// Claim names and JSON types of each dialect's tokens against golden tables from the documented samples,
/// plus the dialects' issuers, path aliases and userinfo renderings.
@Suite struct DialectTests {
    static let callback = "http://localhost:3000/callback"
    static let poolIssuer = "http://localhost:9999/us-east-1_Understudy"
    static let idcsIssuer = "https://identity.oraclecloud.com/"
    static let managerSubject = Seeder.derivedSubject(username: "manager")

    static func seed() throws -> SeedFile {
        try SeedLoader.parse(dialectSeedYAML, file: "dialects.yaml").0
    }

    /// The server over the dialect seed, impersonating the default Cognito pool; `configure` adjusts.
    static func app(_ configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> some ApplicationProtocol {
        try await makeApp(seed: try Self.seed()) { config in
            config.cognito = CognitoSettings()
            configure(&config)
        }
    }

    /// The token response of the password grant for `username` (password `<username>-password`) at a confidential client.
    /// IDCS writes `jti` as 32 hex digits; revocation still finds the token (refresh reuse revokes the family).
    @Test func idcsAccessTokensAreRevokedWithTheirRefreshFamily() async throws {
        try await Self.app().test(.router) { client in
            let first = try await Self.password(client, clientID: "idcs-app", secret: "idcs-secret", scope: "openid groups")
            let refresh = try #require(first["refresh_token"]?.stringValue)
            let basic: HTTPFields = [.authorization: basicAuthorization("idcs-app", "idcs-secret")]
            let second = try await client.postForm("/oauth2/v1/token", "grant_type=refresh_token&refresh_token=\(refresh)", headers: basic).json()
            let access = try #require(second["access_token"]?.stringValue)
            let bearer: HTTPFields = [.authorization: "Bearer \(access)"]
            #expect(try await client.execute(uri: "/oauth2/v1/userinfo", method: .get, headers: bearer).status == .ok)

            let reuse = try await client.postForm("/oauth2/v1/token", "grant_type=refresh_token&refresh_token=\(refresh)", headers: basic)
            #expect(try reuse.json()["error"] == .string("invalid_grant"))
            #expect(try await client.execute(uri: "/oauth2/v1/userinfo", method: .get, headers: bearer).status == .unauthorized)
        }
    }

    static func password(
        _ client: some TestClientProtocol,
        clientID: String,
        secret: String,
        username: String = "manager",
        scope: String,
        path: String = "/oauth2/token"
    ) async throws -> [String: JSONValue] {
        let response = try await client.postForm(
            path,
            queryString([("grant_type", "password"), ("username", username), ("password", "\(username)-password"), ("scope", scope)]),
            headers: [.authorization: basicAuthorization(clientID, secret)]
        )
        guard response.status == .ok else {
            throw TestFailure("password grant at \(clientID): \(response.status) \(String(buffer: response.body))")
        }
        return try response.json()
    }

    /// Verifies the token `name` of a token response against the served JWKS.
    static func verified(
        _ client: some TestClientProtocol,
        _ body: [String: JSONValue],
        _ name: String
    ) async throws -> (claims: ClaimSet, header: [String: JSONValue]) {
        guard let token = body[name]?.stringValue else { throw TestFailure("no \(name) in \(body)") }
        return try await RelyingParty(client: client).verify(token)
    }

    static func isIDCSIdentifier(_ value: String?) -> Bool {
        value?.wholeMatch(of: #/[0-9a-f]{32}/#) != nil
    }

    // MARK: generic

    @Test func genericTokensFollowRFC9068AndOIDCCore() async throws {
        try await Self.app().test(.router) { client in
            let body = try await Self.password(
                client,
                clientID: "generic-app",
                secret: "generic-secret",
                scope: "openid email groups orders/get.order"
            )
            let (access, accessHeader) = try await Self.verified(client, body, "access_token")
            // RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti; auth_time for a user; scope; groups for the groups scope.
            #expect(
                shape(access) == [
                    "iss": "string", "exp": "number", "aud": "string", "sub": "string", "client_id": "string", "iat": "number", "jti": "string",
                    "auth_time": "number", "scope": "string", "groups": "array",
                ]
            )
            #expect(accessHeader["typ"] == .string("at+jwt"))
            #expect(access.string("iss") == "http://localhost:9999")
            #expect(access.string("sub") == Self.managerSubject)
            #expect(access["groups"] == .array([.string("SPA-Manager")]))

            let (id, idHeader) = try await Self.verified(client, body, "id_token")
            // OIDC Core §2 and §3.1.3.6, plus the claims the email and groups scopes release.
            #expect(
                shape(id) == [
                    "iss": "string", "sub": "string", "aud": "string", "exp": "number", "iat": "number", "auth_time": "number", "jti": "string",
                    "at_hash": "string", "email": "string", "email_verified": "boolean", "groups": "array",
                ]
            )
            #expect(idHeader["typ"] == .string("JWT"))
            #expect(id.string("aud") == "generic-app")

            let token = try await client.clientCredentialsToken(client: "generic-m2m", secret: "generic-m2m-secret", scope: "orders/get.order")
            let (machine, machineHeader) = try await RelyingParty(client: client).verify(token)
            #expect(
                shape(machine) == [
                    "iss": "string", "exp": "number", "aud": "string", "sub": "string", "client_id": "string", "iat": "number", "jti": "string",
                    "scope": "string",
                ]
            )
            #expect(machineHeader["typ"] == .string("at+jwt"))
            #expect(machine.string("sub") == "generic-m2m")
        }
    }

    // MARK: cognito

    @Test func cognitoIDTokenMatchesAWSSample() async throws {
        try await Self.app().test(.router) { client in
            var browser = BrowserDriver(client: client)
            let response = try await browser.signIn(
                authorize: queryString([
                    ("response_type", "id_token token"), ("client_id", "pool-spa"), ("redirect_uri", Self.callback),
                    ("scope", "openid email profile"), ("state", "st-1"), ("nonce", "n-1"),
                ]),
                username: "manager",
                password: "manager-password"
            )
            let fragment = try redirectParameters(response.headers[.location])
            let (id, header) = try await RelyingParty(client: client).verify(try #require(fragment["id_token"]))
            // Beyond the sample, from the §1.3 table: event_id, nonce (echoed), at_hash (issued with an access
            // token), family_name and name (user attributes; the seed derives name from the given and family
            // names) and the user's custom attributes.
            var expected = Golden.cognitoIDSample
            expected.merge(
                [
                    "event_id": "string", "nonce": "string", "at_hash": "string", "family_name": "string", "custom:role": "string",
                    "custom:companies": "string", "name": "string",
                ],
                uniquingKeysWith: { $1 }
            )
            #expect(shape(id) == expected)
            // Cognito's header is exactly {kid, alg} (§1.2).
            #expect(Set(header.keys) == ["alg", "kid"])
            #expect(id.string("iss") == Self.poolIssuer)
            #expect(id.string("aud") == "pool-spa")
            #expect(id.string("token_use") == "id")
            #expect(id.string("sub") == Self.managerSubject)
            #expect(id.string("cognito:username") == "manager")
            #expect(id["email_verified"] == .bool(true))
            #expect(id["cognito:groups"] == .array([.string("SPA-Manager")]))
            // Cognito writes custom attributes as strings whatever their type.
            #expect(id["custom:role"] == .string("Manager"))
            #expect(id["custom:companies"] == .string(#"["1111"]"#))
            #expect(id.string("nonce") == "n-1")
            #expect(id.string("at_hash") == UserClaims.halfHash(try #require(fragment["access_token"])))
        }
    }

    @Test func cognitoUserAccessTokenMatchesAWSSample() async throws {
        try await Self.app().test(.router) { client in
            let body = try await Self.password(client, clientID: "pool-app", secret: "pool-secret", scope: "openid email orders/get.order")
            let (access, header) = try await Self.verified(client, body, "access_token")
            // Beyond the sample, from the §1.4 table: version and event_id.
            var expected = Golden.cognitoAccessSample
            expected.merge(["version": "number", "event_id": "string"], uniquingKeysWith: { $1 })
            #expect(shape(access) == expected)
            #expect(Set(header.keys) == ["alg", "kid"])
            #expect(access["aud"] == nil)
            #expect(access["version"] == .int(2))
            #expect(access.string("token_use") == "access")
            #expect(access.string("scope") == "openid email orders/get.order")
            #expect(access.string("client_id") == "pool-app")
            #expect(access.string("username") == "manager")
            #expect(access.string("iss") == Self.poolIssuer)
            #expect(access["cognito:groups"] == .array([.string("SPA-Manager")]))
        }
    }

    @Test func cognitoClientCredentialsTokenHasTheMachineClaimsOnly() async throws {
        try await Self.app().test(.router) { client in
            let token = try await client.clientCredentialsToken(client: "pool-m2m", secret: "pool-m2m-secret", scope: "orders/get.order")
            let (access, header) = try await RelyingParty(client: client).verify(token)
            #expect(shape(access) == Golden.cognitoClientCredentials)
            #expect(header["typ"] == nil)
            #expect(access.string("sub") == "pool-m2m")
            #expect(access.string("client_id") == "pool-m2m")
            #expect(access["version"] == .int(2))
            #expect(access.string("scope") == "orders/get.order")
            #expect(access.string("iss") == Self.poolIssuer)
        }
    }

    @Test func cognitoGroupsAreOmittedForAUserWithoutGroups() async throws {
        try await Self.app().test(.router) { client in
            let body = try await Self.password(client, clientID: "pool-app", secret: "pool-secret", username: "loner", scope: "openid email")
            let (access, _) = try await Self.verified(client, body, "access_token")
            let (id, _) = try await Self.verified(client, body, "id_token")
            #expect(access["cognito:groups"] == nil)
            #expect(id["cognito:groups"] == nil)
            #expect(access.string("username") == "loner")
        }
    }

    @Test(arguments: [
        (CognitoSettings.IssuerMode.local, "http://localhost:9999/us-east-1_Understudy"),
        (CognitoSettings.IssuerMode.aws, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Understudy"),
    ])
    func cognitoIssuerIsTheUserPool(_ mode: CognitoSettings.IssuerMode, _ issuer: String) async throws {
        var settings = CognitoSettings()
        settings.issuerMode = mode
        try await makeApp(seed: try Self.seed()) { $0.cognito = settings }.test(.router) { client in
            let body = try await Self.password(client, clientID: "pool-app", secret: "pool-secret", scope: "openid")
            let (access, _) = try await Self.verified(client, body, "access_token")
            let (id, _) = try await Self.verified(client, body, "id_token")
            #expect(access.string("iss") == issuer)
            #expect(id.string("iss") == issuer)
            // Tokens of the other dialects keep theirs.
            let generic = try await Self.password(client, clientID: "generic-app", secret: "generic-secret", scope: "openid")
            #expect(try await Self.verified(client, generic, "access_token").claims.string("iss") == "http://localhost:9999")
        }
    }

    @Test func cognitoPoolPathsServeDiscoveryAndKeys() async throws {
        try await Self.app().test(.router) { client in
            let discovery = try await client.execute(uri: "/us-east-1_Understudy/.well-known/openid-configuration", method: .get)
            #expect(discovery.status == .ok)
            let document = try discovery.json()
            #expect(document["issuer"] == .string(Self.poolIssuer))
            #expect(document["userinfo_endpoint"]?.stringValue?.hasSuffix("/oauth2/userInfo") == true)
            // Cognito's jwks_uri is `<iss>/.well-known/jwks.json` (§1.1).
            #expect(document["jwks_uri"] == .string(Self.poolIssuer + "/.well-known/jwks.json"))
            // The server's own document is unchanged.
            #expect(
                try await client.execute(uri: "/.well-known/openid-configuration", method: .get).json()["issuer"] == .string("http://localhost:9999")
            )

            let poolKeys = try await client.execute(uri: "/us-east-1_Understudy/.well-known/jwks.json", method: .get)
            let keys = try await client.execute(uri: "/.well-known/jwks.json", method: .get)
            #expect(poolKeys.status == .ok)
            #expect(String(buffer: poolKeys.body) == String(buffer: keys.body))

            // What aws-jwt-verify does: the JWKS at `<iss>/.well-known/jwks.json` verifies the token.
            let token = try await client.clientCredentialsToken(client: "pool-m2m", secret: "pool-m2m-secret", scope: "orders/get.order")
            let (claims, _) = try await RelyingParty(client: client).verify(token)
            let issuer = try #require(claims.string("iss"))
            let issuerPath = try #require(URL(string: issuer)?.path)
            let served = try await client.execute(uri: issuerPath + "/.well-known/jwks.json", method: .get)
            let jwks = try JSONDecoder().decode(JWKS.self, from: Data(buffer: served.body))
            let verified = try await JWTKeyCollection().add(jwks: jwks).verify(token, as: ClaimSet.self)
            #expect(verified.string("client_id") == "pool-m2m")
        }
    }

    @Test func cognitoUserInfoRendersEveryValueAsAString() async throws {
        try await Self.app().test(.router) { client in
            let body = try await Self.password(client, clientID: "pool-app", secret: "pool-secret", scope: "openid email orders/get.order")
            let access = try #require(body["access_token"]?.stringValue)
            let response = try await client.execute(uri: "/oauth2/userInfo", method: .get, headers: [.authorization: "Bearer \(access)"])
            #expect(response.status == .ok)
            #expect(
                try response.json() == [
                    "sub": .string(Self.managerSubject),
                    "username": .string("manager"),
                    "email": .string("manager@example.com"),
                    "email_verified": .string("true"),
                ]
            )
            // openid alone (or with profile) releases every attribute, custom ones included, still as strings.
            let everything = try await Self.password(client, clientID: "pool-app", secret: "pool-secret", scope: "openid")
            let allAccess = try #require(everything["access_token"]?.stringValue)
            let all = try await client.execute(uri: "/oauth2/userInfo", method: .get, headers: [.authorization: "Bearer \(allAccess)"])
            #expect(
                try all.json() == [
                    "sub": .string(Self.managerSubject),
                    "username": .string("manager"),
                    "email": .string("manager@example.com"),
                    "email_verified": .string("true"),
                    "given_name": .string("Mia"),
                    "family_name": .string("Manager"),
                    "name": .string("Mia Manager"),
                    "custom:role": .string("Manager"),
                    "custom:companies": .string(#"["1111"]"#),
                ]
            )
        }
    }

    @Test func cognitoMachineTokenCarriesNoUserAtUserInfo() async throws {
        try await Self.app().test(.router) { client in
            let token = try await client.clientCredentialsToken(client: "pool-m2m", secret: "pool-m2m-secret", scope: "orders/get.order")
            let response = try await client.execute(uri: "/oauth2/userInfo", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(response.status == .unauthorized)
            #expect(try response.json()["error"] == .string("invalid_token"))
            #expect(response.headers[.wwwAuthenticate]?.contains(#"error="invalid_token""#) == true)
        }
    }

    // MARK: idcs

    @Test func idcsUserAccessTokenMatchesOracleSample() async throws {
        try await Self.app().test(.router) { client in
            let body = try await Self.password(
                client,
                clientID: "idcs-app",
                secret: "idcs-secret",
                scope: "openid email orders/get.order",
                path: "/oauth2/v1/token"
            )
            let (access, header) = try await Self.verified(client, body, "access_token")
            // Oracle's sample less what Understudy does not emit; its `aud` lists several tenant URLs, Understudy's
            // single audience (the server's base URL) is a string, which §3.3 allows.
            var expected = Golden.idcsUserAccessSample.filter { !Golden.idcsUserAccessNotEmitted.contains($0.key) }
            expected["aud"] = "string"
            #expect(shape(access) == expected)
            #expect(header["typ"] == nil)
            #expect(access.string("iss") == Self.idcsIssuer)
            #expect(access.string("sub") == "manager")
            #expect(access.string("sub_type") == "user")
            #expect(access.string("sub_mappingattr") == "userName")
            #expect(access.string("tok_type") == "AT")
            #expect(access.string("user_id") == Self.managerSubject.replacingOccurrences(of: "-", with: ""))
            // The display name: the user's name (derived by the seed from given and family name).
            #expect(access.string("user_displayname") == "Mia Manager")
            #expect(access.string("client_name") == "IDCS App")
            #expect(access.string("tenant") == "idcs-understudy")
            #expect(access.string("aud") == "http://localhost:9999")
            #expect(access.string("scope") == "openid email orders/get.order")
            #expect(Self.isIDCSIdentifier(access.string("jti")))
            #expect(Self.isIDCSIdentifier(access.string("client_guid")))
            // No groups claim without the groups scope.
            #expect(access["group"] == nil)
        }
    }

    @Test func idcsClientAccessTokenMatchesOracleClientOnlySample() async throws {
        try await Self.app().test(.router) { client in
            let response = try await client.postForm(
                "/oauth2/v1/token",
                "grant_type=client_credentials&scope=orders%2Fget.order",
                headers: [.authorization: basicAuthorization("idcs-m2m", "idcs-m2m-secret")]
            )
            #expect(response.status == .ok)
            let (access, header) = try await Self.verified(client, try response.json(), "access_token")
            #expect(shape(access) == Golden.idcsClientAccess)
            #expect(header["typ"] == nil)
            #expect(access.string("iss") == Self.idcsIssuer)
            #expect(access.string("sub") == "idcs-m2m")
            #expect(access.string("sub_type") == "client")
            #expect(access.string("tok_type") == "AT")
            #expect(access.string("client_name") == "APIClient")
            // SHA-256 of "client:idcs-m2m", first 16 bytes, computed independently with Python's hashlib.
            #expect(access.string("client_guid") == "0a8fd1ed59e0c0048beae32f010ce948")
            #expect(Self.isIDCSIdentifier(access.string("jti")))
        }
    }

    @Test func idcsIDTokenMatchesOracleSample() async throws {
        try await Self.app().test(.router) { client in
            let body = try await Self.password(
                client,
                clientID: "idcs-app",
                secret: "idcs-secret",
                scope: "openid email",
                path: "/oauth2/v1/token"
            )
            let (id, header) = try await Self.verified(client, body, "id_token")
            // Oracle's sample less what Understudy does not emit, plus sub_type, client_tenantname and
            // user.tenant.name (shared with the access token, §3.3) and the email scope's email and email_verified.
            var expected = Golden.idcsIDSample.filter { !Golden.idcsIDNotEmitted.contains($0.key) }
            expected.merge(
                ["sub_type": "string", "client_tenantname": "string", "user.tenant.name": "string", "email": "string", "email_verified": "boolean"],
                uniquingKeysWith: { $1 }
            )
            #expect(shape(id) == expected)
            #expect(header["typ"] == nil)
            #expect(id.string("iss") == Self.idcsIssuer)
            #expect(id.string("sub") == "manager")
            #expect(id.string("sub_type") == "user")
            #expect(id.string("tok_type") == "IT")
            #expect(id["aud"] == .array([.string(Self.idcsIssuer), .string("idcs-app")]))
            #expect(id.string("azp") == "idcs-app")
            #expect(id["amr"] == .array([.string("USERNAME_PASSWORD")]))
            #expect(id.int("session_exp") == id.int("exp"))
            #expect(Self.isIDCSIdentifier(id.string("jti")))
            #expect(id.string("at_hash") == UserClaims.halfHash(try #require(body["access_token"]?.stringValue)))
        }
    }

    @Test func idcsIntrospectRevokeAuthorizeAndLogoutAliasesAnswer() async throws {
        try await Self.app().test(.router) { client in
            let body = try await Self.password(client, clientID: "idcs-app", secret: "idcs-secret", scope: "openid", path: "/oauth2/v1/token")
            let token = try #require(body["access_token"]?.stringValue)
            let basic: HTTPFields = [.authorization: basicAuthorization("idcs-app", "idcs-secret")]
            let before = try await client.postForm("/oauth2/v1/introspect", "token=\(token)", headers: basic).json()
            #expect(before["active"] == .bool(true))
            let revoked = try await client.postForm("/oauth2/v1/revoke", "token=\(token)", headers: basic)
            #expect(revoked.status == .ok)
            let after = try await client.postForm("/oauth2/v1/introspect", "token=\(token)", headers: basic).json()
            #expect(after["active"] == .bool(false))

            // The browser aliases are the same endpoints: an unknown client gets the authorize error page, and
            // logout without a session shows its page; neither is a 404.
            let authorize = try await client.execute(uri: "/oauth2/v1/authorize?client_id=nobody&response_type=code", method: .get)
            #expect(authorize.status == .badRequest)
            #expect(String(buffer: authorize.body).contains("nobody") || String(buffer: authorize.body).lowercased().contains("client"))
            let logout = try await client.execute(uri: "/oauth2/v1/userlogout", method: .get)
            #expect(logout.status != .notFound)
            let plainLogout = try await client.execute(uri: "/logout", method: .get)
            #expect(logout.status == plainLogout.status)
        }
    }

    @Test func idcsServesItsKeysPath() async throws {
        try await Self.app().test(.router) { client in
            let idcs = try await client.execute(uri: "/admin/v1/SigningCert/jwk", method: .get)
            let keys = try await client.execute(uri: "/.well-known/jwks.json", method: .get)
            #expect(idcs.status == .ok)
            #expect(String(buffer: idcs.body) == String(buffer: keys.body))
        }
    }

    @Test func idcsUserInfoNamesTheUserAndListsGroupReferences() async throws {
        try await Self.app().test(.router) { client in
            let body = try await Self.password(client, clientID: "idcs-app", secret: "idcs-secret", scope: "openid groups", path: "/oauth2/v1/token")
            let (access, _) = try await Self.verified(client, body, "access_token")
            // The groups scope adds Oracle's custom-claim `group` to the access token.
            #expect(access["group"] == .array([.string("SPA-Manager")]))

            let token = try #require(body["access_token"]?.stringValue)
            let response = try await client.execute(uri: "/oauth2/v1/userinfo", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(response.status == .ok)
            let userInfo = try response.json()
            #expect(userInfo["sub"] == .string("manager"))
            #expect(userInfo["preferred_username"] == .string("manager"))
            // SHA-256 of "group:SPA-Manager", first 16 bytes, computed independently with Python's hashlib.
            let groupID = "2bb1894861990f25c1af1f9faf855509"
            #expect(
                userInfo["groups"]
                    == .array([
                        .object([
                            "name": .string("SPA-Manager"),
                            "id": .string(groupID),
                            "$ref": .string("http://localhost:9999/admin/v1/Groups/\(groupID)"),
                        ])
                    ])
            )
            // The email scope was not granted.
            #expect(userInfo["email"] == nil)
        }
    }

    @Test func idcsUserInfoCanListGroupNames() async throws {
        try await Self.app { $0.idcs.groupsFormat = .names }.test(.router) { client in
            let body = try await Self.password(client, clientID: "idcs-app", secret: "idcs-secret", scope: "openid groups", path: "/oauth2/v1/token")
            let token = try #require(body["access_token"]?.stringValue)
            let response = try await client.execute(uri: "/oauth2/v1/userinfo", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(response.status == .ok)
            let userInfo = try response.json()
            #expect(userInfo["sub"] == .string("manager"))
            #expect(userInfo["groups"] == .array([.string("SPA-Manager")]))
        }
    }
}

import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOFoundationEssentialsCompat
import Synchronization
import Testing

@testable import Understudy

/// A Cognito pool's clients (browser, password, machine), a generic client, and two clients that set their own
/// hook: `no-hook` turns it off, `own-hook` calls `ownHookURL`.
private func hookSeed(ownHookURL: String = "http://127.0.0.1:1/unused") throws -> SeedFile {
    let yaml = """
        groups:
          - name: SPA-Manager
        scopes:
          - name: orders/get.order
          - name: orders/create.order
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
            grant_types: [password, refresh_token]
            scopes: [openid, email, profile, orders/get.order, orders/create.order]
          - client_id: pool-m2m
            client_secret: pool-m2m-secret
            dialect: cognito
            grant_types: [client_credentials]
            scopes: [orders/get.order, orders/create.order]
          - client_id: generic-app
            client_secret: generic-secret
            grant_types: [password]
            scopes: [openid, email, groups, orders/get.order, orders/create.order]
          - client_id: no-hook
            client_secret: no-hook-secret
            dialect: cognito
            grant_types: [password]
            scopes: [openid, email, orders/get.order]
            pre_token_generation: false
          - client_id: own-hook
            client_secret: own-hook-secret
            dialect: cognito
            grant_types: [password]
            scopes: [openid, email, orders/get.order]
            pre_token_generation: {url: "\(ownHookURL)", version: 2, timeout_ms: 2000}
        """
    return try SeedLoader.parse(yaml, file: "hooks.yaml").0
}

/// A stand-in for a Lambda function behind the runtime interface emulator: a live HTTP server at
/// `http://127.0.0.1:<port>/hook` that records the events it receives and answers as the test decides.
private final class HookReceiver: Sendable {
    /// Decides the HTTP status and body of the answer to an event.
    typealias Answer = @Sendable (JSONValue) async -> (HTTPResponse.Status, String)

    private let received = Mutex<[JSONValue]>([])
    private let answer: Answer

    private init(answer: @escaping Answer) {
        self.answer = answer
    }

    /// The events received so far, oldest first (a body that is not JSON is recorded as null).
    var events: [JSONValue] {
        self.received.withLock { $0 }
    }

    /// Runs a receiver under `.live` and `body` with it and its URL; the app under test runs inside `body`.
    static func run(answer: @escaping Answer, _ body: @Sendable (HookReceiver, String) async throws -> Void) async throws {
        let receiver = HookReceiver(answer: answer)
        let router = Router()
        router.post("hook") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1024 * 1024)
            let event = (try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: bytes))) ?? .null
            receiver.received.withLock { $0.append(event) }
            let (status, text) = await receiver.answer(event)
            return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: Logger(label: "hook-receiver", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await body(receiver, "http://127.0.0.1:\(port)/hook")
        }
    }

    /// Returns the event unchanged, as a function that customises nothing does.
    static let echo: Answer = { event in (.ok, HookReceiver.encode(event)) }

    /// Returns the event with `response` set to `responseJSON`, as a Lambda function does.
    static func returning(_ responseJSON: String) throws -> Answer {
        let response = try JSONDecoder().decode(JSONValue.self, from: Data(responseJSON.utf8))
        return { event in
            guard case .object(var fields) = event else { return (.badRequest, "{}") }
            fields["response"] = response
            return (.ok, HookReceiver.encode(.object(fields)))
        }
    }

    /// Answers with `status` and a body that says nothing useful.
    static func failing(_ status: HTTPResponse.Status) -> Answer {
        { _ in (status, #"{"message":"Internal Server Error"}"#) }
    }

    static func encode(_ value: JSONValue) -> String {
        (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// The value at `path` inside nested JSON objects: nil when absent, `.null` when present and null.
private func member(_ value: JSONValue?, _ path: String...) -> JSONValue? {
    var current = value
    for name in path {
        guard case .object(let fields)? = current else { return nil }
        current = fields[name]
    }
    return current
}

/// How a hook can fail; each must fail the token request closed.
enum HookFailure: String, CaseIterable, Sendable {
    case serverError
    case timeout
    case notJSON
    case functionError
    case wrongShape
    case unreachable

    /// The hook's timeout: the receiver sleeps 1 s when it should time out.
    var timeoutMilliseconds: Int {
        self == .timeout ? 200 : 2000
    }

    fileprivate func answer() throws -> HookReceiver.Answer {
        switch self {
        case .serverError:
            return HookReceiver.failing(.internalServerError)
        case .timeout:
            return { event in
                try? await Task.sleep(for: .seconds(1))
                return (.ok, HookReceiver.encode(event))
            }
        case .notJSON:
            return { _ in (.ok, "<html><body>not a lambda</body></html>") }
        case .functionError:
            // What the Lambda runtime interface emulator answers when the function throws.
            return { _ in (.ok, #"{"errorMessage":"boom","errorType":"Error"}"#) }
        case .wrongShape:
            return try HookReceiver.returning(#"{"claimsAndScopeOverrideDetails": {"idTokenGeneration": {"claimsToSuppress": "email"}}}"#)
        case .unreachable:
            return HookReceiver.echo
        }
    }
}

/// The Cognito Pre Token Generation trigger over HTTP: events for versions 1, 2 and 3, how answers change
/// tokens, reserved claims, per-client settings, and failing closed.
@Suite struct PreTokenGenerationHookTests {
    static let callback = "http://localhost:3000/callback"
    static let poolIssuer = "http://localhost:9999/us-east-1_Understudy"
    static let managerSubject = Seeder.derivedSubject(username: "manager")
    static let issuedAt = Int(testNow.timeIntervalSince1970)

    /// The server under test impersonating the default Cognito pool, with the global hook at `url`.
    static func app(
        hook url: String?,
        version: Int = 2,
        timeoutMilliseconds: Int = 2000,
        seed: SeedFile? = nil,
        database: AppDatabase? = nil
    ) async throws -> some ApplicationProtocol {
        try await makeApp(seed: try seed ?? hookSeed(), database: database) { config in
            config.cognito = CognitoSettings()
            config.preTokenGeneration = url.map { HookConfiguration(url: $0, version: version, timeoutMilliseconds: timeoutMilliseconds) }
        }
    }

    /// The password grant for `manager` at a confidential client.
    static func password(
        _ client: some TestClientProtocol,
        clientID: String = "pool-app",
        secret: String = "pool-secret",
        scope: String = "openid email orders/get.order"
    ) async throws -> TestResponse {
        try await client.postForm(
            "/oauth2/token",
            queryString([("grant_type", "password"), ("username", "manager"), ("password", "manager-password"), ("scope", scope)]),
            headers: [.authorization: basicAuthorization(clientID, secret)]
        )
    }

    /// The verified access and ID tokens of a successful token response.
    static func tokens(_ client: some TestClientProtocol, _ response: TestResponse) async throws -> (access: ClaimSet, id: ClaimSet?) {
        guard response.status == .ok else { throw TestFailure("token request failed: \(response.status) \(String(buffer: response.body))") }
        let body = try response.json()
        guard let access = body["access_token"]?.stringValue else { throw TestFailure("no access_token") }
        let relyingParty = RelyingParty(client: client)
        var id: ClaimSet?
        if let token = body["id_token"]?.stringValue { id = try await relyingParty.verify(token).claims }
        return (try await relyingParty.verify(access).claims, id)
    }

    /// An implicit sign-in of `manager` at `pool-spa`; returns the response to the login form post.
    static func implicitSignIn(_ browser: inout BrowserDriver) async throws -> TestResponse {
        try await browser.signIn(
            authorize: queryString([
                ("response_type", "id_token token"), ("client_id", "pool-spa"), ("redirect_uri", callback), ("scope", "openid email"),
                ("state", "st-1"), ("nonce", "n-1"), ("prompt", "login"),
            ]),
            username: "manager",
            password: "manager-password"
        )
    }

    /// Runs `body` with the URL of a hook that fails as `failure` says.
    static func withFailingHook(_ failure: HookFailure, _ body: @Sendable (String) async throws -> Void) async throws {
        if failure == .unreachable {
            // Nothing listens on port 1.
            try await body("http://127.0.0.1:1/hook")
            return
        }
        try await HookReceiver.run(answer: try failure.answer()) { _, url in try await body(url) }
    }

    /// The audit log, once the app has shut down (which flushes it).
    static func auditEvents(_ database: AppDatabase) async throws -> [AuditEvent] {
        try await database.writer.read { db in try AuditEvent.order(Column("id")).fetchAll(db) }
    }

    // MARK: version 1

    @Test func v1EventCarriesTheUserAsCognitoDoes() async throws {
        try await HookReceiver.run(answer: HookReceiver.echo) { receiver, url in
            try await Self.app(hook: url, version: 1).test(.router) { client in
                let response = try await Self.password(client)
                #expect(response.status == .ok)
            }
            #expect(receiver.events.count == 1)
            let event = try #require(receiver.events.first)
            #expect(member(event, "version") == .string("1"))
            #expect(member(event, "triggerSource") == .string("TokenGeneration_Authentication"))
            #expect(member(event, "region") == .string("us-east-1"))
            #expect(member(event, "userPoolId") == .string("us-east-1_Understudy"))
            #expect(member(event, "userName") == .string("manager"))
            #expect(member(event, "callerContext", "clientId") == .string("pool-app"))
            // Every attribute is a string, as Cognito passes them; seed attributes are custom attributes.
            #expect(
                member(event, "request", "userAttributes")
                    == .object([
                        "sub": .string(Self.managerSubject),
                        "cognito:user_status": .string("CONFIRMED"),
                        "email": .string("manager@example.com"),
                        "email_verified": .string("true"),
                        "given_name": .string("Mia"),
                        "family_name": .string("Manager"),
                        "name": .string("Mia Manager"),
                        "custom:role": .string("Manager"),
                        "custom:companies": .string(#"["1111"]"#),
                    ])
            )
            #expect(member(event, "request", "groupConfiguration", "groupsToOverride") == .array([.string("SPA-Manager")]))
            #expect(member(event, "request", "scopes") == nil)
            #expect(member(event, "response", "claimsOverrideDetails") == .null)
        }
    }

    @Test func triggerSourceNamesHowTheUserSignedIn() async throws {
        try await HookReceiver.run(answer: HookReceiver.echo) { receiver, url in
            try await Self.app(hook: url, version: 1).test(.router) { client in
                var browser = BrowserDriver(client: client)
                let implicit = try await Self.implicitSignIn(&browser)
                #expect(try redirectParameters(implicit.headers[.location])["access_token"] != nil)

                let code = try await browser.signIn(
                    authorize: queryString([
                        ("response_type", "code"), ("client_id", "pool-spa"), ("redirect_uri", Self.callback), ("scope", "openid"),
                        ("code_challenge", testChallenge), ("code_challenge_method", "S256"), ("prompt", "login"),
                    ]),
                    username: "manager",
                    password: "manager-password"
                )
                let redeemed = try await client.postForm(
                    "/oauth2/token",
                    queryString([
                        ("grant_type", "authorization_code"), ("client_id", "pool-spa"), ("redirect_uri", Self.callback),
                        ("code", try #require(try redirectParameters(code.headers[.location], query: true)["code"])),
                        ("code_verifier", testVerifier),
                    ])
                )
                #expect(redeemed.status == .ok)

                let password = try await Self.password(client)
                let refresh = try #require(try password.json()["refresh_token"]?.stringValue)
                let refreshed = try await client.postForm(
                    "/oauth2/token",
                    "grant_type=refresh_token&refresh_token=\(refresh)",
                    headers: [.authorization: basicAuthorization("pool-app", "pool-secret")]
                )
                #expect(refreshed.status == .ok)
            }
            #expect(
                receiver.events.map { member($0, "triggerSource") } == [
                    .string("TokenGeneration_HostedAuth"), .string("TokenGeneration_HostedAuth"), .string("TokenGeneration_Authentication"),
                    .string("TokenGeneration_RefreshTokens"),
                ]
            )
        }
    }

    @Test func v1ClaimsChangeTheIDTokenOnly() async throws {
        let answer = try HookReceiver.returning(
            #"{"claimsOverrideDetails": {"claimsToAddOrOverride": {"department": "sales", "given_name": "Mimi"}, "claimsToSuppress": ["email"]}}"#
        )
        try await HookReceiver.run(answer: answer) { _, url in
            try await Self.app(hook: url, version: 1).test(.router) { client in
                let (access, id) = try await Self.tokens(client, try await Self.password(client))
                let idToken = try #require(id)
                #expect(idToken["department"] == .string("sales"))
                #expect(idToken["given_name"] == .string("Mimi"))
                #expect(idToken["email"] == nil)
                #expect(idToken["email_verified"] == .bool(true))
                #expect(access["department"] == nil)
                #expect(access["given_name"] == nil)
                // Groups are untouched without groupOverrideDetails.
                #expect(access["cognito:groups"] == .array([.string("SPA-Manager")]))
                #expect(idToken["cognito:groups"] == .array([.string("SPA-Manager")]))
            }
        }
    }

    @Test func v1SuppressionWinsOverAddition() async throws {
        let answer = try HookReceiver.returning(
            #"{"claimsOverrideDetails": {"claimsToAddOrOverride": {"nickname": "mia", "family_name": "Other"}, "claimsToSuppress": ["nickname", "family_name"]}}"#
        )
        try await HookReceiver.run(answer: answer) { _, url in
            try await Self.app(hook: url, version: 1).test(.router) { client in
                // openid alone: Cognito releases every attribute, so family_name is there to be suppressed.
                let (_, id) = try await Self.tokens(client, try await Self.password(client, scope: "openid"))
                let idToken = try #require(id)
                #expect(idToken["nickname"] == nil)
                #expect(idToken["family_name"] == nil)
                #expect(idToken["given_name"] == .string("Mia"))
            }
        }
    }

    @Test func v1GroupOverrideReplacesGroupsInBothTokensAndRolesInTheIDToken() async throws {
        let answer = try HookReceiver.returning(
            """
            {"claimsOverrideDetails": {"groupOverrideDetails": {
                "groupsToOverride": ["Auditors", "Admins"],
                "iamRolesToOverride": ["arn:aws:iam::123456789012:role/auditor"],
                "preferredRole": "arn:aws:iam::123456789012:role/auditor"}}}
            """
        )
        try await HookReceiver.run(answer: answer) { _, url in
            try await Self.app(hook: url, version: 1).test(.router) { client in
                let (access, id) = try await Self.tokens(client, try await Self.password(client))
                let idToken = try #require(id)
                let groups = JSONValue.array([.string("Auditors"), .string("Admins")])
                #expect(access["cognito:groups"] == groups)
                #expect(idToken["cognito:groups"] == groups)
                #expect(idToken["cognito:roles"] == .array([.string("arn:aws:iam::123456789012:role/auditor")]))
                #expect(idToken["cognito:preferred_role"] == .string("arn:aws:iam::123456789012:role/auditor"))
                #expect(access["cognito:roles"] == nil)
                #expect(access["cognito:preferred_role"] == nil)
            }
        }
    }

    @Test func v1NullGroupOverrideSuppressesGroups() async throws {
        let answer = try HookReceiver.returning(#"{"claimsOverrideDetails": {"groupOverrideDetails": null}}"#)
        try await HookReceiver.run(answer: answer) { _, url in
            try await Self.app(hook: url, version: 1).test(.router) { client in
                let (access, id) = try await Self.tokens(client, try await Self.password(client))
                #expect(access["cognito:groups"] == nil)
                #expect(try #require(id)["cognito:groups"] == nil)
            }
        }
    }

    @Test func v1NonStringClaimValueFailsTheRequest() async throws {
        let answer = try HookReceiver.returning(#"{"claimsOverrideDetails": {"claimsToAddOrOverride": {"level": 3}}}"#)
        try await HookReceiver.run(answer: answer) { receiver, url in
            try await Self.app(hook: url, version: 1).test(.router) { client in
                let response = try await Self.password(client)
                #expect(response.status == .badRequest)
                let body = try response.json()
                #expect(body["error"] == .string("invalid_request"))
                #expect(body["error_description"]?.stringValue?.contains("PreTokenGeneration failed") == true)
                #expect(body["access_token"] == nil)
            }
            #expect(receiver.events.count == 1)
        }
    }

    // MARK: version 2

    @Test func v2EventCarriesTheScopes() async throws {
        try await HookReceiver.run(answer: HookReceiver.echo) { receiver, url in
            try await Self.app(hook: url, version: 2).test(.router) { client in
                let response = try await Self.password(client)
                #expect(response.status == .ok)
            }
            let event = try #require(receiver.events.first)
            #expect(member(event, "version") == .string("2"))
            #expect(member(event, "request", "scopes") == .array([.string("openid"), .string("email"), .string("orders/get.order")]))
            #expect(member(event, "response", "claimsAndScopeOverrideDetails") == .null)
            #expect(member(event, "response", "claimsOverrideDetails") == nil)
        }
    }

    @Test func v2EditsEachTokenSeparately() async throws {
        let answer = try HookReceiver.returning(
            """
            {"claimsAndScopeOverrideDetails": {
                "idTokenGeneration": {"claimsToAddOrOverride": {"favorite_number": 2, "tags": ["a", "b"]}, "claimsToSuppress": ["email"]},
                "accessTokenGeneration": {"claimsToAddOrOverride": {"tenant": {"id": "t-1", "tier": 3}, "beta": true}}}}
            """
        )
        try await HookReceiver.run(answer: answer) { _, url in
            try await Self.app(hook: url, version: 2).test(.router) { client in
                let (access, id) = try await Self.tokens(client, try await Self.password(client))
                let idToken = try #require(id)
                #expect(idToken["favorite_number"] == .int(2))
                #expect(idToken["tags"] == .array([.string("a"), .string("b")]))
                #expect(idToken["email"] == nil)
                #expect(idToken["tenant"] == nil)
                #expect(access["tenant"] == .object(["id": .string("t-1"), "tier": .int(3)]))
                #expect(access["beta"] == .bool(true))
                #expect(access["favorite_number"] == nil)
            }
        }
    }

    @Test func v2ScopeEditsChangeTheAccessTokenAndTheTokenResponse() async throws {
        let answer = try HookReceiver.returning(
            #"{"claimsAndScopeOverrideDetails": {"accessTokenGeneration": {"scopesToAdd": ["orders/create.order"], "scopesToSuppress": ["email"]}}}"#
        )
        try await HookReceiver.run(answer: answer) { _, url in
            try await Self.app(hook: url, version: 2).test(.router) { client in
                let response = try await Self.password(client, scope: "openid email orders/get.order")
                #expect(try response.json()["scope"] == .string("openid orders/get.order orders/create.order"))
                let (access, _) = try await Self.tokens(client, response)
                #expect(access.string("scope") == "openid orders/get.order orders/create.order")
            }
        }
    }

    // MARK: version 3 and client credentials

    @Test func v3FiresForClientCredentialsWithTheClientMetadata() async throws {
        let answer = try HookReceiver.returning(
            #"{"claimsAndScopeOverrideDetails": {"accessTokenGeneration": {"claimsToAddOrOverride": {"env": "dev"}}}}"#
        )
        try await HookReceiver.run(answer: answer) { receiver, url in
            try await Self.app(hook: url, version: 3).test(.router) { client in
                let response = try await client.postForm(
                    "/oauth2/token",
                    "grant_type=client_credentials&scope=orders%2Fget.order&aws_client_metadata=\(formEncode(#"{"env":"dev"}"#))",
                    headers: [.authorization: basicAuthorization("pool-m2m", "pool-m2m-secret")]
                )
                let (access, _) = try await Self.tokens(client, response)
                #expect(access["env"] == .string("dev"))
                #expect(access.string("sub") == "pool-m2m")
            }
            #expect(receiver.events.count == 1)
            let event = try #require(receiver.events.first)
            #expect(member(event, "version") == .string("3"))
            #expect(member(event, "triggerSource") == .string("TokenGeneration_ClientCredentials"))
            #expect(member(event, "userName") == .string("pool-m2m"))
            #expect(member(event, "callerContext", "clientId") == .string("pool-m2m"))
            #expect(member(event, "request", "userAttributes") == .object([:]))
            #expect(member(event, "request", "clientMetadata") == .object(["env": .string("dev")]))
            #expect(member(event, "request", "scopes") == .array([.string("orders/get.order")]))
        }
    }

    @Test(arguments: [1, 2])
    func versionsBefore3DoNotFireForClientCredentials(_ version: Int) async throws {
        // Were it called, this hook would fail the request.
        try await HookReceiver.run(answer: HookReceiver.failing(.internalServerError)) { receiver, url in
            try await Self.app(hook: url, version: version).test(.router) { client in
                let token = try await client.clientCredentialsToken(client: "pool-m2m", secret: "pool-m2m-secret", scope: "orders/get.order")
                #expect(try await RelyingParty(client: client).verify(token).claims.string("client_id") == "pool-m2m")
            }
            #expect(receiver.events.isEmpty)
        }
    }

    // MARK: reserved claims

    @Test func reservedClaimsCannotBeChanged() async throws {
        let answer = try HookReceiver.returning(
            """
            {"claimsAndScopeOverrideDetails": {
                "idTokenGeneration": {
                    "claimsToAddOrOverride": {"sub": "evil", "iss": "https://evil.example", "aud": "evil", "exp": 1, "token_use": "access",
                                              "cognito:username": "evil"},
                    "claimsToSuppress": ["sub", "iss", "aud", "exp", "token_use", "cognito:username"]},
                "accessTokenGeneration": {
                    "claimsToAddOrOverride": {"sub": "evil", "iss": "https://evil.example", "aud": "evil", "exp": 1, "token_use": "id",
                                              "cognito:username": "evil", "client_id": "evil", "scope": "admin", "username": "evil"},
                    "claimsToSuppress": ["sub", "iss", "aud", "exp", "token_use", "cognito:username", "client_id", "scope", "username"]}}}
            """
        )
        try await HookReceiver.run(answer: answer) { _, url in
            try await Self.app(hook: url, version: 2).test(.router) { client in
                let response = try await Self.password(client)
                #expect(response.status == .ok)
                #expect(try response.json()["scope"] == .string("openid email orders/get.order"))
                let (access, id) = try await Self.tokens(client, response)
                let idToken = try #require(id)
                #expect(idToken.string("sub") == Self.managerSubject)
                #expect(idToken.string("iss") == Self.poolIssuer)
                #expect(idToken["aud"] == .string("pool-app"))
                #expect(idToken.int("exp") == Self.issuedAt + 3600)
                #expect(idToken.string("token_use") == "id")
                #expect(idToken.string("cognito:username") == "manager")

                #expect(access.string("sub") == Self.managerSubject)
                #expect(access.string("iss") == Self.poolIssuer)
                #expect(access["aud"] == nil)
                #expect(access.int("exp") == Self.issuedAt + 600)
                #expect(access.string("token_use") == "access")
                #expect(access["cognito:username"] == nil)
                #expect(access.string("client_id") == "pool-app")
                #expect(access.string("scope") == "openid email orders/get.order")
                #expect(access.string("username") == "manager")
            }
        }
    }

    // MARK: failing closed

    @Test(arguments: HookFailure.allCases)
    func aFailingHookFailsTheTokenRequest(_ failure: HookFailure) async throws {
        let database = try AppDatabase.inMemory()
        try await Self.withFailingHook(failure) { url in
            try await Self.app(hook: url, timeoutMilliseconds: failure.timeoutMilliseconds, database: database).test(.router) { client in
                let response = try await Self.password(client)
                #expect(response.status == .badRequest)
                let body = try response.json()
                #expect(body["error"] == .string("invalid_request"))
                let description = try #require(body["error_description"]?.stringValue)
                #expect(description.contains("PreTokenGeneration failed"))
                #expect(description.contains("pre-token-generation hook"))
                #expect(body["access_token"] == nil)
                #expect(body["id_token"] == nil)
            }
        }
        let events = try await Self.auditEvents(database)
        #expect(events.contains { $0.outcome == .denied && $0.reason?.contains("pre-token-generation hook") == true })
        #expect(!events.contains { $0.outcome == .issued })
    }

    @Test(arguments: HookFailure.allCases)
    func aFailingHookSendsTheBrowserBackWithAnError(_ failure: HookFailure) async throws {
        let database = try AppDatabase.inMemory()
        try await Self.withFailingHook(failure) { url in
            try await Self.app(hook: url, timeoutMilliseconds: failure.timeoutMilliseconds, database: database).test(.router) { client in
                var browser = BrowserDriver(client: client)
                let response = try await Self.implicitSignIn(&browser)
                #expect(response.status == .seeOther)
                let location = try #require(response.headers[.location])
                #expect(location.hasPrefix(Self.callback + "#"))
                let fragment = try redirectParameters(location)
                #expect(fragment["error"] == "invalid_request")
                #expect(fragment["error_description"]?.contains("PreTokenGeneration failed") == true)
                #expect(fragment["error_description"]?.contains("pre-token-generation hook") == true)
                #expect(fragment["state"] == "st-1")
                #expect(fragment["access_token"] == nil)
                #expect(fragment["id_token"] == nil)
            }
        }
        let events = try await Self.auditEvents(database)
        #expect(events.contains { $0.action == "authorize" && $0.outcome == .denied && $0.reason?.contains("pre-token-generation hook") == true })
        #expect(!events.contains { $0.outcome == .issued })
    }

    /// The code is spent only once the hook has answered: a hook that fails once leaves the code redeemable.
    @Test func aFailingHookDoesNotSpendTheAuthorizationCode() async throws {
        let calls = Mutex(0)
        let answer: HookReceiver.Answer = { event in
            let call = calls.withLock { count -> Int in
                count += 1
                return count
            }
            return call == 1 ? (.internalServerError, "{}") : (.ok, HookReceiver.encode(event))
        }
        try await HookReceiver.run(answer: answer) { receiver, url in
            try await Self.app(hook: url).test(.router) { client in
                var browser = BrowserDriver(client: client)
                let response = try await browser.signIn(
                    authorize: queryString([
                        ("response_type", "code"), ("client_id", "pool-spa"), ("redirect_uri", Self.callback), ("scope", "openid email"),
                        ("code_challenge", testChallenge), ("code_challenge_method", "S256"),
                    ]),
                    username: "manager",
                    password: "manager-password"
                )
                let code = try #require(try redirectParameters(response.headers[.location], query: true)["code"])
                let body = queryString([
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Self.callback), ("client_id", "pool-spa"),
                    ("code_verifier", testVerifier),
                ])
                let failed = try await client.postForm("/oauth2/token", body)
                #expect(failed.status == .badRequest)
                #expect(try failed.json()["access_token"] == nil)
                let retried = try await client.postForm("/oauth2/token", body)
                #expect(retried.status == .ok)
                #expect(try retried.json()["access_token"] != nil)
            }
            #expect(receiver.events.count == 2)
        }
    }

    // MARK: per-client settings

    @Test func aClientCanTurnTheHookOff() async throws {
        // Were it called, this hook would fail the request.
        try await HookReceiver.run(answer: HookReceiver.failing(.internalServerError)) { receiver, url in
            try await Self.app(hook: url).test(.router) { client in
                let response = try await Self.password(client, clientID: "no-hook", secret: "no-hook-secret")
                let (access, _) = try await Self.tokens(client, response)
                #expect(access.string("client_id") == "no-hook")
            }
            #expect(receiver.events.isEmpty)
        }
    }

    @Test func aClientsOwnHookReplacesTheGlobalOne() async throws {
        try await HookReceiver.run(answer: HookReceiver.failing(.internalServerError)) { global, globalURL in
            let answer = try HookReceiver.returning(
                #"{"claimsAndScopeOverrideDetails": {"accessTokenGeneration": {"claimsToAddOrOverride": {"hooked_by": "own"}}}}"#
            )
            try await HookReceiver.run(answer: answer) { own, ownURL in
                try await Self.app(hook: globalURL, version: 1, seed: try hookSeed(ownHookURL: ownURL)).test(.router) { client in
                    let response = try await Self.password(client, clientID: "own-hook", secret: "own-hook-secret")
                    let (access, _) = try await Self.tokens(client, response)
                    #expect(access["hooked_by"] == .string("own"))
                }
                #expect(own.events.count == 1)
                // The client's hook is version 2, whatever the global one's version.
                #expect(own.events.first.flatMap { member($0, "version") } == .string("2"))
                #expect(own.events.first.flatMap { member($0, "callerContext", "clientId") } == .string("own-hook"))
            }
            #expect(global.events.isEmpty)
        }
    }

    // MARK: generic dialect

    @Test func genericTokensTakeHookEditsAndGroupOverrides() async throws {
        let answer = try HookReceiver.returning(
            """
            {"claimsAndScopeOverrideDetails": {
                "idTokenGeneration": {"claimsToAddOrOverride": {"nickname": "mia"}},
                "accessTokenGeneration": {"claimsToAddOrOverride": {"department": "sales"}, "scopesToAdd": ["orders/create.order"]},
                "groupOverrideDetails": {"groupsToOverride": ["Auditors"]}}}
            """
        )
        try await HookReceiver.run(answer: answer) { receiver, url in
            try await Self.app(hook: url, version: 2).test(.router) { client in
                // With the groups scope, the override replaces the user's groups (SPA-Manager) in both tokens.
                let response = try await Self.password(
                    client,
                    clientID: "generic-app",
                    secret: "generic-secret",
                    scope: "openid email groups orders/get.order"
                )
                let (access, id) = try await Self.tokens(client, response)
                let idToken = try #require(id)
                #expect(access["department"] == .string("sales"))
                #expect(access.string("scope") == "openid email groups orders/get.order orders/create.order")
                #expect(access["groups"] == .array([.string("Auditors")]))
                #expect(access["cognito:groups"] == nil)
                #expect(access.string("iss") == "http://localhost:9999")
                #expect(idToken["nickname"] == .string("mia"))
                #expect(idToken["groups"] == .array([.string("Auditors")]))
                #expect(idToken["department"] == nil)
            }
            #expect(receiver.events.count == 1)
        }
    }
}

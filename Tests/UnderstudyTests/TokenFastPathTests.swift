import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdCore
import JWTKit
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import Understudy

/// Token requests in ``FastPathHandler``'s pipeline, with a real ``TokenController`` over an in-memory
/// database: which ones are answered on the event loop, that they are answered and recorded as the route
/// does, and that every other one reaches the router whole with nothing recorded.
@Suite struct TokenFastPathTests {
    /// The collaborators the fast path needs, built as the composition root builds them.
    struct Fixture {
        let channel: EmbeddedChannel
        let clients: ClientRepository
        let secrets: ClientSecretVerifier
        let audit: AuditLog
        let faults: FaultInjector
        let keys: SigningKeys
        let hookClient: HookHTTPClient

        init(issuerPath: String = "", hook: HookConfiguration? = nil, seedYAML: String? = nil) async throws {
            let database = try AppDatabase.inMemory()
            let seed = try seedYAML.map { try SeedLoader.parse($0, file: "fast-path.yaml").0 } ?? fixtureSeed()
            try await Seeder(database: database, now: { testNow }).apply(seed)
            let configuration = ServerConfiguration.test {
                $0.issuer += issuerPath
                $0.preTokenGeneration = hook
            }
            self.keys = try await SigningKeyRepository(writer: database.writer).restore(folder: repositoryKeys(), now: testNow)
            self.clients = ClientRepository(writer: database.writer)
            self.secrets = ClientSecretVerifier()
            self.audit = AuditLog(writer: database.writer)
            self.faults = FaultInjector()
            self.hookClient = HookHTTPClient()
            let users = UserRepository(writer: database.writer)
            let controller = TokenController(
                authenticator: ClientAuthenticator(clients: self.clients, secrets: self.secrets),
                issuer: TokenIssuer(configuration: configuration, seed: seed, keys: self.keys, hookClient: self.hookClient),
                audit: self.audit,
                grants: GrantRepository(writer: database.writer),
                users: users,
                userAuthenticator: UserAuthenticator(users: users, throttle: LoginThrottle(enabled: false, now: { testNow })),
                revocations: try RevocationRepository(writer: database.writer, now: testNow),
                refreshTokenTTL: 3600,
                now: { testNow }
            )
            let documents = try DiscoveryController(
                metadata: ProviderMetadata(issuer: configuration.issuer, scopes: ["openid"], signingAlgorithms: [.rs256, .es256]),
                cognito: nil,
                issuerPath: issuerPath,
                internalURL: nil,
                keys: self.keys,
                now: { testNow }
            )
            let tokens = TokenFastPath(controller: controller, faults: self.faults, issuerPath: issuerPath, logger: .init(label: "test"))
            self.channel = EmbeddedChannel(handler: FastPathHandler(documents: documents, tokens: tokens, serverName: "understudy"))
        }

        /// What the router's first request for a client leaves in memory: the client cached, its secret verified.
        func remember(_ clientID: String, secret: String) async throws {
            let client = try #require(try await self.clients.find(id: clientID))
            #expect(try await self.secrets.verify(secret, hash: #require(client.record.secretHash)))
        }

        func events() async throws -> [AuditEvent] {
            try await self.audit.recent()
        }

        func shutdown() async throws {
            try await self.hookClient.client.shutdown()
        }
    }

    /// A token request as the HTTP decoder hands it on: head, the body in `parts`, end.
    struct TokenRequest: Sendable, CustomTestStringConvertible {
        var path = "/oauth2/token"
        var method: HTTPRequest.Method = .post
        var headers: HTTPFields = [.authorization: basicAuthorization("svc", "s3cret"), .contentType: "application/x-www-form-urlencoded"]
        var body = "grant_type=client_credentials"
        /// The body's size in `Content-Length`; nil sends none.
        var contentLength: Int?? = .some(nil)
        var parts = 1
        var testDescription: String { "\(self.method) \(self.path) \(self.headers) \(self.body)" }

        func with(_ change: (inout TokenRequest) -> Void) -> TokenRequest {
            var copy = self
            change(&copy)
            return copy
        }

        var head: HTTPRequest {
            var fields = self.headers
            switch self.contentLength {
            case .some(nil): fields[.contentLength] = String(self.body.utf8.count)
            case .some(.some(let length)): fields[.contentLength] = String(length)
            case nil: break
            }
            return HTTPRequest(method: self.method, scheme: nil, authority: "localhost", path: self.path, headerFields: fields)
        }

        /// The body cut into `parts` pieces of about equal size.
        var bodyParts: [ByteBuffer] {
            let bytes = Array(self.body.utf8)
            guard !bytes.isEmpty else { return [] }
            let size = max(1, (bytes.count + self.parts - 1) / self.parts)
            return stride(from: 0, to: bytes.count, by: size).map { ByteBuffer(bytes: bytes[$0..<min($0 + size, bytes.count)]) }
        }
    }

    static func send(_ request: TokenRequest, to channel: EmbeddedChannel) throws {
        try channel.writeInbound(HTTPRequestPart.head(request.head))
        for part in request.bodyParts { try channel.writeInbound(HTTPRequestPart.body(part)) }
        try channel.writeInbound(HTTPRequestPart.end(nil))
    }

    /// The request parts that went on towards the router, with the body parts joined.
    static func forwarded(_ channel: EmbeddedChannel) throws -> (head: HTTPRequest?, body: String, ends: Int) {
        var head: HTTPRequest?
        var body = ByteBuffer()
        var ends = 0
        while let part = try channel.readInbound(as: HTTPRequestPart.self) {
            switch part {
            case .head(let request): head = request
            case .body(var bytes): body.writeBuffer(&bytes)
            case .end: ends += 1
            }
        }
        return (head, String(buffer: body), ends)
    }

    /// What the router does for requests it was passed: answers them (the handler counts their ends), and
    /// the test drops those answers.
    static func answerAsTheRouter(_ channel: EmbeddedChannel, requests: Int = 1) throws {
        for _ in 0..<requests {
            try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
            try channel.writeOutbound(HTTPResponsePart.end(nil))
        }
        while try channel.readOutbound(as: HTTPResponsePart.self) != nil {}
    }

    static func answer(_ channel: EmbeddedChannel) throws -> (HTTPResponse, [String: JSONValue])? {
        guard case .head(let response)? = try channel.readOutbound(as: HTTPResponsePart.self) else { return nil }
        guard case .body(let body)? = try channel.readOutbound(as: HTTPResponsePart.self) else { throw TestFailure("no body") }
        guard case .end? = try channel.readOutbound(as: HTTPResponsePart.self) else { throw TestFailure("no end") }
        #expect(response.headerFields[.contentLength] == String(body.readableBytes))
        return (response, try JSONDecoder().decode([String: JSONValue].self, from: Data(body.readableBytesView)))
    }

    @Test func theFirstRequestForAClientGoesToTheRouterWhole() async throws {
        let fixture = try await Fixture()
        let request = TokenRequest(parts: 3)
        try Self.send(request, to: fixture.channel)
        let forwarded = try Self.forwarded(fixture.channel)
        #expect(forwarded.head == request.head)
        #expect(forwarded.body == request.body)
        #expect(forwarded.ends == 1)
        #expect(try Self.answer(fixture.channel) == nil)
        #expect(try await fixture.events().isEmpty)
        try await fixture.shutdown()
    }

    /// A request the route would answer with a token, in each form the fast path takes.
    struct AnsweredCase: Sendable, CustomTestStringConvertible {
        var issuerPath = ""
        var request = TokenRequest()
        var clientID = "svc"
        var secret = "s3cret"
        var algorithm = "RS256"
        var scope = "orders/get.order orders/create.order"
        var expiresIn = 600
        var testDescription: String { "\(self.issuerPath) \(self.request.testDescription)" }
    }

    @Test(arguments: [
        AnsweredCase(),
        AnsweredCase(request: TokenRequest(parts: 7)),
        AnsweredCase(request: TokenRequest(path: "/oauth2/v1/token")),
        AnsweredCase(issuerPath: "/tenant-a", request: TokenRequest(path: "/tenant-a/oauth2/token")),
        AnsweredCase(request: TokenRequest(body: "grant_type=client_credentials&scope=orders%2Fget.order"), scope: "orders/get.order"),
        AnsweredCase(
            request: TokenRequest(headers: [.contentType: "application/x-www-form-urlencoded; charset=UTF-8"])
                .with { $0.body = "client_id=svc&client_secret=s3cret&grant_type=client_credentials" }
        ),
        AnsweredCase(
            request: TokenRequest().with { $0.headers[.authorization] = basicAuthorization("svc:special/ü", "p@ss:w+rd% ü") },
            clientID: "svc:special/ü",
            secret: "p@ss:w+rd% ü",
            algorithm: "ES256",
            scope: "orders/get.order",
            expiresIn: 120
        ),
    ])
    func aRememberedClientIsAnsweredOnTheEventLoop(_ answered: AnsweredCase) async throws {
        let fixture = try await Fixture(issuerPath: answered.issuerPath)
        try await fixture.remember(answered.clientID, secret: answered.secret)
        try Self.send(answered.request, to: fixture.channel)
        #expect(try Self.forwarded(fixture.channel).ends == 0, "the request went to the router")
        let (response, json) = try #require(try Self.answer(fixture.channel))
        #expect(response.status == .ok)
        #expect(response.headerFields[.contentType] == "application/json")
        #expect(response.headerFields[.cacheControl] == "no-store")
        #expect(response.headerFields[.pragma] == "no-cache")
        #expect(response.headerFields[.server] == "understudy")
        #expect(json["token_type"] == .string("Bearer"))
        #expect(json["expires_in"] == .int(answered.expiresIn))
        #expect(json["scope"] == .string(answered.scope))
        #expect(Set(json.keys) == ["access_token", "token_type", "expires_in", "scope"])

        // A real signature under the published key, with the route's claims.
        let token = try #require(json["access_token"]?.stringValue)
        let keys = try await JWTKeyCollection().add(
            jwks: JSONDecoder().decode(JWKS.self, from: Data(fixture.keys.jwks(now: testNow).readableBytesView))
        )
        let claims = try await keys.verify(token, as: ClaimSet.self)
        #expect(try TokenVerifier.header(of: token)["alg"] == .string(answered.algorithm))
        #expect(claims["client_id"] == .string(answered.clientID))
        #expect(claims["sub"] == .string(answered.clientID))
        #expect(claims["scope"] == .string(answered.scope))
        #expect(claims["iss"] == .string("http://localhost:9999" + answered.issuerPath))
        #expect(claims["exp"] == .int(Int(testNow.timeIntervalSince1970) + answered.expiresIn))

        let events = try await fixture.events()
        #expect(events.count == 1)
        #expect(events.first?.outcome == .issued)
        #expect(events.first?.clientID == answered.clientID)
        #expect(events.first?.grantType == "client_credentials")
        #expect(events.first?.jti == claims["jti"]?.stringValue)
        #expect(events.first?.scopes == answered.scope)
        try await fixture.shutdown()
    }

    @Test(arguments: [
        TokenRequest().with { $0.headers[.authorization] = basicAuthorization("svc", "wrong") },
        TokenRequest().with { $0.headers[.authorization] = basicAuthorization("nobody", "s3cret") },
        TokenRequest().with { $0.headers[.authorization] = nil },
        TokenRequest().with { $0.body = "client_id=reporter&grant_type=client_credentials" },
        TokenRequest().with { $0.body = "grant_type=client_credentials&client_secret=s3cret" },
        TokenRequest().with { $0.body = "grant_type=password&username=manager&password=manager-password" },
        TokenRequest().with { $0.body = "grant_type=client_credentials&grant_type=client_credentials" },
        TokenRequest().with { $0.body = "scope=orders/get.order" },
        TokenRequest().with { $0.body = "grant_type=client_credentials&scope=reports/read" },
        TokenRequest().with { $0.body = "grant_type=client_credentials&aws_client_metadata=%7B%7D" },
        TokenRequest().with { $0.body = "grant_type=client_credentials&x=%ZZ" },
        TokenRequest().with { $0.headers[.contentType] = "application/json" },
        TokenRequest().with { $0.headers[.contentType] = nil },
        TokenRequest().with { $0.headers[.origin] = "http://spa.example" },
        TokenRequest().with { $0.headers[.connection] = "keep-alive" },
        TokenRequest().with { $0.headers[.expect] = "100-continue" },
        TokenRequest().with { $0.contentLength = nil },
        TokenRequest().with { $0.contentLength = .some(.some(FormParameters.maximumBodySize + 1)) },
        TokenRequest().with { $0.body = "" },
        TokenRequest().with { $0.path = "/oauth2/token?grant_type=client_credentials" },
        TokenRequest().with { $0.path = "/oauth2/token/" },
        TokenRequest().with { $0.path = "/tenant-a/oauth2/token" },
        TokenRequest().with { $0.method = .put },
        TokenRequest().with { $0.method = .head },
        TokenRequest().with { $0.method = .get },
        TokenRequest().with { $0.headers[.authorization] = basicAuthorization("reporter", "reporter-secret") },
    ])
    func requestsTheRouteMustJudgeGoToItWholeWithNothingRecorded(_ request: TokenRequest) async throws {
        let fixture = try await Fixture()
        try await fixture.remember("svc", secret: "s3cret")
        // A client that may not use client credentials, remembered as well as svc.
        try await fixture.remember("reporter", secret: "reporter-secret")
        try Self.send(request, to: fixture.channel)
        let forwarded = try Self.forwarded(fixture.channel)
        #expect(forwarded.head == request.head)
        #expect(forwarded.body == request.body)
        #expect(forwarded.ends == 1)
        #expect(try Self.answer(fixture.channel) == nil, "answered on the event loop")
        #expect(try await fixture.events().isEmpty)
        try await fixture.shutdown()
    }

    @Test func aBodyLargerThanAnyFormGoesToTheRouterAsItArrives() async throws {
        // A Content-Length the handler accepts, then more bytes than a form may have (the decoder would stop
        // this at the length; the handler must not hold an unbounded body either way).
        let fixture = try await Fixture()
        try await fixture.remember("svc", secret: "s3cret")
        let request = TokenRequest(body: String(repeating: "a", count: FormParameters.maximumBodySize), contentLength: 40)
        try fixture.channel.writeInbound(HTTPRequestPart.head(request.head))
        try fixture.channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "grant_type=client_credentials&x=")))
        try fixture.channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: request.body)))
        try fixture.channel.writeInbound(HTTPRequestPart.end(nil))
        let forwarded = try Self.forwarded(fixture.channel)
        #expect(forwarded.head == request.head)
        #expect(forwarded.body == "grant_type=client_credentials&x=" + request.body)
        #expect(forwarded.ends == 1)
        #expect(try Self.answer(fixture.channel) == nil)
        try await fixture.shutdown()
    }

    @Test func aClientWhoseTokensAHookSeesGoesToTheRouter() async throws {
        let fixture = try await Fixture(hook: HookConfiguration(url: "http://127.0.0.1:9/hook", version: 3))
        try await fixture.remember("svc", secret: "s3cret")
        try Self.send(TokenRequest(), to: fixture.channel)
        #expect(try Self.forwarded(fixture.channel).ends == 1)
        #expect(try Self.answer(fixture.channel) == nil)
        try await fixture.shutdown()
    }

    @Test func anInjectedFaultSendsTokenRequestsToTheRouter() async throws {
        let fixture = try await Fixture()
        try await fixture.remember("svc", secret: "s3cret")
        let fault = FaultInjector.Fault(id: 0, endpoint: .userinfo, remaining: 1, status: nil, delayMilliseconds: 0)
        // Set before the request, and set while its body is on the way.
        let id = fixture.faults.add(fault).id
        try Self.send(TokenRequest(), to: fixture.channel)
        #expect(try Self.forwarded(fixture.channel).ends == 1)
        fixture.faults.remove(id: id)
        try Self.answerAsTheRouter(fixture.channel)

        let request = TokenRequest(parts: 2)
        try fixture.channel.writeInbound(HTTPRequestPart.head(request.head))
        _ = fixture.faults.add(fault)
        for part in request.bodyParts { try fixture.channel.writeInbound(HTTPRequestPart.body(part)) }
        try fixture.channel.writeInbound(HTTPRequestPart.end(nil))
        let forwarded = try Self.forwarded(fixture.channel)
        #expect(forwarded.ends == 1 && forwarded.body == request.body)
        #expect(try Self.answer(fixture.channel) == nil)
        #expect(try await fixture.events().isEmpty)
        try await fixture.shutdown()
    }

    @Test func aTokenRequestBehindOneTheRouterIsAnsweringWaitsItsTurn() async throws {
        let fixture = try await Fixture()
        try await fixture.remember("svc", secret: "s3cret")
        try Self.send(TokenRequest().with { $0.headers[.origin] = "http://spa.example" }, to: fixture.channel)
        try Self.send(TokenRequest(), to: fixture.channel)
        var parts: [HTTPRequestPart] = []
        while let part = try fixture.channel.readInbound(as: HTTPRequestPart.self) { parts.append(part) }
        #expect(parts.count == 6, "both requests went to the router, in order")
        #expect(try Self.answer(fixture.channel) == nil)

        try Self.answerAsTheRouter(fixture.channel, requests: 2)
        try Self.send(TokenRequest(), to: fixture.channel)
        #expect(try Self.forwarded(fixture.channel).ends == 0)
        #expect(try Self.answer(fixture.channel)?.0.status == .ok)
        try await fixture.shutdown()
    }

    @Test func aClientWhoseSecretChangedGoesToTheRouter() async throws {
        let fixture = try await Fixture()
        try await fixture.remember("svc", secret: "s3cret")
        try await fixture.clients.setSecret(id: "svc", hash: try await PasswordHasher.hash("new-secret"), now: testNow)
        // Read again, as the router's next request would: cached again, with its new hash.
        _ = try await fixture.clients.find(id: "svc")
        try Self.send(TokenRequest(), to: fixture.channel)
        #expect(try Self.forwarded(fixture.channel).ends == 1)
        #expect(try Self.answer(fixture.channel) == nil)

        let deleted = try await Fixture()
        try await deleted.remember("svc", secret: "s3cret")
        try await deleted.clients.delete(id: "svc")
        try Self.send(TokenRequest(), to: deleted.channel)
        #expect(try Self.forwarded(deleted.channel).ends == 1)
        #expect(try Self.answer(deleted.channel) == nil)
        try await fixture.shutdown()
        try await deleted.shutdown()
    }

    @Test func eachClientsOwnHookSettingDecides() async throws {
        // A server-wide version 3 hook; one client has its own, the other turns hooks off.
        let fixture = try await Fixture(
            hook: HookConfiguration(url: "http://127.0.0.1:9/global", version: 3),
            seedYAML: """
                scopes:
                  - name: orders/get.order
                clients:
                  - client_id: own-hook
                    client_secret: own-secret
                    grant_types: [client_credentials]
                    scopes: [orders/get.order]
                    pre_token_generation: {url: "http://127.0.0.1:9/own", version: 3}
                  - client_id: no-hook
                    client_secret: no-secret
                    grant_types: [client_credentials]
                    scopes: [orders/get.order]
                    pre_token_generation: false
                """
        )
        try await fixture.remember("own-hook", secret: "own-secret")
        try await fixture.remember("no-hook", secret: "no-secret")
        try Self.send(TokenRequest().with { $0.headers[.authorization] = basicAuthorization("own-hook", "own-secret") }, to: fixture.channel)
        #expect(try Self.forwarded(fixture.channel).ends == 1)
        #expect(try Self.answer(fixture.channel) == nil)
        try Self.answerAsTheRouter(fixture.channel)

        try Self.send(TokenRequest().with { $0.headers[.authorization] = basicAuthorization("no-hook", "no-secret") }, to: fixture.channel)
        #expect(try Self.forwarded(fixture.channel).ends == 0)
        #expect(try Self.answer(fixture.channel)?.1["scope"] == .string("orders/get.order"))
        try await fixture.shutdown()
    }

    @Test func aRequestHeldWhenTheServerQuiescesGoesToTheRouter() async throws {
        let fixture = try await Fixture()
        try await fixture.remember("svc", secret: "s3cret")
        let request = TokenRequest(parts: 2)
        let parts = request.bodyParts
        try fixture.channel.writeInbound(HTTPRequestPart.head(request.head))
        try fixture.channel.writeInbound(HTTPRequestPart.body(parts[0]))
        #expect(try Self.forwarded(fixture.channel).ends == 0, "held until its end")

        // Hummingbird's connection handler must see the head before the event, to answer it before closing.
        fixture.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try fixture.channel.writeInbound(HTTPRequestPart.body(parts[1]))
        try fixture.channel.writeInbound(HTTPRequestPart.end(nil))
        let forwarded = try Self.forwarded(fixture.channel)
        #expect(forwarded.head == request.head && forwarded.body == request.body && forwarded.ends == 1)
        #expect(try Self.answer(fixture.channel) == nil)

        // The router answers it; later requests go to the router too.
        try Self.answerAsTheRouter(fixture.channel)
        try Self.send(TokenRequest(), to: fixture.channel)
        #expect(try Self.forwarded(fixture.channel).ends == 1)
        #expect(try Self.answer(fixture.channel) == nil)
        try await fixture.shutdown()
    }

    @Test(arguments: [true, false])
    func nothingIsAnsweredAfterARequestToCloseOrOnceOutputIsClosed(closeHeader: Bool) async throws {
        let fixture = try await Fixture()
        try await fixture.remember("svc", secret: "s3cret")
        if closeHeader {
            try Self.send(TokenRequest().with { $0.headers[.connection] = "close" }, to: fixture.channel)
            #expect(try Self.forwarded(fixture.channel).ends == 1)
            try Self.answerAsTheRouter(fixture.channel)
        } else {
            fixture.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.outputClosed)
        }
        try Self.send(TokenRequest(), to: fixture.channel)
        #expect(try Self.forwarded(fixture.channel).ends == 1, "the router decides what happens to it")
        #expect(try Self.answer(fixture.channel) == nil)
        #expect(try await fixture.events().isEmpty)
        try await fixture.shutdown()
    }

    @Test func aPipelinedBurstIsAnsweredHereOnlyUpToTheLimitPerRead() async throws {
        let fixture = try await Fixture()
        try await fixture.remember("svc", secret: "s3cret")
        let count = FastPathHandler.maximumAnswersPerRead + 2
        // One read from the socket: every part, then one read-complete.
        for _ in 0..<count {
            let request = TokenRequest()
            fixture.channel.pipeline.fireChannelRead(HTTPRequestPart.head(request.head))
            for part in request.bodyParts { fixture.channel.pipeline.fireChannelRead(HTTPRequestPart.body(part)) }
            fixture.channel.pipeline.fireChannelRead(HTTPRequestPart.end(nil))
        }
        fixture.channel.pipeline.fireChannelReadComplete()
        var answered = 0
        while try Self.answer(fixture.channel) != nil { answered += 1 }
        var forwardedEnds = 0
        while let part = try fixture.channel.readInbound(as: HTTPRequestPart.self) {
            if case .end = part { forwardedEnds += 1 }
        }
        #expect(answered == FastPathHandler.maximumAnswersPerRead)
        #expect(forwardedEnds == 2)

        // The next read starts afresh once the router has answered.
        try Self.answerAsTheRouter(fixture.channel, requests: 2)
        try Self.send(TokenRequest(), to: fixture.channel)
        #expect(try Self.answer(fixture.channel) != nil)
        try await fixture.shutdown()
    }
}

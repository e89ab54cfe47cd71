import Foundation
import HTTPTypes
import HummingbirdCore
import HummingbirdTesting
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import Understudy

/// `FastPathHandler` in a channel pipeline: which requests it answers itself, which it passes on to
/// the router, and that answers stay in request order when requests are pipelined.
@Suite struct FastPathHandlerTests {
    static let poolID = "us-east-1_Understudy"

    static func controller(issuerPath: String = "") async throws -> DiscoveryController {
        let keys = try await SigningKeyRepository(writer: AppDatabase.inMemory().writer).restore(folder: repositoryKeys(), now: testNow)
        let metadata = ProviderMetadata(issuer: "http://localhost:9999" + issuerPath, scopes: ["openid"], signingAlgorithms: [.rs256])
        var cognito = metadata
        cognito.issuer += "/" + Self.poolID
        return try DiscoveryController(
            metadata: metadata,
            cognito: (Self.poolID, cognito),
            issuerPath: issuerPath,
            internalURL: nil,
            keys: keys,
            now: { testNow }
        )
    }

    static func channel(_ controller: DiscoveryController) -> EmbeddedChannel {
        EmbeddedChannel(handler: FastPathHandler(documents: controller, tokens: nil, serverName: "understudy"))
    }

    static func request(_ path: String, method: HTTPRequest.Method = .get, headers: HTTPFields = [:]) -> HTTPRequestPart {
        .head(HTTPRequest(method: method, scheme: nil, authority: "localhost", path: path, headerFields: headers))
    }

    /// Sends a whole request (head and end) into the pipeline.
    static func send(_ channel: EmbeddedChannel, _ head: HTTPRequestPart) throws {
        try channel.writeInbound(head)
        try channel.writeInbound(HTTPRequestPart.end(nil))
    }

    /// The parts the handler wrote for one answer: head, body, end.
    static func answer(_ channel: EmbeddedChannel) throws -> (HTTPResponse, ByteBuffer)? {
        guard case .head(let response)? = try channel.readOutbound(as: HTTPResponsePart.self) else { return nil }
        guard case .body(let body)? = try channel.readOutbound(as: HTTPResponsePart.self) else { throw TestFailure("no body") }
        guard case .end? = try channel.readOutbound(as: HTTPResponsePart.self) else { throw TestFailure("no end") }
        return (response, body)
    }

    /// The request parts that went on towards the router.
    static func forwarded(_ channel: EmbeddedChannel) throws -> [HTTPRequestPart] {
        var parts: [HTTPRequestPart] = []
        while let part = try channel.readInbound(as: HTTPRequestPart.self) { parts.append(part) }
        return parts
    }

    @Test(arguments: ["", "/tenant-a"])
    func everyDocumentRouteIsAnsweredOnTheEventLoop(issuerPath: String) async throws {
        let controller = try await Self.controller(issuerPath: issuerPath)
        let expected: [String: DiscoveryController.Document] = [
            "\(issuerPath)/.well-known/openid-configuration": .discovery,
            "\(issuerPath)/.well-known/oauth-authorization-server": .discovery,
            "\(issuerPath)/.well-known/jwks.json": .jwks,
            "\(issuerPath)/admin/v1/SigningCert/jwk": .jwks,
            "\(issuerPath)/\(Self.poolID)/.well-known/openid-configuration": .cognitoDiscovery,
            "\(issuerPath)/\(Self.poolID)/.well-known/jwks.json": .jwks,
        ].merging(issuerPath.isEmpty ? [:] : ["/.well-known/oauth-authorization-server\(issuerPath)": .discovery]) { first, _ in first }
        #expect(controller.documentPaths == expected)

        let channel = Self.channel(controller)
        for (path, document) in expected {
            try Self.send(channel, Self.request(path))
            #expect(try Self.forwarded(channel).isEmpty, "\(path) went to the router")
            let (response, body) = try #require(try Self.answer(channel))
            #expect(response.status == .ok)
            #expect(response.headerFields[.contentType] == "application/json")
            #expect(response.headerFields[.contentLength] == String(body.readableBytes))
            #expect(response.headerFields[.server] == "understudy")
            #expect(response.headerFields[.date]?.hasSuffix(" GMT") == true)
            let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
            switch document {
            case .jwks: #expect((json?["keys"] as? [Any])?.isEmpty == false)
            case .discovery: #expect(json?["issuer"] as? String == "http://localhost:9999" + issuerPath)
            case .cognitoDiscovery: #expect(json?["issuer"] as? String == "http://localhost:9999\(issuerPath)/\(Self.poolID)")
            }
        }
    }

    /// A request the router must answer.
    struct RouterRequest: Sendable, CustomTestStringConvertible {
        var path: String
        var method: HTTPRequest.Method = .get
        var headers: HTTPFields = [:]
        var testDescription: String { "\(self.method) \(self.path) \(self.headers)" }
    }

    @Test(arguments: [
        RouterRequest(path: "/.well-known/jwks.json?x=1"),
        RouterRequest(path: "/.well-known/jwks.json", method: .post),
        RouterRequest(path: "/.well-known/jwks.json", method: .head),
        RouterRequest(path: "/.well-known/jwks.json/"),
        RouterRequest(path: "/.well-known/JWKS.json"),
        RouterRequest(path: "/oauth2/token"),
        RouterRequest(path: "/.well-known/jwks.json", headers: [.origin: "http://spa.example"]),
        RouterRequest(path: "/.well-known/openid-configuration", headers: [HTTPField.Name("X-Forwarded-Host")!: "proxy.example"]),
        RouterRequest(path: "/.well-known/openid-configuration", headers: [HTTPField.Name("X-Forwarded-Proto")!: "https"]),
        RouterRequest(path: "/.well-known/jwks.json", headers: [.connection: "close"]),
        RouterRequest(path: "/.well-known/jwks.json", headers: [.contentLength: "5"]),
        RouterRequest(path: "/.well-known/jwks.json", headers: [.transferEncoding: "chunked"]),
        RouterRequest(path: "/.well-known/jwks.json", headers: [.expect: "100-continue"]),
    ])
    func anyOtherRequestGoesToTheRouter(_ request: RouterRequest) async throws {
        let channel = Self.channel(try await Self.controller())
        try Self.send(channel, Self.request(request.path, method: request.method, headers: request.headers))
        let parts = try Self.forwarded(channel)
        #expect(parts.count == 2, "head and end reach the router")
        #expect(try Self.answer(channel) == nil, "nothing answered on the event loop")
    }

    @Test func aRequestBehindOneTheRouterIsAnsweringWaitsItsTurn() async throws {
        let channel = Self.channel(try await Self.controller())
        // The router takes a token request; a document request pipelined behind it must follow it.
        try Self.send(channel, Self.request("/oauth2/token", method: .post))
        try Self.send(channel, Self.request("/.well-known/jwks.json"))
        #expect(try Self.forwarded(channel).count == 4, "both requests went to the router, in order")
        #expect(try Self.answer(channel) == nil)

        // The router answers both; then the connection is idle and documents are answered directly again.
        for _ in 0..<2 {
            try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
            try channel.writeOutbound(HTTPResponsePart.end(nil))
        }
        while try channel.readOutbound(as: HTTPResponsePart.self) != nil {}
        try Self.send(channel, Self.request("/.well-known/jwks.json"))
        #expect(try Self.forwarded(channel).isEmpty)
        #expect(try Self.answer(channel) != nil)
    }

    @Test func aConnectionThatCannotTakeMoreOutputGoesToTheRouter() async throws {
        // The router's path stops reading from a client that does not read its answers; this one would not.
        let channel = Self.channel(try await Self.controller())
        channel.isWritable = false
        try Self.send(channel, Self.request("/.well-known/jwks.json"))
        #expect(try Self.forwarded(channel).count == 2)
        #expect(try Self.answer(channel) == nil)
    }

    @Test func theServerInstallsTheHandlerOnEveryConnection() async throws {
        let configuration = FastPathHandler.http1Configuration(documents: try await Self.controller(), tokens: nil, serverName: "understudy")
        let first = configuration.additionalChannelHandlers()
        let second = configuration.additionalChannelHandlers()
        #expect(first.count == 1 && first.first is FastPathHandler)
        #expect(second.first.map(ObjectIdentifier.init) != first.first.map(ObjectIdentifier.init), "one handler per connection")
    }

    /// Over real HTTP, with the Cognito pool's paths and an issuer with a path: every document the handler
    /// answers is the router's answer (`Connection: keep-alive` changes nothing but takes the router's path).
    @Test func overHTTPEveryDocumentIsTheRoutersAnswer() async throws {
        let app = try await DialectTests.app { $0.issuer = "http://localhost:9999/tenant-a" }
        try await app.test(.live) { client in
            let paths = try await Self.controller(issuerPath: "/tenant-a").documentPaths.keys.sorted()
            #expect(paths.count == 7)
            for path in paths {
                let fast = try await client.execute(uri: path, method: .get)
                let routed = try await client.execute(uri: path, method: .get, headers: [.connection: "keep-alive"])
                #expect(fast.status == .ok, "\(path)")
                #expect(fast.body == routed.body, "\(path)")
                var fastHeaders = fast.headers
                var routedHeaders = routed.headers
                fastHeaders[.date] = nil
                routedHeaders[.date] = nil
                #expect(fastHeaders == routedHeaders, "\(path)")
            }
        }
    }

    @Test func aBodySentWithADocumentRequestIsDropped() async throws {
        let channel = Self.channel(try await Self.controller())
        try channel.writeInbound(Self.request("/.well-known/jwks.json"))
        try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "ignored")))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        #expect(try Self.forwarded(channel).isEmpty)
        #expect(try Self.answer(channel) != nil)
    }

    @Test func theDateHeaderIsRFC9110sFormat() {
        var seconds: time_t = 1_784_102_400  // 2026-07-15T08:00:00Z, a Wednesday
        #expect(HTTPDateHeader.format(&seconds) == "Wed, 15 Jul 2026 08:00:00 GMT")
        var epoch: time_t = 0
        #expect(HTTPDateHeader.format(&epoch) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }
}

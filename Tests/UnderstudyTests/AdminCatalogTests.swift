import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Understudy

/// `/admin/v1/clients` and `/admin/v1/scopes`: changes take effect on the next request, without a restart.
@Suite struct AdminCatalogTests {
    static let admin = AdminTests.admin

    static func send(
        _ client: some TestClientProtocol,
        _ method: HTTPRequest.Method,
        _ uri: String,
        _ json: String? = nil
    ) async throws -> TestResponse {
        var headers = Self.admin
        if json != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    static func tokenResponse(_ client: some TestClientProtocol, id: String, secret: String, scope: String? = nil) async throws -> TestResponse {
        let body = "grant_type=client_credentials" + (scope.map { "&scope=\(formEncode($0))" } ?? "")
        return try await client.postForm("/oauth2/token", body, headers: [.authorization: basicAuthorization(id, secret)])
    }

    static func discoveryList(_ client: some TestClientProtocol, _ member: String) async throws -> [String] {
        let document = try await client.execute(uri: "/.well-known/openid-configuration", method: .get).json()
        guard case .array(let values)? = document[member] else { return [] }
        return values.compactMap(\.stringValue)
    }

    @Test func aCreatedClientGetsItsSecretOnceAndCanGetTokensAtOnce() async throws {
        try await makeApp { $0.adminToken = AdminTests.adminToken }.test(.router) { client in
            let created = try await Self.send(
                client,
                .post,
                "/admin/v1/clients",
                #"{"client_id":"billing","grant_types":["client_credentials"],"scopes":["orders/get.order"],"audience":["https://billing"]}"#
            )
            #expect(created.status == .created)
            let body = try created.json()
            let secret = try #require(body["client_secret"]?.stringValue)
            #expect(secret.count == 43)
            #expect(body["client_id"] == .string("billing"))
            #expect(body["public"] == .bool(false))

            let token = try await Self.tokenResponse(client, id: "billing", secret: secret)
            #expect(token.status == .ok)
            let claims = try await RelyingParty(client: client).verify(try #require(try token.json()["access_token"]?.stringValue)).claims
            #expect(claims.string("client_id") == "billing")
            #expect(claims.claims["aud"] == .string("https://billing") || claims.claims["aud"] == .array([.string("https://billing")]))

            let read = try await Self.send(client, .get, "/admin/v1/clients/billing")
            #expect(read.status == .ok)
            #expect(try read.json()["client_secret"] == nil)
            #expect(!String(buffer: read.body).contains("$2"))
            let list = try await Self.send(client, .get, "/admin/v1/clients")
            guard case .array(let clients)? = try list.json()["clients"] else { throw TestFailure("no list") }
            #expect(clients.count == 5)

            let again = try await Self.send(client, .post, "/admin/v1/clients", #"{"client_id":"billing","public":true}"#)
            #expect(again.status == .conflict)
        }
    }

    @Test(arguments: [
        (#"{"client_id":"x","scopes":["nope"]}"#, "scopes[0]"),
        (#"{"client_id":"x","grant_types":["magic"]}"#, "grant_types[0]"),
        (#"{"client_id":"x","colour":"red"}"#, "colour"),
        (#"{"name":"no id"}"#, "client_id"),
        (#"{"client_id":"x","signing_alg":"HS256"}"#, "signing_alg"),
        (#"{"client_id":"x","public":true,"client_secret":"s"}"#, "client_secret"),
        (#"{"client_id":"x","redirect_uris":["not a url"]}"#, "redirect_uris[0]"),
        (#"{"client_id":"x","access_token_ttl":-5}"#, "access_token_ttl"),
    ])
    func badClientsAreRefusedWithThePathOfTheProblem(body: String, path: String) async throws {
        try await makeApp { $0.adminToken = AdminTests.adminToken }.test(.router) { client in
            let response = try await Self.send(client, .post, "/admin/v1/clients", body)
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(try response.json()["detail"]?.stringValue?.contains(path) == true, "\(String(buffer: response.body))")
            #expect(try await Self.send(client, .get, "/admin/v1/clients/x").status == .notFound)
        }
    }

    @Test func replacingAClientKeepsItsSecretAndChangesItsTokens() async throws {
        try await makeApp { $0.adminToken = AdminTests.adminToken }.test(.router) { client in
            let replaced = try await Self.send(
                client,
                .put,
                "/admin/v1/clients/svc",
                #"{"grant_types":["client_credentials"],"scopes":["reports/read"],"access_token_ttl":60}"#
            )
            #expect(replaced.status == .ok)
            #expect(try replaced.json()["client_secret"] == nil)
            let token = try await Self.tokenResponse(client, id: "svc", secret: "s3cret")
            #expect(token.status == .ok)
            #expect(try token.json()["scope"] == .string("reports/read"))
            #expect(try token.json()["expires_in"] == .int(60))
            let oldScope = try await Self.tokenResponse(client, id: "svc", secret: "s3cret", scope: "orders/get.order")
            #expect(oldScope.status == .badRequest)
            #expect(try oldScope.json()["error"] == .string("invalid_scope"))

            let renamed = try await Self.send(client, .put, "/admin/v1/clients/svc", #"{"client_id":"other","grant_types":["client_credentials"]}"#)
            #expect(renamed.status == .badRequest)
            let missing = try await Self.send(client, .put, "/admin/v1/clients/ghost", #"{"public":true}"#)
            #expect(missing.status == .notFound)
        }
    }

    @Test func aNewSecretReplacesTheOldAndADeletedClientIsGone() async throws {
        try await makeApp { $0.adminToken = AdminTests.adminToken }.test(.router) { client in
            let rotated = try await Self.send(client, .post, "/admin/v1/clients/svc/secret")
            #expect(rotated.status == .ok)
            let secret = try #require(try rotated.json()["client_secret"]?.stringValue)
            #expect(try await Self.tokenResponse(client, id: "svc", secret: secret).status == .ok)
            let old = try await Self.tokenResponse(client, id: "svc", secret: "s3cret")
            #expect(old.status == .unauthorized)
            #expect(try old.json()["error"] == .string("invalid_client"))
            #expect(try await Self.send(client, .post, "/admin/v1/clients/spa/secret").status == .conflict)

            #expect(try await Self.send(client, .delete, "/admin/v1/clients/svc").status == .noContent)
            #expect(try await Self.tokenResponse(client, id: "svc", secret: secret).status == .unauthorized)
            #expect(try await Self.send(client, .get, "/admin/v1/clients/svc").status == .notFound)
            #expect(try await Self.send(client, .delete, "/admin/v1/clients/svc").status == .notFound)
        }
    }

    @Test func scopesAddedAndRemovedAtRuntimeAreAdvertised() async throws {
        try await makeApp { $0.adminToken = AdminTests.adminToken }.test(.router) { client in
            let created = try await Self.send(client, .post, "/admin/v1/scopes", #"{"name":"invoices/read","description":"Read invoices"}"#)
            #expect(created.status == .created)
            #expect(try await Self.discoveryList(client, "scopes_supported").contains("invoices/read"))
            #expect(try await Self.send(client, .post, "/admin/v1/scopes", #"{"name":"invoices/read"}"#).status == .conflict)
            for bad in [#"{"name":"has space"}"#, #"{"name":""}"#, #"{"name":"q\"uote"}"#, #"{"name":7}"#, #"{"title":"x"}"#] {
                #expect(try await Self.send(client, .post, "/admin/v1/scopes", bad).status == .badRequest, "\(bad)")
            }

            let withScope = try await Self.send(
                client,
                .post,
                "/admin/v1/clients",
                #"{"client_id":"invoicer","grant_types":["client_credentials"],"scopes":["invoices/read"],"client_secret":"pw"}"#
            )
            #expect(withScope.status == .created)
            #expect(try withScope.json()["client_secret"] == nil)
            #expect(try await Self.tokenResponse(client, id: "invoicer", secret: "pw").json()["scope"] == .string("invoices/read"))

            let inUse = try await Self.send(client, .delete, "/admin/v1/scopes/invoices%2Fread")
            #expect(inUse.status == .conflict)
            #expect(try inUse.json()["detail"]?.stringValue?.contains("invoicer") == true)
            #expect(try await Self.send(client, .delete, "/admin/v1/scopes/openid").status == .conflict)
            #expect(try await Self.send(client, .delete, "/admin/v1/clients/invoicer").status == .noContent)
            #expect(try await Self.send(client, .delete, "/admin/v1/scopes/invoices%2Fread").status == .noContent)
            #expect(try await !Self.discoveryList(client, "scopes_supported").contains("invoices/read"))
            #expect(try await Self.send(client, .delete, "/admin/v1/scopes/invoices%2Fread").status == .notFound)
        }
    }

    @Test func aClientAllowingPlainPKCEIsAdvertised() async throws {
        try await makeApp { $0.adminToken = AdminTests.adminToken }.test(.router) { client in
            #expect(try await Self.discoveryList(client, "code_challenge_methods_supported") == ["S256"])
            let created = try await Self.send(
                client,
                .post,
                "/admin/v1/clients",
                #"{"client_id":"legacy","public":true,"grant_types":["authorization_code"],"redirect_uris":["http://localhost:1/cb"],"allow_plain_pkce":true}"#
            )
            #expect(created.status == .created)
            #expect(try await Self.discoveryList(client, "code_challenge_methods_supported") == ["S256", "plain"])
        }
    }
}

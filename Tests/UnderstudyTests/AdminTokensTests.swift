import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Understudy

/// `POST /admin/v1/tokens`: tokens without a sign-in, through the token endpoint's claims pipeline.
@Suite struct AdminTokensTests {
    static func mint(_ client: some TestClientProtocol, _ json: String) async throws -> TestResponse {
        try await AdminTests.postJSON(client, "/admin/v1/tokens", json)
    }

    @Test func aMintedUserTokenCarriesTheUsersGroupsAndExtraClaims() async throws {
        try await makeApp { $0.adminToken = AdminTests.adminToken }.test(.router) { client in
            let created = try await AdminTests.postJSON(
                client,
                "/admin/v1/clients",
                #"{"client_id":"web","public":true,"grant_types":["implicit"],"redirect_uris":["http://localhost:1/cb"],"scopes":["openid","profile","groups"]}"#
            )
            #expect(created.status == .created)
            let response = try await Self.mint(
                client,
                #"{"client_id":"web","user":"manager","claims":{"tenant":"acme","tier":3},"id_token_claims":{"locale":"fr"},"nonce":"n-1","expires_in":120}"#
            )
            #expect(response.status == .ok)
            let body = try response.json()
            #expect(body["token_type"] == .string("Bearer"))
            #expect(body["expires_in"] == .int(120))
            #expect(body["scope"] == .string("openid profile groups"))
            let relyingParty = RelyingParty(client: client)
            let access = try await relyingParty.verify(try #require(body["access_token"]?.stringValue)).claims
            #expect(access.string("tenant") == "acme")
            #expect(access.claims["tier"] == .int(3))
            #expect(access.claims["groups"] == .array([.string("SPA-Manager")]))
            #expect(access.int("exp") == access.int("iat").map { $0 + 120 })
            let id = try await relyingParty.verify(try #require(body["id_token"]?.stringValue)).claims
            #expect(id.string("nonce") == "n-1")
            #expect(id.string("locale") == "fr")
            #expect(id.string("sub") == access.string("sub"))

            // The token works where a real one does.
            let userinfo = try await client.execute(
                uri: "/oauth2/userinfo",
                method: .get,
                headers: [.authorization: "Bearer \(body["access_token"]?.stringValue ?? "")"]
            )
            #expect(userinfo.status == .ok)
            #expect(try userinfo.json()["preferred_username"] == .string("manager"))

            let audit = try await client.execute(uri: "/admin/v1/audit?action=admin_mint", method: .get, headers: AdminTests.admin)
            guard case .array(let events)? = try audit.json()["events"], case .object(let event)? = events.first else {
                throw TestFailure("no audit event: \(String(buffer: audit.body))")
            }
            #expect(events.count == 1)
            #expect(event["client_id"] == .string("web"))
            #expect(event["subject"] == access.claims["sub"])
            #expect(event["jti"] == access.claims["jti"])
        }
    }

    @Test func aMintedClientTokenUsesTheClientsDefaults() async throws {
        try await makeApp { $0.adminToken = AdminTests.adminToken }.test(.router) { client in
            let response = try await Self.mint(client, #"{"client_id":"svc"}"#)
            #expect(response.status == .ok)
            let body = try response.json()
            #expect(body["id_token"] == nil)
            let claims = try await RelyingParty(client: client).verify(try #require(body["access_token"]?.stringValue)).claims
            #expect(claims.string("sub") == "svc")
            #expect(claims.string("scope") == "orders/get.order orders/create.order")
            #expect(claims.int("exp") == claims.int("iat").map { $0 + 600 })
        }
    }

    @Test(arguments: [
        (#"{}"#, "client_id"),
        (#"{"client_id":"ghost"}"#, "client_id"),
        (#"{"client_id":"svc","user":"nobody"}"#, "user"),
        (#"{"client_id":"svc","scope":"reports/read"}"#, "scope"),
        (#"{"client_id":"svc","scope":"openid"}"#, "scope"),
        (#"{"client_id":"svc","claims":{"iss":"https://evil"}}"#, "iss"),
        (#"{"client_id":"svc","claims":{"client_id":"other"}}"#, "client_id"),
        (#"{"client_id":"spa","user":"manager","id_token_claims":{"sub":"x"}}"#, "sub"),
        (#"{"client_id":"svc","claims":["a"]}"#, "claims"),
        (#"{"client_id":"svc","expires_in":0}"#, "expires_in"),
        (#"{"client_id":"svc","kid":"x"}"#, "kid"),
    ])
    func badMintRequestsAreProblems(body: String, mention: String) async throws {
        try await makeApp { $0.adminToken = AdminTests.adminToken }.test(.router) { client in
            let response = try await Self.mint(client, body)
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(try response.json()["detail"]?.stringValue?.contains(mention) == true, "\(String(buffer: response.body))")
        }
    }

    @Test func mintingNeedsTheAdminToken() async throws {
        try await makeApp { $0.adminToken = AdminTests.adminToken }.test(.router) { client in
            let response = try await AdminTests.postJSON(client, "/admin/v1/tokens", #"{"client_id":"svc"}"#, headers: [:])
            #expect(response.status == .unauthorized)
        }
    }
}

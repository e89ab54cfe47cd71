import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Understudy

/// Inputs found by the hostile-input suite (Tests/Interop/test_hostile_input.py), kept as regressions.
@Suite struct HostileInputTests {
    static let admin: HTTPFields = [.authorization: "Bearer \(SCIMTest.adminToken)"]

    @Test func aNULNeverShortensAnIdentifier() async throws {
        try await SCIMTest.app().test(.router) { client in
            // SQLite reads a string up to its NUL: each of these would otherwise name `svc` or `manager`.
            let post = try await client.postForm("/oauth2/token", "grant_type=client_credentials&client_id=svc%00x&client_secret=s3cret")
            #expect(post.status == .badRequest)
            #expect(try post.json()["error"] == .string("invalid_request"))
            let basic = try await client.postForm(
                "/oauth2/token",
                "grant_type=client_credentials",
                headers: [.authorization: "Basic " + Data("svc\u{0}x:s3cret".utf8).base64EncodedString()]
            )
            #expect(basic.status == .unauthorized)
            let password = try await client.postForm(
                "/oauth2/token",
                "grant_type=password&username=manager%00x&password=manager-password",
                headers: [.authorization: basicAuthorization("portal", "portal-secret")]
            )
            #expect(password.status == .badRequest)
            #expect(try await client.execute(uri: "/admin/v1/clients/svc%00x", method: .get, headers: Self.admin).status == .notFound)
            #expect(try await client.execute(uri: "/admin/v1/clients/svc%00x", method: .delete, headers: Self.admin).status == .notFound)
            #expect(try await client.execute(uri: "/admin/v1/clients/svc", method: .get, headers: Self.admin).status == .ok)
            let scim = try await client.scim(
                .post,
                "/scim/v2/Users",
                #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"nul\u0000user"}"#
            )
            #expect(scim.status == .badRequest)
            #expect(try scim.json()["scimType"] == .string("invalidValue"))
            let audit = try await client.execute(uri: "/admin/v1/audit?client_id=svc%00x", method: .get, headers: Self.admin)
            #expect(audit.status == .badRequest)
            #expect(throws: SeedError.self) { try SeedLoader.parse("users:\n  - username: \"u\\0a\"\n", file: "nul.yaml") }
        }
    }

    @Test(arguments: ["9223372036854775807", "-9223372036854775808", "99999-01-01T00:00:00Z"])
    func anAuditTimeOutOfRangeIsAProblemNotACrash(since: String) async throws {
        try await SCIMTest.app().test(.router) { client in
            let response = try await client.execute(uri: "/admin/v1/audit?since=\(formEncode(since))", method: .get, headers: Self.admin)
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/problem+json")
        }
        #expect(DatabaseTimestamp.string(Date(timeIntervalSince1970: 1e300)) == "9999-12-31 23:59:59.000")
    }

    @Test func requestsNoRouteTakesAreAnsweredInTheirProtocolsFormat() async throws {
        try await SCIMTest.app().test(.router) { client in
            let token = try await client.execute(uri: "/oauth2/token", method: .get)
            #expect(token.status == .methodNotAllowed)
            #expect(token.headers[.allow] == "POST, OPTIONS")
            #expect(try token.json()["error"] == .string("invalid_request"))
            let oauth = try await client.execute(uri: "/oauth2/nope", method: .get)
            #expect(oauth.status == .notFound)
            #expect(try oauth.json()["error"] == .string("invalid_request"))

            let jwks = try await client.execute(uri: "/.well-known/jwks.json", method: .post)
            #expect(jwks.status == .methodNotAllowed)
            #expect(jwks.headers[.allow] == "GET")
            #expect(try jwks.json()["error"] == .string("invalid_request"))

            let scim = try await client.execute(uri: "/scim/v2/Users", method: .put, headers: Self.admin)
            #expect(scim.status == .notFound)
            #expect(try scim.json()["schemas"] == .array([.string(SCIMSchema.error)]))
            let idcs = try await client.execute(uri: "/admin/v1/Users/a/b", method: .get, headers: Self.admin)
            #expect(try idcs.json()["schemas"] == .array([.string(SCIMSchema.error)]))

            let admin = try await client.execute(uri: "/admin/v1/nope", method: .get, headers: Self.admin)
            #expect(admin.status == .notFound)
            #expect(admin.headers[.contentType] == "application/problem+json")

            let page = try await client.execute(uri: "/nope", method: .get)
            #expect(page.status == .notFound)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            let authorize = try await client.execute(uri: "/oauth2/authorize", method: .put)
            #expect(authorize.headers[.contentType]?.hasPrefix("text/html") == true)
        }
    }
}

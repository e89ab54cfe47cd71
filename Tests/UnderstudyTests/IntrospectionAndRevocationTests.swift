import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import Understudy

@Suite struct IntrospectionAndRevocationTests {
    let svc: HTTPFields = [.authorization: basicAuthorization("svc", "s3cret")]

    @Test func introspectionDescribesAnActiveToken() async throws {
        try await makeApp().test(.router) { client in
            let token = try await client.clientCredentialsToken(scope: "orders/create.order")
            let response = try await client.postForm("/oauth2/introspect", "token=\(token)", headers: self.svc)
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "no-store")
            let body = try response.json()
            #expect(body["active"] == .bool(true))
            #expect(body["client_id"] == .string("svc"))
            #expect(body["scope"] == .string("orders/create.order"))
            #expect(body["token_type"] == .string("Bearer"))
            #expect(body["exp"] == .int(Int(testNow.timeIntervalSince1970) + 600))
            #expect(body["iss"] == .string("http://localhost:9999"))
        }
    }

    @Test func introspectionRequiresAnAuthenticatedConfidentialClient() async throws {
        try await makeApp().test(.router) { client in
            let token = try await client.clientCredentialsToken()
            let anonymous = try await client.postForm("/oauth2/introspect", "token=\(token)")
            #expect(anonymous.status == .unauthorized)
            #expect(try anonymous.json()["error"] == .string("invalid_client"))
            let publicClient = try await client.postForm("/oauth2/introspect", "token=\(token)&client_id=spa")
            #expect(publicClient.status == .unauthorized)
            let missing = try await client.postForm("/oauth2/introspect", "", headers: self.svc)
            #expect(missing.status == .badRequest)
            #expect(try missing.json()["error"] == .string("invalid_request"))
        }
    }

    @Test(arguments: [
        "not-a-jwt", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
        // alg none with a kid of ours would still need a valid signature.
        "eyJhbGciOiJub25lIiwia2lkIjoieCJ9.eyJpc3MiOiJodHRwOi8vbG9jYWxob3N0Ojk5OTkiLCJleHAiOjk5OTk5OTk5OTl9.",
    ])
    func garbageIsInactiveNotAnError(_ token: String) async throws {
        try await makeApp().test(.router) { client in
            let response = try await client.postForm("/oauth2/introspect", "token=\(formEncode(token))", headers: self.svc)
            #expect(response.status == .ok)
            #expect(try response.json() == ["active": .bool(false)])
        }
    }

    @Test func tamperedAndForeignIssuerTokensAreInactive() async throws {
        let token = try await makeApp().test(.router) { client in try await client.clientCredentialsToken() }
        // The same keys under another issuer: signature fine, issuer wrong.
        try await makeApp { $0.issuer = "http://other.example" }.test(.router) { client in
            let foreign = try await client.postForm("/oauth2/introspect", "token=\(token)", headers: self.svc)
            #expect(try foreign.json() == ["active": .bool(false)])
        }
        try await makeApp().test(.router) { client in
            var tampered = Array(token)
            let index = tampered.count - 5
            tampered[index] = tampered[index] == "A" ? "B" : "A"
            let response = try await client.postForm("/oauth2/introspect", "token=\(String(tampered))", headers: self.svc)
            #expect(try response.json() == ["active": .bool(false)])
        }
    }

    @Test func expiredTokensAreInactive() async throws {
        let clock = TestClock(testNow)
        try await makeApp { $0.now = clock.now }.test(.router) { client in
            let token = try await client.clientCredentialsToken()
            clock.advance(by: 601)
            let response = try await client.postForm("/oauth2/introspect", "token=\(token)", headers: self.svc)
            #expect(try response.json() == ["active": .bool(false)])
        }
    }

    @Test func revokedTokensBecomeInactive() async throws {
        try await makeApp().test(.router) { client in
            let token = try await client.clientCredentialsToken()
            let revoke = try await client.postForm("/oauth2/revoke", "token=\(token)&token_type_hint=access_token", headers: self.svc)
            #expect(revoke.status == .ok)
            #expect(revoke.headers[.cacheControl] == "no-store")
            let response = try await client.postForm("/oauth2/introspect", "token=\(token)", headers: self.svc)
            #expect(try response.json() == ["active": .bool(false)])
            // Revoking again, or revoking garbage, is still 200 (RFC 7009 §2.2).
            #expect(try await client.postForm("/oauth2/revoke", "token=\(token)", headers: self.svc).status == .ok)
            #expect(try await client.postForm("/oauth2/revoke", "token=garbage", headers: self.svc).status == .ok)
        }
    }

    @Test func aClientCannotRevokeAnotherClientsToken() async throws {
        try await makeApp().test(.router) { client in
            let token = try await client.clientCredentialsToken()
            let response = try await client.postForm(
                "/oauth2/revoke",
                "token=\(token)",
                headers: [.authorization: basicAuthorization("reporter", "reporter-secret")]
            )
            #expect(response.status == .badRequest)
            #expect(try response.json()["error"] == .string("unauthorized_client"))
            let check = try await client.postForm("/oauth2/introspect", "token=\(token)", headers: self.svc)
            #expect(try check.json()["active"] == .bool(true))
        }
    }

    @Test func revocationsSurviveARestartOnARealSQLiteFile() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("state.sqlite").path
        let token = try await makeApp(database: try AppDatabase.file(path: path)).test(.router) { client in
            let token = try await client.clientCredentialsToken()
            #expect(try await client.postForm("/oauth2/revoke", "token=\(token)", headers: self.svc).status == .ok)
            return token
        }
        try await makeApp(database: try AppDatabase.file(path: path)).test(.router) { client in
            let response = try await client.postForm("/oauth2/introspect", "token=\(token)", headers: self.svc)
            #expect(try response.json() == ["active": .bool(false)])
        }
    }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import Understudy

@Suite struct UserInfoTests {
    static let portal: HTTPFields = [.authorization: basicAuthorization("portal", "portal-secret")]
    static let bareChallenge = #"Bearer realm="understudy""#

    /// What the password grant issued.
    struct Tokens {
        var access: String
        var id: String?
    }

    /// Tokens for `manager` from the password grant at the confidential client `portal`.
    static func passwordTokens(_ client: any TestClientProtocol, scope: String = "openid email groups") async throws -> Tokens {
        let response = try await client.postForm(
            "/oauth2/token",
            "grant_type=password&username=manager&password=manager-password&scope=\(formEncode(scope))",
            headers: Self.portal
        )
        let body = try response.json()
        guard response.status == .ok, case .string(let access)? = body["access_token"] else {
            throw TestFailure("password grant failed: \(response.status) \(String(buffer: response.body))")
        }
        return Tokens(access: access, id: body["id_token"]?.stringValue)
    }

    static func userInfo(_ client: any TestClientProtocol, token: String) async throws -> TestResponse {
        try await client.execute(uri: "/oauth2/userinfo", method: .get, headers: [.authorization: "Bearer \(token)"])
    }

    @Test func getReturnsTheClaimsOfTheGrantedScopesOnly() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            let tokens = try await Self.passwordTokens(client)
            let response = try await Self.userInfo(client, token: tokens.access)
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(response.headers[.contentType] == "application/json")
            let body = try response.json()
            #expect(
                body == [
                    "sub": .string(Seeder.derivedSubject(username: "manager")),
                    "email": .string("manager@example.com"),
                    "email_verified": .bool(true),
                    "groups": .array([.string("SPA-Manager")]),
                ]
            )
            // profile was not granted: none of its claims are released.
            for claim in ["name", "given_name", "family_name", "preferred_username", "updated_at"] {
                #expect(body[claim] == nil, "\(claim)")
            }
        }
    }

    @Test func profileScopeReleasesProfileClaims() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let query = queryString([
                ("response_type", "id_token token"), ("client_id", "web"), ("redirect_uri", "http://localhost:3000/callback"),
                ("scope", "openid profile"), ("state", "xyz"), ("nonce", "n-0S6"),
            ])
            let signIn = try await browser.signIn(authorize: query, username: "manager", password: "manager-password")
            let access = try #require(try redirectParameters(signIn.headers[.location])["access_token"])
            let response = try await Self.userInfo(client, token: access)
            #expect(response.status == .ok)
            #expect(
                try response.json() == [
                    "sub": .string(Seeder.derivedSubject(username: "manager")),
                    "name": .string("Mia Manager"),
                    "given_name": .string("Mia"),
                    "family_name": .string("Manager"),
                    "preferred_username": .string("manager"),
                    "updated_at": .int(Int(testNow.timeIntervalSince1970)),
                ]
            )
        }
    }

    @Test func postWithTheTokenInTheFormBodyWorks() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            let tokens = try await Self.passwordTokens(client)
            let response = try await client.postForm("/oauth2/userinfo", "access_token=\(tokens.access)")
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "no-store")
            let body = try response.json()
            #expect(body["sub"] == .string(Seeder.derivedSubject(username: "manager")))
            #expect(body["groups"] == .array([.string("SPA-Manager")]))
        }
    }

    @Test func postWithTheTokenInHeaderAndBodyIsInvalidRequest() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            let tokens = try await Self.passwordTokens(client)
            let response = try await client.postForm(
                "/oauth2/userinfo",
                "access_token=\(tokens.access)",
                headers: [.authorization: "Bearer \(tokens.access)"]
            )
            #expect(response.status == .badRequest)
            #expect(try response.json()["error"] == .string("invalid_request"))
            let challenge = try #require(response.headers[.wwwAuthenticate])
            #expect(challenge.hasPrefix(#"Bearer realm="understudy", error="invalid_request""#))
        }
    }

    @Test func noTokenGetsABareChallenge() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            let get = try await client.execute(uri: "/oauth2/userinfo", method: .get)
            #expect(get.status == .unauthorized)
            #expect(get.headers[.wwwAuthenticate] == Self.bareChallenge)

            let emptyPost = try await client.postForm("/oauth2/userinfo", "")
            #expect(emptyPost.status == .unauthorized)
            #expect(emptyPost.headers[.wwwAuthenticate] == Self.bareChallenge)

            // Another scheme is not a bearer token: still no token at all.
            let basic = try await client.execute(uri: "/oauth2/userinfo", method: .get, headers: Self.portal)
            #expect(basic.status == .unauthorized)
            #expect(basic.headers[.wwwAuthenticate] == Self.bareChallenge)
        }
    }

    @Test(arguments: ["Bearer", "Bearer two words"])
    func malformedBearerHeaderIsInvalidRequest(_ authorization: String) async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            let response = try await client.execute(uri: "/oauth2/userinfo", method: .get, headers: [.authorization: authorization])
            #expect(response.status == .badRequest)
            #expect(try response.json()["error"] == .string("invalid_request"))
            let challenge = try #require(response.headers[.wwwAuthenticate])
            #expect(challenge.hasPrefix(#"Bearer realm="understudy", error="invalid_request""#))
        }
    }

    @Test(arguments: ["not-a-jwt", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."])
    func garbageTokenIsInvalidToken(_ token: String) async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            let response = try await Self.userInfo(client, token: token)
            #expect(response.status == .unauthorized)
            #expect(try response.json()["error"] == .string("invalid_token"))
            let challenge = try #require(response.headers[.wwwAuthenticate])
            #expect(challenge.hasPrefix(#"Bearer realm="understudy", error="invalid_token""#))
        }
    }

    @Test func tamperedAccessTokenIsInvalidToken() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            let tokens = try await Self.passwordTokens(client)
            var characters = Array(tokens.access)
            let index = characters.count - 10
            characters[index] = characters[index] == "A" ? "B" : "A"
            let response = try await Self.userInfo(client, token: String(characters))
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.contains(#"error="invalid_token""#) == true)
        }
    }

    @Test func idTokenIsNotAnAccessToken() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            let tokens = try await Self.passwordTokens(client)
            let idToken = try #require(tokens.id)
            let response = try await Self.userInfo(client, token: idToken)
            #expect(response.status == .unauthorized)
            #expect(try response.json()["error"] == .string("invalid_token"))
            let challenge = try #require(response.headers[.wwwAuthenticate])
            #expect(challenge.contains(#"error="invalid_token""#))
            #expect(challenge.contains("not an access token"))
        }
    }

    @Test func clientCredentialsTokenCarriesNoUser() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            let token = try await client.clientCredentialsToken(client: "svc", secret: "s3cret", scope: "orders/get.order")
            let response = try await Self.userInfo(client, token: token)
            #expect(response.status == .unauthorized)
            #expect(try response.json()["error"] == .string("invalid_token"))
            let challenge = try #require(response.headers[.wwwAuthenticate])
            #expect(challenge.contains(#"error="invalid_token""#))
            #expect(challenge.contains("carries no user"))
        }
    }

    @Test func expiredTokenIsInvalidToken() async throws {
        let clock = TestClock(testNow)
        try await makeApp(seed: browserSeed()) { $0.now = clock.now }.test(.router) { client in
            let tokens = try await Self.passwordTokens(client)
            #expect(try await Self.userInfo(client, token: tokens.access).status == .ok)
            clock.advance(by: 601)
            let response = try await Self.userInfo(client, token: tokens.access)
            #expect(response.status == .unauthorized)
            let challenge = try #require(response.headers[.wwwAuthenticate])
            #expect(challenge.contains(#"error="invalid_token""#))
            #expect(challenge.contains("expired"))
        }
    }

    @Test func revokedTokenIsInvalidToken() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            let tokens = try await Self.passwordTokens(client)
            #expect(try await Self.userInfo(client, token: tokens.access).status == .ok)
            let revoke = try await client.postForm("/oauth2/revoke", "token=\(tokens.access)", headers: Self.portal)
            #expect(revoke.status == .ok)
            let response = try await Self.userInfo(client, token: tokens.access)
            #expect(response.status == .unauthorized)
            let challenge = try #require(response.headers[.wwwAuthenticate])
            #expect(challenge.contains(#"error="invalid_token""#))
            #expect(challenge.contains("revoked"))
        }
    }

    @Test func tokenWithoutOpenIDIsInsufficientScope() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            let tokens = try await Self.passwordTokens(client, scope: "orders/get.order")
            #expect(tokens.id == nil)
            let response = try await Self.userInfo(client, token: tokens.access)
            #expect(response.status == .forbidden)
            #expect(try response.json()["error"] == .string("insufficient_scope"))
            let challenge = try #require(response.headers[.wwwAuthenticate])
            #expect(challenge.hasPrefix(#"Bearer realm="understudy", error="insufficient_scope""#))
            #expect(challenge.contains(#"scope="openid""#))
        }
    }

    @Test func corsPreflightAndResponsesAllowAnyOrigin() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            let preflight = try await client.execute(
                uri: "/oauth2/userinfo",
                method: .options,
                headers: [
                    .origin: "http://localhost:3000",
                    .accessControlRequestMethod: "GET",
                    .accessControlRequestHeaders: "authorization",
                ]
            )
            #expect((200..<300).contains(preflight.status.code))
            #expect(preflight.headers[.accessControlAllowOrigin] == "*")
            let methods = (preflight.headers[.accessControlAllowMethods] ?? "").split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces).uppercased()
            }
            #expect(methods.contains("GET"))
            #expect(methods.contains("POST"))
            let headers = (preflight.headers[.accessControlAllowHeaders] ?? "").split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            }
            #expect(headers.contains("authorization"))

            // The actual requests carry the header too, successful or not.
            let tokens = try await Self.passwordTokens(client)
            let success = try await client.execute(
                uri: "/oauth2/userinfo",
                method: .get,
                headers: [.origin: "http://localhost:3000", .authorization: "Bearer \(tokens.access)"]
            )
            #expect(success.status == .ok)
            #expect(success.headers[.accessControlAllowOrigin] == "*")
            let failure = try await client.execute(uri: "/oauth2/userinfo", method: .get, headers: [.origin: "http://localhost:3000"])
            #expect(failure.status == .unauthorized)
            #expect(failure.headers[.accessControlAllowOrigin] == "*")
            #expect(failure.headers[.wwwAuthenticate] == Self.bareChallenge)
        }
    }
}

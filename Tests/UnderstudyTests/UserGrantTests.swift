import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import Understudy

/// Authorization code + PKCE, refresh token rotation and the password grant at `/oauth2/token`.
@Suite struct UserGrantTests {
    static let callback = "http://localhost:3000/callback"

    /// Signs `username` in through the login form and returns the authorization code.
    static func code(
        _ browser: inout BrowserDriver,
        username: String = "employee",
        password: String = "employee-password",
        challenge: String = testChallenge,
        method: String = "S256"
    ) async throws -> String {
        let response = try await browser.signIn(
            authorize: queryString([
                ("response_type", "code"), ("client_id", "web"), ("redirect_uri", callback), ("scope", "openid groups orders/get.order"),
                ("state", "abc"), ("nonce", "n-1"), ("code_challenge", challenge), ("code_challenge_method", method), ("prompt", "login"),
            ]),
            username: username,
            password: password
        )
        let location = try #require(response.headers[.location])
        #expect(location.hasPrefix(callback + "?"))
        let query = try redirectParameters(location, query: true)
        #expect(query["state"] == "abc")
        return try #require(query["code"])
    }

    static func redeem(
        _ client: some TestClientProtocol,
        code: String,
        verifier: String = testVerifier,
        redirectURI: String = callback
    ) async throws
        -> TestResponse
    {
        try await client.postForm(
            "/oauth2/token",
            queryString([
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI), ("client_id", "web"),
                ("code_verifier", verifier),
            ])
        )
    }

    @Test func codeWithPKCEIssuesAccessIDAndRefreshTokens() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let code = try await Self.code(&browser)
            let response = try await Self.redeem(client, code: code)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            #expect(response.headers[.cacheControl] == "no-store")
            let body = try response.json()
            #expect(body["token_type"] == .string("Bearer"))
            #expect(body["scope"] == .string("openid groups orders/get.order"))
            #expect(body["refresh_token"]?.stringValue?.count == 43)
            let (access, _) = try await RelyingParty(client: client).verify(try #require(body["access_token"]?.stringValue))
            #expect(access["groups"] == .array([.string("SPA-Employee")]))
            let (id, _) = try await RelyingParty(client: client).verify(try #require(body["id_token"]?.stringValue))
            #expect(id.string("nonce") == "n-1")
            #expect(id.audience == ["web"])
            #expect(id.string("at_hash") == UserClaims.halfHash(try #require(body["access_token"]?.stringValue)))
        }
    }

    @Test func aReplayedCodeFailsAndRevokesWhatItIssued() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let code = try await Self.code(&browser)
            let first = try await Self.redeem(client, code: code).json()
            let access = try #require(first["access_token"]?.stringValue)
            let refresh = try #require(first["refresh_token"]?.stringValue)
            #expect(try await client.execute(uri: "/oauth2/userinfo", method: .get, headers: [.authorization: "Bearer \(access)"]).status == .ok)

            let replay = try await Self.redeem(client, code: code)
            #expect(replay.status == .badRequest)
            #expect(try replay.json()["error"] == .string("invalid_grant"))
            let userinfo = try await client.execute(uri: "/oauth2/userinfo", method: .get, headers: [.authorization: "Bearer \(access)"])
            #expect(userinfo.status == .unauthorized)
            #expect(userinfo.headers[.wwwAuthenticate]?.contains("revoked") == true)
            let refreshed = try await client.postForm("/oauth2/token", "grant_type=refresh_token&client_id=web&refresh_token=\(refresh)")
            #expect(try refreshed.json()["error"] == .string("invalid_grant"))
        }
    }

    @Test func anotherClientPresentingAUsedCodeRevokesNothing() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let code = try await Self.code(&browser)
            let access = try #require(try await Self.redeem(client, code: code).json()["access_token"]?.stringValue)
            let stranger = try await client.postForm(
                "/oauth2/token",
                queryString([
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Self.callback), ("code_verifier", testVerifier),
                ]),
                headers: [.authorization: basicAuthorization("portal", "portal-secret")]
            )
            #expect(try stranger.json()["error"] == .string("invalid_grant"))
            let userinfo = try await client.execute(uri: "/oauth2/userinfo", method: .get, headers: [.authorization: "Bearer \(access)"])
            #expect(userinfo.status == .ok)
        }
    }

    @Test func codeRedemptionChecksVerifierRedirectURIClientAndLifetime() async throws {
        let clock = TestClock(testNow)
        try await makeApp(seed: browserSeed()) { $0.now = clock.now }.test(.router) { client in
            var browser = BrowserDriver(client: client)
            let wrongVerifier = try await Self.redeem(client, code: try await Self.code(&browser), verifier: String(repeating: "a", count: 43))
            #expect(try wrongVerifier.json()["error"] == .string("invalid_grant"))

            let wrongRedirect = try await Self.redeem(client, code: try await Self.code(&browser), redirectURI: Self.callback + "/")
            #expect(try wrongRedirect.json()["error"] == .string("invalid_grant"))

            let missingVerifier = try await client.postForm(
                "/oauth2/token",
                queryString([
                    ("grant_type", "authorization_code"), ("code", try await Self.code(&browser)), ("redirect_uri", Self.callback),
                    ("client_id", "web"),
                ])
            )
            #expect(try missingVerifier.json()["error"] == .string("invalid_grant"))

            let otherClient = try await client.postForm(
                "/oauth2/token",
                queryString([
                    ("grant_type", "authorization_code"), ("code", try await Self.code(&browser)), ("redirect_uri", Self.callback),
                    ("code_verifier", testVerifier),
                ]),
                headers: [.authorization: basicAuthorization("portal", "portal-secret")]
            )
            #expect(try otherClient.json()["error"] == .string("invalid_grant"))

            let late = try await Self.code(&browser)
            clock.advance(by: 61)
            #expect(try await Self.redeem(client, code: late).json()["error"] == .string("invalid_grant"))

            #expect(try await Self.redeem(client, code: "not-a-code").json()["error"] == .string("invalid_grant"))
        }
    }

    @Test func plainPKCEOnlyForClientsThatAllowIt() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let response = try await browser.signIn(
                authorize: queryString([
                    ("response_type", "code"), ("client_id", "portal"), ("redirect_uri", "https://portal.example.com/cb?tenant=a"),
                    ("scope", "openid"), ("code_challenge", testVerifier), ("code_challenge_method", "plain"),
                ]),
                username: "manager",
                password: "manager-password"
            )
            let location = try #require(response.headers[.location])
            // The registered URI's own query is kept.
            #expect(location.hasPrefix("https://portal.example.com/cb?tenant=a&code="))
            let code = try #require(try redirectParameters(location, query: true)["code"])
            let token = try await client.postForm(
                "/oauth2/token",
                queryString([
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", "https://portal.example.com/cb?tenant=a"),
                    ("code_verifier", testVerifier),
                ]),
                headers: [.authorization: basicAuthorization("portal", "portal-secret")]
            )
            #expect(token.status == .ok)
        }
    }

    @Test func aCodeIssuedWithoutPKCERefusesAVerifier() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let response = try await browser.signIn(
                authorize: queryString([
                    ("response_type", "code"), ("client_id", "portal"), ("redirect_uri", "https://portal.example.com/cb?tenant=a"),
                    ("scope", "openid"),
                ]),
                username: "manager",
                password: "manager-password"
            )
            let code = try #require(try redirectParameters(response.headers[.location], query: true)["code"])
            let token = try await client.postForm(
                "/oauth2/token",
                queryString([
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", "https://portal.example.com/cb?tenant=a"),
                    ("code_verifier", testVerifier),
                ]),
                headers: [.authorization: basicAuthorization("portal", "portal-secret")]
            )
            #expect(try token.json()["error"] == .string("invalid_grant"))
        }
    }

    @Test func refreshTokensRotateAndReuseRevokesTheFamily() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let first = try await Self.redeem(client, code: try await Self.code(&browser)).json()
            let firstRefresh = try #require(first["refresh_token"]?.stringValue)

            let second = try await client.postForm("/oauth2/token", "grant_type=refresh_token&client_id=web&refresh_token=\(firstRefresh)")
            #expect(second.status == .ok)
            let secondBody = try second.json()
            let secondRefresh = try #require(secondBody["refresh_token"]?.stringValue)
            let secondAccess = try #require(secondBody["access_token"]?.stringValue)
            #expect(secondRefresh != firstRefresh)
            #expect(secondBody["id_token"] != nil)

            let narrowed = try await client.postForm(
                "/oauth2/token",
                "grant_type=refresh_token&client_id=web&scope=orders%2Fget.order&refresh_token=\(secondRefresh)"
            )
            let narrowedBody = try narrowed.json()
            #expect(narrowedBody["scope"] == .string("orders/get.order"))
            #expect(narrowedBody["id_token"] == nil)
            let thirdRefresh = try #require(narrowedBody["refresh_token"]?.stringValue)

            // Reuse of a spent token: refused, and the live successor and the family's access tokens die too.
            let reuse = try await client.postForm("/oauth2/token", "grant_type=refresh_token&client_id=web&refresh_token=\(firstRefresh)")
            #expect(try reuse.json()["error"] == .string("invalid_grant"))
            let successor = try await client.postForm("/oauth2/token", "grant_type=refresh_token&client_id=web&refresh_token=\(thirdRefresh)")
            #expect(try successor.json()["error"] == .string("invalid_grant"))
            let userinfo = try await client.execute(uri: "/oauth2/userinfo", method: .get, headers: [.authorization: "Bearer \(secondAccess)"])
            #expect(userinfo.status == .unauthorized)
        }
    }

    @Test func refreshTokensAreRevocableAndBoundToTheirClient() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let body = try await Self.redeem(client, code: try await Self.code(&browser)).json()
            let refresh = try #require(body["refresh_token"]?.stringValue)

            let wrongClient = try await client.postForm(
                "/oauth2/token",
                "grant_type=refresh_token&refresh_token=\(refresh)",
                headers: [.authorization: basicAuthorization("portal", "portal-secret")]
            )
            #expect(try wrongClient.json()["error"] == .string("invalid_grant"))
            let widened = try await client.postForm("/oauth2/token", "grant_type=refresh_token&client_id=web&scope=profile&refresh_token=\(refresh)")
            #expect(try widened.json()["error"] == .string("invalid_scope"))

            let revoke = try await client.postForm("/oauth2/revoke", "client_id=web&token=\(refresh)")
            #expect(revoke.status == .ok)
            let afterRevoke = try await client.postForm("/oauth2/token", "grant_type=refresh_token&client_id=web&refresh_token=\(refresh)")
            #expect(try afterRevoke.json()["error"] == .string("invalid_grant"))
        }
    }

    @Test func passwordGrantOnlyForClientsThatListIt() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            let portal: HTTPFields = [.authorization: basicAuthorization("portal", "portal-secret")]
            let ok = try await client.postForm(
                "/oauth2/token",
                "grant_type=password&username=manager&password=manager-password&scope=openid+groups",
                headers: portal
            )
            #expect(ok.status == .ok)
            let body = try ok.json()
            #expect(body["refresh_token"] != nil)
            let (claims, _) = try await RelyingParty(client: client).verify(try #require(body["access_token"]?.stringValue))
            #expect(claims["groups"] == .array([.string("SPA-Manager")]))

            let wrong = try await client.postForm("/oauth2/token", "grant_type=password&username=manager&password=nope", headers: portal)
            let unknown = try await client.postForm("/oauth2/token", "grant_type=password&username=ghost&password=nope", headers: portal)
            #expect(try wrong.json()["error"] == .string("invalid_grant"))
            #expect(try wrong.json()["error_description"] == unknown.json()["error_description"])

            let notListed = try await client.postForm("/oauth2/token", "grant_type=password&client_id=web&username=manager&password=manager-password")
            #expect(try notListed.json()["error"] == .string("unauthorized_client"))
            let noSecret = try await client.postForm(
                "/oauth2/token",
                "grant_type=password&client_id=portal&username=manager&password=manager-password"
            )
            #expect(noSecret.status == .unauthorized)
        }
    }
}

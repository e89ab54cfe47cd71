import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import Understudy

@Suite struct AuthorizeTests {
    static let callback = "http://localhost:3000/callback"

    static func implicit(_ extra: [(String, String)] = [], responseType: String = "id_token token") -> String {
        queryString(
            [
                ("response_type", responseType), ("client_id", "web"), ("redirect_uri", callback), ("scope", "openid profile email groups"),
                ("state", "st-1"), ("nonce", "n-0S6"),
            ] + extra
        )
    }

    @Test func implicitSignInReturnsVerifiedTokensInTheFragment() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let response = try await browser.signIn(authorize: Self.implicit(), username: "manager", password: "manager-password")
            #expect(response.status == .seeOther)
            let location = try #require(response.headers[.location])
            #expect(location.hasPrefix(Self.callback + "#"))
            let fragment = try redirectParameters(location)
            #expect(fragment["state"] == "st-1")
            #expect(fragment["token_type"] == "Bearer")
            #expect(fragment["expires_in"] == "600")
            let accessToken = try #require(fragment["access_token"])
            let idToken = try #require(fragment["id_token"])

            let relyingParty = RelyingParty(client: client)
            let (access, accessHeader) = try await relyingParty.verify(accessToken)
            #expect(accessHeader["typ"] == .string("at+jwt"))
            #expect(access.string("client_id") == "web")
            #expect(access["groups"] == .array([.string("SPA-Manager")]))
            #expect(access.string("scope") == "openid profile email groups")
            #expect(access.int("auth_time") == Int(testNow.timeIntervalSince1970))

            let (id, _) = try await relyingParty.verify(idToken)
            #expect(id.audience == ["web"])
            #expect(id.string("iss") == "http://localhost:9999")
            #expect(id.string("nonce") == "n-0S6")
            #expect(id.string("sub") == access.string("sub"))
            #expect(id.string("email") == "manager@example.com")
            #expect(id["email_verified"] == .bool(true))
            #expect(id.string("given_name") == "Mia")
            #expect(id.string("preferred_username") == "manager")
            #expect(id["groups"] == .array([.string("SPA-Manager")]))
            #expect(id.int("exp") == Int(testNow.timeIntervalSince1970) + 3600)
            // OIDC Core §3.2.2.10: at_hash is the left half of SHA-256 of the access token, base64url.
            #expect(id.string("at_hash") == UserClaims.halfHash(accessToken))
            #expect(id.string("at_hash")?.count == 22)

            let session = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("understudy_session=") })
            #expect(session.contains("HttpOnly"))
            #expect(session.contains("SameSite=Lax"))
            #expect(!session.contains("Secure"))
        }
    }

    @Test func idTokenOnlyAndTokenOnlyResponseTypes() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let idOnly = try await browser.signIn(
                authorize: Self.implicit(responseType: "id_token"),
                username: "manager",
                password: "manager-password"
            )
            let idFragment = try redirectParameters(idOnly.headers[.location])
            #expect(idFragment["access_token"] == nil)
            // expires_in describes an access token (RFC 6749 §4.2.2); there is none.
            #expect(idFragment["expires_in"] == nil)
            let idToken = try #require(idFragment["id_token"])
            let (claims, _) = try await RelyingParty(client: client).verify(idToken)
            #expect(claims["at_hash"] == nil)
            #expect(claims.string("nonce") == "n-0S6")

            // A live session: plain OAuth `token` without openid needs no nonce and returns no ID token.
            let tokenOnly = try await browser.get(
                "/oauth2/authorize?"
                    + queryString([
                        ("response_type", "token"), ("client_id", "web"), ("redirect_uri", Self.callback), ("scope", "orders/get.order"),
                    ])
            )
            let fragment = try redirectParameters(tokenOnly.headers[.location])
            #expect(fragment["id_token"] == nil)
            #expect(fragment["access_token"] != nil)
            #expect(fragment["state"] == nil)
        }
    }

    @Test func aLiveSessionSkipsTheFormUnlessPromptOrMaxAgeAsks() async throws {
        let clock = TestClock(testNow)
        try await makeApp(seed: browserSeed()) { $0.now = clock.now }.test(.router) { client in
            var browser = BrowserDriver(client: client)
            _ = try await browser.signIn(authorize: Self.implicit(), username: "manager", password: "manager-password")
            clock.advance(by: 120)

            let sso = try await browser.get("/oauth2/authorize?" + Self.implicit([("prompt", "none")]))
            #expect(sso.headers[.location]?.hasPrefix(Self.callback + "#") == true)
            let (claims, _) = try await RelyingParty(client: client).verify(try #require(try redirectParameters(sso.headers[.location])["id_token"]))
            #expect(claims.int("auth_time") == Int(testNow.timeIntervalSince1970))

            let login = try await browser.get("/oauth2/authorize?" + Self.implicit([("prompt", "login")]))
            #expect(login.headers[.location]?.hasPrefix("/login?") == true)

            let recentEnough = try await browser.get("/oauth2/authorize?" + Self.implicit([("max_age", "300")]))
            #expect(recentEnough.headers[.location]?.hasPrefix(Self.callback) == true)
            let tooOld = try await browser.get("/oauth2/authorize?" + Self.implicit([("max_age", "60")]))
            #expect(tooOld.headers[.location]?.hasPrefix("/login?") == true)
            let tooOldSilently = try await browser.get("/oauth2/authorize?" + Self.implicit([("max_age", "60"), ("prompt", "none")]))
            #expect(try redirectParameters(tooOldSilently.headers[.location])["error"] == "login_required")

            // The session expires after session_ttl (3600 s by default).
            clock.advance(by: 3600)
            let expired = try await browser.get("/oauth2/authorize?" + Self.implicit([("prompt", "none")]))
            #expect(try redirectParameters(expired.headers[.location])["error"] == "login_required")
        }
    }

    @Test func formPostModeAnswersWithAnAutoSubmittingForm() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let response = try await browser.signIn(
                authorize: Self.implicit([("response_mode", "form_post")]),
                username: "manager",
                password: "manager-password"
            )
            #expect(response.status == .ok)
            #expect(response.headers[.location] == nil)
            let html = String(buffer: response.body)
            #expect(html.contains(#"<form id="form-post" method="post" action="http://localhost:3000/callback">"#))
            let fields = Dictionary(hiddenFields(html), uniquingKeysWith: { first, _ in first })
            #expect(fields["state"] == "st-1")
            #expect(fields["access_token"] != nil)
            #expect(fields["id_token"] != nil)
            let policy = try #require(response.headers[.contentSecurityPolicy])
            #expect(policy.contains("form-action http://localhost:3000"))
            #expect(policy.contains("script-src 'nonce-"))
        }
    }

    /// Before the client and redirect URI are trusted, errors are an HTML page and never a redirect.
    @Test(arguments: [
        ("no client", [("response_type", "token"), ("redirect_uri", callback)]),
        ("unknown client", [("response_type", "token"), ("client_id", "ghost"), ("redirect_uri", callback)]),
        ("no redirect_uri", [("response_type", "token"), ("client_id", "web")]),
        ("unregistered redirect_uri", [("response_type", "token"), ("client_id", "web"), ("redirect_uri", "https://evil.example/cb")]),
        ("trailing slash", [("response_type", "token"), ("client_id", "web"), ("redirect_uri", callback + "/")]),
        ("other port", [("response_type", "token"), ("client_id", "web"), ("redirect_uri", "http://localhost:3001/callback")]),
        ("extra query", [("response_type", "token"), ("client_id", "web"), ("redirect_uri", callback + "?next=https://evil.example")]),
    ])
    func untrustedRequestsGetAnHTMLPage(_ name: String, _ parameters: [(String, String)]) async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            let response = try await client.execute(uri: "/oauth2/authorize?" + queryString(parameters + [("state", "s")]), method: .get)
            #expect(response.status == .badRequest, "\(name)")
            #expect(response.headers[.location] == nil, "\(name)")
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            #expect(String(buffer: response.body).contains(#"id="error-page""#))
        }
    }

    @Test func malformedOrRepeatedParametersGetAnHTMLPage() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            let repeated = try await client.execute(
                uri: "/oauth2/authorize?client_id=web&redirect_uri=https%3A%2F%2Fevil.example&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback",
                method: .get
            )
            #expect(repeated.status == .badRequest)
            #expect(repeated.headers[.location] == nil)
            let malformed = try await client.execute(uri: "/oauth2/authorize?client_id=%ZZ", method: .get)
            #expect(malformed.status == .badRequest)
        }
    }

    struct RedirectedError: Sendable, CustomStringConvertible {
        var name: String
        var parameters: [(String, String)]
        var error: String
        var query = false
        var redirectURI = AuthorizeTests.callback
        var description: String { self.name }
    }

    static let redirectedErrors: [RedirectedError] = [
        // Without a usable response_type, errors use the query (RFC 6749 §4.1.2.1); a hybrid type names tokens, so the fragment.
        .init(
            name: "no response_type",
            parameters: [("client_id", "web"), ("scope", "openid"), ("nonce", "n")],
            error: "invalid_request",
            query: true
        ),
        .init(
            name: "unknown response_type",
            parameters: [("response_type", "magic"), ("client_id", "web")],
            error: "unsupported_response_type",
            query: true
        ),
        .init(
            name: "hybrid response_type",
            parameters: [("response_type", "code id_token"), ("client_id", "web"), ("nonce", "n")],
            error: "unsupported_response_type"
        ),
        .init(
            name: "nonce missing",
            parameters: [("response_type", "id_token token"), ("client_id", "web"), ("scope", "openid")],
            error: "invalid_request"
        ),
        .init(
            name: "id_token without openid",
            parameters: [("response_type", "id_token"), ("client_id", "web"), ("scope", "profile"), ("nonce", "n")],
            error: "invalid_scope"
        ),
        .init(name: "scope not allowed", parameters: [("response_type", "token"), ("client_id", "web"), ("scope", "admin")], error: "invalid_scope"),
        .init(
            name: "tokens in the query",
            parameters: [("response_type", "token"), ("client_id", "web"), ("response_mode", "query")],
            error: "invalid_request",
            query: false
        ),
        .init(
            name: "bad response_mode",
            parameters: [("response_type", "token"), ("client_id", "web"), ("response_mode", "web_message")],
            error: "invalid_request"
        ),
        .init(
            name: "public client without PKCE",
            parameters: [("response_type", "code"), ("client_id", "web"), ("scope", "openid")],
            error: "invalid_request",
            query: true
        ),
        .init(
            name: "plain PKCE not allowed",
            parameters: [("response_type", "code"), ("client_id", "web"), ("code_challenge", testVerifier), ("code_challenge_method", "plain")],
            error: "invalid_request",
            query: true
        ),
        .init(
            name: "short code_challenge",
            parameters: [("response_type", "code"), ("client_id", "web"), ("code_challenge", "abc"), ("code_challenge_method", "S256")],
            error: "invalid_request",
            query: true
        ),
        .init(
            name: "grant not allowed",
            parameters: [("response_type", "token"), ("client_id", "portal")],
            error: "unauthorized_client",
            redirectURI: "https://portal.example.com/cb?tenant=a"
        ),
        .init(
            name: "prompt none without a session",
            parameters: [("response_type", "token"), ("client_id", "web"), ("prompt", "none")],
            error: "login_required"
        ),
        .init(
            name: "prompt none with login",
            parameters: [("response_type", "token"), ("client_id", "web"), ("prompt", "none login")],
            error: "invalid_request"
        ),
        .init(name: "bad max_age", parameters: [("response_type", "token"), ("client_id", "web"), ("max_age", "-1")], error: "invalid_request"),
        .init(
            name: "request object",
            parameters: [("response_type", "token"), ("client_id", "web"), ("request", "eyJ")],
            error: "request_not_supported"
        ),
    ]

    @Test(arguments: redirectedErrors)
    func errorsAfterTheRedirectURIIsTrustedGoBackToIt(_ errorCase: RedirectedError) async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            let uri = "/oauth2/authorize?" + queryString(errorCase.parameters + [("redirect_uri", errorCase.redirectURI), ("state", "keep-me")])
            let response = try await client.execute(uri: uri, method: .get)
            #expect(response.status == .seeOther)
            let location = try #require(response.headers[.location])
            #expect(location.hasPrefix(errorCase.redirectURI + (errorCase.query ? (errorCase.redirectURI.contains("?") ? "&" : "?") : "#")))
            let parameters = try redirectParameters(location, query: errorCase.query)
            #expect(parameters["error"] == errorCase.error)
            #expect(parameters["error_description"]?.isEmpty == false)
            #expect(parameters["state"] == "keep-me")
        }
    }

    @Test func postToTheAuthorizationEndpointWorksLikeGet() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            let response = try await client.postForm("/oauth2/authorize", Self.implicit())
            #expect(response.status == .seeOther)
            #expect(response.headers[.location]?.hasPrefix("/login?") == true)
        }
    }
}

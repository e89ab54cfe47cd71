import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import Understudy

@Suite struct LogoutTests {
    static let callback = "http://localhost:3000/callback"
    static let signedOut = "http://localhost:3000/signed-out"
    static let signedOutEncoded = "http%3A%2F%2Flocalhost%3A3000%2Fsigned-out"

    static let implicitQuery = queryString([
        ("response_type", "id_token token"), ("client_id", "web"), ("redirect_uri", callback), ("scope", "openid profile email groups"),
        ("state", "xyz"), ("nonce", "n-0S6"),
    ])

    /// A silent (`prompt=none`) request: tokens with a live session, `login_required` without.
    static let silentQuery = queryString([
        ("response_type", "id_token token"), ("client_id", "web"), ("redirect_uri", callback), ("scope", "openid"), ("state", "p1"),
        ("nonce", "n-1"), ("prompt", "none"),
    ])

    /// Signs `manager` in through the form; the parameters of the implicit response.
    static func signIn(_ browser: inout BrowserDriver) async throws -> [String: String] {
        let response = try await browser.signIn(authorize: Self.implicitQuery, username: "manager", password: "manager-password")
        guard response.status == .seeOther, browser.cookies[BrowserSecurity.sessionCookieName] != nil else {
            throw TestFailure("sign-in failed: \(response.status) \(response.headers[.location] ?? "")")
        }
        return try redirectParameters(response.headers[.location])
    }

    /// The fragment parameters of a `prompt=none` request made with the browser's cookies.
    static func silentAuthorize(_ browser: inout BrowserDriver) async throws -> [String: String] {
        let response = try await browser.get("/oauth2/authorize?" + Self.silentQuery)
        guard response.status == .seeOther, let location = response.headers[.location], location.hasPrefix(Self.callback + "#") else {
            throw TestFailure("prompt=none did not redirect to the callback: \(response.status) \(response.headers[.location] ?? "")")
        }
        return try redirectParameters(location)
    }

    /// The value and attributes (`Max-Age` → `0`, `HttpOnly` → ``) of the `Set-Cookie` for `name`.
    static func setCookie(_ response: TestResponse, named name: String) -> (value: String, attributes: [String: String])? {
        for header in response.headers[values: .setCookie] {
            let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let first = parts.first, first.hasPrefix(name + "=") else { continue }
            var attributes: [String: String] = [:]
            for part in parts.dropFirst() {
                let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let key = pair.first, !key.isEmpty else { continue }
                attributes[String(key)] = pair.count == 2 ? String(pair[1]) : ""
            }
            return (String(first.dropFirst(name.count + 1)), attributes)
        }
        return nil
    }

    /// Checks that `response` is Understudy's HTML error page with `status`, and redirects nowhere.
    static func expectErrorPage(
        _ response: TestResponse,
        status: HTTPResponse.Status = .badRequest,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(response.status == status, sourceLocation: sourceLocation)
        #expect(response.headers[.contentType]?.hasPrefix("text/html") == true, sourceLocation: sourceLocation)
        #expect(response.headers[.location] == nil, sourceLocation: sourceLocation)
        #expect(String(buffer: response.body).contains(#"id="error-page""#), sourceLocation: sourceLocation)
    }

    /// Checks that `response` tells the browser to forget its session.
    static func expectSessionCleared(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) {
        let cookie = Self.setCookie(response, named: BrowserSecurity.sessionCookieName)
        #expect(cookie?.value == "", sourceLocation: sourceLocation)
        #expect(cookie?.attributes["Max-Age"] == "0", sourceLocation: sourceLocation)
        #expect(cookie?.attributes["Path"] == "/", sourceLocation: sourceLocation)
        #expect(cookie?.attributes["HttpOnly"] == "", sourceLocation: sourceLocation)
    }

    @Test func rpInitiatedLogoutRedirectsWithStateAndEndsTheSession() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let tokens = try await Self.signIn(&browser)
            let idToken = try #require(tokens["id_token"])
            let session = try #require(browser.cookies[BrowserSecurity.sessionCookieName])

            // Single sign-on works before the logout.
            let before = try await Self.silentAuthorize(&browser)
            #expect(before["error"] == nil)
            #expect(before["access_token"] != nil)
            #expect(before["id_token"] != nil)
            #expect(before["state"] == "p1")

            let response = try await browser.get("/logout?id_token_hint=\(idToken)&post_logout_redirect_uri=\(Self.signedOutEncoded)&state=s1")
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == Self.signedOut + "?state=s1")
            #expect(response.headers[.cacheControl] == "no-store")
            Self.expectSessionCleared(response)

            let after = try await Self.silentAuthorize(&browser)
            #expect(after["error"] == "login_required")
            #expect(after["state"] == "p1")
            #expect(after["access_token"] == nil)
            #expect(after["id_token"] == nil)

            // The session is gone on the server, not only forgotten by the browser.
            var replay = BrowserDriver(client: client)
            replay.cookies[BrowserSecurity.sessionCookieName] = session
            let replayed = try await Self.silentAuthorize(&replay)
            #expect(replayed["error"] == "login_required")
        }
    }

    @Test func postLogoutRedirectStateIsEncodedAndPostWorks() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let tokens = try await Self.signIn(&browser)
            let idToken = try #require(tokens["id_token"])
            let response = try await browser.post(
                "/logout",
                [("id_token_hint", idToken), ("post_logout_redirect_uri", Self.signedOut), ("state", "a b&c")]
            )
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == Self.signedOut + "?state=a%20b%26c")
            Self.expectSessionCleared(response)
            let afterLogout = try await Self.silentAuthorize(&browser)
            #expect(afterLogout["error"] == "login_required")
        }
    }

    @Test func expiredIDTokenHintIsStillAccepted() async throws {
        let clock = TestClock(testNow)
        try await makeApp(seed: browserSeed()) { $0.now = clock.now }.test(.router) { client in
            var browser = BrowserDriver(client: client)
            let tokens = try await Self.signIn(&browser)
            let idToken = try #require(tokens["id_token"])
            // ID tokens live 3600 s in tests; a hint only has to be ours, not current.
            clock.advance(by: 7200)
            let response = try await browser.get("/logout?id_token_hint=\(idToken)&post_logout_redirect_uri=\(Self.signedOutEncoded)")
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == Self.signedOut)
        }
    }

    @Test func unregisteredPostLogoutRedirectIsRefusedAndKeepsTheSession() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let tokens = try await Self.signIn(&browser)
            let idToken = try #require(tokens["id_token"])
            let evil = "https%3A%2F%2Fevil.example%2F"
            let callbackEncoded = "http%3A%2F%2Flocalhost%3A3000%2Fcallback"
            for query in [
                "id_token_hint=\(idToken)&post_logout_redirect_uri=\(evil)&state=s1",
                "client_id=web&post_logout_redirect_uri=\(evil)",
                // A redirect URI is not a post-logout redirect URI.
                "client_id=web&post_logout_redirect_uri=\(callbackEncoded)",
                // Exact match only: no prefix, no trailing slash.
                "client_id=web&post_logout_redirect_uri=\(Self.signedOutEncoded)%2F",
            ] {
                let response = try await browser.get("/logout?" + query)
                Self.expectErrorPage(response)
                #expect(Self.setCookie(response, named: BrowserSecurity.sessionCookieName)?.value == nil, "\(query)")
                #expect(!String(buffer: response.body).contains("<script"))
            }
            #expect(browser.cookies[BrowserSecurity.sessionCookieName] != nil)
            let silent = try await Self.silentAuthorize(&browser)
            #expect(silent["error"] == nil)
            #expect(silent["access_token"] != nil)
        }
    }

    @Test func redirectWithoutAClientIsRefused() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            _ = try await Self.signIn(&browser)
            let noClient = try await browser.get("/logout?post_logout_redirect_uri=\(Self.signedOutEncoded)&state=s1")
            Self.expectErrorPage(noClient)
            #expect(String(buffer: noClient.body).contains("needs client_id or id_token_hint"))
            let cognitoNoClient = try await browser.get("/logout?logout_uri=\(Self.signedOutEncoded)")
            Self.expectErrorPage(cognitoNoClient)
            let unknownClient = try await browser.get("/logout?client_id=ghost&post_logout_redirect_uri=\(Self.signedOutEncoded)")
            Self.expectErrorPage(unknownClient)
            let stillSignedIn = try await Self.silentAuthorize(&browser)
            #expect(stillSignedIn["access_token"] != nil)
        }
    }

    @Test func clientIDMustMatchTheAudienceOfTheHint() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let tokens = try await Self.signIn(&browser)
            let idToken = try #require(tokens["id_token"])
            let response = try await browser.get(
                "/logout?id_token_hint=\(idToken)&client_id=portal&post_logout_redirect_uri=\(Self.signedOutEncoded)"
            )
            Self.expectErrorPage(response)
            #expect(String(buffer: response.body).contains("does not match the audience of id_token_hint"))
            #expect(Self.setCookie(response, named: BrowserSecurity.sessionCookieName)?.value == nil)
            let stillSignedIn = try await Self.silentAuthorize(&browser)
            #expect(stillSignedIn["access_token"] != nil)

            // The matching client_id is fine.
            let matching = try await browser.get(
                "/logout?id_token_hint=\(idToken)&client_id=web&post_logout_redirect_uri=\(Self.signedOutEncoded)"
            )
            #expect(matching.status == .seeOther)
            #expect(matching.headers[.location] == Self.signedOut)
        }
    }

    @Test func accessTokenOrGarbageIsNotAnIDTokenHint() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let tokens = try await Self.signIn(&browser)
            let accessToken = try #require(tokens["access_token"])
            for hint in [accessToken, "not-a-jwt"] {
                let response = try await browser.get("/logout?id_token_hint=\(hint)&post_logout_redirect_uri=\(Self.signedOutEncoded)")
                Self.expectErrorPage(response)
                #expect(String(buffer: response.body).contains("id_token_hint is not an ID token issued by this server."))
            }
            let stillSignedIn = try await Self.silentAuthorize(&browser)
            #expect(stillSignedIn["access_token"] != nil)
        }
    }

    @Test func cognitoLogoutURIRedirectsExactly() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            _ = try await Self.signIn(&browser)

            let unregistered = try await browser.get("/logout?client_id=web&logout_uri=https%3A%2F%2Fevil.example%2F")
            Self.expectErrorPage(unregistered)
            let stillSignedIn = try await Self.silentAuthorize(&browser)
            #expect(stillSignedIn["access_token"] != nil)

            let response = try await browser.get("/logout?client_id=web&logout_uri=\(Self.signedOutEncoded)")
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == Self.signedOut)
            Self.expectSessionCleared(response)
            let afterLogout = try await Self.silentAuthorize(&browser)
            #expect(afterLogout["error"] == "login_required")
        }
    }

    @Test func cognitoSignInAgainStartsANewAuthorization() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            _ = try await Self.signIn(&browser)
            let callbackEncoded = "http%3A%2F%2Flocalhost%3A3000%2Fcallback"

            let missingType = try await browser.get("/logout?client_id=web&redirect_uri=\(callbackEncoded)&state=z")
            Self.expectErrorPage(missingType)
            let unregistered = try await browser.get("/logout?client_id=web&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&response_type=code")
            Self.expectErrorPage(unregistered)
            let stillSignedIn = try await Self.silentAuthorize(&browser)
            #expect(stillSignedIn["access_token"] != nil)

            let response = try await browser.get("/logout?client_id=web&redirect_uri=\(callbackEncoded)&response_type=code&state=z")
            #expect(response.status == .seeOther)
            let location = try #require(response.headers[.location])
            #expect(location.hasPrefix("/oauth2/authorize?"))
            #expect(location.contains("client_id=web"))
            #expect(
                try redirectParameters(location, query: true) == [
                    "response_type": "code", "client_id": "web", "redirect_uri": Self.callback, "state": "z",
                ]
            )
            Self.expectSessionCleared(response)
            let afterLogout = try await Self.silentAuthorize(&browser)
            #expect(afterLogout["error"] == "login_required")
        }
    }

    /// RP-Initiated Logout 1.0 §2: without an id_token_hint for the signed-in user, the user is asked first.
    @Test func logoutWithoutAHintAsksTheUserFirst() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            _ = try await Self.signIn(&browser)
            let question = try await browser.get("/logout?client_id=web&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fsigned-out&state=q")
            #expect(question.status == .ok)
            #expect(question.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            let html = String(buffer: question.body)
            #expect(html.contains(#"id="logout-confirm""#))
            #expect(Self.setCookie(question, named: BrowserSecurity.sessionCookieName) == nil)
            // Nothing happened yet: the session still works.
            #expect(try await Self.silentAuthorize(&browser)["access_token"] != nil)

            // A confirmation without the page's CSRF token is refused.
            let forged = try await browser.post(
                "/logout",
                hiddenFields(html).filter { name, _ in name != "csrf" } + [("confirm", "yes")]
            )
            #expect(forged.status == .forbidden)
            #expect(try await Self.silentAuthorize(&browser)["access_token"] != nil)

            let confirmed = try await browser.post("/logout", hiddenFields(html) + [("confirm", "yes")])
            #expect(confirmed.status == .seeOther)
            #expect(confirmed.headers[.location] == "http://localhost:3000/signed-out?state=q")
            Self.expectSessionCleared(confirmed)
            #expect(try await Self.silentAuthorize(&browser)["error"] == "login_required")
        }
    }

    @Test func noParametersAndNoSessionShowsTheSignedOutPage() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            for method in [HTTPRequest.Method.get, .post] {
                let response = try await client.execute(uri: "/logout", method: method)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.location] == nil)
                #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
                #expect(String(buffer: response.body).contains(#"id="signed-out""#))
            }
        }
    }
}

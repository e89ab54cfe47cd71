import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import Understudy

@Suite struct LoginPageTests {
    static let callback = "http://localhost:3000/callback"

    static func implicit(_ extra: [(String, String)] = [], state: String = "xyz") -> String {
        queryString(
            [
                ("response_type", "id_token token"), ("client_id", "web"), ("redirect_uri", callback), ("scope", "openid profile email groups"),
                ("state", state), ("nonce", "n-0S6"),
            ] + extra
        )
    }

    /// Follows `/oauth2/authorize?query` to the login page, with the browser's cookies.
    static func loginPage(_ browser: inout BrowserDriver, _ query: String = LoginPageTests.implicit()) async throws -> TestResponse {
        let authorize = try await browser.get("/oauth2/authorize?" + query)
        guard authorize.status == .seeOther, let location = authorize.headers[.location], location.hasPrefix("/login?") else {
            throw TestFailure("authorize did not send the browser to /login: \(authorize.status) \(authorize.headers[.location] ?? "")")
        }
        return try await browser.get(location)
    }

    /// The value and attributes (`Max-Age` → `3600`, `HttpOnly` → ``) of the `Set-Cookie` for `name`.
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

    /// Checks that `response` is Understudy's HTML error page with `status`, redirects nowhere and starts no session.
    static func expectErrorPage(_ response: TestResponse, status: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == status, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "text/html; charset=utf-8", sourceLocation: sourceLocation)
        #expect(response.headers[.location] == nil, sourceLocation: sourceLocation)
        #expect(String(buffer: response.body).contains(#"id="error-page""#), sourceLocation: sourceLocation)
        #expect(Self.setCookie(response, named: BrowserSecurity.sessionCookieName)?.value == nil, sourceLocation: sourceLocation)
    }

    /// The text of the page's `id="login-error"` paragraph, if any.
    static func loginError(_ html: String) -> String? {
        html.firstMatch(of: #/<p id="login-error"[^>]*>([^<]*)</p>/#).map { unescapeHTML(String($0.output.1)) }
    }

    @Test func loginPageIsAHardenedFormCarryingTheRequest() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let page = try await Self.loginPage(&browser)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            let policy = try #require(page.headers[.contentSecurityPolicy])
            #expect(policy.contains("frame-ancestors 'none'"))
            #expect(policy.contains("form-action 'self' http://localhost:3000;"))
            #expect(policy.contains("default-src 'none'"))
            #expect(page.headers[.xContentTypeOptions] == "nosniff")
            #expect(page.headers[.referrerPolicy] == "no-referrer")
            #expect(page.headers[.xFrameOptions] == "DENY")
            #expect(page.headers[.cacheControl] == "no-store")

            let csrfCookie = try #require(Self.setCookie(page, named: BrowserSecurity.csrfCookieName))
            #expect(csrfCookie.value.count == 43)
            #expect(csrfCookie.attributes["HttpOnly"] == "")
            #expect(csrfCookie.attributes["SameSite"] == "Lax")
            #expect(csrfCookie.attributes["Path"] == "/")
            #expect(csrfCookie.attributes["Secure"] == nil)
            #expect(Self.setCookie(page, named: BrowserSecurity.sessionCookieName)?.value == nil)

            let html = String(buffer: page.body)
            #expect(html.contains(#"<label for="username">"#))
            #expect(html.contains(#"<label for="password">"#))
            #expect(html.contains(#"id="login-submit""#))
            #expect(html.contains(#"id="login-deny""#))
            #expect(html.contains(#"<strong id="client-name">Web app</strong>"#))
            #expect(!html.contains("pick-user"))
            #expect(Self.loginError(html) == nil)

            // Exactly the recognised authorization parameters travel, in order, then the CSRF token.
            let hidden = hiddenFields(html)
            let names = hidden.map { $0.0 }
            #expect(names == ["response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "csrf"])
            let values = Dictionary(hidden, uniquingKeysWith: { first, _ in first })
            #expect(values["response_type"] == "id_token token")
            #expect(values["client_id"] == "web")
            #expect(values["redirect_uri"] == Self.callback)
            #expect(values["scope"] == "openid profile email groups")
            #expect(values["state"] == "xyz")
            #expect(values["nonce"] == "n-0S6")
            let csrf = try #require(values["csrf"])
            #expect(csrf.count == 43)

            // A second visit keeps the browser's CSRF cookie, and so its token.
            let again = try await Self.loginPage(&browser)
            #expect(again.status == .ok)
            #expect(Self.setCookie(again, named: BrowserSecurity.csrfCookieName)?.value == nil)
            let againValues = Dictionary(hiddenFields(String(buffer: again.body)), uniquingKeysWith: { first, _ in first })
            #expect(againValues["csrf"] == csrf)
        }
    }

    @Test func loginHintPrefillsTheUsername() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let hinted = String(buffer: try await Self.loginPage(&browser, Self.implicit([("login_hint", "manager")])).body)
            #expect(hinted.contains(#/<input id="username"[^>]*value="manager"/#))
            // With a username given, the cursor starts in the password field.
            #expect(hinted.contains(#/<input id="password"[^>]*autofocus/#))
            #expect(hiddenFields(hinted).contains { $0.0 == "login_hint" && $0.1 == "manager" })

            let plain = String(buffer: try await Self.loginPage(&browser).body)
            #expect(plain.contains(#/<input id="username"[^>]*value=""/#))
            #expect(plain.contains(#/<input id="username"[^>]*autofocus/#))
        }
    }

    @Test func requestValuesAreHTMLEscaped() async throws {
        let state = #""><script>alert(1)</script>"#
        let hint = #""><img src=x onerror=alert(2)>"#
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let page = try await Self.loginPage(&browser, Self.implicit([("login_hint", hint)], state: state))
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(html.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"))
            #expect(!html.contains("<script"))
            #expect(!html.contains("<img"))

            // The escaped values still round-trip through the form to the application.
            let values = Dictionary(hiddenFields(html), uniquingKeysWith: { first, _ in first })
            #expect(values["state"] == state)
            let response = try await browser.post(
                "/login",
                hiddenFields(html) + [("username", "manager"), ("password", "manager-password"), ("action", "login")]
            )
            #expect(response.status == .seeOther)
            #expect(try redirectParameters(response.headers[.location])["state"] == state)
        }
    }

    @Test func successfulLoginSetsAnHttpOnlyLaxSessionCookie() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let response = try await browser.signIn(authorize: Self.implicit(), username: "manager", password: "manager-password")
            #expect(response.status == .seeOther)
            #expect(response.headers[.location]?.hasPrefix(Self.callback + "#") == true)
            let cookie = try #require(Self.setCookie(response, named: BrowserSecurity.sessionCookieName))
            #expect(cookie.value.count == 43)
            #expect(cookie.attributes["HttpOnly"] == "")
            #expect(cookie.attributes["SameSite"] == "Lax")
            #expect(cookie.attributes["Path"] == "/")
            #expect(cookie.attributes["Max-Age"] == "3600")
            #expect(cookie.attributes["Secure"] == nil)
        }
    }

    @Test func httpsIssuerMakesTheCookiesSecure() async throws {
        try await makeApp(seed: browserSeed()) { $0.issuer = "https://idp.example.com" }.test(.router) { client in
            var browser = BrowserDriver(client: client)
            let page = try await Self.loginPage(&browser)
            let csrfCookie = try #require(Self.setCookie(page, named: BrowserSecurity.csrfCookieName))
            #expect(csrfCookie.attributes["Secure"] == "")
            let response = try await browser.post(
                "/login",
                hiddenFields(String(buffer: page.body)) + [("username", "manager"), ("password", "manager-password"), ("action", "login")]
            )
            #expect(response.status == .seeOther)
            let cookie = try #require(Self.setCookie(response, named: BrowserSecurity.sessionCookieName))
            #expect(cookie.attributes["Secure"] == "")
            #expect(cookie.attributes["HttpOnly"] == "")
            #expect(cookie.attributes["SameSite"] == "Lax")
            #expect(cookie.attributes["Path"] == "/")
        }
    }

    @Test func postWithoutAMatchingCSRFTokenAndCookieIsRefused() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let page = try await Self.loginPage(&browser)
            let fields = hiddenFields(String(buffer: page.body))
            let credentials = [("username", "manager"), ("password", "manager-password"), ("action", "login")]
            let csrf = try #require(fields.first(where: { $0.0 == "csrf" })?.1)
            let withoutCSRF = fields.filter { name, _ in name != "csrf" }

            // No token in the form.
            Self.expectErrorPage(try await browser.post("/login", withoutCSRF + credentials), status: .forbidden)

            // A token, but a browser without the CSRF cookie.
            var stranger = BrowserDriver(client: client)
            Self.expectErrorPage(try await stranger.post("/login", fields + credentials), status: .forbidden)

            // A tampered token.
            let tampered = (csrf.hasPrefix("A") ? "B" : "A") + String(csrf.dropFirst())
            Self.expectErrorPage(try await browser.post("/login", withoutCSRF + [("csrf", tampered)] + credentials), status: .forbidden)

            // Another browser's token with this browser's cookie.
            var other = BrowserDriver(client: client)
            let otherPage = try await Self.loginPage(&other)
            let otherCSRF = try #require(hiddenFields(String(buffer: otherPage.body)).first(where: { $0.0 == "csrf" })?.1)
            #expect(otherCSRF != csrf)
            Self.expectErrorPage(try await browser.post("/login", withoutCSRF + [("csrf", otherCSRF)] + credentials), status: .forbidden)
            #expect(browser.cookies[BrowserSecurity.sessionCookieName] == nil)

            // The untouched form signs in: the refusals above were the CSRF check.
            let response = try await browser.post("/login", fields + credentials)
            #expect(response.status == .seeOther)
            #expect(browser.cookies[BrowserSecurity.sessionCookieName] != nil)
        }
    }

    @Test func wrongPasswordAndUnknownUserGetTheSameMessage() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let wrongPassword = try await browser.signIn(authorize: Self.implicit(), username: "manager", password: "not-the-password")
            let unknownUser = try await browser.signIn(authorize: Self.implicit(), username: "ghost", password: "manager-password")
            for response in [wrongPassword, unknownUser] {
                #expect(response.status == .ok)
                #expect(response.headers[.location] == nil)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(Self.setCookie(response, named: BrowserSecurity.sessionCookieName)?.value == nil)
                #expect(Self.loginError(String(buffer: response.body)) == "Incorrect username or password.")
            }
            let wrongHTML = String(buffer: wrongPassword.body)
            let unknownHTML = String(buffer: unknownUser.body)
            let element = #/<p id="login-error"[^>]*>[^<]*</p>/#
            let wrongElement = wrongHTML.firstMatch(of: element).map { String($0.output) }
            let unknownElement = unknownHTML.firstMatch(of: element).map { String($0.output) }
            #expect(wrongElement != nil)
            #expect(wrongElement == unknownElement)
            #expect(browser.cookies[BrowserSecurity.sessionCookieName] == nil)

            // The page that reports the failure is a working form.
            let retry = try await browser.post(
                "/login",
                hiddenFields(wrongHTML) + [("username", "manager"), ("password", "manager-password"), ("action", "login")]
            )
            #expect(retry.status == .seeOther)
            #expect(retry.headers[.location]?.hasPrefix(Self.callback + "#access_token=") == true)
        }
    }

    @Test func denyReturnsAccessDeniedToTheApplication() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let response = try await browser.signIn(authorize: Self.implicit(), fields: [("action", "deny")])
            #expect(response.status == .seeOther)
            #expect(
                response.headers[.location]
                    == "http://localhost:3000/callback#error=access_denied&error_description=the%20user%20denied%20the%20request&state=xyz"
            )
            #expect(Self.setCookie(response, named: BrowserSecurity.sessionCookieName)?.value == nil)
        }
    }

    @Test func userPickerSignsInTheChosenUser() async throws {
        try await makeApp(seed: browserSeed()) { $0.loginUserPicker = true }.test(.router) { client in
            var browser = BrowserDriver(client: client)
            let page = try await Self.loginPage(&browser)
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains(#"data-username="manager""#))
            #expect(html.contains(#"data-username="employee""#))
            // Each user's button lists that user's groups.
            var entries: [String: String] = [:]
            for match in html.matches(of: #/<li><button class="pick-user"[^>]*data-username="([^"]*)"[\s\S]*?</li>/#) {
                entries[String(match.output.1)] = String(match.output.0)
            }
            #expect(Set(entries.keys) == ["manager", "employee"])
            #expect(entries["manager"]?.contains(#"<span class="tag">SPA-Manager</span>"#) == true)
            #expect(entries["manager"]?.contains("Mia Manager") == true)
            #expect(entries["manager"]?.contains("SPA-Employee") == false)
            #expect(entries["employee"]?.contains(#"<span class="tag">SPA-Employee</span>"#) == true)
            #expect(entries["employee"]?.contains("SPA-Manager") == false)

            let response = try await browser.post("/login", hiddenFields(html) + [("pick", "employee")])
            #expect(response.status == .seeOther)
            #expect(browser.cookies[BrowserSecurity.sessionCookieName] != nil)
            let fragment = try redirectParameters(response.headers[.location])
            let accessToken = try #require(fragment["access_token"])
            let (claims, _) = try await RelyingParty(client: client).verify(accessToken)
            #expect(claims["groups"] == .array([.string("SPA-Employee")]))
            #expect(claims.string("sub") == Seeder.derivedSubject(username: "employee"))
        }
    }

    @Test func userPickerIsOffByDefault() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let page = try await Self.loginPage(&browser)
            let html = String(buffer: page.body)
            #expect(!html.contains("pick-user"))
            #expect(!html.contains("data-username"))
            let response = try await browser.post("/login", hiddenFields(html) + [("pick", "employee")])
            Self.expectErrorPage(response, status: .forbidden)
            #expect(browser.cookies[BrowserSecurity.sessionCookieName] == nil)
        }
    }

    @Test func loginPageWithoutAValidClientIsAnErrorPage() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            Self.expectErrorPage(try await browser.get("/login"), status: .badRequest)
            let noClient = queryString([("response_type", "id_token token"), ("redirect_uri", Self.callback), ("state", "xyz")])
            Self.expectErrorPage(try await browser.get("/login?" + noClient), status: .badRequest)
            let unknownClient = queryString([("response_type", "code"), ("client_id", "ghost"), ("redirect_uri", Self.callback)])
            Self.expectErrorPage(try await browser.get("/login?" + unknownClient), status: .badRequest)
            let unregistered = queryString([
                ("response_type", "id_token token"), ("client_id", "web"), ("redirect_uri", "https://evil.example/cb"), ("scope", "openid"),
                ("nonce", "n"),
            ])
            Self.expectErrorPage(try await browser.get("/login?" + unregistered), status: .badRequest)
        }
    }

    /// A CSRF cookie planted from another site, with its matching token, still fails: the post is cross-site.
    @Test func crossSitePostsAreRefusedEvenWithAMatchingToken() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let page = try await Self.loginPage(&browser)
            let form = hiddenFields(String(buffer: page.body)) + [("username", "manager"), ("password", "manager-password"), ("action", "login")]
            let body = queryString(form)
            var headers = browser.cookieHeader
            headers[.contentType] = "application/x-www-form-urlencoded"
            for (name, value) in [("Sec-Fetch-Site", "cross-site"), ("Sec-Fetch-Site", "same-site"), ("Origin", "http://evil.localhost:8080")] {
                var crossSite = headers
                crossSite[HTTPField.Name(name)!] = value
                let response = try await client.execute(uri: "/login", method: .post, headers: crossSite, body: ByteBuffer(string: body))
                Self.expectErrorPage(response, status: .forbidden)
            }
            var sameOrigin = headers
            sameOrigin[HTTPField.Name("Sec-Fetch-Site")!] = "same-origin"
            let response = try await client.execute(uri: "/login", method: .post, headers: sameOrigin, body: ByteBuffer(string: body))
            #expect(response.status == .seeOther)
        }
    }

    @Test func theRequestIsCheckedAgainOnPost() async throws {
        try await makeApp(seed: browserSeed()).test(.router) { client in
            var browser = BrowserDriver(client: client)
            let page = try await Self.loginPage(&browser)
            let fields = hiddenFields(String(buffer: page.body)).map { field in
                field.0 == "redirect_uri" ? (field.0, "https://evil.example/cb") : field
            }
            #expect(fields.contains { $0.0 == "redirect_uri" && $0.1 == "https://evil.example/cb" })
            let response = try await browser.post(
                "/login",
                fields + [("username", "manager"), ("password", "manager-password"), ("action", "login")]
            )
            Self.expectErrorPage(response, status: .badRequest)
            #expect(String(buffer: response.body).contains("Unregistered redirect URI"))
            #expect(browser.cookies[BrowserSecurity.sessionCookieName] == nil)
        }
    }
}

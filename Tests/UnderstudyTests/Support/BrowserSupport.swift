import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore

@testable import Understudy

/// A seed for the browser flows: a public SPA, a confidential web app, users in two groups.
let browserSeedYAML = """
    settings:
      login_user_picker: true
    groups:
      - name: SPA-Manager
      - name: SPA-Employee
    scopes:
      - name: orders/get.order
    users:
      - username: manager
        password: manager-password
        email: manager@example.com
        given_name: Mia
        family_name: Manager
        groups: [SPA-Manager]
      - username: employee
        password: employee-password
        groups: [SPA-Employee]
    clients:
      - client_id: web
        name: Web app
        public: true
        redirect_uris: [http://localhost:3000/callback]
        post_logout_redirect_uris: [http://localhost:3000/signed-out]
        grant_types: [implicit, authorization_code, refresh_token]
        scopes: [openid, profile, email, groups, orders/get.order]
      - client_id: portal
        client_secret: portal-secret
        redirect_uris: ["https://portal.example.com/cb?tenant=a"]
        grant_types: [authorization_code, refresh_token, password]
        scopes: [openid, email, groups, orders/get.order]
        allow_plain_pkce: true
      - client_id: svc
        client_secret: s3cret
        grant_types: [client_credentials]
        scopes: [orders/get.order]
    """

func browserSeed() throws -> SeedFile {
    try SeedLoader.parse(browserSeedYAML, file: "browser.yaml").0
}

/// A fixed PKCE pair: the challenge is base64url(SHA-256(verifier)), computed independently with Python's hashlib.
let testVerifier = "dBjftJeZ4CVP-mJ92K1uH1Ps1W7RmXr3pi9Pn0BcKxY"
let testChallenge = "FM4Joh1xyi2iDo37obfadNirUAU3Dy2uKPXZIZ0l25o"

/// Drives the browser side of a sign-in over the router: authorize → login page → form post, keeping cookies.
struct BrowserDriver {
    let client: any TestClientProtocol
    /// Cookies the server set, by name.
    var cookies: [String: String] = [:]

    init(client: any TestClientProtocol) {
        self.client = client
    }

    var cookieHeader: HTTPFields {
        self.cookies.isEmpty ? [:] : [.cookie: self.cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")]
    }

    /// GET with the browser's cookies; remembers cookies the response sets (an empty value deletes).
    mutating func get(_ uri: String) async throws -> TestResponse {
        let response = try await self.client.execute(uri: uri, method: .get, headers: self.cookieHeader)
        self.remember(response)
        return response
    }

    /// POST a form with the browser's cookies.
    mutating func post(_ uri: String, _ fields: [(String, String)]) async throws -> TestResponse {
        var headers = self.cookieHeader
        headers[.contentType] = "application/x-www-form-urlencoded"
        let body = fields.map { "\(formEncode($0.0))=\(formEncode($0.1))" }.joined(separator: "&")
        let response = try await self.client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
        self.remember(response)
        return response
    }

    mutating func remember(_ response: TestResponse) {
        for header in response.headers[values: .setCookie] {
            let pair = header.split(separator: ";", maxSplits: 1)[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            let name = String(pair[0])
            if pair[1].isEmpty { self.cookies[name] = nil } else { self.cookies[name] = String(pair[1]) }
        }
    }

    /// Starts at `/oauth2/authorize?query`, follows to the login page and submits `fields` (plus the page's
    /// hidden fields and CSRF token). Returns the response to the form post.
    mutating func signIn(authorize query: String, fields: [(String, String)]) async throws -> TestResponse {
        let authorize = try await self.get("/oauth2/authorize?" + query)
        guard authorize.status == .seeOther, let login = authorize.headers[.location], login.hasPrefix("/login?") else {
            throw TestFailure("authorize did not send the browser to /login: \(authorize.status) \(authorize.headers[.location] ?? "")")
        }
        let page = try await self.get(login)
        guard page.status == .ok else { throw TestFailure("login page: \(page.status)") }
        return try await self.post("/login", hiddenFields(String(buffer: page.body)) + fields)
    }

    /// Signs in with a password through the form.
    mutating func signIn(authorize query: String, username: String, password: String) async throws -> TestResponse {
        try await self.signIn(authorize: query, fields: [("username", username), ("password", password), ("action", "login")])
    }
}

/// The hidden inputs of an HTML page (login form, form_post page), unescaped.
func hiddenFields(_ html: String) -> [(String, String)] {
    let pattern = #/<input type="hidden" name="([^"]*)" value="([^"]*)">/#
    return html.matches(of: pattern).map { (unescapeHTML(String($0.output.1)), unescapeHTML(String($0.output.2))) }
}

func unescapeHTML(_ text: String) -> String {
    text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&lt;", with: "<")
        .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
}

/// The parameters in a redirect's fragment (or query, when `query` is true).
func redirectParameters(_ location: String?, query: Bool = false) throws -> [String: String] {
    guard let location else { throw TestFailure("no Location header") }
    let separator: Character = query ? "?" : "#"
    guard let start = location.firstIndex(of: separator) else { throw TestFailure("no \(separator) in \(location)") }
    var part = String(location[location.index(after: start)...])
    if query, let hash = part.firstIndex(of: "#") { part = String(part[..<hash]) }
    return try FormParameters.decode(part).values
}

/// Builds a query string from pairs.
func queryString(_ pairs: [(String, String)]) -> String {
    pairs.map { "\(formEncode($0.0))=\(formEncode($0.1))" }.joined(separator: "&")
}

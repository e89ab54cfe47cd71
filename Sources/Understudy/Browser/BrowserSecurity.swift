import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Cookies, CSRF tokens and security headers of the HTML pages.
///
/// Cookies are `HttpOnly`, `SameSite=Lax`, scoped to the issuer's path, and `Secure` only when the public
/// URL is https, so plain-http localhost setups keep their session.
struct BrowserSecurity: Sendable {
    /// True when the issuer is an https URL.
    let secureCookies: Bool
    /// The issuer's path, or `/`.
    let cookiePath: String
    /// Signs CSRF tokens; generated at start, held only in memory.
    let csrfKey: SymmetricKey

    static let sessionCookieName = "understudy_session"
    static let csrfCookieName = "understudy_csrf"

    init(issuer: String, issuerPath: String, csrfKey: SymmetricKey = SymmetricKey(size: .bits256)) {
        self.secureCookies = URLParts(issuer)?.scheme == "https"
        self.cookiePath = issuerPath.isEmpty ? "/" : issuerPath
        self.csrfKey = csrfKey
    }

    func sessionCookie(_ value: String, lifetime: Int) -> Cookie {
        Cookie(
            name: Self.sessionCookieName,
            value: value,
            maxAge: lifetime,
            path: self.cookiePath,
            secure: self.secureCookies,
            httpOnly: true,
            sameSite: .lax
        )
    }

    /// A cookie that makes the browser forget its session.
    func expiredSessionCookie() -> Cookie {
        Cookie(
            name: Self.sessionCookieName,
            value: "",
            expires: Date(timeIntervalSince1970: 0),
            maxAge: 0,
            path: self.cookiePath,
            secure: self.secureCookies,
            httpOnly: true,
            sameSite: .lax
        )
    }

    /// The browser-bound half of the CSRF defence: a random value in a cookie that lives as long as the browser.
    func csrfCookie(_ value: String) -> Cookie {
        Cookie(name: Self.csrfCookieName, value: value, path: self.cookiePath, secure: self.secureCookies, httpOnly: true, sameSite: .lax)
    }

    /// The form half: an HMAC of the cookie value, so a token is only good together with its own cookie.
    func csrfToken(binding: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("login-csrf:\(binding)".utf8), using: self.csrfKey)
        return Base64URL.encode(Array(mac))
    }

    /// Whether the form's token matches the browser's CSRF cookie.
    func verifyCSRF(token: String?, binding: String?) -> Bool {
        guard let token, let binding, !binding.isEmpty else { return false }
        return OpaqueToken.constantTimeEquals(token, self.csrfToken(binding: binding))
    }

    /// The CSRF cookie value of a request, if it has a well-formed one.
    static func csrfBinding(_ request: Request) -> String? {
        guard let value = request.cookies[Self.csrfCookieName]?.value, value.count == 43 else { return nil }
        return value
    }

    /// The session cookie value of a request, if any.
    static func sessionToken(_ request: Request) -> String? {
        guard let value = request.cookies[Self.sessionCookieName]?.value, !value.isEmpty, value.count <= 64 else { return nil }
        return value
    }

    /// Whether a form post came from one of our own pages: Fetch Metadata when the browser sends it, else
    /// `Origin` against the request's host. A planted CSRF cookie alone cannot pass this.
    static func isSameOrigin(_ request: Request) -> Bool {
        if let site = request.headers[.secFetchSite] { return site == "same-origin" || site == "none" }
        guard let origin = request.headers[.origin] else { return true }
        guard let authority = request.head.authority, let components = URLComponents(string: origin), let host = components.host else {
            return false
        }
        let originAuthority = (host.contains(":") ? "[\(host)]" : host) + (components.port.map { ":\($0)" } ?? "")
        return originAuthority.lowercased() == authority.lowercased()
    }

    /// Headers of every HTML response: the given CSP plus framing, sniffing, referrer and caching rules.
    static func htmlHeaders(contentSecurityPolicy: String) -> HTTPFields {
        [
            .contentType: "text/html; charset=utf-8",
            .contentSecurityPolicy: contentSecurityPolicy,
            .xContentTypeOptions: "nosniff",
            .xFrameOptions: "DENY",
            .referrerPolicy: "no-referrer",
            .cacheControl: "no-store",
        ]
    }

    /// CSP of pages that run no script and submit no form anywhere else.
    static let staticPagePolicy =
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// CSP of the login page: its form posts to us, and the redirect that follows goes to the client.
    static func loginPagePolicy(redirectURI: String) -> String {
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self' \(Self.sourceExpression(for: redirectURI)); frame-ancestors 'none'; base-uri 'none'"
    }

    /// A CSP source expression for the origin of `uri` (`https://app.example:8443`, or `myapp:` for a custom scheme).
    static func sourceExpression(for uri: String) -> String {
        guard let components = URLComponents(string: uri), let scheme = components.scheme?.lowercased() else { return "'none'" }
        guard let host = components.host, !host.isEmpty, scheme == "http" || scheme == "https" else { return "\(scheme):" }
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(bracketed)\(components.port.map { ":\($0)" } ?? "")"
    }
}

extension HTTPField.Name {
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}

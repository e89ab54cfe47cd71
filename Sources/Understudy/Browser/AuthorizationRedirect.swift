import Foundation
import HTTPTypes
import Hummingbird

/// Where and how an authorization response goes back to the application: a trusted redirect URI, the
/// response mode, and the `state` to echo.
struct AuthorizationRedirect: Sendable, Equatable {
    /// OAuth 2.0 Multiple Response Type Encoding Practices §2.1 and Form Post Response Mode §2.
    enum Mode: String, Sendable, CaseIterable {
        case query
        case fragment
        case formPost = "form_post"
    }

    var redirectURI: String
    var mode: Mode
    var state: String?
    /// The issuer's path, for the style sheet of the form_post page.
    var assetBase: String = ""

    /// A 303 to the redirect URI with `parameters` (and `state`) in the query or fragment, or the
    /// auto-submitting form for `form_post`.
    func response(_ parameters: [(String, String)]) -> Response {
        var parameters = parameters
        if let state = self.state { parameters.append(("state", state)) }
        switch self.mode {
        case .query, .fragment:
            let encoded = parameters.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
            let location: String
            if self.mode == .fragment {
                location = self.redirectURI + "#" + encoded
            } else {
                // A registered redirect URI may carry its own query (RFC 6749 §3.1.2); it is kept.
                location = self.redirectURI + (self.redirectURI.contains("?") ? "&" : "?") + encoded
            }
            return Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store", .contentLength: "0"])
        case .formPost:
            let nonce = OpaqueToken.generate()
            let html = HTMLTemplates.render(
                "formPost",
                [
                    "action": self.redirectURI,
                    "fields": parameters.map { ["name": $0.0, "value": $0.1] },
                    "nonce": nonce,
                    "assetBase": self.assetBase,
                ]
            )
            let policy =
                "default-src 'none'; script-src 'nonce-\(nonce)'; style-src 'self'; form-action \(BrowserSecurity.sourceExpression(for: self.redirectURI)); frame-ancestors 'none'; base-uri 'none'"
            return Response(
                status: .ok,
                headers: BrowserSecurity.htmlHeaders(contentSecurityPolicy: policy),
                body: .init(byteBuffer: ByteBuffer(string: html))
            )
        }
    }

    /// Form-url-encoding of one name or value (RFC 6749 appendix B), spaces as `%20`.
    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? ""
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}

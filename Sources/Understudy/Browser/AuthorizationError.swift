import Foundation
import HTTPTypes
import Hummingbird

/// An error shown to the person in the browser, as an HTML page, because the request cannot be sent back
/// to the application: unknown client, unregistered redirect URI, bad CSRF token (RFC 6749 §4.1.2.1).
struct BrowserPageError: HTTPResponseError {
    var status: HTTPResponse.Status
    var title: String
    var message: String
    /// The issuer's path, for the style sheet's URL.
    var assetBase: String
    var headers: HTTPFields = [:]

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let html = HTMLTemplates.render(
            "error",
            ["title": self.title, "message": self.message, "status": "\(self.status.code)", "assetBase": self.assetBase]
        )
        var headers = BrowserSecurity.htmlHeaders(contentSecurityPolicy: BrowserSecurity.staticPagePolicy)
        headers.append(contentsOf: self.headers)
        return Response(status: self.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// An authorization error returned to the application's (registered, exactly matched) redirect URI in the
/// request's response mode, with `error`, `error_description` and `state` (RFC 6749 §4.1.2.1, §4.2.2.1;
/// OIDC Core §3.1.2.6).
struct AuthorizationRedirectError: HTTPResponseError {
    var redirect: AuthorizationRedirect
    var code: OAuthError.Code
    var description: String

    var status: HTTPResponse.Status { .seeOther }

    init(_ code: OAuthError.Code, _ description: String, redirect: AuthorizationRedirect) {
        self.code = code
        self.description = description
        self.redirect = redirect
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        self.redirect.response([("error", self.code.rawValue), ("error_description", self.description)])
    }
}

extension OAuthError.Code {
    /// RFC 6749 §4.1.2.1: the resource owner or server denied the request.
    static let accessDenied = OAuthError.Code(rawValue: "access_denied")
    /// RFC 6749 §4.1.2.1: the server does not support this response type.
    static let unsupportedResponseType = OAuthError.Code(rawValue: "unsupported_response_type")
    /// OIDC Core §3.1.2.6: `prompt=none` and nobody is signed in.
    static let loginRequired = OAuthError.Code(rawValue: "login_required")
    /// OIDC Core §3.1.2.6: the `request` parameter is not supported.
    static let requestNotSupported = OAuthError.Code(rawValue: "request_not_supported")
    /// OIDC Core §3.1.2.6: the `request_uri` parameter is not supported.
    static let requestURINotSupported = OAuthError.Code(rawValue: "request_uri_not_supported")
    /// RFC 6750 §3.1: the token lacks a scope the resource needs.
    static let insufficientScope = OAuthError.Code(rawValue: "insufficient_scope")
}

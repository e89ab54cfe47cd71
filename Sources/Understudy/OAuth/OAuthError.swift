import Foundation
import HTTPTypes
import Hummingbird

/// An OAuth error response: RFC 6749 §5.2 JSON with `Cache-Control: no-store`, or RFC 6750 for bearer errors.
struct OAuthError: HTTPResponseError, Equatable {
    /// Error codes from RFC 6749 §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1 and OIDC Core §3.1.2.6. An open set.
    struct Code: Sendable, Hashable, CustomStringConvertible {
        let rawValue: String
        var description: String { self.rawValue }

        /// RFC 6749 §5.2: missing or repeated parameter, malformed request.
        static let invalidRequest = Code(rawValue: "invalid_request")
        /// RFC 6749 §5.2: client authentication failed.
        static let invalidClient = Code(rawValue: "invalid_client")
        /// RFC 6749 §5.2: grant (code, refresh token, credentials) invalid or expired.
        static let invalidGrant = Code(rawValue: "invalid_grant")
        /// RFC 6749 §5.2: this client may not use this grant type.
        static let unauthorizedClient = Code(rawValue: "unauthorized_client")
        /// RFC 6749 §5.2: the server does not support the grant type.
        static let unsupportedGrantType = Code(rawValue: "unsupported_grant_type")
        /// RFC 6749 §5.2: scope unknown or beyond what the client may have.
        static let invalidScope = Code(rawValue: "invalid_scope")
        /// RFC 7009 §2.2.1: the server cannot revoke this kind of token.
        static let unsupportedTokenType = Code(rawValue: "unsupported_token_type")
        /// RFC 6750 §3.1: the bearer token is missing the mark.
        static let invalidToken = Code(rawValue: "invalid_token")
        /// RFC 6749 §4.1.2.1: unexpected condition.
        static let serverError = Code(rawValue: "server_error")
        /// RFC 6749 §4.1.2.1: temporarily overloaded or unavailable.
        static let temporarilyUnavailable = Code(rawValue: "temporarily_unavailable")
    }

    var code: Code
    var errorDescription: String?
    var status: HTTPResponse.Status
    var headers: HTTPFields
    /// False for an RFC 6750 §3.1 challenge to a request without credentials, which carries no error code.
    var hasBody = true

    init(_ code: Code, _ description: String? = nil, status: HTTPResponse.Status = .badRequest, headers: HTTPFields = [:]) {
        self.code = code
        self.errorDescription = description
        self.status = status
        self.headers = headers
    }

    /// `invalid_client` with 401 and a `WWW-Authenticate: Basic` challenge (RFC 6749 §5.2).
    static func invalidClient(_ description: String) -> OAuthError {
        OAuthError(.invalidClient, description, status: .unauthorized, headers: [.wwwAuthenticate: #"Basic realm="understudy", charset="UTF-8""#])
    }

    private struct Body: Encodable {
        var error: String
        var errorDescription: String?

        enum CodingKeys: String, CodingKey {
            case error
            case errorDescription = "error_description"
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        guard self.hasBody else {
            var headers = self.headers
            headers[.cacheControl] = "no-store"
            headers[.contentLength] = "0"
            return Response(status: self.status, headers: headers)
        }
        let body = try JSONEncoder().encode(Body(error: self.code.rawValue, errorDescription: self.errorDescription))
        var headers = self.headers
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        headers[.pragma] = "no-cache"
        return Response(status: self.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

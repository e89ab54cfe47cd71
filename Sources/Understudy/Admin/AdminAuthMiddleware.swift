import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Closes the admin API to requests without `Authorization: Bearer <admin token>` (RFC 6750 challenges,
/// problem-details bodies). Tokens are compared as SHA-256 digests, in constant time.
struct AdminAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    private let expected: SHA256.Digest

    init(token: String) {
        self.expected = SHA256.hash(data: Data(token.utf8))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let authorization = request.headers[.authorization] else {
            throw AdminProblem(.unauthorized, "the admin API needs the admin token as a bearer token", headers: Self.challenge(nil))
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        // RFC 6750 §3.1: another scheme is a request without bearer credentials (a bare challenge); a
        // Bearer header without a token is a malformed request (400).
        guard parts.first?.lowercased() == "bearer" else {
            throw AdminProblem(.unauthorized, "the admin API needs the admin token as a bearer token", headers: Self.challenge(nil))
        }
        guard parts.count == 2, !parts[1].trimmingHTTPWhitespace().isEmpty else {
            throw AdminProblem(.badRequest, "the Bearer credentials are empty", headers: Self.challenge("invalid_request"))
        }
        // Digest == is constant-time in swift-crypto; hashing first makes the lengths equal too.
        guard SHA256.hash(data: Data(parts[1].trimmingHTTPWhitespace().utf8)) == self.expected else {
            throw AdminProblem(.unauthorized, "the admin token is wrong", headers: Self.challenge("invalid_token"))
        }
        return try await next(request, context)
    }

    private static func challenge(_ error: String?) -> HTTPFields {
        var value = #"Bearer realm="understudy-admin""#
        if let error { value += #", error="\#(error)""# }
        return [.wwwAuthenticate: value]
    }
}

import HTTPTypes
import Hummingbird

/// Answers a request no route takes in the format of the protocol its path belongs to: OAuth error JSON
/// under `/oauth2` and for discovery and JWKS paths (405 with `Allow` for a known endpoint asked with another
/// method), SCIM errors under
/// `/scim/v2` and IDCS's SCIM paths, problem details for the rest of `/admin/v1`, and the HTML error page
/// for everything else. Added to the router after every route, so it wraps only the not-found answer.
struct UnmatchedRouteMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The issuer's path, which every route sits under.
    let issuerPath: String

    /// The OAuth back-channel endpoints and the methods they serve.
    static var oauthEndpoints: [String: String] {
        var endpoints: [String: String] = [:]
        for path in TokenController.paths + RevocationController.paths + IntrospectionController.paths { endpoints["/" + path] = "POST, OPTIONS" }
        for path in UserInfoController.paths { endpoints["/" + path] = "GET, POST, OPTIONS" }
        return endpoints
    }

    static var scimResources: [String] { ["Users", "Groups", "Me", "ServiceProviderConfig", "ServiceProviderConfigs", "ResourceTypes", "Schemas"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            throw Self.answer(path: self.relativePath(request.uri.path), method: request.method, assetBase: self.issuerPath)
        }
    }

    private func relativePath(_ path: String) -> String {
        guard !self.issuerPath.isEmpty, path.hasPrefix(self.issuerPath) else { return path }
        return String(path.dropFirst(self.issuerPath.count))
    }

    static func answer(path: String, method: HTTPRequest.Method, assetBase: String) -> any Error {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        if let allowed = Self.oauthEndpoints[trimmed] {
            return OAuthError(
                .invalidRequest,
                "\(method.rawValue) is not served here; use \(allowed)",
                status: .methodNotAllowed,
                headers: [.allow: allowed]
            )
        }
        // Discovery documents and key sets (with the Cognito pool's and IDCS's paths) are JSON and GET only.
        if path.contains("/.well-known/") || path == "/admin/v1/SigningCert/jwk" {
            let documents = ["/openid-configuration", "/oauth-authorization-server", "/jwks.json", "/SigningCert/jwk"]
            guard documents.contains(where: trimmed.hasSuffix) else {
                return OAuthError(.invalidRequest, "there is no document at this path", status: .notFound)
            }
            return OAuthError(.invalidRequest, "\(method.rawValue) is not served here; use GET", status: .methodNotAllowed, headers: [.allow: "GET"])
        }
        if path.hasPrefix("/oauth2/"), !path.hasPrefix("/oauth2/authorize"), !path.hasPrefix("/oauth2/v1/authorize"),
            !path.hasPrefix("/oauth2/v1/userlogout")
        {
            return OAuthError(.invalidRequest, "there is no OAuth endpoint at this path", status: .notFound)
        }
        let isSCIM =
            path.hasPrefix("/scim/v2/") || path == "/scim/v2"
            || Self.scimResources.contains { path == "/admin/v1/\($0)" || path.hasPrefix("/admin/v1/\($0)/") }
        if isSCIM { return SCIMError.notFound("there is no SCIM resource or endpoint at this path for \(method.rawValue)") }
        if path.hasPrefix("/admin/v1/") || path == "/admin/v1" {
            return AdminProblem(.notFound, "there is no admin endpoint at this path for \(method.rawValue)")
        }
        return BrowserPageError(status: .notFound, title: "Not found", message: "There is no page at this address.", assetBase: assetBase)
    }
}

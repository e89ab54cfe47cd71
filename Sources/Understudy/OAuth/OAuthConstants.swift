/// Grant types (RFC 6749 §4, OIDC Core).
enum GrantType {
    static let clientCredentials = "client_credentials"
    static let authorizationCode = "authorization_code"
    static let refreshToken = "refresh_token"
    static let implicit = "implicit"
    static let password = "password"

    /// Every grant type a client may list in the seed.
    static let all: Set<String> = [clientCredentials, authorizationCode, refreshToken, implicit, password]
    /// Grant types the token endpoint serves.
    static let served: [String] = [authorizationCode, refreshToken, clientCredentials, password]
    /// Grant types discovery lists: the token endpoint's and implicit (served by the authorization endpoint).
    static let advertised: [String] = [authorizationCode, implicit, refreshToken, clientCredentials, password]
}

/// Client authentication methods at the token, introspection and revocation endpoints (RFC 6749 §2.3.1).
enum ClientAuthMethod {
    static let basic = "client_secret_basic"
    static let post = "client_secret_post"
    static let served = [basic, post]
}

/// Scopes defined by OpenID Connect (and `groups`), which exist without being seeded.
enum StandardScope {
    static let openid = "openid"
    static let profile = "profile"
    static let email = "email"
    static let phone = "phone"
    static let groups = "groups"
    static let offlineAccess = "offline_access"

    static let all: Set<String> = [openid, profile, email, phone, groups, offlineAccess]
    /// Descriptions stored with the built-in scopes.
    static let descriptions: [String: String] = [
        openid: "Sign the user in with OpenID Connect",
        profile: "The user's name",
        email: "The user's email address",
        phone: "The user's phone number",
        groups: "The user's group memberships",
        offlineAccess: "Refresh tokens",
    ]
}

/// Token claim shapes a client can ask for.
enum Dialect: String, Sendable, Codable, CaseIterable {
    case generic
    case cognito
    case idcs
}

/// JWS algorithms Understudy signs with (RFC 7518 §3).
public enum SigningAlgorithm: String, Sendable, Codable, CaseIterable {
    case rs256 = "RS256"
    case es256 = "ES256"
}

/// Checks on the issuer URL (OIDC Discovery §3: https or http URL, no query or fragment).
enum IssuerURL {
    /// Why `issuer` is not usable, or nil when it is.
    static func problem(with issuer: String) -> String? {
        guard let url = URLParts(issuer), url.scheme == "http" || url.scheme == "https", !url.host.isEmpty else {
            return "'\(issuer)' must be an absolute http(s) URL"
        }
        guard !url.hasQueryOrFragment else { return "'\(issuer)' must not have a query or fragment" }
        guard !url.path.hasPrefix("//"), !url.path.contains(";") else { return "'\(issuer)' has a path that cannot be used (// or ;)" }
        guard !issuer.hasSuffix("/") else { return "'\(issuer)' must not end with '/'" }
        return nil
    }
}

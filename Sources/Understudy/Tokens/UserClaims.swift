import Crypto
import Foundation

/// The claims about a user that each scope releases (OIDC Core §5.4), shared by ID tokens and userinfo.
enum UserClaims {
    /// `sub` plus the claims `scopes` allow: `profile`, `email`, `phone`, and `groups` (group names).
    static func claims(of account: UserRepository.Account, scopes: [String]) -> [String: JSONValue] {
        let user = account.user
        var claims: [String: JSONValue] = ["sub": .string(user.id)]
        func put(_ name: String, _ value: String?) {
            if let value { claims[name] = .string(value) }
        }
        if scopes.contains(StandardScope.profile) {
            put("name", user.name)
            put("given_name", user.givenName)
            put("family_name", user.familyName)
            claims["preferred_username"] = .string(user.username)
            claims["updated_at"] = .int(Int(user.updatedAt.timeIntervalSince1970))
        }
        if scopes.contains(StandardScope.email), let email = user.email {
            claims["email"] = .string(email)
            claims["email_verified"] = .bool(user.emailVerified)
        }
        if scopes.contains(StandardScope.phone), let phone = user.phoneNumber {
            claims["phone_number"] = .string(phone)
            claims["phone_number_verified"] = .bool(false)
        }
        if scopes.contains(StandardScope.groups) {
            claims["groups"] = .array(account.groups.map(JSONValue.string))
        }
        return claims
    }

    /// `at_hash` / `c_hash` (OIDC Core §3.1.3.6): the left half of the hash of the value, base64url.
    /// RS256 and ES256 both hash with SHA-256.
    static func halfHash(_ value: String) -> String {
        let digest = Array(SHA256.hash(data: Data(value.utf8)))
        return Base64URL.encode(digest.prefix(digest.count / 2))
    }

    /// base64url(SHA-256(value)), the PKCE S256 transform (RFC 7636 §4.2).
    static func fullHashBase64URL(_ value: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Data(value.utf8))))
    }
}

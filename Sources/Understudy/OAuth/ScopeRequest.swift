/// The `scope` parameter (RFC 6749 §3.3): parsed, checked against what the client may have.
enum ScopeRequest {
    /// Scopes to grant. No `scope` → the client's default scopes; any scope beyond the client's → `invalid_scope`.
    /// - Parameter userless: no user is involved (client credentials), so user scopes such as `openid` are refused.
    /// Without `scope`, a user grant gets `default_scopes` or else every scope of the client (as Cognito does).
    static func grant(requested: String?, client: Client, userless: Bool) throws(OAuthError) -> [String] {
        let defaults = userless ? client.defaultScopes : (client.record.defaultScopes ?? client.scopes)
        let scopes = requested.map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init).uniqued() } ?? defaults
        for scope in scopes {
            guard scope.unicodeScalars.allSatisfy({ $0.value == 0x21 || (0x23...0x5B).contains($0.value) || (0x5D...0x7E).contains($0.value) }) else {
                throw OAuthError(.invalidScope, "scope contains characters RFC 6749 §3.3 does not allow")
            }
            guard client.scopes.contains(scope) else {
                throw OAuthError(.invalidScope, "scope '\(scope.prefix(100))' is not allowed for this client")
            }
            if userless, StandardScope.all.contains(scope) {
                throw OAuthError(.invalidScope, "scope '\(scope)' needs a signed-in user; client_credentials has none")
            }
        }
        return scopes
    }
}

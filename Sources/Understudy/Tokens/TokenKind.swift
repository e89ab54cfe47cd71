/// Whether a verified token is an access token or an ID token, by each dialect's marker: RFC 9068 `typ`
/// (generic), `token_use` (Cognito) or `tok_type` (IDCS).
enum TokenKind: Equatable {
    case access
    case id
    case unknown

    /// The dialect that issued the token, by the same markers.
    static func dialect(of verified: TokenVerifier.Verified) -> Dialect {
        if verified.type != nil { return .generic }
        if verified.claims["token_use"] != nil { return .cognito }
        if verified.claims["tok_type"] != nil { return .idcs }
        return .generic
    }

    init(_ verified: TokenVerifier.Verified) {
        // Generic tokens carry a JOSE typ, which no hook can change; Cognito and IDCS tokens have none.
        switch verified.type {
        case "at+jwt":
            self = .access
            return
        case "JWT":
            self = .id
            return
        default: break
        }
        switch verified.claims.string("token_use") ?? verified.claims.string("tok_type") {
        case "access", "AT": self = .access
        case "id", "IT": self = .id
        default: self = .unknown
        }
    }
}

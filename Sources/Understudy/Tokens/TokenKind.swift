/// Whether a verified token is an access token or an ID token, by each dialect's marker: RFC 9068 `typ`
/// (generic), `token_use` (Cognito) or `tok_type` (IDCS).
enum TokenKind: Equatable {
    case access
    case id
    case unknown

    init(_ verified: TokenVerifier.Verified) {
        if verified.type == "at+jwt" {
            self = .access
            return
        }
        switch verified.claims.string("token_use") ?? verified.claims.string("tok_type") {
        case "access", "AT": self = .access
        case "id", "IT": self = .id
        default: self = verified.type == "JWT" && verified.claims["auth_time"] != nil ? .id : .unknown
        }
    }
}

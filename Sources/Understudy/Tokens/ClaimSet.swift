import JWTKit

/// A JWT payload as a map of claim names to JSON values.
///
/// Dialects and the pre-token-generation hook add, override and suppress claims by name, so the payload is
/// built as a map rather than a fixed struct. Expiry and issuer are checked by ``TokenVerifier`` with the
/// server's clock, so ``verify(using:)`` has nothing left to do.
struct ClaimSet: JWTPayload, Equatable {
    var claims: [String: JSONValue]

    init(_ claims: [String: JSONValue] = [:]) {
        self.claims = claims
    }

    subscript(name: String) -> JSONValue? {
        get { self.claims[name] }
        set { self.claims[name] = newValue }
    }

    func string(_ name: String) -> String? {
        self.claims[name]?.stringValue
    }

    func int(_ name: String) -> Int? {
        switch self.claims[name] {
        case .int(let value): value
        case .double(let value) where value.isFinite && value.rounded() == value && abs(value) < 1e15: Int(value)
        default: nil
        }
    }

    /// `aud` as a list, whether the token carries a string or an array (RFC 7519 §4.1.3).
    var audience: [String] {
        switch self.claims["aud"] {
        case .string(let value): [value]
        case .array(let values): values.compactMap(\.stringValue)
        default: []
        }
    }

    init(from decoder: any Decoder) throws {
        self.claims = try [String: JSONValue](from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        try self.claims.encode(to: encoder)
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

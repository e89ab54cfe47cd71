import Foundation
import JWTKit

/// Checks a token the way a careful relying party would: our key and its algorithm, signature, issuer,
/// lifetime by the server's clock, and revocation.
struct TokenVerifier: Sendable {
    /// Every issuer this server signs as (one per dialect).
    let issuers: Set<String>
    let keys: SigningKeys
    let revocations: RevocationRepository
    let now: @Sendable () -> Date
    /// Allowed clock skew for `iat`/`nbf` in the future, in seconds.
    var leeway: Int = 60

    /// A token that passed every check.
    struct Verified: Sendable {
        var claims: ClaimSet
        /// The JOSE header `typ`, e.g. `at+jwt` for access tokens.
        var type: String?
    }

    /// Why a token was refused (for logs and `error_description`; callers choose the error code).
    enum Failure: Error, Equatable, CustomStringConvertible {
        case malformed, unknownKey, wrongAlgorithm, badSignature, wrongIssuer, expired, notYetValid, revoked

        var description: String {
            switch self {
            case .malformed: "the token is not a well-formed JWS"
            case .unknownKey: "the token is not signed by a key of this server"
            case .wrongAlgorithm: "the token's alg does not match its key"
            case .badSignature: "the token's signature is invalid"
            case .wrongIssuer: "the token was issued by another issuer"
            case .expired: "the token has expired"
            case .notYetValid: "the token is not valid yet"
            case .revoked: "the token has been revoked"
            }
        }
    }

    /// - Parameter asHint: check only key, signature and issuer (an `id_token_hint` may have expired).
    func verify(_ token: String, asHint: Bool = false) async throws(Failure) -> Verified {
        let header = try Self.header(of: token)
        guard let kid = header["kid"]?.stringValue, let key = self.keys.verificationKey(kid: kid, now: self.now()) else {
            throw .unknownKey
        }
        guard header["alg"]?.stringValue == key.algorithm.rawValue else { throw .wrongAlgorithm }
        let claims: ClaimSet
        do {
            claims = try await self.keys.ring.collection.verify(token, as: ClaimSet.self)
        } catch {
            throw .badSignature
        }
        guard let issuer = claims.string("iss"), self.issuers.contains(issuer) else { throw .wrongIssuer }
        if asHint { return Verified(claims: claims, type: header["typ"]?.stringValue) }
        let now = Int(self.now().timeIntervalSince1970)
        guard let expiry = claims.int("exp"), expiry > now else { throw .expired }
        if let notBefore = claims.int("nbf"), notBefore > now + self.leeway { throw .notYetValid }
        if let issuedAt = claims.int("iat"), issuedAt > now + self.leeway { throw .notYetValid }
        if let jti = claims.string("jti"), self.revocations.isRevoked(jti: jti) { throw .revoked }
        return Verified(claims: claims, type: header["typ"]?.stringValue)
    }

    /// The decoded JOSE header, or `.malformed`.
    static func header(of token: String) throws(Failure) -> [String: JSONValue] {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }), let bytes = Base64URL.decode(parts[0]),
            let header = try? JSONDecoder().decode([String: JSONValue].self, from: Data(bytes))
        else { throw .malformed }
        return header
    }
}

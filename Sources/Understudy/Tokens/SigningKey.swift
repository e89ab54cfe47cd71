import Crypto
import ExtrasBase64
import Foundation
import JWTKit

/// One private signing key with its algorithm, RFC 7638 thumbprint `kid` and public JWK.
///
/// jwt-kit holds the key for verification; ``signer`` holds it in OpenSSL for signing tokens.
struct SigningKey: Sendable {
    enum Material: Sendable {
        case rsa(JWTKit.Insecure.RSA.PrivateKey)
        case ecdsa(ES256PrivateKey)
    }

    let material: Material
    let algorithm: SigningAlgorithm
    let kid: String
    let publicJWK: PublicJWK
    /// Signs this server's tokens.
    let signer: OpenSSLSigner
    /// Where it came from, e.g. `keys/dev-rsa.pem`.
    let source: String

    /// Parses a PEM private key: RSA (→ RS256) or EC P-256 (→ ES256).
    init(pem: String, source: String) throws {
        self.source = source
        guard let signer = OpenSSLSigner(pem: pem) else { throw SigningKeyError.unreadable(source) }
        self.signer = signer
        if let rsa = try? JWTKit.Insecure.RSA.PrivateKey(pem: pem) {
            let primitives = try rsa.publicKey.getKeyPrimitives()
            let n = Base64URL.encode(Self.trimmingLeadingZeros(primitives.modulus))
            let e = Base64URL.encode(Self.trimmingLeadingZeros(primitives.publicExponent))
            self.material = .rsa(rsa)
            self.algorithm = .rs256
            self.kid = Self.thumbprint(#"{"e":"\#(e)","kty":"RSA","n":"\#(n)"}"#)
            self.publicJWK = PublicJWK(kty: "RSA", use: "sig", alg: "RS256", kid: self.kid, n: n, e: e)
        } else if let ec = try? ES256PrivateKey(pem: pem), let (x, y) = ec.publicKey.parameters {
            self.material = .ecdsa(ec)
            self.algorithm = .es256
            self.kid = Self.thumbprint(#"{"crv":"P-256","kty":"EC","x":"\#(x)","y":"\#(y)"}"#)
            self.publicJWK = PublicJWK(kty: "EC", use: "sig", alg: "ES256", kid: self.kid, crv: "P-256", x: x, y: y)
        } else {
            throw SigningKeyError.unreadable(source)
        }
        guard signer.algorithm == self.algorithm else { throw SigningKeyError.unreadable(source) }
    }

    /// RFC 7638 JWK thumbprint: SHA-256 of the canonical JSON of the required members, base64url.
    static func thumbprint(_ canonicalJSON: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Data(canonicalJSON.utf8))))
    }

    /// RFC 7518 §6.3.1: Base64urlUInt has no leading zero octets.
    static func trimmingLeadingZeros(_ data: Data) -> [UInt8] {
        let bytes = Array(data.drop(while: { $0 == 0 }))
        return bytes.isEmpty ? [0] : bytes
    }
}

/// The public half of a signing key as published in the JWKS (RFC 7517), never carrying private members.
struct PublicJWK: Codable, Sendable, Equatable {
    var kty: String
    var use: String
    var alg: String
    var kid: String
    var n: String?
    var e: String?
    var crv: String?
    var x: String?
    var y: String?
}

enum SigningKeyError: Error, CustomStringConvertible {
    case unreadable(String)
    case noKeys(String)
    case missingAlgorithm(SigningAlgorithm, String)

    var description: String {
        switch self {
        case .unreadable(let file): "\(file): not a PEM RSA or P-256 EC private key"
        case .noKeys(let folder): "no signing keys (*.pem) in '\(folder)'; create some with `understudy keys generate --dir \(folder)`"
        case .missingAlgorithm(let algorithm, let folder): "no \(algorithm.rawValue) key in '\(folder)', but a client signs with it"
        }
    }
}

/// base64url without padding (RFC 7515 §2).
enum Base64URL {
    static func encode(_ bytes: some Collection<UInt8>) -> String {
        Base64.encodeToString(bytes: bytes, options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }

    static func decode(_ string: some StringProtocol) -> [UInt8]? {
        try? Base64.decode(string: String(string), options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }
}

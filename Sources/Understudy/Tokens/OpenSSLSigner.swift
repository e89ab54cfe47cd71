internal import COpenSSLSigner

/// Signs JWS signing inputs with a private key held by the system OpenSSL's libcrypto (RS256, ES256).
///
/// Token issuance is bound by RSA signing; OpenSSL's RSA is about twice as fast here as the BoringSSL
/// build inside swift-crypto that jwt-kit uses (see bench/README.md). Verification stays with jwt-kit.
final class OpenSSLSigner: Sendable {
    private nonisolated(unsafe) let handle: OpaquePointer
    let algorithm: SigningAlgorithm
    private let maxSignatureLength: Int

    /// Parses `pem`; nil unless it is an RSA key or a P-256 EC key.
    init?(pem: String) {
        var kind: Int32 = 0
        let parsed = pem.utf8CString.withUnsafeBufferPointer { buffer in
            us_signer_new_from_pem(buffer.baseAddress, buffer.count - 1, &kind)
        }
        guard let parsed else { return nil }
        self.handle = parsed
        self.algorithm = kind == Int32(US_SIGNER_RSA_SHA256.rawValue) ? .rs256 : .es256
        self.maxSignatureLength = us_signer_max_signature_length(parsed)
    }

    deinit {
        us_signer_free(self.handle)
    }

    /// The JWS signature of `input`: PKCS #1 v1.5 with SHA-256, or ECDSA P-256 as r‖s (RFC 7518 §3.3, §3.4).
    func sign(_ input: [UInt8]) throws(SigningError) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: self.maxSignatureLength)
        let length = input.withUnsafeBufferPointer { message in
            signature.withUnsafeMutableBufferPointer { output in
                us_signer_sign(self.handle, message.baseAddress, message.count, output.baseAddress, output.count)
            }
        }
        guard length > 0 else { throw SigningError() }
        signature.removeLast(signature.count - length)
        return signature
    }

    /// OpenSSL refused to sign (out of memory, or a key it cannot use).
    struct SigningError: Error, CustomStringConvertible {
        var description: String { "OpenSSL could not sign the token" }
    }
}

import Crypto
import Foundation
import Synchronization

/// Checks client secrets against their stored bcrypt hash, fast after the first success.
///
/// The database keeps only bcrypt hashes. The first correct secret for a hash costs one bcrypt check (off the
/// event loop); its HMAC-SHA-256 under a key that lives only in this process is then remembered for that hash,
/// so later requests cost one HMAC and a constant-time comparison. A wrong secret always pays the full bcrypt
/// check, which keeps guessing slow. Changing a client's secret changes its hash, which forgets the old entry.
final class ClientSecretVerifier: Sendable {
    /// HMAC-SHA-256 already keyed (a random key that lives only in this process); copied for each secret.
    private let keyed = HMAC<SHA256>(key: SymmetricKey(size: .bits256))
    private let verified = Mutex<[String: HashedAuthenticationCode<SHA256>]>([:])

    func verify(_ secret: String, hash: String) async throws -> Bool {
        let mac = self.mac(secret)
        // A mismatch falls through to bcrypt, so a wrong secret costs the same whether or not the right one
        // was seen before.
        if self.isKnown(mac, hash: hash) { return true }
        guard try await PasswordHasher.verify(secret, hash: hash) else { return false }
        self.verified.withLock { $0[hash] = mac }
        return true
    }

    /// True when `secret` is the one already verified for `hash`; false means only "not known yet": the
    /// caller then asks ``verify(_:hash:)``, which does not answer without bcrypt.
    func isVerifiedBefore(_ secret: String, hash: String) -> Bool {
        self.isKnown(self.mac(secret), hash: hash)
    }

    private func mac(_ secret: String) -> HashedAuthenticationCode<SHA256> {
        var hmac = self.keyed
        hmac.update(data: Array(secret.utf8))
        return hmac.finalize()
    }

    /// HashedAuthenticationCode's == compares in constant time.
    private func isKnown(_ mac: HashedAuthenticationCode<SHA256>, hash: String) -> Bool {
        guard let known = self.verified.withLock({ $0[hash] }) else { return false }
        return known == mac
    }

    /// Spends one bcrypt check on a secret presented for a client that does not exist, so response times do
    /// not tell which client ids exist.
    func rejectUnknownClient(secret: String?) async throws {
        _ = try await PasswordHasher.verify(secret ?? "", hash: PasswordHasher.decoyHash)
    }
}

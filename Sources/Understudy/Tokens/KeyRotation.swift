import Foundation
import NIOPosix

/// Rotates and deletes signing keys, one change at a time from start to end; each is recorded in the
/// database before the live ``SigningKeys`` use it.
final class KeyRotation: Sendable {
    let keys: SigningKeys
    let repository: SigningKeyRepository
    let now: @Sendable () -> Date
    private let queue = SerialQueue()

    init(keys: SigningKeys, repository: SigningKeyRepository, now: @escaping @Sendable () -> Date) {
        self.keys = keys
        self.repository = repository
        self.now = now
    }

    /// Why a key cannot be deleted.
    enum DeleteError: Error, Equatable {
        case unknown
        case active
    }

    /// Generates a key for `algorithm` and makes it sign from now on. The key it replaces keeps verifying,
    /// and stays in the JWKS, for `grace` seconds.
    /// - Returns: the new key and the kid of the key it replaced.
    func rotate(_ algorithm: SigningAlgorithm, grace: Int) async throws -> (key: SigningKey, replaced: String?) {
        // RSA key generation takes tens of milliseconds: not on an event loop.
        let pem = try await NIOThreadPool.singleton.runIfActive { try KeyGenerator.pem(algorithm) }
        return try await self.queue.run { try await self.install(pem: pem, algorithm: algorithm, grace: grace) }
    }

    private func install(pem: String, algorithm: SigningAlgorithm, grace: Int) async throws -> (key: SigningKey, replaced: String?) {
        let key = try SigningKey(pem: pem, source: "generated")
        let now = self.now()
        let previous = self.keys.activeKey(for: algorithm)
        let retiredUntil = now.addingTimeInterval(TimeInterval(grace))
        try await self.repository.activate(key, pem: pem, replacing: previous?.kid, retiredUntil: retiredUntil, now: now)
        var expiries = self.keys.expiries
        if let previous { expiries[previous.kid] = retiredUntil }
        try self.keys.install(try await self.keys.ring.promoting(key), expiries: expiries, now: now)
        return (key, previous?.kid)
    }

    /// Removes a retired (or expired) key at once: tokens it signed stop verifying.
    func delete(kid: String) async throws {
        try await self.queue.run {
            let ring = self.keys.ring
            guard !ring.active.values.contains(where: { $0.kid == kid }) else { throw DeleteError.active }
            // An expired key may be gone from the ring since a restart, but not from the records.
            guard try await self.repository.markDeleted(kid: kid) else { throw DeleteError.unknown }
            guard ring.key(kid: kid) != nil else { return }
            var expiries = self.keys.expiries
            expiries[kid] = nil
            try self.keys.install(try await ring.removing(kid: kid), expiries: expiries, now: self.now())
        }
    }
}

import Foundation
import NIOCore
import Synchronization

/// The live signing keys: the current ``KeyRing`` and when each retired key leaves it, replaced as a whole
/// when keys rotate or are deleted.
///
/// A retired key keeps verifying and stays in the JWKS until its grace period ends, so tokens it signed
/// keep working until they expire.
final class SigningKeys: Sendable {
    private struct State {
        var ring: KeyRing
        /// kid → the instant the key stops verifying and leaves the JWKS.
        var expiries: [String: Date]
        /// The published JWKS and the instant it must be rebuilt (the next expiry), if any.
        var jwks: ByteBuffer
        var jwksValidUntil: Date?
    }

    private let state: Mutex<State>

    init(ring: KeyRing, expiries: [String: Date] = [:], now: Date) throws {
        let (jwks, validUntil) = try Self.jwks(ring, expiries: expiries, now: now)
        self.state = Mutex(State(ring: ring, expiries: expiries, jwks: jwks, jwksValidUntil: validUntil))
    }

    /// The current ring (every key, expired ones included until the next replacement).
    var ring: KeyRing { self.state.withLock { $0.ring } }

    /// The key that signs new tokens of `algorithm`.
    func activeKey(for algorithm: SigningAlgorithm) -> SigningKey? {
        self.state.withLock { $0.ring.active[algorithm] }
    }

    /// The key `kid` if it may still verify tokens at `now`.
    func verificationKey(kid: String, now: Date) -> SigningKey? {
        self.state.withLock { state in
            if let expiry = state.expiries[kid], expiry <= now { return nil }
            return state.ring.key(kid: kid)
        }
    }

    /// `{"keys":[…]}` of the keys that verify at `now`, encoded once per change.
    func jwks(now: Date) -> ByteBuffer {
        self.state.withLock { state in
            if let validUntil = state.jwksValidUntil, validUntil <= now,
                let (jwks, next) = try? Self.jwks(state.ring, expiries: state.expiries, now: now)
            {
                state.jwks = jwks
                state.jwksValidUntil = next
            }
            return state.jwks
        }
    }

    /// Puts `ring` in use.
    func install(_ ring: KeyRing, expiries: [String: Date], now: Date) throws {
        let (jwks, validUntil) = try Self.jwks(ring, expiries: expiries, now: now)
        self.state.withLock { $0 = State(ring: ring, expiries: expiries, jwks: jwks, jwksValidUntil: validUntil) }
    }

    /// When each retired key leaves the ring, by kid.
    var expiries: [String: Date] { self.state.withLock { $0.expiries } }

    private static func jwks(_ ring: KeyRing, expiries: [String: Date], now: Date) throws -> (ByteBuffer, Date?) {
        let live = ring.keys.filter { key in expiries[key.kid].map { $0 > now } ?? true }
        let next = live.compactMap { expiries[$0.kid] }.min()
        return (ByteBuffer(bytes: try KeyRing.jwksDocument(live)), next)
    }
}

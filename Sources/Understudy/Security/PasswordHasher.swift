import Foundation
import HummingbirdBcrypt
import NIOPosix

/// bcrypt hashing of passwords and client secrets, run on NIO's blocking thread pool, never on an event loop.
enum PasswordHasher {
    /// bcrypt cost: 2^10 rounds (about 50–100 ms here): slow for guessing, bearable for a test suite's seed.
    static let cost: UInt8 = 10

    static func hash(_ secret: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(secret, cost: cost) }
    }

    static func verify(_ secret: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(secret, hash: hash) }
    }

    /// A bcrypt hash of a random value, made once: checked against when the account does not exist, so
    /// response times do not tell which names exist.
    static let decoyHash = Bcrypt.hash(UUID().uuidString, cost: cost)

    /// True for a modular-crypt bcrypt string (`$2a$`, `$2b$`, `$2y$`, 60 characters).
    static func isBcryptHash(_ value: String) -> Bool {
        value.count == 60 && ["$2a$", "$2b$", "$2y$"].contains(where: value.hasPrefix)
    }
}

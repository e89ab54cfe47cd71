import Foundation
import JWTKit

/// A set of signing keys: which key signs for each algorithm, and a jwt-kit collection to verify with.
/// ``SigningKeys`` holds the ring in use and its JWKS.
struct KeyRing: Sendable {
    let keys: [SigningKey]
    let collection: JWTKeyCollection
    /// The key that signs new tokens, per algorithm: the first of that algorithm in file-name order.
    let active: [SigningAlgorithm: SigningKey]

    init(keys: [SigningKey]) async throws {
        self.keys = keys
        // Verification only (OpenSSLSigner signs), so the collection holds the public halves.
        let collection = JWTKeyCollection()
        var active: [SigningAlgorithm: SigningKey] = [:]
        for key in keys {
            let kid = JWKIdentifier(string: key.kid)
            switch key.material {
            case .rsa(let rsa): await collection.add(rsa: rsa.publicKey, digestAlgorithm: .sha256, kid: kid)
            case .ecdsa(let ec): await collection.add(ecdsa: ec.publicKey, kid: kid)
            }
            if active[key.algorithm] == nil { active[key.algorithm] = key }
        }
        self.collection = collection
        self.active = active
    }

    /// `{"keys":[…]}` of `keys`' public halves.
    static func jwksDocument(_ keys: [SigningKey]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(["keys": keys.map(\.publicJWK)])
    }

    /// The same keys with `key` first among its algorithm's (so it signs), the rest in their order.
    func promoting(_ key: SigningKey) async throws -> KeyRing {
        let others = self.keys.filter { $0.kid != key.kid }
        return try await KeyRing(keys: Self.ordered([key] + others))
    }

    /// The same keys without `kid`.
    func removing(kid: String) async throws -> KeyRing {
        try await KeyRing(keys: self.keys.filter { $0.kid != kid })
    }

    /// Groups keys by algorithm (RSA first), keeping their order within an algorithm.
    static func ordered(_ keys: [SigningKey]) -> [SigningKey] {
        SigningAlgorithm.allCases.flatMap { algorithm in keys.filter { $0.algorithm == algorithm } }
    }

    /// Loads every `*.pem` private key in `folder`: RS256 keys first, each algorithm in file-name order.
    static func load(folder: String) async throws -> KeyRing {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var keys: [SigningKey] = []
        for name in names.filter({ $0.hasSuffix(".pem") }).sorted() {
            let path = (folder as NSString).appendingPathComponent(name)
            let pem = try String(contentsOfFile: path, encoding: .utf8)
            let key = try SigningKey(pem: pem, source: path)
            if !keys.contains(where: { $0.kid == key.kid }) { keys.append(key) }
        }
        guard !keys.isEmpty else { throw SigningKeyError.noKeys(folder) }
        // RSA first: the default algorithm, and what API Gateway JWT authorizers accept.
        return try await KeyRing(keys: Self.ordered(keys))
    }

    /// Algorithms with a key that can sign.
    var algorithms: [SigningAlgorithm] {
        SigningAlgorithm.allCases.filter { self.active[$0] != nil }
    }

    func key(kid: String) -> SigningKey? {
        self.keys.first { $0.kid == kid }
    }
}

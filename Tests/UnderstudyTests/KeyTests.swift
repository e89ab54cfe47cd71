import Foundation
import Testing

@testable import Understudy

@Suite struct KeyTests {
    @Test func thumbprintMatchesRFC7638Example() {
        // RFC 7638 §3.1: the example RSA key and its thumbprint.
        let n =
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        #expect(SigningKey.thumbprint(#"{"e":"AQAB","kty":"RSA","n":"\#(n)"}"#) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    }

    @Test func repositoryKeysLoadWithStableKidsAndRSAFirst() async throws {
        let first = try await repositoryKeys()
        let second = try await repositoryKeys()
        #expect(first.keys.map(\.kid) == second.keys.map(\.kid))
        #expect(first.keys.map(\.algorithm) == [.rs256, .es256])
        #expect(first.active[.rs256]?.publicJWK.n != nil)
        #expect(first.active[.es256]?.publicJWK.crv == "P-256")
        let jwks = String(decoding: try KeyRing.jwksDocument(first.keys), as: UTF8.self)
        #expect(!jwks.contains("\"d\""))
    }

    @Test func generatedKeysLoadAndAreNotOverwritten() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let written = try KeyGenerator.generate(folder: folder, force: false)
        let ring = try await KeyRing.load(folder: folder)
        #expect(Set(ring.keys.map(\.kid)) == Set(written.map(\.kid)))
        let mode = try FileManager.default.attributesOfItem(atPath: written[0].path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(throws: KeyGeneratorError.self) { try KeyGenerator.generate(folder: folder, force: false) }
    }

    @Test func aFolderWithoutKeysOrWithJunkIsAnError() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        await #expect(throws: SigningKeyError.self) { try await KeyRing.load(folder: folder) }
        try "not a key".write(toFile: folder + "/junk.pem", atomically: true, encoding: .utf8)
        await #expect(throws: SigningKeyError.self) { try await KeyRing.load(folder: folder) }
    }
}

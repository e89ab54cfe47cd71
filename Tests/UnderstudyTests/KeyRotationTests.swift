import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Understudy

/// `/admin/v1/keys`: rotation with a grace period, deletion, and what survives a restart.
@Suite struct KeyRotationTests {
    static let admin = AdminTests.admin

    static func kids(_ client: some TestClientProtocol) async throws -> [String] {
        let jwks = try await client.execute(uri: "/.well-known/jwks.json", method: .get).json()
        guard case .array(let keys)? = jwks["keys"] else { throw TestFailure("no keys") }
        return keys.compactMap { key in
            guard case .object(let members) = key else { return nil }
            return members["kid"]?.stringValue
        }
    }

    static func isActive(_ client: some TestClientProtocol, _ token: String) async throws -> Bool {
        let response = try await client.postForm(
            "/oauth2/introspect",
            "token=\(token)",
            headers: [.authorization: basicAuthorization("svc", "s3cret")]
        )
        return try response.json()["active"] == .bool(true)
    }

    static func keyList(_ client: some TestClientProtocol) async throws -> [[String: JSONValue]] {
        let response = try await client.execute(uri: "/admin/v1/keys", method: .get, headers: Self.admin)
        #expect(response.status == .ok)
        guard case .array(let keys)? = try response.json()["keys"] else { throw TestFailure("no keys") }
        return keys.compactMap { if case .object(let members) = $0 { members } else { nil } }
    }

    @Test func rotationSignsWithANewKeyWhileOldTokensVerifyUntilTheGraceEnds() async throws {
        let clock = TestClock(testNow)
        try await makeApp {
            $0.adminToken = AdminTests.adminToken
            $0.now = clock.now
        }.test(.router) { client in
            let relyingParty = RelyingParty(client: client)
            let before = try await client.clientCredentialsToken()
            let oldKID = try TokenVerifier.header(of: before)["kid"]?.stringValue
            let kidsBefore = try await Self.kids(client)

            let rotate = try await AdminTests.postJSON(client, "/admin/v1/keys/rotate", #"{"algorithm":"RS256","grace_seconds":300}"#)
            #expect(rotate.status == .created)
            guard case .array(let rotated)? = try rotate.json()["rotated"], case .object(let entry)? = rotated.first else {
                throw TestFailure("no rotated entry: \(String(buffer: rotate.body))")
            }
            let newKID = try #require(entry["kid"]?.stringValue)
            #expect(entry["replaced"]?.stringValue == oldKID)
            #expect(newKID != oldKID)

            // New tokens carry the new kid; both verify from the published JWKS.
            let after = try await client.clientCredentialsToken()
            #expect(try TokenVerifier.header(of: after)["kid"]?.stringValue == newKID)
            _ = try await relyingParty.verify(after)
            _ = try await relyingParty.verify(before)
            #expect(try await Self.kids(client) == [newKID] + kidsBefore)
            #expect(try await Self.isActive(client, before))

            let listed = try await Self.keyList(client)
            #expect(listed.first { $0["kid"]?.stringValue == newKID }?["status"] == .string("active"))
            let old = try #require(listed.first { $0["kid"]?.stringValue == oldKID })
            #expect(old["status"] == .string("retired"))
            #expect(old["expires_at"] == .string("2027-01-15T08:05:00Z"))

            // After the grace period the old key is gone: from the JWKS, and as a verifier.
            clock.advance(by: 301)
            #expect(try await !Self.kids(client).contains(oldKID ?? ""))
            await #expect(throws: (any Error).self) { try await relyingParty.verify(before) }
            #expect(try await !Self.isActive(client, before))
            #expect(try await Self.isActive(client, try await client.clientCredentialsToken()))
            #expect(try await Self.keyList(client).first { $0["kid"]?.stringValue == oldKID }?["status"] == .string("expired"))
        }
    }

    @Test func rotatingEveryAlgorithmAndDeletingARetiredKey() async throws {
        try await makeApp { $0.adminToken = AdminTests.adminToken }.test(.router) { client in
            let es256 = try await client.clientCredentialsToken(client: "svc:special/ü", secret: "p@ss:w+rd% ü")
            let esKID = try #require(try TokenVerifier.header(of: es256)["kid"]?.stringValue)
            // No body: every algorithm rotates, with the longest token lifetime (the ID token's 3600 s) as grace.
            let rotate = try await client.execute(uri: "/admin/v1/keys/rotate", method: .post, headers: Self.admin)
            #expect(rotate.status == .created)
            guard case .array(let rotated)? = try rotate.json()["rotated"] else { throw TestFailure("no rotated list") }
            #expect(rotated.count == 2)
            #expect(rotated.allSatisfy { if case .object(let m) = $0 { m["grace_seconds"] == .int(3600) } else { false } })

            let newES = try await client.clientCredentialsToken(client: "svc:special/ü", secret: "p@ss:w+rd% ü")
            let newESKID = try #require(try TokenVerifier.header(of: newES)["kid"]?.stringValue)
            let active = try await client.execute(uri: "/admin/v1/keys/\(newESKID)", method: .delete, headers: Self.admin)
            #expect(active.status == .conflict)
            #expect(active.headers[.contentType] == "application/problem+json")

            let deleted = try await client.execute(uri: "/admin/v1/keys/\(esKID)", method: .delete, headers: Self.admin)
            #expect(deleted.status == .noContent)
            #expect(try await !Self.kids(client).contains(esKID))
            #expect(try await Self.isActive(client, newES))
            let introspected = try await client.postForm(
                "/oauth2/introspect",
                "token=\(es256)",
                headers: [.authorization: basicAuthorization("svc", "s3cret")]
            )
            #expect(try introspected.json()["active"] == .bool(false))
            #expect(try await Self.keyList(client).allSatisfy { $0["kid"]?.stringValue != esKID })
            let again = try await client.execute(uri: "/admin/v1/keys/\(esKID)", method: .delete, headers: Self.admin)
            #expect(again.status == .notFound)
        }
    }

    @Test(arguments: [
        #"{"algorithm":"HS256"}"#, #"{"algorithm":"none"}"#, #"{"grace_seconds":"60"}"#, #"{"grace_seconds":-1}"#, #"{"kid":"x"}"#, "[]",
    ])
    func badRotationRequestsAreProblems(body: String) async throws {
        try await makeApp { $0.adminToken = AdminTests.adminToken }.test(.router) { client in
            let kids = try await Self.kids(client)
            let response = try await AdminTests.postJSON(client, "/admin/v1/keys/rotate", body)
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(try await Self.kids(client) == kids)
        }
    }

    @Test func keysAreClosedWithoutTheAdminToken() async throws {
        try await makeApp { $0.adminToken = AdminTests.adminToken }.test(.router) { client in
            let list = try await client.execute(uri: "/admin/v1/keys", method: .get)
            let rotate = try await client.execute(uri: "/admin/v1/keys/rotate", method: .post)
            #expect(list.status == .unauthorized)
            #expect(rotate.status == .unauthorized)
        }
    }

    @Test func aRotatedKeyStaysActiveAndTheRetiredOnePublishedAfterARestart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("understudy.db").path
        let (before, newKID) = try await makeApp(database: try AppDatabase.file(path: path)) { $0.adminToken = AdminTests.adminToken }
            .test(.router) { client in
                let token = try await client.clientCredentialsToken()
                let rotate = try await AdminTests.postJSON(client, "/admin/v1/keys/rotate", #"{"algorithm":"RS256"}"#)
                guard case .array(let rotated)? = try rotate.json()["rotated"], case .object(let entry)? = rotated.first,
                    let kid = entry["kid"]?.stringValue
                else { throw TestFailure("rotation failed: \(String(buffer: rotate.body))") }
                return (token, kid)
            }
        try await makeApp(database: try AppDatabase.file(path: path)) { $0.adminToken = AdminTests.adminToken }.test(.router) { client in
            let after = try await client.clientCredentialsToken()
            #expect(try TokenVerifier.header(of: after)["kid"]?.stringValue == newKID)
            _ = try await RelyingParty(client: client).verify(before)
            #expect(try await Self.isActive(client, before))
            #expect(try await Self.kids(client).first == newKID)
        }
    }

    @Test func concurrentRotationsLeaveOneActiveKeyPerAlgorithmAndEveryRetiredOnePublished() async throws {
        try await makeApp { $0.adminToken = AdminTests.adminToken }.test(.router) { client in
            let kidsBefore = try await Self.kids(client)
            let rotated = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        let response = try await AdminTests.postJSON(client, "/admin/v1/keys/rotate", #"{"algorithm":"RS256"}"#)
                        guard case .array(let entries)? = try response.json()["rotated"], case .object(let entry)? = entries.first,
                            let kid = entry["kid"]?.stringValue
                        else { throw TestFailure("rotation failed: \(String(buffer: response.body))") }
                        return kid
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let listed = try await Self.keyList(client)
            let active = listed.filter { $0["status"] == .string("active") && $0["alg"] == .string("RS256") }
            #expect(active.count == 1)
            let kids = try await Self.kids(client)
            // Every key ever active is still published (grace), and the newest one signs.
            #expect(Set(rotated + kidsBefore).isSubset(of: Set(kids)))
            let token = try await client.clientCredentialsToken()
            #expect(try TokenVerifier.header(of: token)["kid"]?.stringValue == active.first?["kid"]?.stringValue)
            #expect(try TokenVerifier.header(of: token)["kid"]?.stringValue == kids.first)
        }
    }

    @Test func aMintedTokensLifetimeStretchesTheDefaultGrace() async throws {
        try await makeApp { $0.adminToken = AdminTests.adminToken }.test(.router) { client in
            let minted = try await AdminTests.postJSON(client, "/admin/v1/tokens", #"{"client_id":"svc","expires_in":86400}"#)
            #expect(minted.status == .ok)
            let rotate = try await AdminTests.postJSON(client, "/admin/v1/keys/rotate", #"{"algorithm":"RS256"}"#)
            guard case .array(let rotated)? = try rotate.json()["rotated"], case .object(let entry)? = rotated.first else {
                throw TestFailure("no rotation")
            }
            #expect(entry["grace_seconds"] == .int(86400))
        }
    }

    @Test func anExpiredKeyCanBeDeletedAfterARestart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("understudy.db").path
        let clock = TestClock(testNow)
        let configure: (inout ServerConfiguration) -> Void = {
            $0.adminToken = AdminTests.adminToken
            $0.now = clock.now
        }
        let oldKID = try await makeApp(database: try AppDatabase.file(path: path), configure).test(.router) { client in
            let token = try await client.clientCredentialsToken()
            let rotate = try await AdminTests.postJSON(client, "/admin/v1/keys/rotate", #"{"algorithm":"RS256","grace_seconds":10}"#)
            #expect(rotate.status == .created)
            return try #require(try TokenVerifier.header(of: token)["kid"]?.stringValue)
        }
        clock.advance(by: 11)
        try await makeApp(database: try AppDatabase.file(path: path), configure).test(.router) { client in
            let before = try await Self.keyList(client)
            let deleted = try await client.execute(uri: "/admin/v1/keys/\(oldKID)", method: .delete, headers: Self.admin)
            let after = try await Self.keyList(client)
            #expect(before.first { $0["kid"]?.stringValue == oldKID }?["status"] == .string("expired"))
            #expect(deleted.status == .noContent)
            #expect(after.allSatisfy { $0["kid"]?.stringValue != oldKID })
        }
    }
}

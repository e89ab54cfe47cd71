import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Understudy

/// Token issuance, admin and SCIM writes, key rotation and reset at the same time, on a real SQLite file:
/// every answer is the expected one (no "database is locked", no 5xx). `scripts/tsan.sh` runs this under
/// ThreadSanitizer.
@Suite struct ConcurrencyTests {
    @Test func issuanceAndWritesInterleaveWithoutErrors() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try AppDatabase.file(path: folder.appendingPathComponent("understudy.db").path)
        let seed = try SeedLoader.parse(scimSeedYAML, file: "scim.yaml").0
        try await makeApp(seed: seed, database: database) { $0.adminToken = SCIMTest.adminToken }.test(.router) { client in
            let group = try await client.scimGroupID("SPA-Manager")
            let failures = try await withThrowingTaskGroup(of: [String].self) { tasks in
                for worker in 0..<4 {
                    tasks.addTask {
                        var failures: [String] = []
                        for _ in 0..<25 {
                            let response = try await client.postForm(
                                "/oauth2/token",
                                "grant_type=client_credentials",
                                headers: [.authorization: basicAuthorization("svc", "s3cret")]
                            )
                            if response.status != .ok { failures.append("token \(worker): \(response.status)") }
                        }
                        return failures
                    }
                }
                tasks.addTask {
                    var failures: [String] = []
                    for index in 0..<8 {
                        let user = try await client.scim(
                            .post,
                            "/scim/v2/Users",
                            #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"load-\#(index)"}"#
                        )
                        guard user.status == .created, let id = try user.json()["id"]?.stringValue else {
                            failures.append("scim create: \(user.status)")
                            continue
                        }
                        let patch =
                            #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"\#(id)"}]}]}"#
                        let patched = try await client.scim(.patch, "/scim/v2/Groups/\(group)", patch)
                        if patched.status != .ok { failures.append("scim patch: \(patched.status)") }
                    }
                    return failures
                }
                tasks.addTask {
                    var failures: [String] = []
                    for index in 0..<8 {
                        let body = #"{"client_id":"load-\#(index)","grant_types":["client_credentials"],"scopes":["orders/get.order"]}"#
                        let created = try await client.execute(
                            uri: "/admin/v1/clients",
                            method: .post,
                            headers: [.authorization: "Bearer \(SCIMTest.adminToken)", .contentType: "application/json"],
                            body: ByteBuffer(string: body)
                        )
                        if created.status != .created { failures.append("client create: \(created.status)") }
                    }
                    return failures
                }
                tasks.addTask {
                    var failures: [String] = []
                    for _ in 0..<3 {
                        let rotated = try await client.execute(
                            uri: "/admin/v1/keys/rotate",
                            method: .post,
                            headers: [.authorization: "Bearer \(SCIMTest.adminToken)"]
                        )
                        if rotated.status != .created { failures.append("rotate: \(rotated.status)") }
                    }
                    return failures
                }
                return try await tasks.reduce(into: []) { $0 += $1 }
            }
            #expect(failures.isEmpty, "\(failures.prefix(5))")
            // Every write landed.
            let users = try await client.scim(.get, "/scim/v2/Users?filter=\(SCIMTest.query(#"userName sw "load-""#))")
            #expect(try users.json()["totalResults"] == .int(8))
            let members = try await client.scim(.get, "/scim/v2/Groups/\(group)")
            guard case .array(let list)? = try members.json()["members"] else { throw TestFailure("no members") }
            #expect(list.count == 9)
        }
    }
}

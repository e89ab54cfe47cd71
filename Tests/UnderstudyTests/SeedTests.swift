import Foundation
import GRDB
import HummingbirdBcrypt
import Testing

@testable import Understudy

@Suite struct SeedTests {
    @Test func theShippedDefaultSeedLoadsWithTheSPAScenario() throws {
        let seed = try SeedLoader.load(paths: [repositoryRoot + "/seed/default.yaml"])
        #expect(Set(seed.groups.map(\.name)) == ["SPA-Manager", "SPA-Employee"])
        #expect(Set(seed.scopes.map(\.name)) == ["orders/get.order", "orders/create.order", "orders/list.orders"])
        let manager = try #require(seed.users.first { $0.username == "manager" })
        #expect(manager.groups == ["SPA-Manager"])
        #expect(manager.attributes == ["role": .string("Manager"), "companies": .array([.string("1111")])])
        #expect(seed.users.first { $0.username == "employee" }?.groups == ["SPA-Employee"])
        #expect(seed.clients.contains { $0.isPublic && $0.grantTypes.contains("implicit") })
        let m2m = try #require(seed.clients.first { $0.grantTypes == ["client_credentials"] })
        #expect(Set(m2m.scopes) == ["orders/get.order", "orders/create.order", "orders/list.orders"])
    }

    @Test func jsonSeedsHaveTheSameShape() throws {
        let json = #"{"groups":[{"name":"G"}],"users":[{"username":"u","groups":["G"],"attributes":{"n":1,"ok":true}}]}"#
        let (seed, _) = try SeedLoader.parse(json, file: "seed.json")
        #expect(seed.users[0].groups == ["G"])
        #expect(seed.users[0].attributes == ["n": .int(1), "ok": .bool(true)])
    }

    /// A broken seed and where its error must point.
    struct BrokenSeed: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var path: String
        var line: Int?
        var mentions: String
        var testDescription: String { self.name }
    }

    static let brokenSeeds: [BrokenSeed] = [
        .init(name: "bad YAML", yaml: "groups:\n  - name: [unclosed\n", path: "", line: 3, mentions: "not valid YAML"),
        .init(name: "unknown top-level key", yaml: "groups: []\nusres: []\n", path: "usres", line: 2, mentions: "unknown key 'usres'"),
        .init(
            name: "unknown nested key",
            yaml: "users:\n  - username: a\n    pasword: x\n",
            path: "users[0].pasword",
            line: 3,
            mentions: "unknown key"
        ),
        .init(
            name: "wrong type",
            yaml: "settings:\n  access_token_ttl: soon\n",
            path: "settings.access_token_ttl",
            line: 2,
            mentions: "whole number"
        ),
        .init(name: "list expected", yaml: "users: manager\n", path: "users", line: 1, mentions: "expected a list"),
        .init(
            name: "bool expected",
            yaml: "clients:\n  - client_id: c\n    public: yes please\n",
            path: "clients[0].public",
            line: 3,
            mentions: "true or false"
        ),
        .init(
            name: "dangling group",
            yaml: "groups:\n  - name: SPA-Manager\nusers:\n  - username: a\n    groups: [SPA-Manager, SPA-Manger]\n",
            path: "users[0].groups[1]",
            line: 5,
            mentions: "unknown group 'SPA-Manger'"
        ),
        .init(
            name: "dangling scope",
            yaml: "clients:\n  - client_id: c\n    client_secret: s\n    scopes:\n      - orders/get.order\n",
            path: "clients[0].scopes[0]",
            line: 5,
            mentions: "unknown scope 'orders/get.order'"
        ),
        .init(
            name: "missing required key",
            yaml: "groups:\n  - description: x\n",
            path: "groups[0]",
            line: 2,
            mentions: "missing required key 'name'"
        ),
        .init(name: "duplicate user", yaml: "users:\n  - username: a\n  - username: a\n", path: "users[1].username", line: 3, mentions: "duplicate"),
        .init(
            name: "unknown grant",
            yaml: "clients:\n  - client_id: c\n    client_secret: s\n    grant_types: [magic]\n",
            path: "clients[0].grant_types[0]",
            line: 4,
            mentions: "unknown grant type"
        ),
        .init(
            name: "public client with secret",
            yaml: "clients:\n  - client_id: c\n    public: true\n    client_secret: s\n",
            path: "clients[0].client_secret",
            line: 4,
            mentions: "no secret"
        ),
        .init(
            name: "confidential client without secret",
            yaml: "clients:\n  - client_id: c\n",
            path: "clients[0]",
            line: 2,
            mentions: "needs client_secret"
        ),
        .init(
            name: "redirect URI with fragment",
            yaml: "clients:\n  - client_id: c\n    public: true\n    redirect_uris: [\"http://a/cb#x\"]\n",
            path: "clients[0].redirect_uris[0]",
            line: 4,
            mentions: "fragment"
        ),
        .init(
            name: "unknown signing algorithm",
            yaml: "clients:\n  - client_id: c\n    client_secret: s\n    signing_alg: HS256\n",
            path: "clients[0].signing_alg",
            line: 4,
            mentions: "unsupported algorithm"
        ),
        .init(
            name: "lifetime beyond ten years",
            yaml: "settings:\n  access_token_ttl: 9223372036854775807\n",
            path: "settings.access_token_ttl",
            line: 2,
            mentions: "at most"
        ),
        .init(
            name: "duplicate sub",
            yaml: "users:\n  - username: a\n    sub: s1\n  - username: b\n    sub: s1\n",
            path: "users[1].sub",
            line: 4,
            mentions: "duplicate sub"
        ),
        .init(name: "issuer with a query", yaml: "settings:\n  issuer: http://x?y=1\n", path: "settings.issuer", line: 2, mentions: "query"),
    ]

    @Test(arguments: brokenSeeds)
    func brokenSeedsNameFileKeyPathAndLine(_ broken: BrokenSeed) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("broken.yaml").path
        try broken.yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let error = try #require(throws: SeedError.self) { try SeedLoader.load(paths: [file]) }
        #expect(error.file == file)
        #expect(error.path == broken.path)
        if let line = broken.line { #expect(error.line == line) }
        #expect(error.problem.contains(broken.mentions), "\(error)")
        #expect(error.description.hasPrefix(file))
    }

    @Test func referencesMayPointIntoAnotherSeedFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "groups:\n  - name: G\n".write(toFile: folder.appendingPathComponent("1-groups.yaml").path, atomically: true, encoding: .utf8)
        try "users:\n  - username: u\n    groups: [G]\n".write(
            toFile: folder.appendingPathComponent("2-users.yml").path,
            atomically: true,
            encoding: .utf8
        )
        let seed = try SeedLoader.load(paths: [folder.path])
        #expect(seed.users.map(\.groups) == [["G"]])
    }

    @Test func applyingTwiceGivesTheSameRowsAndHashesSecrets() async throws {
        let database = try AppDatabase.inMemory()
        let seed = try fixtureSeed()
        let seeder = Seeder(database: database, now: { testNow })
        #expect(try await seeder.apply(seed) == .applied)
        let first = try await self.snapshot(database)
        #expect(try await seeder.apply(seed) == .unchanged)
        #expect(try await seeder.apply(seed, force: true) == .applied)
        let second = try await self.snapshot(database)
        #expect(first.users.map(\.id) == second.users.map(\.id))
        #expect(first.counts == second.counts)

        let manager = try #require(second.users.first { $0.username == "manager" })
        #expect(manager.id == Seeder.derivedSubject(username: "manager"))
        let hash = try #require(manager.passwordHash)
        #expect(!hash.contains("manager-password"))
        #expect(Bcrypt.verify("manager-password", hash: hash))
        let secret = try await database.writer.read { db in try String.fetchOne(db, sql: "SELECT secretHash FROM client WHERE id = 'svc'") }
        #expect(secret.map { Bcrypt.verify("s3cret", hash: $0) } == true)
    }

    @Test func aChangedSeedUpdatesByNaturalKeyAndKeepsRuntimeRows() async throws {
        let database = try AppDatabase.inMemory()
        let seeder = Seeder(database: database, now: { testNow })
        var seed = try fixtureSeed()
        try await seeder.apply(seed)
        try await database.writer.write { db in
            try UserGroup(name: "Runtime", description: "made through the admin API").insert(db)
        }
        seed.users[0].groups = []
        seed.users[0].email = "new@example.com"
        #expect(try await seeder.apply(seed) == .applied)
        let snapshot = try await self.snapshot(database)
        #expect(snapshot.users.first?.email == "new@example.com")
        #expect(snapshot.counts.memberships == 0)
        #expect(try await database.writer.read { db in try UserGroup.fetchOne(db, key: "Runtime") } != nil)
    }

    @Test func derivedSubjectsAreVersion5UUIDsStableAcrossDatabases() {
        let sub = Seeder.derivedSubject(username: "manager")
        #expect(sub == Seeder.derivedSubject(username: "manager"))
        #expect(sub != Seeder.derivedSubject(username: "employee"))
        #expect(UUID(uuidString: sub) != nil)
        #expect(Array(sub)[14] == "5")
    }

    @Test func seedCheckAppliesToAScratchDatabase() async throws {
        let summary = try await SeedCheck.run(paths: [repositoryRoot + "/seed/default.yaml"])
        #expect(summary == "2 groups, 3 scopes, 2 users, 4 clients")
    }

    struct Snapshot {
        var users: [User]
        var counts: (groups: Int, memberships: Int, clients: Int, scopes: Int, redirects: Int)
    }

    func snapshot(_ database: AppDatabase) async throws -> Snapshot {
        try await database.writer.read { db in
            Snapshot(
                users: try User.order(Column("username")).fetchAll(db),
                counts: (
                    try UserGroup.fetchCount(db), try GroupMembership.fetchCount(db), try ClientRecord.fetchCount(db),
                    try ClientScope.fetchCount(db), try ClientRedirectURI.fetchCount(db)
                )
            )
        }
    }
}

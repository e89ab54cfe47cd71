import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import Understudy

/// SCIM `/Groups` over the real router and SQLite: lookup by name as IDCS authorizers do, membership patches.
@Suite struct SCIMGroupsTests {
    static let manager = Seeder.derivedSubject(username: "manager")
    static let employee = Seeder.derivedSubject(username: "employee")

    static func patch(_ operations: String) -> String {
        #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[\#(operations)]}"#
    }

    @Test func groupsAreFoundByDisplayNameAndShowTheirMembers() async throws {
        try await SCIMTest.app().test(.router) { client in
            let list = try await client.scim(.get, "/scim/v2/Groups?filter=\(SCIMTest.query(#"displayName eq "spa-manager""#))")
            #expect(list.status == .ok)
            let group = try #require(try list.resources().first)
            #expect(try list.resources().count == 1)
            let id = try #require(group[member: "id"]?.stringValue)
            #expect(UUID(uuidString: id) != nil)
            #expect(group[member: "schemas"] == .array([.string(SCIMSchema.group)]))
            #expect(group[member: "displayName"] == .string("SPA-Manager"))
            #expect(
                group[member: "members"]
                    == .array([
                        .object([
                            "value": .string(Self.manager), "display": .string("Mia Manager"), "type": .string("User"),
                            "$ref": .string("http://localhost:9999/scim/v2/Users/\(Self.manager)"),
                        ])
                    ])
            )
            #expect(group[member: "meta"]?[member: "location"] == .string("http://localhost:9999/scim/v2/Groups/\(id)"))
            #expect(group[member: "meta"]?[member: "resourceType"] == .string("Group"))

            let read = try await client.scim(.get, "/scim/v2/Groups/\(id)")
            #expect(read.headers[.eTag] == group[member: "meta"]?[member: "version"]?.stringValue)
            let byMember = try await client.scim(.get, "/scim/v2/Groups?filter=\(SCIMTest.query(#"members.value eq "\#(Self.employee)""#))")
            #expect(try byMember.resources().map { $0[member: "displayName"] } == [.string("SPA-Employee")])
            let complex = try await client.scim(
                .get,
                "/admin/v1/Groups?filter=\(SCIMTest.query(#"members[type eq "User" and value eq "\#(Self.manager)"]"#))&attributes=displayName"
            )
            let only = try #require(try complex.resources().first)
            #expect(only[member: "displayName"] == .string("SPA-Manager") && only[member: "members"] == nil)
            let excluded = try await client.scim(.get, "/scim/v2/Groups/\(id)?excludedAttributes=members").json()
            #expect(excluded["members"] == nil && excluded["displayName"] != nil)
            let all = try await client.scim(.get, "/scim/v2/Groups?count=1&startIndex=2").json()
            #expect(all["totalResults"] == .int(2) && all["itemsPerPage"] == .int(1))
            #expect(try await client.scim(.get, "/scim/v2/Groups/nope").status == .notFound)
        }
    }

    @Test func patchAddsAndRemovesMembersAndRenames() async throws {
        try await SCIMTest.app().test(.router) { client in
            let id = try await client.scimGroupID("SPA-Manager")
            let add = try await client.scim(
                .patch,
                "/scim/v2/Groups/\(id)",
                Self.patch(#"{"op":"add","path":"members","value":[{"value":"\#(Self.employee)"},{"value":"\#(Self.manager)"}]}"#)
            )
            #expect(add.status == .ok, "\(String(buffer: add.body))")
            #expect(Set(try add.json()["members"]?.elements.compactMap { $0[member: "value"]?.stringValue } ?? []) == [Self.manager, Self.employee])
            let employeeTokens = try await client.passwordToken("employee", "employee-password")
            let (access, _) = try await RelyingParty(client: client).verify(try #require(employeeTokens["access_token"]?.stringValue))
            #expect(access["groups"] == .array([.string("SPA-Employee"), .string("SPA-Manager")]))

            let remove = try await client.scim(
                .patch,
                "/scim/v2/Groups/\(id)",
                Self.patch(#"{"op":"remove","path":"members[value eq \"\#(Self.manager)\"]"}"#)
            )
            #expect(try remove.json()["members"]?.elements.compactMap { $0[member: "value"]?.stringValue } == [Self.employee])
            // Azure AD's spelling: remove with the members as the value.
            let azure = try await client.scim(
                .patch,
                "/scim/v2/Groups/\(id)",
                Self.patch(#"{"op":"Remove","path":"members","value":[{"value":"\#(Self.employee)"}]}"#)
            )
            #expect(try azure.json()["members"] == .array([]))
            _ = try await client.scim(
                .patch,
                "/scim/v2/Groups/\(id)",
                Self.patch(#"{"op":"add","path":"members","value":[{"value":"\#(Self.manager)"}]}"#)
            )
            let clear = try await client.scim(.patch, "/scim/v2/Groups/\(id)", Self.patch(#"{"op":"remove","path":"members"}"#))
            #expect(try clear.json()["members"] == .array([]))
            let managerTokens = try await client.passwordToken("manager", "manager-password")
            let (managerAccess, _) = try await RelyingParty(client: client).verify(try #require(managerTokens["access_token"]?.stringValue))
            #expect(managerAccess["groups"] == .array([]))

            let renamed = try await client.scim(
                .patch,
                "/scim/v2/Groups/\(id)",
                Self.patch(#"{"op":"replace","path":"displayName","value":"SPA-Boss"}"#)
            )
            #expect(try renamed.json()["displayName"] == .string("SPA-Boss"))
            #expect(try renamed.json()["id"] == .string(id))
            let taken = try await client.scim(
                .patch,
                "/scim/v2/Groups/\(id)",
                Self.patch(#"{"op":"replace","value":{"displayName":"spa-employee"}}"#)
            )
            #expect(taken.status == .conflict)
            #expect(try taken.json()["scimType"] == .string("uniqueness"))
            let unknown = try await client.scim(
                .patch,
                "/scim/v2/Groups/\(id)",
                Self.patch(#"{"op":"add","path":"members","value":[{"value":"ghost"}]}"#)
            )
            #expect(unknown.status == .badRequest)
            #expect(try unknown.json()["scimType"] == .string("invalidValue"))
        }
    }

    @Test func createReplaceAndDeleteGroups() async throws {
        try await SCIMTest.app().test(.router) { client in
            let created = try await client.scim(
                .post,
                "/scim/v2/Groups",
                #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Auditors","externalId":"ext-1","members":[{"value":"\#(Self.manager)","type":"User"}]}"#
            )
            #expect(created.status == .created, "\(String(buffer: created.body))")
            let group = try created.json()
            let id = try #require(group["id"]?.stringValue)
            #expect(created.headers[.location] == "http://localhost:9999/scim/v2/Groups/\(id)")
            #expect(group["externalId"] == .string("ext-1"))
            #expect(group["members"]?.elements.count == 1)
            let user = try await client.scim(.get, "/scim/v2/Users/\(Self.manager)").json()
            #expect(Set(user["groups"]?.elements.compactMap { $0[member: "display"]?.stringValue } ?? []) == ["Auditors", "SPA-Manager"])

            let duplicate = try await client.scim(.post, "/scim/v2/Groups", #"{"displayName":"auditors"}"#)
            #expect(duplicate.status == .conflict)
            let unknown = try await client.scim(.post, "/scim/v2/Groups", #"{"displayName":"Ghosts","members":[{"value":"ghost"}]}"#)
            #expect(unknown.status == .badRequest)
            #expect(try unknown.json()["scimType"] == .string("invalidValue"))
            #expect(try await client.scim(.get, "/scim/v2/Groups?filter=\(SCIMTest.query(#"displayName eq "Ghosts""#))").resources().isEmpty)
            let nested = try await client.scim(.post, "/scim/v2/Groups", #"{"displayName":"Nest","members":[{"value":"\#(id)","type":"Group"}]}"#)
            #expect(try nested.json()["scimType"] == .string("invalidValue"))
            let nameless = try await client.scim(.post, "/scim/v2/Groups", #"{"members":[]}"#)
            #expect(try nameless.json()["scimType"] == .string("invalidValue"))

            let replaced = try await client.scim(
                .put,
                "/admin/v1/Groups/\(id)",
                #"{"displayName":"Auditors","members":[{"value":"\#(Self.employee)"}]}"#
            )
            #expect(replaced.status == .ok)
            #expect(try replaced.json()["members"]?.elements.compactMap { $0[member: "value"]?.stringValue } == [Self.employee])
            #expect(try replaced.json()["externalId"] == nil)

            #expect(try await client.scim(.delete, "/scim/v2/Groups/\(id)").status == .noContent)
            #expect(try await client.scim(.get, "/scim/v2/Groups/\(id)").status == .notFound)
            #expect(try await client.scim(.delete, "/scim/v2/Groups/\(id)").status == .notFound)
            let employee = try await client.scim(.get, "/scim/v2/Users/\(Self.employee)").json()
            #expect(employee["groups"]?.elements.compactMap { $0[member: "display"]?.stringValue } == ["SPA-Employee"])
        }
    }

    @Test func groupIDsSurviveAReseedAndGroupsMadeBySeedGetOne() async throws {
        // Given a database seeded once
        let database = try AppDatabase.inMemory()
        let seed = try SeedLoader.parse(scimSeedYAML, file: "scim.yaml").0
        let firstID = try await makeApp(seed: seed, database: database) { $0.adminToken = SCIMTest.adminToken }.test(.router) { client in
            try await client.scimGroupID("SPA-Manager")
        }
        // When the server starts again with a changed seed that adds a group
        var changed = seed
        changed.groups.append(.init(name: "SPA-Auditor"))
        try await makeApp(seed: changed, database: database) { $0.adminToken = SCIMTest.adminToken }.test(.router) { client in
            // Then the old group keeps its id and the new one has its own
            #expect(try await client.scimGroupID("SPA-Manager") == firstID)
            let auditor = try await client.scimGroupID("SPA-Auditor")
            #expect(UUID(uuidString: auditor) != nil && auditor != firstID)
        }
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Understudy

/// `POST /admin/v1/reset`: what tests changed at runtime is undone; what the seed says is back.
@Suite struct AdminResetTests {
    static func reset(_ client: some TestClientProtocol) async throws -> TestResponse {
        try await client.execute(uri: "/admin/v1/reset", method: .post, headers: SCIMTest.admin)
    }

    @Test func resetUndoesUsersGroupsClientsScopesAndFaultsButKeepsSeedGroupIDs() async throws {
        try await SCIMTest.app().test(.router) { client in
            let managerGroup = try await client.scimGroupID("SPA-Manager")
            // Changes a test might make: a new user in a seed group, a new group, a seed user's password and
            // groups, a new scope and client, an armed fault.
            let created = try await client.scim(
                .post,
                "/scim/v2/Users",
                #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"temp","password":"temp-password-1"}"#
            )
            #expect(created.status == .created)
            let tempID = try #require(try created.json()["id"]?.stringValue)
            let patch =
                #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"\#(tempID)"}]}]}"#
            #expect(try await client.scim(.patch, "/scim/v2/Groups/\(managerGroup)", patch).status == .ok)
            #expect(
                try await client.scim(
                    .post,
                    "/scim/v2/Groups",
                    #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Temp-Group"}"#
                ).status == .created
            )
            let managerSearch = try await client.scim(.get, "/scim/v2/Users?filter=\(SCIMTest.query(#"userName eq "manager""#))")
            guard case .object(let manager)? = try managerSearch.resources().first, let managerSub = manager["id"]?.stringValue else {
                throw TestFailure("no manager")
            }
            let newPassword =
                #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"password","value":"changed-password-1"},{"op":"replace","path":"active","value":false}]}"#
            #expect(try await client.scim(.patch, "/scim/v2/Users/\(managerSub)", newPassword).status == .ok)
            #expect(try await AdminTests.postJSON(client, "/admin/v1/scopes", #"{"name":"temp/scope"}"#, headers: SCIMTest.admin).status == .created)
            let extraClient = try await AdminTests.postJSON(
                client,
                "/admin/v1/clients",
                #"{"client_id":"temp-client","grant_types":["client_credentials"],"scopes":["temp/scope"]}"#,
                headers: SCIMTest.admin
            )
            #expect(extraClient.status == .created)
            #expect(try await AdminTests.postJSON(client, "/admin/v1/clients/svc/secret", "{}", headers: SCIMTest.admin).status == .ok)
            let fault = try await AdminTests.postJSON(
                client,
                "/admin/v1/faults",
                #"{"endpoint":"token","status":503,"count":100}"#,
                headers: SCIMTest.admin
            )
            #expect(fault.status == .created)

            let response = try await Self.reset(client)
            #expect(response.status == .ok)
            #expect(
                try response.json()["removed"]
                    == .object(["users": .int(1), "groups": .int(1), "clients": .int(1), "scopes": .int(1)])
            )

            // The seed's state: passwords, secrets, memberships, active flags; nothing else.
            let tokens = try await client.passwordToken("manager", "manager-password")
            let claims = try await RelyingParty(client: client).verify(try #require(tokens["access_token"]?.stringValue)).claims
            #expect(claims.claims["groups"] == .array([.string("SPA-Manager")]))
            #expect(claims.string("sub") == managerSub)
            #expect(try await client.clientCredentialsToken(client: "svc", secret: "s3cret").isEmpty == false)
            #expect(try await client.scim(.get, "/scim/v2/Users/\(tempID)").status == .notFound)
            #expect(try await client.scimGroupID("SPA-Manager") == managerGroup)
            let group = try await client.scim(.get, "/scim/v2/Groups/\(managerGroup)")
            guard case .array(let members)? = try group.json()["members"] else { throw TestFailure("no members") }
            #expect(members.count == 1)
            let scopes = try await client.execute(uri: "/admin/v1/scopes", method: .get, headers: SCIMTest.admin)
            #expect(!String(buffer: scopes.body).contains("temp/scope"))
            #expect(try await client.execute(uri: "/admin/v1/clients/temp-client", method: .get, headers: SCIMTest.admin).status == .notFound)
            #expect(try await client.execute(uri: "/admin/v1/faults", method: .get, headers: SCIMTest.admin).json()["faults"] == .array([]))

            // Again, with nothing to undo: the cached hashes make it quick, and the state is the same.
            let again = try await Self.reset(client)
            #expect(try again.json()["removed"] == .object(["users": .int(0), "groups": .int(0), "clients": .int(0), "scopes": .int(0)]))
            #expect(try await client.passwordToken("employee", "employee-password")["access_token"] != nil)
        }
    }

    @Test func resetNeedsTheAdminToken() async throws {
        try await SCIMTest.app().test(.router) { client in
            let response = try await client.execute(uri: "/admin/v1/reset", method: .post)
            #expect(response.status == .unauthorized)
        }
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Understudy

/// A user deactivated through SCIM (`active: false`) is cut off as Cognito cuts off a disabled user: no
/// sign-in, no new tokens from earlier grants, and the tokens they hold stop working.
@Suite struct DeactivationTests {
    @Test func aDeactivatedUsersTokensStopWorkingEverywhere() async throws {
        try await SCIMTest.app().test(.router) { client in
            let tokens = try await client.passwordToken("manager", "manager-password", scope: "openid groups")
            let access = try #require(tokens["access_token"]?.stringValue)
            let search = try await client.scim(.get, "/scim/v2/Users?filter=\(SCIMTest.query(#"userName eq "manager""#))")
            guard case .object(let manager)? = try search.resources().first, let id = manager["id"]?.stringValue else {
                throw TestFailure("no manager")
            }
            let bearer: HTTPFields = [.authorization: "Bearer \(access)"]
            #expect(try await client.execute(uri: "/oauth2/userinfo", method: .get, headers: bearer).status == .ok)

            let patch =
                #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}"#
            #expect(try await client.scim(.patch, "/scim/v2/Users/\(id)", patch).status == .ok)

            let userinfo = try await client.execute(uri: "/oauth2/userinfo", method: .get, headers: bearer)
            #expect(userinfo.status == .unauthorized)
            #expect(userinfo.headers[.wwwAuthenticate]?.contains("invalid_token") == true)
            #expect(try await client.execute(uri: "/scim/v2/Me", method: .get, headers: bearer).status == .unauthorized)
            let introspection = try await client.postForm(
                "/oauth2/introspect",
                "token=\(access)",
                headers: [.authorization: basicAuthorization("portal", "portal-secret")]
            )
            #expect(try introspection.json() == ["active": .bool(false)])
            let password = try await client.postForm(
                "/oauth2/token",
                "grant_type=password&username=manager&password=manager-password",
                headers: [.authorization: basicAuthorization("portal", "portal-secret")]
            )
            #expect(password.status == .badRequest)
            let minted = try await client.execute(
                uri: "/admin/v1/tokens",
                method: .post,
                headers: [.authorization: "Bearer \(SCIMTest.adminToken)", .contentType: "application/json"],
                body: .init(string: #"{"client_id":"portal","user":"manager"}"#)
            )
            #expect(minted.status == .badRequest)

            // Active again: tokens work again (nothing was deleted).
            let reactivate =
                #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":true}]}"#
            #expect(try await client.scim(.patch, "/scim/v2/Users/\(id)", reactivate).status == .ok)
            #expect(try await client.execute(uri: "/oauth2/userinfo", method: .get, headers: bearer).status == .ok)
        }
    }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import Understudy

/// SCIM `/Users` and `/Me` over the real router and SQLite, and the key scenario: a user provisioned through
/// SCIM, put into a group, signs in and gets the group in the token.
@Suite struct SCIMUsersTests {
    static let newUser = """
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"new.hire","password":"hire-password",
         "name":{"givenName":"Nia","familyName":"Hire"},"displayName":"Nia Hire","externalId":"HR-42",
         "emails":[{"value":"nia@example.com","type":"work","primary":true}],"active":true}
        """

    @Test func aProvisionedUserAddedToAGroupGetsItInTheirTokens() async throws {
        try await SCIMTest.app().test(.router) { client in
            let created = try await client.scim(.post, "/scim/v2/Users", Self.newUser)
            #expect(created.status == .created, "\(String(buffer: created.body))")
            #expect(created.headers[.contentType] == "application/scim+json")
            let user = try created.json()
            let id = try #require(user["id"]?.stringValue)
            #expect(UUID(uuidString: id) != nil)
            #expect(user["password"] == nil)
            #expect(created.headers[.location] == "http://localhost:9999/scim/v2/Users/\(id)")
            #expect(user["groups"] == .array([]))

            let groupID = try await client.scimGroupID("SPA-Manager")
            let patched = try await client.scim(
                .patch,
                "/scim/v2/Groups/\(groupID)",
                #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"\#(id)"}]}]}"#
            )
            #expect(patched.status == .ok, "\(String(buffer: patched.body))")
            #expect(try patched.json()["members"]?.elements.compactMap { $0[member: "value"]?.stringValue }.contains(id) == true)

            // The next token request reads the new membership.
            let tokens = try await client.passwordToken("new.hire", "hire-password")
            let (access, _) = try await RelyingParty(client: client).verify(try #require(tokens["access_token"]?.stringValue))
            #expect(access.string("sub") == id)
            #expect(access["groups"] == .array([.string("SPA-Manager")]))
            let cognito = try await client.passwordToken("new.hire", "hire-password", client: "portal-cognito", scope: "openid")
            let (cognitoAccess, _) = try await RelyingParty(client: client).verify(try #require(cognito["access_token"]?.stringValue))
            #expect(cognitoAccess["cognito:groups"] == .array([.string("SPA-Manager")]))

            // The user resource shows the group, with its reference.
            let read = try await client.scim(.get, "/scim/v2/Users/\(id)").json()
            let group = try #require(read["groups"]?.elements.first)
            #expect(group[member: "value"] == .string(groupID))
            #expect(group[member: "display"] == .string("SPA-Manager"))
            #expect(group[member: "$ref"] == .string("http://localhost:9999/scim/v2/Groups/\(groupID)"))
        }
    }

    @Test func userResourcesMapTheUserTable() async throws {
        try await SCIMTest.app().test(.router) { client in
            let list = try await client.scim(.get, "/scim/v2/Users?filter=\(SCIMTest.query(#"userName eq "manager""#))")
            #expect(list.status == .ok)
            let body = try list.json()
            #expect(body["schemas"] == .array([.string(SCIMSchema.listResponse)]))
            #expect(body["totalResults"] == .int(1))
            let manager = try #require(try list.resources().first)
            #expect(manager[member: "id"] == .string(Seeder.derivedSubject(username: "manager")))
            #expect(manager[member: "schemas"] == .array([.string(SCIMSchema.user)]))
            #expect(
                manager[member: "name"]
                    == .object(["givenName": .string("Mia"), "familyName": .string("Manager"), "formatted": .string("Mia Manager")])
            )
            #expect(manager[member: "displayName"] == .string("Mia Manager"))
            #expect(
                manager[member: "emails"]
                    == .array([.object(["value": .string("manager@example.com"), "type": .string("work"), "primary": .bool(true)])])
            )
            #expect(manager[member: "active"] == .bool(true))
            let meta = try #require(manager[member: "meta"])
            #expect(meta[member: "resourceType"] == .string("User"))
            #expect(meta[member: "location"] == .string("http://localhost:9999/scim/v2/Users/\(Seeder.derivedSubject(username: "manager"))"))
            #expect(meta[member: "version"]?.stringValue?.hasPrefix("W/\"") == true)
            #expect(meta[member: "created"]?.stringValue?.hasPrefix("2027-01-15T08:00:00") == true)
        }
    }

    @Test(arguments: [
        (#"userName eq "MANAGER""#, ["manager"]),
        (#"userName co "ploy""#, ["employee"]),
        (#"userName sw "man""#, ["manager"]),
        (#"emails.value eq "employee@corp.example""#, ["employee"]),
        (#"emails co "@example.com""#, ["manager"]),
        (#"emails[type eq "work" and value ew ".example"]"#, ["employee"]),
        (#"displayName eq "Eli Employee" or userName eq "manager""#, ["employee", "manager"]),
        (#"(userName sw "m" or userName sw "e") and name.familyName eq "Manager""#, ["manager"]),
        (#"not (userName eq "manager")"#, ["employee"]),
        (#"USERNAME EQ "manager" AND active eq true"#, ["manager"]),
        (#"externalId pr"#, []),
        (#"userName gt "f""#, ["manager"]),
        (#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "employee""#, ["employee"]),
    ])
    func filters(filter: String, expected: [String]) async throws {
        try await SCIMTest.app().test(.router) { client in
            let response = try await client.scim(.get, "/scim/v2/Users?filter=\(SCIMTest.query(filter))")
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            #expect(try response.resources().compactMap { $0[member: "userName"]?.stringValue } == expected)
            #expect(try response.json()["totalResults"] == .int(expected.count))
        }
    }

    @Test func filtersFindByIDAndExternalIDAndAcceptPercentEncodedSpaces() async throws {
        try await SCIMTest.app().test(.router) { client in
            let id = try #require(try await client.scim(.post, "/scim/v2/Users", Self.newUser).json()["id"]?.stringValue)
            let byID = try await client.scim(.get, "/scim/v2/Users?filter=id%20eq%20%22\(id)%22")
            #expect(try byID.resources().map { $0[member: "userName"] } == [.string("new.hire")])
            let byExternal = try await client.scim(.get, "/scim/v2/Users?filter=\(SCIMTest.query(#"externalId eq "HR-42""#))")
            #expect(try byExternal.resources().count == 1)
            // externalId is case-exact (RFC 7643 §3.1).
            let wrongCase = try await client.scim(.get, "/scim/v2/Users?filter=\(SCIMTest.query(#"externalId eq "hr-42""#))")
            #expect(try wrongCase.resources().isEmpty)
        }
    }

    @Test(arguments: [
        #"userName eq"#, #"userName xx "a""#, #"(userName eq "a""#, #"userName eq "unterminated"#, #"userName eq manager"#,
        #"and userName eq "a""#, String(repeating: "(", count: 100) + #"userName eq "a""# + String(repeating: ")", count: 100),
    ])
    func badFiltersAreInvalidFilter(filter: String) async throws {
        try await SCIMTest.app().test(.router) { client in
            let response = try await client.scim(.get, "/scim/v2/Users?filter=\(SCIMTest.query(filter))")
            #expect(response.status == .badRequest)
            let body = try response.json()
            #expect(body["schemas"] == .array([.string(SCIMSchema.error)]))
            #expect(body["status"] == .string("400"))
            #expect(body["scimType"] == .string("invalidFilter"))
        }
    }

    @Test func pagingCountsFromOneAndCapsTheCount() async throws {
        try await SCIMTest.app().test(.router) { client in
            for index in 1...3 {
                let response = try await client.scim(.post, "/scim/v2/Users", #"{"userName":"user\#(index)"}"#)
                #expect(response.status == .created)
            }
            let page = try await client.scim(.get, "/scim/v2/Users?startIndex=2&count=2&sortBy=userName")
            let body = try page.json()
            #expect(body["totalResults"] == .int(5))
            #expect(body["startIndex"] == .int(2))
            #expect(body["itemsPerPage"] == .int(2))
            #expect(try page.resources().compactMap { $0[member: "userName"]?.stringValue } == ["manager", "user1"])
            let totalOnly = try await client.scim(.get, "/scim/v2/Users?count=0").json()
            #expect(totalOnly["totalResults"] == .int(5))
            #expect(totalOnly["Resources"] == .array([]))
            let beyond = try await client.scim(.get, "/scim/v2/Users?startIndex=9").json()
            #expect(beyond["itemsPerPage"] == .int(0))
            let descending = try await client.scim(.get, "/scim/v2/Users?sortBy=userName&sortOrder=descending&count=1")
            #expect(try descending.resources().first?[member: "userName"] == .string("user3"))
            let bad = try await client.scim(.get, "/scim/v2/Users?count=many")
            #expect(try bad.json()["scimType"] == .string("invalidValue"))
        }
    }

    @Test func attributesAndExcludedAttributesProjectTheResponse() async throws {
        try await SCIMTest.app().test(.router) { client in
            let list = try await client.scim(
                .get,
                "/scim/v2/Users?attributes=userName,name.givenName&filter=\(SCIMTest.query(#"userName eq "manager""#))"
            )
            let user = try #require(try list.resources().first)
            #expect(Set(try #require(user.objectKeys)) == ["schemas", "id", "userName", "name"])
            #expect(user[member: "name"] == .object(["givenName": .string("Mia")]))
            let id = Seeder.derivedSubject(username: "manager")
            let excluded = try await client.scim(.get, "/scim/v2/Users/\(id)?excludedAttributes=groups,meta").json()
            #expect(excluded["groups"] == nil && excluded["meta"] == nil && excluded["userName"] != nil)
        }
    }

    @Test func createChecksUserNameAndUniquenessIgnoringCase() async throws {
        try await SCIMTest.app().test(.router) { client in
            let duplicate = try await client.scim(.post, "/scim/v2/Users", #"{"userName":"Manager"}"#)
            #expect(duplicate.status == .conflict)
            #expect(try duplicate.json()["scimType"] == .string("uniqueness"))
            #expect(try duplicate.json()["status"] == .string("409"))
            let missing = try await client.scim(.post, "/scim/v2/Users", #"{"name":{"givenName":"X"}}"#)
            #expect(missing.status == .badRequest)
            #expect(try missing.json()["scimType"] == .string("invalidValue"))
            let malformed = try await client.scim(.post, "/scim/v2/Users", #"{"userName":"#)
            #expect(malformed.status == .badRequest)
            #expect(try malformed.json()["scimType"] == .string("invalidSyntax"))
            let wrongType = try await client.scim(.post, "/scim/v2/Users", #"{"userName":["a"]}"#)
            #expect(try wrongType.json()["scimType"] == .string("invalidValue"))
            let plainJSON = try await client.scim(.post, "/scim/v2/Users", #"{"userName":"json.user"}"#, contentType: "application/json")
            #expect(plainJSON.status == .created)
            let form = try await client.scim(.post, "/scim/v2/Users", "userName=x", contentType: "application/x-www-form-urlencoded")
            #expect(form.status == .unsupportedMediaType)
            let huge = try await client.scim(.post, "/scim/v2/Users", #"{"userName":"\#(String(repeating: "x", count: 1_100_000))"}"#)
            #expect(huge.status == .contentTooLarge)
            #expect(try huge.json()["status"] == .string("413"))
        }
    }

    @Test func replaceAndPatchChangeTheUserInOneStep() async throws {
        try await SCIMTest.app().test(.router) { client in
            let id = try #require(try await client.scim(.post, "/scim/v2/Users", Self.newUser).json()["id"]?.stringValue)
            let patch = """
                {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
                  {"op":"replace","path":"name.givenName","value":"Nina"},
                  {"op":"Replace","path":"emails[type eq \\"work\\"].value","value":"nina@example.com"},
                  {"op":"add","value":{"phoneNumbers":[{"value":"+15550100","type":"mobile"}],"id":"ignored"}},
                  {"op":"replace","value":{"active":"False"}},
                  {"op":"replace","path":"password","value":"new-password"},
                  {"op":"remove","path":"externalId"}]}
                """
            let patched = try await client.scim(.patch, "/scim/v2/Users/\(id)", patch)
            #expect(patched.status == .ok, "\(String(buffer: patched.body))")
            let user = try patched.json()
            #expect(user["name"]?[member: "givenName"] == .string("Nina"))
            #expect(user["name"]?[member: "formatted"] == .string("Nina Hire"))
            #expect(user["emails"]?.elements.first?[member: "value"] == .string("nina@example.com"))
            #expect(user["phoneNumbers"]?.elements.first?[member: "value"] == .string("+15550100"))
            #expect(user["active"] == .bool(false))
            #expect(user["externalId"] == nil)
            #expect(user["id"] == .string(id))
            // A deactivated user cannot sign in.
            let inactive = try await client.postForm(
                "/oauth2/token",
                "grant_type=password&username=new.hire&password=new-password",
                headers: [.authorization: basicAuthorization("portal", "portal-secret")]
            )
            #expect(try inactive.json()["error"] == .string("invalid_grant"))

            // PUT replaces: omitted attributes are cleared, the password is kept.
            let replaced = try await client.scim(.put, "/scim/v2/Users/\(id)", #"{"userName":"renamed","active":true}"#)
            #expect(replaced.status == .ok)
            let body = try replaced.json()
            #expect(body["userName"] == .string("renamed"))
            #expect(body["emails"] == nil && body["name"] == nil)
            _ = try await client.passwordToken("renamed", "new-password")

            let readOnly = try await client.scim(.patch, "/scim/v2/Users/\(id)", #"{"Operations":[{"op":"replace","path":"id","value":"x"}]}"#)
            #expect(try readOnly.json()["scimType"] == .string("mutability"))
            let noTarget = try await client.scim(
                .patch,
                "/scim/v2/Users/\(id)",
                #"{"Operations":[{"op":"replace","path":"emails[type eq \"home\"].value","value":"x@y.z"}]}"#
            )
            #expect(try noTarget.json()["scimType"] == .string("noTarget"))
            let badPath = try await client.scim(.patch, "/scim/v2/Users/\(id)", #"{"Operations":[{"op":"add","path":"emails[","value":"x"}]}"#)
            #expect(try badPath.json()["scimType"] == .string("invalidPath"))
            let removeAll = try await client.scim(.patch, "/scim/v2/Users/\(id)", #"{"Operations":[{"op":"remove"}]}"#)
            #expect(try removeAll.json()["scimType"] == .string("noTarget"))
            let taken = try await client.scim(
                .patch,
                "/scim/v2/Users/\(id)",
                #"{"Operations":[{"op":"replace","path":"userName","value":"EMPLOYEE"}]}"#
            )
            #expect(taken.status == .conflict)
        }
    }

    @Test func missingUsersAre404AndDeleteRemovesMemberships() async throws {
        try await SCIMTest.app().test(.router) { client in
            for method in [HTTPRequest.Method.get, .delete] {
                let response = try await client.scim(method, "/scim/v2/Users/nobody")
                #expect(response.status == .notFound)
                #expect(try response.json()["status"] == .string("404"))
            }
            #expect(try await client.scim(.put, "/scim/v2/Users/nobody", #"{"userName":"x"}"#).status == .notFound)
            #expect(try await client.scim(.patch, "/scim/v2/Users/nobody", #"{"Operations":[{"op":"remove","path":"title"}]}"#).status == .notFound)

            let manager = Seeder.derivedSubject(username: "manager")
            let groupID = try await client.scimGroupID("SPA-Manager")
            #expect(try await client.scim(.delete, "/scim/v2/Users/\(manager)").status == .noContent)
            #expect(try await client.scim(.get, "/scim/v2/Users/\(manager)").status == .notFound)
            let group = try await client.scim(.get, "/scim/v2/Groups/\(groupID)").json()
            #expect(group["members"] == .array([]))
        }
    }

    @Test func theAdminAliasAndTheAdminTokenAnswerInSCIMFormat() async throws {
        try await SCIMTest.app().test(.router) { client in
            let alias = try await client.scim(.get, "/admin/v1/Users?filter=\(SCIMTest.query(#"userName eq "manager""#))")
            #expect(alias.status == .ok)
            let user = try #require(try alias.resources().first)
            #expect(user[member: "meta"]?[member: "location"]?.stringValue?.hasPrefix("http://localhost:9999/admin/v1/Users/") == true)
            #expect(try await client.scim(.post, "/admin/v1/Users", #"{"userName":"alias.user"}"#).status == .created)

            for uri in ["/scim/v2/Users", "/scim/v2/Groups", "/admin/v1/Users", "/admin/v1/Groups"] {
                let missing = try await client.scim(.get, uri, headers: [:])
                #expect(missing.status == .unauthorized)
                #expect(missing.headers[.contentType] == "application/scim+json")
                #expect(missing.headers[.wwwAuthenticate] == #"Bearer realm="understudy-admin""#)
                let body = try missing.json()
                #expect(body["schemas"] == .array([.string(SCIMSchema.error)]))
                #expect(body["status"] == .string("401"))
            }
            let wrong = try await client.scim(.get, "/scim/v2/Users", headers: [.authorization: "Bearer nope"])
            #expect(wrong.headers[.wwwAuthenticate]?.contains(#"error="invalid_token""#) == true)
            // The rest of the admin API keeps its problem details, and IDCS's key route stays public.
            #expect(try await client.scim(.get, "/admin/v1/audit", headers: [:]).headers[.contentType] == "application/problem+json")
            #expect(try await client.execute(uri: "/admin/v1/SigningCert/jwk", method: .get).status == .ok)
        }
    }

    @Test func searchTakesTheQueryAsABody() async throws {
        try await SCIMTest.app().test(.router) { client in
            let response = try await client.scim(
                .post,
                "/scim/v2/Users/.search",
                #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName sw \"emp\"","attributes":["userName"],"count":5}"#
            )
            #expect(response.status == .ok)
            #expect(try response.resources().map { $0[member: "userName"] } == [.string("employee")])
        }
    }

    @Test func meAnswersTheTokensUserAndRefusesOtherTokens() async throws {
        try await SCIMTest.app().test(.router) { client in
            let tokens = try await client.passwordToken("employee", "employee-password")
            let access = try #require(tokens["access_token"]?.stringValue)
            for prefix in ["/scim/v2", "/admin/v1"] {
                let me = try await client.scim(.get, "\(prefix)/Me", headers: [.authorization: "Bearer \(access)"])
                #expect(me.status == .ok, "\(String(buffer: me.body))")
                #expect(me.headers[.contentType] == "application/scim+json")
                let body = try me.json()
                #expect(body["userName"] == .string("employee"))
                #expect(body["groups"]?.elements.first?[member: "display"] == .string("SPA-Employee"))
            }
            let cognito = try await client.passwordToken("employee", "employee-password", client: "portal-cognito", scope: "openid")
            let cognitoMe = try await client.scim(
                .get,
                "/scim/v2/Me",
                headers: [.authorization: "Bearer \(try #require(cognito["access_token"]?.stringValue))"]
            )
            #expect(try cognitoMe.json()["userName"] == .string("employee"))

            let service = try await client.clientCredentialsToken()
            let refused = try await client.scim(.get, "/scim/v2/Me", headers: [.authorization: "Bearer \(service)"])
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[.wwwAuthenticate]?.contains(#"error="invalid_token""#) == true)
            #expect(try refused.json()["schemas"] == .array([.string(SCIMSchema.error)]))
            let idToken = try #require(tokens["id_token"]?.stringValue)
            #expect(try await client.scim(.get, "/scim/v2/Me", headers: [.authorization: "Bearer \(idToken)"]).status == .unauthorized)
            let none = try await client.scim(.get, "/scim/v2/Me", headers: [:])
            #expect(none.status == .unauthorized)
            #expect(none.headers[.wwwAuthenticate] == #"Bearer realm="understudy""#)
            // The admin token is not a user's token.
            #expect(try await client.scim(.get, "/scim/v2/Me").status == .unauthorized)
        }
    }
}

extension JSONValue {
    /// The member names of an object value.
    var objectKeys: [String]? {
        if case .object(let members) = self { return Array(members.keys) }
        return nil
    }
}

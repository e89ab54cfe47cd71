import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Understudy

/// SCIM's discovery endpoints (RFC 7644 §4) describe what the server really does.
@Suite struct SCIMDiscoveryTests {
    @Test(arguments: ["/scim/v2/ServiceProviderConfig", "/admin/v1/ServiceProviderConfigs"])
    func serviceProviderConfigIsOpenAndTruthful(path: String) async throws {
        try await SCIMTest.app().test(.router) { client in
            let response = try await client.execute(uri: path, method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/scim+json")
            let config = try response.json()
            #expect(config["patch"] == .object(["supported": .bool(true)]))
            #expect(config["bulk"].flatMap { if case .object(let m) = $0 { m["supported"] } else { nil } } == .bool(false))
            #expect(config["filter"] == .object(["supported": .bool(true), "maxResults": .int(1000)]))
        }
    }

    @Test func resourceTypesAndSchemasNameTheEndpointsAndAttributesServed() async throws {
        try await SCIMTest.app().test(.router) { client in
            let types = try await client.execute(uri: "/scim/v2/ResourceTypes", method: .get).json()
            #expect(types["totalResults"] == .int(2))
            let user = try await client.execute(uri: "/scim/v2/ResourceTypes/User", method: .get).json()
            #expect(user["endpoint"] == .string("/Users"))
            #expect(user["schema"] == .string(SCIMSchema.user))
            #expect(try await client.execute(uri: "/scim/v2/ResourceTypes/Robot", method: .get).status == .notFound)

            let schema = try await client.execute(uri: "/scim/v2/Schemas/\(SCIMSchema.user)", method: .get)
            #expect(schema.status == .ok)
            guard case .array(let attributes)? = try schema.json()["attributes"] else { throw TestFailure("no attributes") }
            let names = Set(attributes.compactMap { if case .object(let m) = $0 { m["name"]?.stringValue } else { nil } })

            // Every attribute a user resource carries is described.
            let created = try await client.scim(
                .post,
                "/scim/v2/Users",
                #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"described","name":{"givenName":"D","familyName":"S"},"displayName":"D S","emails":[{"value":"d@example.com"}],"phoneNumbers":[{"value":"+15555550100"}],"externalId":"x-1","password":"described-pw-1"}"#
            )
            #expect(created.status == .created)
            let served = Set(try created.json().keys).subtracting(["schemas", "id", "meta"])
            #expect(served.isSubset(of: names), "undescribed: \(served.subtracting(names))")
            let missing = try await client.execute(uri: "/scim/v2/Schemas/urn:nope", method: .get)
            #expect(missing.status == .notFound)
            #expect(try missing.json()["schemas"] == .array([.string(SCIMSchema.error)]))
        }
    }
}

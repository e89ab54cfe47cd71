import Foundation
import Hummingbird

/// SCIM's own discovery (RFC 7644 §4, RFC 7643 §5–7): `/ServiceProviderConfig` (also IDCS's
/// `/ServiceProviderConfigs`), `/ResourceTypes` and `/Schemas`, describing exactly what this server supports.
/// Open without a token, like the OAuth discovery document; they hold nothing secret.
struct SCIMDiscoveryController: Sendable {
    let urls: SCIMURLs

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.get("ServiceProviderConfig", use: self.serviceProviderConfig)
        router.get("ServiceProviderConfigs", use: self.serviceProviderConfig)
        router.get("ResourceTypes", use: self.resourceTypes)
        router.get("ResourceTypes/{name}", use: self.resourceType)
        router.get("Schemas", use: self.schemas)
        router.get("Schemas/{id}", use: self.schema)
    }

    @Sendable func serviceProviderConfig(_ request: Request, context: AppRequestContext) async throws -> Response {
        func supported(_ flag: Bool) -> JSONValue { .object(["supported": .bool(flag)]) }
        return SCIMJSON.response(
            .object([
                "schemas": .array([.string("urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig")]),
                "documentationUri": .string("https://datatracker.ietf.org/doc/html/rfc7644"),
                "patch": supported(true),
                "bulk": .object(["supported": .bool(false), "maxOperations": .int(0), "maxPayloadSize": .int(0)]),
                "filter": .object(["supported": .bool(true), "maxResults": .int(SCIMListQuery.maximumCount)]),
                "changePassword": supported(true),
                "sort": supported(true),
                "etag": supported(false),
                "authenticationSchemes": .array([
                    .object([
                        "type": .string("oauthbearertoken"),
                        "name": .string("OAuth Bearer Token"),
                        "description": .string("The admin token (--admin-token) for Users and Groups; a user's access token for Me."),
                        "specUri": .string("https://datatracker.ietf.org/doc/html/rfc6750"),
                        "primary": .bool(true),
                    ])
                ]),
                "meta": .object(["resourceType": .string("ServiceProviderConfig"), "location": .string(self.urls.base + "/ServiceProviderConfig")]),
            ])
        )
    }

    @Sendable func resourceTypes(_ request: Request, context: AppRequestContext) async throws -> Response {
        SCIMJSON.response(Self.list(Self.resourceTypeNames.map { self.resourceType(named: $0) }))
    }

    @Sendable func resourceType(_ request: Request, context: AppRequestContext) async throws -> Response {
        let name = context.decodedParameter("name")
        guard Self.resourceTypeNames.contains(name) else { throw SCIMError(.notFound, nil, "no resource type '\(name.prefix(100))'") }
        return SCIMJSON.response(self.resourceType(named: name))
    }

    @Sendable func schemas(_ request: Request, context: AppRequestContext) async throws -> Response {
        SCIMJSON.response(Self.list([Self.userSchema, Self.groupSchema].map { self.located($0) }))
    }

    @Sendable func schema(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = context.decodedParameter("id")
        guard let schema = [Self.userSchema, Self.groupSchema].first(where: { Self.id(of: $0) == id }) else {
            throw SCIMError(.notFound, nil, "no schema '\(id.prefix(200))'")
        }
        return SCIMJSON.response(self.located(schema))
    }

    static let resourceTypeNames = ["User", "Group"]

    private static func id(of schema: JSONValue) -> String? {
        guard case .object(let members) = schema else { return nil }
        return members["id"]?.stringValue
    }

    private func resourceType(named name: String) -> JSONValue {
        let schema = name == "User" ? SCIMSchema.user : SCIMSchema.group
        return .object([
            "schemas": .array([.string("urn:ietf:params:scim:schemas:core:2.0:ResourceType")]),
            "id": .string(name),
            "name": .string(name),
            "endpoint": .string("/\(name)s"),
            "description": .string(name == "User" ? "User Account" : "Group"),
            "schema": .string(schema),
            "meta": .object(["resourceType": .string("ResourceType"), "location": .string("\(self.urls.base)/ResourceTypes/\(name)")]),
        ])
    }

    private func located(_ schema: JSONValue) -> JSONValue {
        guard case .object(var members) = schema, let id = members["id"]?.stringValue else { return schema }
        members["meta"] = .object(["resourceType": .string("Schema"), "location": .string("\(self.urls.base)/Schemas/\(id)")])
        return .object(members)
    }

    private static func list(_ resources: [JSONValue]) -> JSONValue {
        .object([
            "schemas": .array([.string(SCIMSchema.listResponse)]),
            "totalResults": .int(resources.count),
            "startIndex": .int(1),
            "itemsPerPage": .int(resources.count),
            "Resources": .array(resources),
        ])
    }

    /// One attribute definition (RFC 7643 §7).
    private static func attribute(
        _ name: String,
        _ type: String = "string",
        multiValued: Bool = false,
        required: Bool = false,
        caseExact: Bool = false,
        mutability: String = "readWrite",
        returned: String = "default",
        uniqueness: String = "none",
        subAttributes: [JSONValue] = []
    ) -> JSONValue {
        var members: [String: JSONValue] = [
            "name": .string(name), "type": .string(type), "multiValued": .bool(multiValued), "required": .bool(required),
            "caseExact": .bool(caseExact), "mutability": .string(mutability), "returned": .string(returned),
            "uniqueness": .string(uniqueness), "description": .string(name),
        ]
        if !subAttributes.isEmpty { members["subAttributes"] = .array(subAttributes) }
        return .object(members)
    }

    private static let userSchema: JSONValue = .object([
        "id": .string(SCIMSchema.user),
        "name": .string("User"),
        "description": .string("User Account"),
        "attributes": .array([
            attribute("userName", required: true, uniqueness: "server"),
            attribute("name", "complex", subAttributes: [attribute("formatted"), attribute("familyName"), attribute("givenName")]),
            attribute("displayName"),
            attribute("password", mutability: "writeOnly", returned: "never"),
            attribute("active", "boolean"),
            attribute(
                "emails",
                "complex",
                multiValued: true,
                subAttributes: [attribute("value"), attribute("type"), attribute("primary", "boolean")]
            ),
            attribute(
                "phoneNumbers",
                "complex",
                multiValued: true,
                subAttributes: [attribute("value"), attribute("type"), attribute("primary", "boolean")]
            ),
            attribute(
                "groups",
                "complex",
                multiValued: true,
                mutability: "readOnly",
                subAttributes: [
                    attribute("value", mutability: "readOnly"), attribute("$ref", "reference", mutability: "readOnly"),
                    attribute("display", mutability: "readOnly"), attribute("type", mutability: "readOnly"),
                ]
            ),
            attribute("externalId", caseExact: true),
        ]),
    ])

    private static let groupSchema: JSONValue = .object([
        "id": .string(SCIMSchema.group),
        "name": .string("Group"),
        "description": .string("Group"),
        "attributes": .array([
            attribute("displayName", required: true, uniqueness: "server"),
            attribute(
                "members",
                "complex",
                multiValued: true,
                subAttributes: [
                    attribute("value", mutability: "immutable"), attribute("$ref", "reference", mutability: "immutable"),
                    attribute("display", mutability: "readOnly"), attribute("type", mutability: "immutable"),
                ]
            ),
            attribute("externalId", caseExact: true),
        ]),
    ])
}

import Foundation

/// Groups as SCIM Group resources (RFC 7643 §4.2) over `userGroup`: `id` is the group's own UUID (stable across
/// renames), `displayName` its name, `members` its users.
enum SCIMGroupResource {
    static let schema = SCIMPatch.Schema(multiValued: ["members"], readOnly: ["id", "meta"])

    static func render(_ entry: DirectoryRepository.GroupEntry, urls: SCIMURLs) -> [String: JSONValue] {
        var resource: [String: JSONValue] = [
            "schemas": .array([.string(SCIMSchema.group)]),
            "id": .string(entry.id),
            "displayName": .string(entry.name),
            "members": .array(
                entry.members.map { member in
                    .object([
                        "value": .string(member.id), "display": .string(member.display), "type": .string("User"),
                        "$ref": .string(urls.user(member.id)),
                    ])
                }
            ),
            "meta": urls.meta("Group", location: urls.group(entry.id), created: entry.createdAt, lastModified: entry.updatedAt),
        ]
        if let external = entry.externalID { resource["externalId"] = .string(external) }
        return resource
    }

    /// The group a POST or PUT body (or a patched document) describes, over `existing` for a replacement.
    ///
    /// Members are users only (`type` `User` or absent); their display names come from the database.
    static func entry(from body: [String: JSONValue], existing: DirectoryRepository.GroupEntry?) throws(SCIMError) -> DirectoryRepository.GroupEntry {
        guard let name = try SCIMUserResource.string(body, "displayName"), !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw SCIMError.badRequest(.invalidValue, "displayName is required")
        }
        guard name.count <= 256 else { throw SCIMError.badRequest(.invalidValue, "displayName is longer than 256 characters") }
        var members: [DirectoryRepository.GroupReference] = []
        switch body[scim: "members"] {
        case nil, .null?: break
        case .array(let elements)?:
            for element in elements {
                guard case .object(let member) = element, let id = try SCIMUserResource.string(member, "value") else {
                    throw SCIMError.badRequest(.invalidValue, "each member must be an object with a string value (a user id)")
                }
                if let type = try SCIMUserResource.string(member, "type"), type.lowercased() != "user" {
                    throw SCIMError.badRequest(.invalidValue, "only users can be members; nested groups are not supported")
                }
                if !members.contains(where: { $0.id == id }) { members.append(.init(id: id, display: "")) }
            }
        default: throw SCIMError.badRequest(.invalidValue, "members must be an array")
        }
        return DirectoryRepository.GroupEntry(
            id: existing?.id ?? "",
            name: name,
            externalID: try SCIMUserResource.string(body, "externalId"),
            description: existing?.description,
            // The repository sets the times.
            createdAt: existing?.createdAt ?? .distantPast,
            updatedAt: existing?.updatedAt ?? .distantPast,
            members: members
        )
    }
}

import Foundation

/// Users as SCIM User resources (RFC 7643 §4.1) over the `user` table: `id` = `sub`, `userName` = `username`,
/// `displayName` = `name`, one work email and one phone number, `active`, `externalId`, and the read-only
/// `groups`.
enum SCIMUserResource {
    static let schema = SCIMPatch.Schema(
        multiValued: ["emails", "phonenumbers", "groups", "addresses", "ims", "photos", "entitlements", "roles", "x509certificates"],
        readOnly: ["id", "meta", "groups"]
    )

    static func render(_ entry: DirectoryRepository.UserEntry, urls: SCIMURLs) -> [String: JSONValue] {
        let user = entry.user
        var resource: [String: JSONValue] = [
            "schemas": .array([.string(SCIMSchema.user)]),
            "id": .string(user.id),
            "userName": .string(user.username),
            "active": .bool(entry.active),
            "groups": .array(
                entry.groups.map { group in
                    .object([
                        "value": .string(group.id), "display": .string(group.display), "$ref": .string(urls.group(group.id)),
                        "type": .string("direct"),
                    ])
                }
            ),
            "meta": urls.meta("User", location: urls.user(user.id), created: user.createdAt, lastModified: user.updatedAt),
        ]
        var name: [String: JSONValue] = [:]
        if let given = user.givenName { name["givenName"] = .string(given) }
        if let family = user.familyName { name["familyName"] = .string(family) }
        if let formatted = entry.formattedName ?? Self.derivedFormatted(user) { name["formatted"] = .string(formatted) }
        if !name.isEmpty { resource["name"] = .object(name) }
        if let display = user.name { resource["displayName"] = .string(display) }
        if let email = user.email {
            resource["emails"] = .array([.object(["value": .string(email), "type": .string("work"), "primary": .bool(true)])])
        }
        if let phone = user.phoneNumber {
            resource["phoneNumbers"] = .array([.object(["value": .string(phone), "type": .string("mobile"), "primary": .bool(true)])])
        }
        if let external = entry.externalID { resource["externalId"] = .string(external) }
        return resource
    }

    /// `name.formatted` when none is stored: the given and family names.
    static func derivedFormatted(_ user: User) -> String? {
        let parts = [user.givenName, user.familyName].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    /// The user a POST or PUT body (or a patched document) describes, over `existing` for a replacement.
    ///
    /// Omitted attributes are cleared (RFC 7644 §3.5.1), except the password, kept unless a new one is given,
    /// and the custom claim `attributes`, which SCIM does not show. Read-only attributes are ignored.
    ///
    /// - Parameter passwordHashes: bcrypt hashes of the body's plaintext passwords, made before the transaction.
    static func entry(
        from body: [String: JSONValue],
        id: String,
        existing: DirectoryRepository.UserEntry?,
        passwordHashes: [String: String],
        now: Date
    ) throws(SCIMError) -> DirectoryRepository.UserEntry {
        guard let userName = try Self.string(body, "userName"), !userName.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw SCIMError.badRequest(.invalidValue, "userName is required")
        }
        guard userName.count <= 256 else { throw SCIMError.badRequest(.invalidValue, "userName is longer than 256 characters") }
        var name: [String: JSONValue] = [:]
        switch body[scim: "name"] {
        case nil, .null?: break
        case .object(let members)?: name = members
        default: throw SCIMError.badRequest(.invalidValue, "name must be an object")
        }
        let email = try Self.primaryValue(body, "emails")
        var passwordHash = existing?.user.passwordHash
        switch body[scim: "password"] {
        case nil, .null?: break
        case .string(let password)?:
            guard !password.isEmpty, let hash = passwordHashes[password] else {
                throw SCIMError.badRequest(.invalidValue, "password must not be empty")
            }
            passwordHash = hash
        default: throw SCIMError.badRequest(.invalidValue, "password must be a string")
        }
        let user = User(
            id: id,
            username: userName,
            passwordHash: passwordHash,
            email: email,
            // A provisioned address counts as verified (as the seed's do); a changed one keeps no old verification.
            emailVerified: email == nil ? false : (email == existing?.user.email ? existing?.user.emailVerified ?? true : true),
            givenName: try Self.string(name, "givenName"),
            familyName: try Self.string(name, "familyName"),
            name: try Self.string(body, "displayName"),
            phoneNumber: try Self.primaryValue(body, "phoneNumbers"),
            attributes: existing?.user.attributes ?? [:],
            createdAt: existing?.user.createdAt ?? now,
            updatedAt: now
        )
        // A formatted name that is only the derived one (before or after this change) is not stored.
        var formatted = try Self.string(name, "formatted")
        if formatted == existing.flatMap({ Self.derivedFormatted($0.user) }) || formatted == Self.derivedFormatted(user) { formatted = nil }
        return DirectoryRepository.UserEntry(
            user: user,
            externalID: try Self.string(body, "externalId"),
            active: try Self.bool(body, "active") ?? true,
            formattedName: formatted,
            groups: existing?.groups ?? []
        )
    }

    static func string(_ object: [String: JSONValue], _ name: String) throws(SCIMError) -> String? {
        switch object[scim: name] {
        case nil, .null?: return nil
        case .string(let value)?: return value.isEmpty ? nil : value
        default: throw SCIMError.badRequest(.invalidValue, "\(name) must be a string")
        }
    }

    /// A boolean; the strings `"true"`/`"false"` (any case) as Azure AD sends them are accepted too.
    static func bool(_ object: [String: JSONValue], _ name: String) throws(SCIMError) -> Bool? {
        switch object[scim: name] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        case .string(let text)? where ["true", "false"].contains(text.lowercased()): return text.lowercased() == "true"
        default: throw SCIMError.badRequest(.invalidValue, "\(name) must be a boolean")
        }
    }

    /// The `value` of the primary element of a multi-valued attribute (else the first), e.g. the email.
    static func primaryValue(_ object: [String: JSONValue], _ name: String) throws(SCIMError) -> String? {
        switch object[scim: name] {
        case nil, .null?: return nil
        case .array(let elements)?:
            var values: [(value: String, primary: Bool)] = []
            for element in elements {
                guard case .object(let members) = element, let value = try Self.string(members, "value") else {
                    throw SCIMError.badRequest(.invalidValue, "each of \(name) must be an object with a string value")
                }
                values.append((value, try Self.bool(members, "primary") ?? false))
            }
            return (values.first(where: \.primary) ?? values.first)?.value
        default: throw SCIMError.badRequest(.invalidValue, "\(name) must be an array")
        }
    }
}

/// Absolute URLs and `meta` of SCIM resources under one base (`<issuer>/scim/v2` or `<issuer>/admin/v1`).
struct SCIMURLs: Sendable {
    let base: String

    func user(_ id: String) -> String { "\(self.base)/Users/\(Self.escape(id))" }
    func group(_ id: String) -> String { "\(self.base)/Groups/\(Self.escape(id))" }

    /// RFC 7643 §3.1 `meta`; `version` is a weak ETag of the last change, in milliseconds.
    func meta(_ type: String, location: String, created: Date, lastModified: Date) -> JSONValue {
        let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return .object([
            "resourceType": .string(type),
            "created": .string(created.formatted(format)),
            "lastModified": .string(lastModified.formatted(format)),
            "location": .string(location),
            "version": .string("W/\"\(Int((lastModified.timeIntervalSince1970 * 1000).rounded()))\""),
        ])
    }

    private static func escape(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? id
    }
}

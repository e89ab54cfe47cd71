/// What a pre-token-generation hook asked for, read from its answer: claim and scope edits per token, and a
/// group override (Cognito's `claimsOverrideDetails` for version 1, `claimsAndScopeOverrideDetails` for 2 and 3).
struct TokenOverrides: Sendable, Equatable {
    /// Edits of one token's claims.
    struct ClaimEdits: Sendable, Equatable {
        var addOrOverride: [String: JSONValue] = [:]
        var suppress: [String] = []
        var scopesToAdd: [String] = []
        var scopesToSuppress: [String] = []
    }

    /// `groupOverrideDetails`: replaces the groups, roles and preferred role of both tokens.
    struct GroupOverride: Sendable, Equatable {
        var groups: [String] = []
        var roles: [String] = []
        var preferredRole: String?
    }

    var idToken = ClaimEdits()
    var accessToken = ClaimEdits()
    /// Nil: keep the groups. Present (even empty): replace them; Cognito suppresses groups for an empty or null object.
    var groupOverride: GroupOverride?

    /// A hook answer that does not have the expected shape.
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads the `response` of the event the hook returned.
    static func parse(_ event: JSONValue, version: Int) throws -> TokenOverrides {
        guard case .object(let root) = event else { throw Malformed(description: "the answer is not a JSON object") }
        guard let response = root["response"] else { throw Malformed(description: "the answer has no response member") }
        if case .null = response { return TokenOverrides() }
        guard case .object(let responseFields) = response else { throw Malformed(description: "response is not an object") }
        var overrides = TokenOverrides()
        if version == 1 {
            guard let details = try Self.object(responseFields["claimsOverrideDetails"], "response.claimsOverrideDetails") else {
                return overrides
            }
            overrides.idToken.addOrOverride = try Self.stringMap(details["claimsToAddOrOverride"], "claimsOverrideDetails.claimsToAddOrOverride")
            overrides.idToken.suppress = try Self.strings(details["claimsToSuppress"], "claimsOverrideDetails.claimsToSuppress")
            overrides.groupOverride = try Self.groups(details, path: "claimsOverrideDetails")
            return overrides
        }
        guard let details = try Self.object(responseFields["claimsAndScopeOverrideDetails"], "response.claimsAndScopeOverrideDetails") else {
            return overrides
        }
        if let id = try Self.object(details["idTokenGeneration"], "claimsAndScopeOverrideDetails.idTokenGeneration") {
            overrides.idToken = try Self.edits(id, path: "idTokenGeneration", scopes: false)
        }
        if let access = try Self.object(details["accessTokenGeneration"], "claimsAndScopeOverrideDetails.accessTokenGeneration") {
            overrides.accessToken = try Self.edits(access, path: "accessTokenGeneration", scopes: true)
        }
        overrides.groupOverride = try Self.groups(details, path: "claimsAndScopeOverrideDetails")
        return overrides
    }

    private static func edits(_ fields: [String: JSONValue], path: String, scopes: Bool) throws -> ClaimEdits {
        var edits = ClaimEdits()
        if let add = try Self.object(fields["claimsToAddOrOverride"], "\(path).claimsToAddOrOverride") { edits.addOrOverride = add }
        edits.suppress = try Self.strings(fields["claimsToSuppress"], "\(path).claimsToSuppress")
        if scopes {
            edits.scopesToAdd = try Self.strings(fields["scopesToAdd"], "\(path).scopesToAdd")
            edits.scopesToSuppress = try Self.strings(fields["scopesToSuppress"], "\(path).scopesToSuppress")
        }
        return edits
    }

    /// `groupOverrideDetails`: absent → nil (keep); null or `{}` → an empty override (suppress groups).
    private static func groups(_ details: [String: JSONValue], path: String) throws -> GroupOverride? {
        guard let value = details["groupOverrideDetails"] else { return nil }
        guard let fields = try Self.object(value, "\(path).groupOverrideDetails") else { return GroupOverride() }
        var override = GroupOverride()
        override.groups = try Self.strings(fields["groupsToOverride"], "groupOverrideDetails.groupsToOverride")
        override.roles = try Self.strings(fields["iamRolesToOverride"], "groupOverrideDetails.iamRolesToOverride")
        switch fields["preferredRole"] {
        case nil, .null?: break
        case .string(let role)?: override.preferredRole = role
        default: throw Malformed(description: "groupOverrideDetails.preferredRole must be a string")
        }
        return override
    }

    private static func object(_ value: JSONValue?, _ path: String) throws -> [String: JSONValue]? {
        switch value {
        case nil, .null?: return nil
        case .object(let fields)?: return fields
        default: throw Malformed(description: "\(path) must be an object")
        }
    }

    private static func strings(_ value: JSONValue?, _ path: String) throws -> [String] {
        switch value {
        case nil, .null?: return []
        case .array(let items)?:
            return try items.map { item in
                guard case .string(let text) = item else { throw Malformed(description: "\(path) must be a list of strings") }
                return text
            }
        default: throw Malformed(description: "\(path) must be a list of strings")
        }
    }

    /// Version 1 claim values are strings (Cognito's V1 contract is a string map).
    private static func stringMap(_ value: JSONValue?, _ path: String) throws -> [String: JSONValue] {
        guard let fields = try Self.object(value, path) else { return [:] }
        for (name, value) in fields {
            guard case .string = value else { throw Malformed(description: "\(path).\(name) must be a string in a version 1 answer") }
        }
        return fields
    }
}

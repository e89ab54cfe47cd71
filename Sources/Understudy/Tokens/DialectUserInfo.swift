import Foundation

/// Userinfo (OIDC Core §5.3) as each service renders it.
enum DialectUserInfo {
    /// The user a verified access token speaks for, if it has one: the token's `sub` for generic and Cognito
    /// user tokens, the user name in `sub` for IDCS user tokens. Client-credentials tokens have none.
    static func account(for claims: ClaimSet, dialect: Dialect, users: UserRepository) async throws -> UserRepository.Account? {
        guard let subject = claims.string("sub") else { return nil }
        switch dialect {
        case .generic:
            guard claims["auth_time"] != nil else { return nil }
            return try await users.find(id: subject)
        case .cognito:
            guard claims["username"] != nil else { return nil }
            return try await users.find(id: subject)
        case .idcs:
            // IDCS names the user in `sub`; `user_id` says which user had that name when the token was signed.
            guard claims.string("sub_type") == "user", let account = try await users.find(username: subject),
                claims.string("user_id") == account.user.id.replacingOccurrences(of: "-", with: "").lowercased()
            else { return nil }
            return account
        }
    }

    /// The claims userinfo returns for `account` and the token's scopes.
    static func claims(
        of account: UserRepository.Account,
        scopes: [String],
        dialect: Dialect,
        idcs: IDCSSettings,
        baseURL: String
    ) -> [String:
        JSONValue]
    {
        switch dialect {
        case .generic: return UserClaims.claims(of: account, scopes: scopes)
        case .cognito: return self.cognito(account, scopes: scopes)
        case .idcs: return self.idcs(account, scopes: scopes, settings: idcs, baseURL: baseURL)
        }
    }

    /// Cognito renders every value as a string, booleans included (`"email_verified": "true"`), adds `username`,
    /// and releases attributes by scope as in its ID tokens.
    static func cognito(_ account: UserRepository.Account, scopes: [String]) -> [String: JSONValue] {
        let user = account.user
        let released = CognitoAttributes.released(by: scopes)
        var claims: [String: JSONValue] = ["sub": .string(user.id), "username": .string(user.username)]
        func put(_ name: String, _ value: String?) {
            if let value { claims[name] = .string(value) }
        }
        if released.email {
            put("email", user.email)
            if user.email != nil { claims["email_verified"] = .string(user.emailVerified ? "true" : "false") }
        }
        if released.phone {
            put("phone_number", user.phoneNumber)
            if user.phoneNumber != nil { claims["phone_number_verified"] = .string("false") }
        }
        if released.profile {
            put("given_name", user.givenName)
            put("family_name", user.familyName)
            put("name", user.name)
            for (name, value) in CustomAttributes.strings(of: user) { claims[name] = .string(value) }
        }
        return claims
    }

    /// IDCS: `sub` is the user name; groups for the `groups` scope, as names or as SCIM-style references.
    static func idcs(_ account: UserRepository.Account, scopes: [String], settings: IDCSSettings, baseURL: String) -> [String: JSONValue] {
        let user = account.user
        var claims: [String: JSONValue] = [
            "sub": .string(user.username),
            "preferred_username": .string(user.username),
            "name": .string(user.name ?? user.username),
            "updated_at": .int(Int(user.updatedAt.timeIntervalSince1970)),
        ]
        if let given = user.givenName { claims["given_name"] = .string(given) }
        if let family = user.familyName { claims["family_name"] = .string(family) }
        if scopes.contains(StandardScope.email), let email = user.email {
            claims["email"] = .string(email)
            claims["email_verified"] = .bool(user.emailVerified)
        }
        if scopes.contains(StandardScope.groups) || scopes.contains("get_groups") {
            claims["groups"] = .array(
                account.groups.map { name in
                    switch settings.groupsFormat {
                    case .names: return .string(name)
                    case .objects:
                        let id = TokenDraft.hexID(name, salt: "group")
                        return .object(["name": .string(name), "id": .string(id), "$ref": .string("\(baseURL)/admin/v1/Groups/\(id)")])
                    }
                }
            )
        }
        return claims
    }
}

import Foundation
import Yams

/// Turns one seed document's node tree into a ``SeedFile``, collecting group and scope references.
struct SeedParser {
    let reader: SeedNodeReader
    private(set) var references: [SeedLoader.Reference] = []

    init(reader: SeedNodeReader) {
        self.reader = reader
    }

    mutating func seed(_ root: Node) throws -> SeedFile {
        let top = try self.reader.mapping(root, path: "", allowed: ["settings", "groups", "scopes", "users", "clients", "hooks"])
        var seed = SeedFile()
        if let settings = top["settings"] { seed.settings = try self.settings(settings) }
        if let hooks = top["hooks"] {
            let fields = try self.reader.mapping(hooks, path: "hooks", allowed: ["pre_token_generation"])
            if let hook = fields["pre_token_generation"] {
                seed.hooks.preTokenGeneration = try self.hook(hook, path: "hooks.pre_token_generation")
            }
        }
        seed.groups = try self.list(top["groups"], "groups") { node, path in
            let fields = try self.reader.mapping(node, path: path, allowed: ["name", "description"])
            return SeedFile.Group(
                name: try self.required(fields, "name", path),
                description: try self.reader.optionalString(fields["description"], path: path + ".description")
            )
        }
        seed.scopes = try self.list(top["scopes"], "scopes") { node, path in
            let fields = try self.reader.mapping(node, path: path, allowed: ["name", "description"])
            let name = try self.required(fields, "name", path)
            guard !name.contains(" "), !StandardScope.all.contains(name) else {
                throw self.reader.error(path + ".name", fields["name"], "'\(name)' is a reserved or invalid scope name")
            }
            return SeedFile.Scope(name: name, description: try self.reader.optionalString(fields["description"], path: path + ".description"))
        }
        seed.users = try self.list(top["users"], "users") { node, path in try self.user(node, path: path) }
        seed.clients = try self.list(top["clients"], "clients") { node, path in try self.client(node, path: path) }
        try self.checkUnique(seed.groups.map(\.name), top["groups"], "groups", key: "name")
        try self.checkUnique(seed.scopes.map(\.name), top["scopes"], "scopes", key: "name")
        try self.checkUnique(seed.users.map(\.username), top["users"], "users", key: "username")
        try self.checkUnique(seed.clients.map(\.clientID), top["clients"], "clients", key: "client_id")
        try self.checkUnique(
            seed.users.compactMap(\.sub),
            top["users"],
            "users",
            key: "sub",
            positions: seed.users.indices.filter { seed.users[$0].sub != nil }
        )
        return seed
    }

    private func settings(_ node: Node) throws -> SeedFile.Settings {
        let fields = try self.reader.mapping(
            node,
            path: "settings",
            allowed: [
                "issuer", "access_token_ttl", "id_token_ttl", "refresh_token_ttl", "session_ttl", "login_user_picker", "login_deny_button",
                "login_lockout", "cognito", "idcs",
            ]
        )
        var settings = SeedFile.Settings()
        settings.issuer = try self.reader.optionalString(fields["issuer"], path: "settings.issuer")
        if let issuer = settings.issuer, let problem = IssuerURL.problem(with: issuer) {
            throw self.reader.error("settings.issuer", fields["issuer"], problem)
        }
        settings.accessTokenTTL = try self.reader.positiveInt(fields["access_token_ttl"], path: "settings.access_token_ttl")
        settings.idTokenTTL = try self.reader.positiveInt(fields["id_token_ttl"], path: "settings.id_token_ttl")
        settings.refreshTokenTTL = try self.reader.positiveInt(fields["refresh_token_ttl"], path: "settings.refresh_token_ttl")
        settings.sessionTTL = try self.reader.positiveInt(fields["session_ttl"], path: "settings.session_ttl")
        settings.loginUserPicker = try self.reader.bool(fields["login_user_picker"], path: "settings.login_user_picker")
        settings.loginDenyButton = try self.reader.bool(fields["login_deny_button"], path: "settings.login_deny_button")
        settings.loginLockout = try self.reader.bool(fields["login_lockout"], path: "settings.login_lockout")
        if let node = fields["cognito"] {
            let cognito = try self.reader.mapping(node, path: "settings.cognito", allowed: ["region", "user_pool_id", "issuer"])
            var value = CognitoSettings()
            value.region = try self.reader.optionalString(cognito["region"], path: "settings.cognito.region") ?? value.region
            if let pool = try self.reader.optionalString(cognito["user_pool_id"], path: "settings.cognito.user_pool_id") {
                guard CognitoSettings.isValidPoolID(pool) else {
                    throw self.reader.error(
                        "settings.cognito.user_pool_id",
                        cognito["user_pool_id"],
                        "'\(pool)' is not in AWS's format <region>_<letters and digits>, e.g. us-east-1_Example1"
                    )
                }
                value.userPoolID = pool
            } else {
                value.userPoolID = "\(value.region)_Understudy"
            }
            guard value.userPoolID.hasPrefix(value.region + "_") else {
                throw self.reader.error(
                    "settings.cognito.user_pool_id",
                    cognito["user_pool_id"],
                    "the pool id must start with the region '\(value.region)_'"
                )
            }
            if let mode = try self.reader.optionalString(cognito["issuer"], path: "settings.cognito.issuer") {
                guard let parsed = CognitoSettings.IssuerMode(rawValue: mode) else {
                    throw self.reader.error("settings.cognito.issuer", cognito["issuer"], "expected local or aws, found '\(mode)'")
                }
                value.issuerMode = parsed
            }
            settings.cognito = value
        }
        if let node = fields["idcs"] {
            let idcs = try self.reader.mapping(node, path: "settings.idcs", allowed: ["issuer", "tenant", "userinfo_groups"])
            var value = IDCSSettings()
            value.tenant = try self.reader.optionalString(idcs["tenant"], path: "settings.idcs.tenant") ?? value.tenant
            if let mode = try self.reader.optionalString(idcs["issuer"], path: "settings.idcs.issuer") {
                guard let parsed = IDCSSettings.IssuerMode(rawValue: mode) else {
                    throw self.reader.error("settings.idcs.issuer", idcs["issuer"], "expected oracle or local, found '\(mode)'")
                }
                value.issuerMode = parsed
            }
            if let format = try self.reader.optionalString(idcs["userinfo_groups"], path: "settings.idcs.userinfo_groups") {
                guard let parsed = IDCSSettings.GroupsFormat(rawValue: format) else {
                    throw self.reader.error("settings.idcs.userinfo_groups", idcs["userinfo_groups"], "expected objects or names, found '\(format)'")
                }
                value.groupsFormat = parsed
            }
            settings.idcs = value
        }
        return settings
    }

    private mutating func user(_ node: Node, path: String) throws -> SeedFile.User {
        let fields = try self.reader.mapping(
            node,
            path: path,
            allowed: [
                "username", "sub", "password", "password_hash", "email", "email_verified", "given_name", "family_name", "name",
                "phone_number", "groups", "attributes",
            ]
        )
        var user = SeedFile.User(username: try self.required(fields, "username", path))
        user.line = node.mark?.line ?? 0
        user.sub = try self.reader.optionalString(fields["sub"], path: path + ".sub")
        user.password = try self.reader.optionalString(fields["password"], path: path + ".password")
        user.passwordHash = try self.reader.optionalString(fields["password_hash"], path: path + ".password_hash")
        if user.password != nil, user.passwordHash != nil {
            throw self.reader.error(path + ".password_hash", fields["password_hash"], "give either password or password_hash, not both")
        }
        if let hash = user.passwordHash, !PasswordHasher.isBcryptHash(hash) {
            throw self.reader.error(path + ".password_hash", fields["password_hash"], "is not a bcrypt hash ($2a$/$2b$/$2y$)")
        }
        user.email = try self.reader.optionalString(fields["email"], path: path + ".email")
        user.emailVerified = try self.reader.bool(fields["email_verified"], path: path + ".email_verified")
        user.givenName = try self.reader.optionalString(fields["given_name"], path: path + ".given_name")
        user.familyName = try self.reader.optionalString(fields["family_name"], path: path + ".family_name")
        user.name = try self.reader.optionalString(fields["name"], path: path + ".name")
        user.phoneNumber = try self.reader.optionalString(fields["phone_number"], path: path + ".phone_number")
        user.groups = try self.references(fields["groups"], path: path + ".groups", kind: .group, noun: "group")
        if let attributes = fields["attributes"] {
            guard case .object(let object) = try self.reader.json(attributes, path: path + ".attributes") else {
                throw self.reader.error(path + ".attributes", attributes, "expected a mapping of attribute names to values")
            }
            user.attributes = object
        }
        return user
    }

    private mutating func client(_ node: Node, path: String) throws -> SeedFile.Client {
        let fields = try self.reader.mapping(
            node,
            path: path,
            allowed: [
                "client_id", "name", "public", "client_secret", "client_secret_hash", "redirect_uris", "post_logout_redirect_uris",
                "grant_types", "scopes", "default_scopes", "audience", "dialect", "signing_alg", "access_token_ttl", "id_token_ttl",
                "allow_plain_pkce", "pre_token_generation",
            ]
        )
        var client = SeedFile.Client(clientID: try self.required(fields, "client_id", path))
        client.line = node.mark?.line ?? 0
        client.name = try self.reader.optionalString(fields["name"], path: path + ".name")
        client.isPublic = try self.reader.bool(fields["public"], path: path + ".public") ?? false
        client.clientSecret = try self.reader.optionalString(fields["client_secret"], path: path + ".client_secret")
        client.clientSecretHash = try self.reader.optionalString(fields["client_secret_hash"], path: path + ".client_secret_hash")
        let hasSecret = client.clientSecret != nil || client.clientSecretHash != nil
        if client.clientSecret != nil, client.clientSecretHash != nil {
            throw self.reader.error(
                path + ".client_secret_hash",
                fields["client_secret_hash"],
                "give either client_secret or client_secret_hash, not both"
            )
        }
        if let hash = client.clientSecretHash, !PasswordHasher.isBcryptHash(hash) {
            throw self.reader.error(path + ".client_secret_hash", fields["client_secret_hash"], "is not a bcrypt hash ($2a$/$2b$/$2y$)")
        }
        if client.isPublic, hasSecret {
            throw self.reader.error(path + ".client_secret", fields["client_secret"] ?? fields["client_secret_hash"], "a public client has no secret")
        }
        if !client.isPublic, !hasSecret {
            throw self.reader.error(path, node, "a confidential client needs client_secret (or set public: true)")
        }
        client.redirectURIs = try self.uris(fields["redirect_uris"], path: path + ".redirect_uris")
        client.postLogoutRedirectURIs = try self.uris(fields["post_logout_redirect_uris"], path: path + ".post_logout_redirect_uris")
        client.grantTypes = try self.reader.strings(fields["grant_types"], path: path + ".grant_types")
        for (index, grant) in client.grantTypes.enumerated() where !GrantType.all.contains(grant) {
            throw self.reader.error(
                "\(path).grant_types[\(index)]",
                fields["grant_types"],
                "unknown grant type '\(grant)' (expected one of: \(GrantType.all.sorted().joined(separator: ", ")))"
            )
        }
        if client.isPublic, client.grantTypes.contains(GrantType.clientCredentials) {
            throw self.reader.error(path + ".grant_types", fields["grant_types"], "a public client cannot use client_credentials")
        }
        client.scopes = try self.references(fields["scopes"], path: path + ".scopes", kind: .scope, noun: "scope")
        if let defaults = fields["default_scopes"] {
            let scopes = try self.reader.strings(defaults, path: path + ".default_scopes")
            for (index, scope) in scopes.enumerated() where !client.scopes.contains(scope) {
                throw self.reader.error("\(path).default_scopes[\(index)]", defaults, "'\(scope)' is not in the client's scopes")
            }
            client.defaultScopes = scopes
        }
        client.audience = try self.reader.strings(fields["audience"], path: path + ".audience")
        if let dialect = try self.reader.optionalString(fields["dialect"], path: path + ".dialect") {
            guard Dialect(rawValue: dialect) != nil else {
                throw self.reader.error(
                    path + ".dialect",
                    fields["dialect"],
                    "unknown dialect '\(dialect)' (expected one of: generic, cognito, idcs)"
                )
            }
            client.dialect = dialect
        }
        if let algorithm = try self.reader.optionalString(fields["signing_alg"], path: path + ".signing_alg") {
            guard SigningAlgorithm(rawValue: algorithm) != nil else {
                let expected = SigningAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")
                throw self.reader.error(
                    path + ".signing_alg",
                    fields["signing_alg"],
                    "unsupported algorithm '\(algorithm)' (expected one of: \(expected))"
                )
            }
            client.signingAlgorithm = algorithm
        }
        client.accessTokenTTL = try self.reader.positiveInt(fields["access_token_ttl"], path: path + ".access_token_ttl")
        client.idTokenTTL = try self.reader.positiveInt(fields["id_token_ttl"], path: path + ".id_token_ttl")
        client.allowsPlainPKCE = try self.reader.bool(fields["allow_plain_pkce"], path: path + ".allow_plain_pkce") ?? false
        if let hook = fields["pre_token_generation"] {
            if let enabled = try? self.reader.bool(hook, path: path + ".pre_token_generation") {
                guard enabled == false else {
                    throw self.reader.error(path + ".pre_token_generation", hook, "use false to turn the hook off, or a mapping with url")
                }
                client.preTokenGeneration = .disabled
            } else {
                client.preTokenGeneration = .custom(try self.hook(hook, path: path + ".pre_token_generation"))
            }
        }
        return client
    }

    /// A `pre_token_generation:` mapping: `url`, `version` (1, 2 or 3), `timeout_ms`.
    private func hook(_ node: Node, path: String) throws -> HookConfiguration {
        let fields = try self.reader.mapping(node, path: path, allowed: ["url", "version", "timeout_ms"])
        let url = try self.required(fields, "url", path)
        guard let parts = URLParts(url), parts.scheme == "http" || parts.scheme == "https", !parts.host.isEmpty else {
            throw self.reader.error(path + ".url", fields["url"], "'\(url)' is not an absolute http(s) URL")
        }
        var hook = HookConfiguration(url: url)
        if let versionNode = fields["version"] {
            let text = try self.reader.string(versionNode, path: path + ".version")
            guard let version = Int(text), (1...3).contains(version) else {
                throw self.reader.error(
                    path + ".version",
                    versionNode,
                    "expected \"1\", \"2\" or \"3\" (Cognito trigger event versions), found '\(text)'"
                )
            }
            hook.version = version
        }
        if let timeout = try self.reader.positiveInt(fields["timeout_ms"], path: path + ".timeout_ms") {
            guard timeout <= 30_000 else { throw self.reader.error(path + ".timeout_ms", fields["timeout_ms"], "must be at most 30000") }
            hook.timeoutMilliseconds = timeout
        }
        return hook
    }

    private func list<T>(_ node: Node?, _ path: String, _ item: (Node, String) throws -> T) throws -> [T] {
        guard let node else { return [] }
        return try self.reader.sequence(node, path: path).enumerated().map { index, element in
            try item(element, "\(path)[\(index)]")
        }
    }

    private func required(_ fields: [String: Node], _ key: String, _ path: String) throws -> String {
        guard let node = fields[key] else {
            // The entry's first key is on the entry's first line.
            let line = fields.values.compactMap { $0.mark?.line }.min()
            throw SeedError(file: self.reader.file, path: path, line: line, problem: "missing required key '\(key)'")
        }
        return try self.reader.nonEmptyString(node, path: self.reader.join(path, key))
    }

    private mutating func references(_ node: Node?, path: String, kind: SeedLoader.Reference.Kind, noun: String) throws -> [String] {
        guard let node else { return [] }
        let items = node.sequence.map(Array.init) ?? [node]
        let names = try self.reader.strings(node, path: path)
        for (index, name) in names.enumerated() {
            let itemPath = node.sequence == nil ? path : "\(path)[\(index)]"
            let error = self.reader.error(itemPath, items[index], "unknown \(noun) '\(name)' (not declared under \(noun)s:)")
            self.references.append(.init(kind: kind, name: name, error: error))
        }
        return names.uniqued()
    }

    private func uris(_ node: Node?, path: String) throws -> [String] {
        let uris = try self.reader.strings(node, path: path)
        for (index, uri) in uris.enumerated() {
            guard let components = URLComponents(string: uri), let scheme = components.scheme, !scheme.isEmpty,
                components.fragment == nil
            else {
                throw self.reader.error("\(path)[\(index)]", node, "'\(uri)' is not an absolute URI without a fragment")
            }
        }
        return uris
    }

    /// - Parameter positions: the list index of each name, when `names` skips entries.
    private func checkUnique(_ names: [String], _ node: Node?, _ path: String, key: String, positions: [Int]? = nil) throws {
        var seen = Set<String>()
        for (offset, name) in names.enumerated() where !seen.insert(name).inserted {
            let index = positions?[offset] ?? offset
            let item = node?.sequence.map(Array.init)?[index]
            throw self.reader.error("\(path)[\(index)].\(key)", item, "duplicate \(key) '\(name)'")
        }
    }
}

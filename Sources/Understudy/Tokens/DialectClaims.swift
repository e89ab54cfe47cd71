import Crypto
import Foundation

/// The claims of access and ID tokens in each dialect, before the hook and before signing.
///
/// - generic: RFC 9068 access tokens (`typ: at+jwt`) and OIDC Core ID tokens.
/// - cognito: the claim names, types and presence of Cognito user-pool tokens (no `typ`; no `aud` in access
///   tokens; `token_use`, `cognito:username`, `username`, `version`, `origin_jti`, `event_id`; `custom:`
///   attributes as strings).
/// - idcs: Oracle IDCS names (`tok_type`, `sub` = user name, `sub_type`, `user_id`, `user_displayname`,
///   `client_guid`, tenant names, 32-hex `jti`).
struct TokenDraft: Sendable {
    var dialect: Dialect
    var access: ClaimSet?
    var id: ClaimSet?
    /// Scopes of the access token (the hook may add and suppress).
    var scopes: [String]
    /// Groups, roles and preferred role (the hook's group override replaces them).
    var groups: [String]
    var roles: [String] = []
    var preferredRole: String?
    /// Whether a hook replaced the groups.
    var groupsOverridden = false
    /// Whether the client was granted the `groups` scope (generic and IDCS put groups in tokens only then).
    var groupsScopeGranted: Bool

    /// JOSE `typ` of each token: RFC 9068 / OIDC for generic, none for Cognito and IDCS (as they issue them).
    var accessTokenType: String? { self.dialect == .generic ? "at+jwt" : nil }
    var idTokenType: String? { self.dialect == .generic ? "JWT" : nil }

    /// What every draft is built from.
    struct Inputs: Sendable {
        var dialect: Dialect
        var issuer: String
        var client: Client
        /// Nil for client credentials.
        var account: UserRepository.Account?
        var scopes: [String]
        var issuedAt: Int
        var accessTTL: Int
        var idTTL: Int
        var authTime: Int
        var nonce: String?
        var accessJTI: String
        /// Cognito's `origin_jti`: the original authentication, stable across refreshes.
        var originJTI: String
        var includeAccess: Bool
        var includeID: Bool
        var idcsTenant: String
        /// The public base URL, for IDCS audiences.
        var baseURL: String
    }

    init(_ inputs: Inputs) {
        self.dialect = inputs.dialect
        self.scopes = inputs.scopes
        self.groups = inputs.account?.groups ?? []
        self.groupsScopeGranted = inputs.scopes.contains(StandardScope.groups) || (inputs.dialect == .idcs && inputs.scopes.contains("get_groups"))
        switch inputs.dialect {
        case .generic: self.buildGeneric(inputs)
        case .cognito: self.buildCognito(inputs)
        case .idcs: self.buildIDCS(inputs)
        }
    }

    // MARK: generic

    private mutating func buildGeneric(_ inputs: Inputs) {
        let audience = inputs.client.audience
        if inputs.includeAccess {
            var claims = ClaimSet([
                "iss": .string(inputs.issuer),
                "sub": .string(inputs.account?.user.id ?? inputs.client.id),
                "aud": audience.count == 1 ? .string(audience[0]) : .array(audience.map(JSONValue.string)),
                "iat": .int(inputs.issuedAt),
                "exp": .int(inputs.issuedAt + inputs.accessTTL),
                "jti": .string(inputs.accessJTI),
                "client_id": .string(inputs.client.id),
            ])
            if inputs.account != nil { claims["auth_time"] = .int(inputs.authTime) }
            self.access = claims
        }
        if inputs.includeID, let account = inputs.account {
            var claims = ClaimSet(UserClaims.claims(of: account, scopes: inputs.scopes))
            claims["groups"] = nil
            claims["iss"] = .string(inputs.issuer)
            claims["aud"] = .string(inputs.client.id)
            claims["iat"] = .int(inputs.issuedAt)
            claims["exp"] = .int(inputs.issuedAt + inputs.idTTL)
            claims["auth_time"] = .int(inputs.authTime)
            claims["jti"] = .string(UUID.random().lowercaseText)
            if let nonce = inputs.nonce { claims["nonce"] = .string(nonce) }
            self.id = claims
        }
    }

    // MARK: cognito

    private mutating func buildCognito(_ inputs: Inputs) {
        // Only tokens for a user carry an event id, so a client credentials token skips the hash.
        lazy var eventID = Self.derivedUUID(inputs.originJTI, salt: "event")
        if inputs.includeAccess {
            var claims = ClaimSet([
                "iss": .string(inputs.issuer),
                "client_id": .string(inputs.client.id),
                "token_use": .string("access"),
                "auth_time": .int(inputs.authTime),
                "iat": .int(inputs.issuedAt),
                "exp": .int(inputs.issuedAt + inputs.accessTTL),
                "jti": .string(inputs.accessJTI),
                "version": .int(2),
            ])
            if let account = inputs.account {
                claims["sub"] = .string(account.user.id)
                claims["username"] = .string(account.user.username)
                claims["origin_jti"] = .string(inputs.originJTI)
                claims["event_id"] = .string(eventID)
            } else {
                claims["sub"] = .string(inputs.client.id)
            }
            self.access = claims
        }
        if inputs.includeID, let account = inputs.account {
            let user = account.user
            // Cognito puts every attribute the client can read in the ID token.
            var claims = ClaimSet([
                "sub": .string(user.id),
                "aud": .string(inputs.client.id),
                "iss": .string(inputs.issuer),
                "token_use": .string("id"),
                "cognito:username": .string(user.username),
                "auth_time": .int(inputs.authTime),
                "iat": .int(inputs.issuedAt),
                "exp": .int(inputs.issuedAt + inputs.idTTL),
                "jti": .string(UUID.random().lowercaseText),
                "origin_jti": .string(inputs.originJTI),
                "event_id": .string(eventID),
            ])
            let released = CognitoAttributes.released(by: inputs.scopes)
            if released.email, let email = user.email {
                claims["email"] = .string(email)
                claims["email_verified"] = .bool(user.emailVerified)
            }
            if released.phone, let phone = user.phoneNumber {
                claims["phone_number"] = .string(phone)
                claims["phone_number_verified"] = .bool(false)
            }
            if released.profile {
                if let name = user.givenName { claims["given_name"] = .string(name) }
                if let name = user.familyName { claims["family_name"] = .string(name) }
                if let name = user.name { claims["name"] = .string(name) }
                for (name, value) in CustomAttributes.strings(of: user) { claims[name] = .string(value) }
            }
            if let nonce = inputs.nonce { claims["nonce"] = .string(nonce) }
            self.id = claims
        }
    }

    // MARK: idcs

    private mutating func buildIDCS(_ inputs: Inputs) {
        let client = inputs.client
        var common: [String: JSONValue] = [
            "iss": .string(inputs.issuer),
            "sub_mappingattr": .string("userName"),
            "client_id": .string(client.id),
            "client_name": .string(client.record.name ?? client.id),
            "client_guid": .string(Self.hexID(client.id, salt: "client")),
            "client_tenantname": .string(inputs.idcsTenant),
            "tenant": .string(inputs.idcsTenant),
            "user.tenant.name": .string(inputs.idcsTenant),
            "iat": .int(inputs.issuedAt),
        ]
        if let account = inputs.account {
            common["sub"] = .string(account.user.username)
            common["sub_type"] = .string("user")
            common["user_id"] = .string(account.user.id.replacingOccurrences(of: "-", with: "").lowercased())
            common["user_displayname"] = .string(String((account.user.name ?? account.user.username).prefix(255)))
            common["user_tenantname"] = .string(inputs.idcsTenant)
        } else {
            common["sub"] = .string(client.id)
            common["sub_type"] = .string("client")
        }
        if inputs.includeAccess {
            var claims = ClaimSet(common)
            claims["tok_type"] = .string("AT")
            let audience = client.record.audience.isEmpty ? [inputs.baseURL] : client.record.audience
            claims["aud"] = audience.count == 1 ? .string(audience[0]) : .array(audience.map(JSONValue.string))
            claims["exp"] = .int(inputs.issuedAt + inputs.accessTTL)
            claims["jti"] = .string(inputs.accessJTI.replacingOccurrences(of: "-", with: ""))
            self.access = claims
        }
        if inputs.includeID, let account = inputs.account {
            var claims = ClaimSet(common)
            claims["tok_type"] = .string("IT")
            claims["aud"] = .array([.string(inputs.issuer), .string(client.id)])
            claims["azp"] = .string(client.id)
            claims["auth_time"] = .int(inputs.authTime)
            claims["exp"] = .int(inputs.issuedAt + inputs.idTTL)
            claims["session_exp"] = .int(inputs.issuedAt + inputs.idTTL)
            claims["jti"] = .string(UUID.random().lowercaseText.replacingOccurrences(of: "-", with: ""))
            claims["amr"] = .array([.string("USERNAME_PASSWORD")])
            claims["authn_strength"] = .string("2")
            claims["idp_type"] = .string("LOCAL")
            if inputs.scopes.contains(StandardScope.email), let email = account.user.email {
                claims["email"] = .string(email)
                claims["email_verified"] = .bool(account.user.emailVerified)
            }
            if let nonce = inputs.nonce { claims["nonce"] = .string(nonce) }
            self.id = claims
        }
    }

    // MARK: finishing

    /// Applies a hook's overrides. Reserved claims are neither added, overridden nor suppressed; returns their names.
    mutating func apply(_ overrides: TokenOverrides) -> [String] {
        var ignored: [String] = []
        if let group = overrides.groupOverride {
            self.groups = group.groups
            self.groupsOverridden = true
            self.roles = group.roles
            self.preferredRole = group.preferredRole
        }
        if self.access != nil {
            // As with claims, suppression wins over addition of the same scope.
            var scopes = self.scopes + overrides.accessToken.scopesToAdd.filter { !self.scopes.contains($0) }
            scopes.removeAll { overrides.accessToken.scopesToSuppress.contains($0) }
            self.scopes = scopes
            ignored += Self.edit(&self.access, overrides.accessToken, reserved: ReservedClaims.accessToken(self.dialect))
        }
        if self.id != nil {
            ignored += Self.edit(&self.id, overrides.idToken, reserved: ReservedClaims.idToken(self.dialect))
        }
        return ignored
    }

    private static func edit(_ claims: inout ClaimSet?, _ edits: TokenOverrides.ClaimEdits, reserved: Set<String>) -> [String] {
        guard var set = claims else { return [] }
        var ignored: [String] = []
        for (name, value) in edits.addOrOverride.sorted(by: { $0.key < $1.key }) {
            guard !reserved.contains(name) else {
                ignored.append(name)
                continue
            }
            set[name] = value
        }
        // Cognito: suppression wins over an addition of the same claim.
        for name in edits.suppress {
            guard !reserved.contains(name) else {
                ignored.append(name)
                continue
            }
            set[name] = nil
        }
        claims = set
        return ignored
    }

    /// Puts scopes and groups into the claims, in the dialect's names. Call after ``apply(_:)``.
    mutating func finish() {
        if var access = self.access {
            access["scope"] = self.scopes.isEmpty ? nil : .string(self.scopes.joined(separator: " "))
            self.access = access
        }
        let groups = JSONValue.array(self.groups.map(JSONValue.string))
        // Scopes may have changed in the hook.
        if self.access != nil {
            self.groupsScopeGranted = self.scopes.contains(StandardScope.groups) || (self.dialect == .idcs && self.scopes.contains("get_groups"))
        }
        switch self.dialect {
        case .generic:
            // With the groups scope, and not as an empty list (an override without groups removes the claim).
            if self.groupsScopeGranted, !self.groups.isEmpty || !self.groupsOverridden {
                self.access?["groups"] = groups
                self.id?["groups"] = groups
            }
        case .cognito:
            // Cognito omits cognito:groups when there are none.
            if !self.groups.isEmpty {
                self.access?["cognito:groups"] = groups
                self.id?["cognito:groups"] = groups
            }
            if !self.roles.isEmpty { self.id?["cognito:roles"] = .array(self.roles.map(JSONValue.string)) }
            if let role = self.preferredRole { self.id?["cognito:preferred_role"] = .string(role) }
        case .idcs:
            // IDCS has no groups claim by default; a custom claim rule adds `group` (Oracle's guidance).
            if self.groupsScopeGranted, !self.groups.isEmpty || !self.groupsOverridden { self.access?["group"] = groups }
        }
    }

    /// A UUID derived from `value` (so Cognito's `event_id` stays the same across refreshes of one sign-in).
    static func derivedUUID(_ value: String, salt: String) -> String {
        var bytes = Array(SHA256.hash(data: Data("\(salt):\(value)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let uuid = bytes.withUnsafeBytes { $0.loadUnaligned(as: uuid_t.self) }
        return UUID(uuid: uuid).lowercaseText
    }

    /// 32 lower-case hex digits derived from `value` (IDCS GUIDs).
    static func hexID(_ value: String, salt: String) -> String {
        SHA256.hash(data: Data("\(salt):\(value)".utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}

/// Which user attributes Cognito releases for a set of scopes: all of them for `openid` alone or with
/// `profile`; otherwise only those of `email` and `phone`.
enum CognitoAttributes {
    struct Released {
        var profile: Bool
        var email: Bool
        var phone: Bool
    }

    static func released(by scopes: [String]) -> Released {
        let oidc = Set(scopes.filter { [StandardScope.openid, StandardScope.profile, StandardScope.email, StandardScope.phone].contains($0) })
        let all = oidc.contains(StandardScope.profile) || oidc == [StandardScope.openid]
        return Released(profile: all, email: all || oidc.contains(StandardScope.email), phone: all || oidc.contains(StandardScope.phone))
    }
}

/// Claims a pre-token-generation hook may not add, override or suppress (attempts are ignored and logged).
///
/// The ID token list is Cognito's documented one; access tokens also protect what identifies the client,
/// its scopes (edited with scopesToAdd/scopesToSuppress) and the token kind. Each dialect's group claims
/// change only through groupOverrideDetails, and IDCS's token markers not at all.
enum ReservedClaims {
    static let cognitoIDToken: Set<String> = [
        "acr", "amr", "aud", "at_hash", "auth_time", "azp", "cognito:username", "exp", "iat", "identities", "iss", "jti", "nbf", "nonce",
        "origin_jti", "sub", "token_use",
    ]
    /// What marks a token's kind and owner in any dialect: never editable, so a hook cannot turn an ID token
    /// into something userinfo, revocation or logout would read as another kind or client's.
    static let markers: Set<String> = ["token_use", "tok_type", "client_id", "sub_type"]
    static let accessTokenExtras: Set<String> = ["client_id", "scope", "username", "version", "event_id", "device_key"]

    /// The claims through which each dialect states groups and token kinds.
    static func dialectClaims(_ dialect: Dialect) -> Set<String> {
        switch dialect {
        case .generic: ["groups"]
        case .cognito: ["cognito:groups", "cognito:roles", "cognito:preferred_role"]
        case .idcs: ["group", "tok_type", "sub_type", "user_id"]
        }
    }

    static func idToken(_ dialect: Dialect) -> Set<String> {
        cognitoIDToken.union(dialectClaims(dialect)).union(markers)
    }

    static func accessToken(_ dialect: Dialect) -> Set<String> {
        idToken(dialect).union(accessTokenExtras)
    }
}

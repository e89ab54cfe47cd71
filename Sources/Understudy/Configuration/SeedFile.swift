/// The identities and settings a seed file declares (YAML or JSON, same shape).
///
/// Applied at start, idempotently, by ``Seeder``. Wire keys are snake_case; see `seed/default.yaml`.
public struct SeedFile: Sendable, Equatable, Encodable {
    /// `settings:` — server settings that flags and environment variables override.
    public var settings = Settings()
    /// `groups:` — user groups such as `SPA-Manager`.
    public var groups: [Group] = []
    /// `scopes:` — resource-server scopes, Cognito style (`orders/get.order`).
    public var scopes: [Scope] = []
    /// `users:` — people who can sign in.
    public var users: [User] = []
    /// `clients:` — OAuth clients (applications).
    public var clients: [Client] = []
    /// `hooks:` — calls out while minting tokens.
    public var hooks = Hooks()

    public init() {}

    /// `settings:` of a seed file.
    public struct Settings: Sendable, Equatable, Encodable {
        /// `issuer` — the fixed `iss` of every token and the public base URL.
        public var issuer: String?
        /// `access_token_ttl` — access token lifetime in seconds.
        public var accessTokenTTL: Int?
        /// `id_token_ttl` — ID token lifetime in seconds.
        public var idTokenTTL: Int?
        /// `refresh_token_ttl` — refresh token lifetime in seconds (default 30 days).
        public var refreshTokenTTL: Int?
        /// `session_ttl` — how long a browser stays signed in, in seconds (default 3600).
        public var sessionTTL: Int?
        /// `login_user_picker` — show the one-click list of users on the login page (default false).
        public var loginUserPicker: Bool?
        /// `login_deny_button` — show the Deny button that returns `access_denied` (default true).
        public var loginDenyButton: Bool?
        /// `login_lockout` — Cognito's lockout after five failed sign-ins in a row (default true).
        public var loginLockout: Bool?
        /// `cognito` — the impersonated user pool (region, pool id, issuer mode); enables the pool-id aliases.
        public var cognito: CognitoSettings?
        /// `idcs` — the impersonated identity domain (issuer mode, tenant name).
        public var idcs: IDCSSettings?

        public init() {}
    }

    /// `hooks:` of a seed file.
    public struct Hooks: Sendable, Equatable, Encodable {
        /// `pre_token_generation` — the server-wide Cognito Pre Token Generation trigger.
        public var preTokenGeneration: HookConfiguration?
    }

    /// A group entry.
    public struct Group: Sendable, Equatable, Encodable {
        /// `name` — unique group name, the value that appears in `groups` claims.
        public var name: String
        /// `description` — free text.
        public var description: String?
    }

    /// A resource-server scope entry.
    public struct Scope: Sendable, Equatable, Encodable {
        /// `name` — the scope string, e.g. `orders/get.order`.
        public var name: String
        /// `description` — free text.
        public var description: String?
    }

    /// A user entry.
    public struct User: Sendable, Equatable, Encodable {
        /// `username` — unique sign-in name.
        public var username: String
        /// `sub` — fixed subject identifier; default: a UUID derived from the username (stable across databases).
        public var sub: String?
        /// `password` — plaintext test password, stored as a bcrypt hash.
        public var password: String?
        /// `password_hash` — a bcrypt hash, used as is.
        public var passwordHash: String?
        /// `email`.
        public var email: String?
        /// `email_verified` — default `true` when an email is given.
        public var emailVerified: Bool?
        /// `given_name`.
        public var givenName: String?
        /// `family_name`.
        public var familyName: String?
        /// `name` — display name; default: given and family name joined.
        public var name: String?
        /// `phone_number`.
        public var phoneNumber: String?
        /// `groups` — names of groups declared under `groups:` (or already in the database).
        public var groups: [String] = []
        /// `attributes` — extra values that dialect rules and the hook turn into claims.
        public var attributes: [String: JSONValue] = [:]
        /// Line of the entry in its file, for error messages.
        var line: Int = 0
    }

    /// A client entry.
    public struct Client: Sendable, Equatable, Encodable {
        /// `client_id` — unique client identifier.
        public var clientID: String
        /// `name` — display name.
        public var name: String?
        /// `public` — a public client has no secret (SPAs, native apps).
        public var isPublic: Bool = false
        /// `client_secret` — plaintext test secret, stored hashed.
        public var clientSecret: String?
        /// `client_secret_hash` — a bcrypt hash, used as is.
        public var clientSecretHash: String?
        /// `redirect_uris` — exact redirect URIs for browser flows.
        public var redirectURIs: [String] = []
        /// `post_logout_redirect_uris` — allowed targets after logout.
        public var postLogoutRedirectURIs: [String] = []
        /// `grant_types` — e.g. `client_credentials`, `implicit`, `authorization_code`, `refresh_token`, `password`.
        public var grantTypes: [String] = []
        /// `scopes` — scopes the client may be granted.
        public var scopes: [String] = []
        /// `default_scopes` — granted when a request names none; default: the client's resource scopes.
        public var defaultScopes: [String]?
        /// `audience` — the `aud` of its access tokens; default: the client id.
        public var audience: [String] = []
        /// `dialect` — claim shapes: `generic`, `cognito` or `idcs`.
        public var dialect: String = "generic"
        /// `signing_alg` — `RS256` (default) or `ES256`.
        public var signingAlgorithm: String = "RS256"
        /// `access_token_ttl` — overrides the server setting for this client.
        public var accessTokenTTL: Int?
        /// `id_token_ttl` — overrides the server setting for this client.
        public var idTokenTTL: Int?
        /// `allow_plain_pkce` — accept `code_challenge_method=plain` (default: S256 only).
        public var allowsPlainPKCE: Bool = false
        /// `pre_token_generation` — this client's own hook, or `false` for none; default: the server's.
        public var preTokenGeneration: ClientHookSetting?
        /// Line of the entry in its file, for error messages.
        var line: Int = 0
    }
}

extension SeedFile {
    /// Appends the entries of another seed file (later files add to earlier ones; settings override).
    mutating func merge(_ other: SeedFile) {
        self.settings.issuer = other.settings.issuer ?? self.settings.issuer
        self.settings.accessTokenTTL = other.settings.accessTokenTTL ?? self.settings.accessTokenTTL
        self.settings.idTokenTTL = other.settings.idTokenTTL ?? self.settings.idTokenTTL
        self.settings.refreshTokenTTL = other.settings.refreshTokenTTL ?? self.settings.refreshTokenTTL
        self.settings.sessionTTL = other.settings.sessionTTL ?? self.settings.sessionTTL
        self.settings.loginUserPicker = other.settings.loginUserPicker ?? self.settings.loginUserPicker
        self.settings.loginDenyButton = other.settings.loginDenyButton ?? self.settings.loginDenyButton
        self.settings.loginLockout = other.settings.loginLockout ?? self.settings.loginLockout
        self.settings.cognito = other.settings.cognito ?? self.settings.cognito
        self.settings.idcs = other.settings.idcs ?? self.settings.idcs
        self.hooks.preTokenGeneration = other.hooks.preTokenGeneration ?? self.hooks.preTokenGeneration
        self.groups += other.groups
        self.scopes += other.scopes
        self.users += other.users
        self.clients += other.clients
    }
}

/// `settings.cognito:` — the user pool Understudy impersonates for `dialect: cognito` clients.
public struct CognitoSettings: Sendable, Equatable, Encodable {
    /// `region` — e.g. `us-east-1`.
    public var region: String = "us-east-1"
    /// `user_pool_id` — in AWS's format, `<region>_<letters and digits>`.
    public var userPoolID: String = "us-east-1_Understudy"
    /// `issuer` — `local` (default): `iss` is `<issuer>/<pool-id>`, served here; `aws`: `iss` is
    /// `https://cognito-idp.<region>.amazonaws.com/<pool-id>`, for code that checks Cognito's own issuer.
    public var issuerMode: IssuerMode = .local

    public enum IssuerMode: String, Sendable, Equatable, Encodable {
        case local
        case aws
    }

    public init() {}

    /// AWS's pattern for user pool ids (aws-jwt-verify's `USER_POOL_ID_REGEX`).
    static func isValidPoolID(_ id: String) -> Bool {
        id.wholeMatch(of: #/[a-z]{2}-(gov-)?[a-z]+-\d_[a-zA-Z0-9]+/#) != nil
    }

    /// The `iss` of Cognito-dialect tokens, given the server's issuer.
    func issuer(base: String) -> String {
        switch self.issuerMode {
        case .local: "\(base)/\(self.userPoolID)"
        case .aws: "https://cognito-idp.\(self.region).amazonaws.com/\(self.userPoolID)"
        }
    }
}

/// `settings.idcs:` — the identity domain Understudy impersonates for `dialect: idcs` clients.
public struct IDCSSettings: Sendable, Equatable, Encodable {
    /// `issuer` — `oracle` (default): `iss` is `https://identity.oraclecloud.com/`, as every IDCS tenant's;
    /// `local`: the server's issuer.
    public var issuerMode: IssuerMode = .oracle
    /// `tenant` — the tenant name in `tenant`, `user_tenantname`, `client_tenantname`.
    public var tenant: String = "idcs-understudy"
    /// `userinfo_groups` — how userinfo lists groups for the `groups` scope: `objects` (default:
    /// `{name, id, $ref}`, SCIM style) or `names`.
    public var groupsFormat: GroupsFormat = .objects

    public enum GroupsFormat: String, Sendable, Equatable, Encodable {
        case objects
        case names
    }

    public enum IssuerMode: String, Sendable, Equatable, Encodable {
        case oracle
        case local
    }

    public init() {}

    static let oracleIssuer = "https://identity.oraclecloud.com/"

    func issuer(base: String) -> String {
        self.issuerMode == .oracle ? Self.oracleIssuer : base
    }
}

/// `pre_token_generation:` — where and how to call a Cognito Pre Token Generation trigger.
public struct HookConfiguration: Sendable, Equatable, Codable {
    /// `url` — any HTTP endpoint, e.g. the Lambda runtime interface emulator's invoke URL.
    public var url: String
    /// `version` — the trigger event version: 1, 2 or 3.
    public var version: Int = 2
    /// `timeout_ms` — how long to wait for the answer (default 5000, as Cognito).
    public var timeoutMilliseconds: Int = 5000

    public init(url: String, version: Int = 2, timeoutMilliseconds: Int = 5000) {
        self.url = url
        self.version = version
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

/// A client's `pre_token_generation:` — inherit the server's hook, turn it off, or use its own.
public enum ClientHookSetting: Sendable, Equatable, Codable {
    case disabled
    case custom(HookConfiguration)
}

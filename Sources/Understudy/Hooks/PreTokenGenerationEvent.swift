import Foundation

/// The Cognito Pre Token Generation trigger event (versions 1, 2 and 3) that Understudy sends to a hook.
///
/// Shapes from AWS's trigger documentation and the aws-lambda typings: `version`, `triggerSource`, `region`,
/// `userPoolId`, `userName`, `callerContext`, `request` and an empty `response`.
enum PreTokenGenerationEvent {
    /// `triggerSource` values (Cognito's names).
    enum TriggerSource: String, Sendable {
        /// Sign-in through the hosted UI: Understudy's authorization endpoint and login page.
        case hostedAuth = "TokenGeneration_HostedAuth"
        /// Sign-in by API: the password grant.
        case authentication = "TokenGeneration_Authentication"
        case refreshTokens = "TokenGeneration_RefreshTokens"
        /// Machine-to-machine tokens; only version 3 hooks see these.
        case clientCredentials = "TokenGeneration_ClientCredentials"
    }

    /// Everything the event is built from.
    struct Inputs: Sendable {
        var version: Int
        var triggerSource: TriggerSource
        var cognito: CognitoSettings
        var client: Client
        /// Nil for client credentials.
        var account: UserRepository.Account?
        /// The scopes of the access token Understudy is about to mint.
        var scopes: [String]
        var clientMetadata: [String: String]
    }

    static func make(_ inputs: Inputs) -> JSONValue {
        var request: [String: JSONValue] = [
            "userAttributes": .object(inputs.account.map(Self.userAttributes) ?? [:]),
            "groupConfiguration": .object([
                "groupsToOverride": .array((inputs.account?.groups ?? []).map(JSONValue.string)),
                "iamRolesToOverride": .array([]),
                "preferredRole": .null,
            ]),
            "clientMetadata": .object(inputs.clientMetadata.mapValues(JSONValue.string)),
        ]
        if inputs.version >= 2 { request["scopes"] = .array(inputs.scopes.map(JSONValue.string)) }
        let response: [String: JSONValue] =
            inputs.version == 1 ? ["claimsOverrideDetails": .null] : ["claimsAndScopeOverrideDetails": .null]
        return .object([
            "version": .string("\(inputs.version)"),
            "triggerSource": .string(inputs.triggerSource.rawValue),
            "region": .string(inputs.cognito.region),
            "userPoolId": .string(inputs.cognito.userPoolID),
            "userName": .string(inputs.account?.user.username ?? inputs.client.id),
            "callerContext": .object(["awsSdkVersion": .string("aws-sdk-unknown-unknown"), "clientId": .string(inputs.client.id)]),
            "request": .object(request),
            "response": .object(response),
        ])
    }

    /// The user's attributes as Cognito passes them: every value a string, seed attributes as `custom:<name>`.
    static func userAttributes(_ account: UserRepository.Account) -> [String: JSONValue] {
        let user = account.user
        var attributes: [String: JSONValue] = [
            "sub": .string(user.id),
            "cognito:user_status": .string("CONFIRMED"),
        ]
        func put(_ name: String, _ value: String?) {
            if let value { attributes[name] = .string(value) }
        }
        put("email", user.email)
        if user.email != nil { attributes["email_verified"] = .string(user.emailVerified ? "true" : "false") }
        put("given_name", user.givenName)
        put("family_name", user.familyName)
        put("name", user.name)
        put("phone_number", user.phoneNumber)
        if user.phoneNumber != nil { attributes["phone_number_verified"] = .string("false") }
        for (name, value) in CustomAttributes.strings(of: user) { attributes[name] = .string(value) }
        return attributes
    }
}

/// Seed `attributes:` as Cognito custom attributes: `custom:<name>` with a string value (Cognito writes
/// custom attributes as strings whatever their type); lists and objects become their JSON text.
enum CustomAttributes {
    static func strings(of user: User) -> [(String, String)] {
        user.attributes.keys.sorted().map { name in
            let key = name.hasPrefix("custom:") ? name : "custom:\(name)"
            return (key, Self.string(user.attributes[name] ?? .null))
        }
    }

    static func string(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return "\(number)"
        case .double(let number): return "\(number)"
        case .null: return ""
        case .array, .object:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
    }
}

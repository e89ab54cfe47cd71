/// The `iss` of each dialect's tokens: the configured issuer, the impersonated Cognito pool's, and IDCS's.
struct DialectIssuers: Sendable, Equatable {
    var generic: String
    var cognito: String
    var idcs: String

    init(issuer: String, cognito: CognitoSettings?, idcs: IDCSSettings?) {
        self.generic = issuer
        self.cognito = cognito?.issuer(base: issuer) ?? issuer
        self.idcs = (idcs ?? IDCSSettings()).issuer(base: issuer)
    }

    func issuer(for dialect: Dialect) -> String {
        switch dialect {
        case .generic: self.generic
        case .cognito: self.cognito
        case .idcs: self.idcs
        }
    }

    /// Every issuer a token of this server may carry.
    var all: Set<String> { [self.generic, self.cognito, self.idcs] }
}

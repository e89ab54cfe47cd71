import Foundation
import HTTPTypes
import JWTKit
import Logging

/// Assembles and signs tokens: the dialect's claims, then the pre-token-generation hook, then signatures.
/// The only place that decides what claims a token carries.
struct TokenIssuer: Sendable {
    let issuers: DialectIssuers
    let keys: SigningKeys
    let accessTokenTTL: Int
    let idTokenTTL: Int
    let hooks: PreTokenGenerationHooks
    /// The public base URL (IDCS access tokens name it as their audience).
    let baseURL: String
    let idcsTenant: String
    let now: @Sendable () -> Date

    /// A signed access token and what the token response says about it.
    struct IssuedAccessToken: Sendable {
        var token: String
        var jti: String
        var expiresIn: Int
        var scopes: [String]
        var subject: String
    }

    /// The access token lifetime for `client`, in seconds.
    func accessTokenTTL(for client: Client) -> Int {
        client.record.accessTokenTTL ?? self.accessTokenTTL
    }

    /// An access token for a client acting on its own behalf (client credentials grant). A version 3 hook
    /// sees it as `TokenGeneration_ClientCredentials`.
    /// - Parameters:
    ///   - extra: claims the admin API asked for, applied after the hook (reserved claims are not touched).
    ///   - lifetime: the access token's lifetime, instead of the client's.
    func clientCredentialsToken(
        for client: Client,
        scopes: [String],
        clientMetadata: [String: String] = [:],
        extra: TokenOverrides? = nil,
        lifetime: Int? = nil
    ) async throws -> IssuedAccessToken {
        var pending = self.clientCredentialsDraft(for: client, scopes: scopes, lifetime: lifetime)
        try await self.runHook(&pending.draft, client: client, account: nil, trigger: .clientCredentials, clientMetadata: clientMetadata)
        if let extra { _ = pending.draft.apply(extra) }
        return try self.signed(pending)
    }

    /// The same token as ``clientCredentialsToken(for:scopes:clientMetadata:extra:lifetime:)`` without
    /// suspending, for a client whose token no hook has to see; nil when a hook applies.
    func clientCredentialsTokenWithoutHook(for client: Client, scopes: [String]) throws -> IssuedAccessToken? {
        guard self.hooks.configuration(for: client, trigger: .clientCredentials) == nil else { return nil }
        return try self.signed(self.clientCredentialsDraft(for: client, scopes: scopes, lifetime: nil))
    }

    /// A client-credentials access token before the hook, with what its answer needs.
    private struct PendingClientToken {
        var draft: TokenDraft
        var client: Client
        var jti: String
        var lifetime: Int
    }

    private func clientCredentialsDraft(for client: Client, scopes: [String], lifetime: Int?) -> PendingClientToken {
        let issuedAt = Int(self.now().timeIntervalSince1970)
        let jti = UUID.random().lowercaseText
        let accessTTL = lifetime ?? self.accessTokenTTL(for: client)
        let draft = TokenDraft(
            .init(
                dialect: client.dialect,
                issuer: self.issuers.issuer(for: client.dialect),
                client: client,
                account: nil,
                scopes: scopes,
                issuedAt: issuedAt,
                accessTTL: accessTTL,
                idTTL: 0,
                authTime: issuedAt,
                nonce: nil,
                accessJTI: jti,
                originJTI: jti,
                includeAccess: true,
                includeID: false,
                idcsTenant: self.idcsTenant,
                baseURL: self.baseURL
            )
        )
        return PendingClientToken(draft: draft, client: client, jti: jti, lifetime: accessTTL)
    }

    /// Finishes the draft and signs its access token.
    private func signed(_ pending: PendingClientToken) throws -> IssuedAccessToken {
        var draft = pending.draft
        draft.finish()
        guard let claims = draft.access else { throw OAuthError(.serverError, "no access token was drafted", status: .internalServerError) }
        let token = try self.sign(claims, algorithm: pending.client.signingAlgorithm, type: draft.accessTokenType)
        return IssuedAccessToken(token: token, jti: pending.jti, expiresIn: pending.lifetime, scopes: draft.scopes, subject: pending.client.id)
    }

    /// What a user-facing grant asks the issuer for.
    struct UserGrant: Sendable {
        var client: Client
        var account: UserRepository.Account
        var scopes: [String]
        /// When the user last authenticated (OIDC `auth_time`).
        var authTime: Date
        var nonce: String?
        var accessToken = true
        /// An ID token is issued only when this is true and `openid` was granted.
        var idToken = true
        /// The access token's `jti`, when the caller has recorded it beforehand; else a new one.
        var accessTokenID: String?
        /// The sign-in this grant descends from (Cognito's `origin_jti`); else a new one.
        var originID: String?
        var trigger: PreTokenGenerationEvent.TriggerSource = .hostedAuth
        /// Claims the admin API asked for, applied after the hook (reserved claims are not touched).
        var extra: TokenOverrides?
        /// The tokens' lifetime, instead of the client's.
        var lifetime: Int?
    }

    /// Tokens for a signed-in user.
    struct IssuedUserTokens: Sendable {
        var accessToken: IssuedAccessToken?
        var idToken: String?
        /// Lifetime of the access token, or of the ID token when there is no access token.
        var expiresIn: Int
        /// The scopes of the access token, after the hook.
        var scopes: [String]
    }

    /// An access token and/or an ID token for a user (authorization code, implicit, refresh, password).
    func userTokens(_ grant: UserGrant) async throws -> IssuedUserTokens {
        let issuedAt = Int(self.now().timeIntervalSince1970)
        let client = grant.client
        let accessJTI = grant.accessTokenID ?? UUID.random().lowercaseText
        let accessTTL = grant.lifetime ?? self.accessTokenTTL(for: client)
        let idTTL = grant.lifetime ?? client.record.idTokenTTL ?? self.idTokenTTL
        var draft = TokenDraft(
            .init(
                dialect: client.dialect,
                issuer: self.issuers.issuer(for: client.dialect),
                client: client,
                account: grant.account,
                scopes: grant.scopes,
                issuedAt: issuedAt,
                accessTTL: accessTTL,
                idTTL: idTTL,
                authTime: Int(grant.authTime.timeIntervalSince1970),
                nonce: grant.nonce,
                accessJTI: accessJTI,
                originJTI: grant.originID ?? UUID.random().lowercaseText,
                includeAccess: grant.accessToken,
                includeID: grant.idToken && grant.scopes.contains(StandardScope.openid),
                idcsTenant: self.idcsTenant,
                baseURL: self.baseURL
            )
        )
        try await self.runHook(&draft, client: client, account: grant.account, trigger: grant.trigger, clientMetadata: [:])
        if let extra = grant.extra { _ = draft.apply(extra) }
        draft.finish()

        var access: IssuedAccessToken?
        if let claims = draft.access {
            let token = try self.sign(claims, algorithm: client.signingAlgorithm, type: draft.accessTokenType)
            access = IssuedAccessToken(token: token, jti: accessJTI, expiresIn: accessTTL, scopes: draft.scopes, subject: grant.account.user.id)
        }
        var idToken: String?
        if var claims = draft.id {
            if let access { claims["at_hash"] = .string(UserClaims.halfHash(access.token)) }
            idToken = try self.sign(claims, algorithm: client.signingAlgorithm, type: draft.idTokenType)
        }
        return IssuedUserTokens(accessToken: access, idToken: idToken, expiresIn: access?.expiresIn ?? idTTL, scopes: draft.scopes)
    }

    /// Calls the client's pre-token-generation hook, if any, and applies its answer to the draft.
    private func runHook(
        _ draft: inout TokenDraft,
        client: Client,
        account: UserRepository.Account?,
        trigger: PreTokenGenerationEvent.TriggerSource,
        clientMetadata: [String: String]
    ) async throws {
        guard
            let overrides = try await self.hooks.overrides(
                client: client,
                account: account,
                scopes: draft.scopes,
                trigger: trigger,
                clientMetadata: clientMetadata
            )
        else { return }
        let ignored = draft.apply(overrides)
        if !ignored.isEmpty {
            Logger.current.notice(
                "pre-token-generation hook tried to change reserved claims; ignored",
                metadata: ["oauth.client_id": "\(client.id)", "claims": "\(ignored.joined(separator: ","))"]
            )
        }
    }

    /// Signs `claims` with the active key for `algorithm` as a compact JWS (RFC 7515 §7.1).
    ///
    /// The header is written here rather than by jwt-kit, which always adds `typ: JWT`: Cognito and IDCS
    /// tokens carry only `kid` and `alg`, and RFC 9068 access tokens `typ: at+jwt`.
    func sign(_ claims: ClaimSet, algorithm: SigningAlgorithm, type: String?) throws -> String {
        guard let key = self.keys.activeKey(for: algorithm) else {
            throw OAuthError(.serverError, "no \(algorithm.rawValue) signing key is loaded", status: .internalServerError)
        }
        var header = #"{"kid":"\#(key.kid)","alg":"\#(algorithm.rawValue)""#
        if let type { header += #","typ":"\#(type)""# }
        header += "}"
        let payload = JSONWriter.encode(.object(claims.claims))
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(payload)
        let signature = try key.signer.sign(Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }
}

extension TokenIssuer {
    /// The issuer a server with `configuration` and `seed` signs with.
    init(configuration: ServerConfiguration, seed: SeedFile, keys: SigningKeys, hookClient: HookHTTPClient) {
        self.init(
            issuers: DialectIssuers(issuer: configuration.issuer, cognito: configuration.cognito, idcs: configuration.idcs),
            keys: keys,
            accessTokenTTL: configuration.accessTokenTTL,
            idTokenTTL: configuration.idTokenTTL,
            hooks: PreTokenGenerationHooks(
                global: configuration.preTokenGeneration ?? seed.hooks.preTokenGeneration,
                cognito: configuration.cognito ?? CognitoSettings(),
                httpClient: hookClient.client
            ),
            baseURL: configuration.issuer,
            idcsTenant: configuration.idcs.tenant,
            now: configuration.now
        )
    }
}

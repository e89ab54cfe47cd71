import Foundation
import Hummingbird

/// The grants that issue tokens for a user: authorization code, refresh token and password.
extension TokenController {
    /// RFC 6749 §4.1.3 with RFC 7636 §4.6: redeem a code once, bound to its client, redirect URI and verifier.
    /// A second redemption by the same client revokes everything the first one issued (RFC 6749 §4.1.2).
    func authorizationCode(form: FormParameters, client: Client, attempt: inout Attempt) async throws -> TokenResponse {
        guard let value = form["code"] else { throw OAuthError(.invalidRequest, "code is required") }
        let now = self.now()
        guard let code = try await self.grants.findCode(value) else { throw OAuthError(.invalidGrant, "the authorization code is invalid") }
        // Another client presenting the code learns nothing and changes nothing.
        guard code.clientID == client.id else { throw OAuthError(.invalidGrant, "the authorization code is invalid") }
        if code.consumedAt != nil { throw try await self.replayed(code, now: now) }
        guard code.expiresAt > now else { throw OAuthError(.invalidGrant, "the authorization code has expired") }
        guard form["redirect_uri"] == code.redirectURI else {
            throw OAuthError(.invalidGrant, "redirect_uri does not match the one of the authorization request")
        }
        if let challenge = code.codeChallenge, let method = code.codeChallengeMethod {
            guard let verifier = form["code_verifier"] else { throw OAuthError(.invalidGrant, "code_verifier is required (PKCE)") }
            guard PKCE.verify(verifier: verifier, challenge: challenge, method: method) else {
                throw OAuthError(.invalidGrant, "code_verifier does not match the code_challenge")
            }
        } else if form["code_verifier"] != nil {
            // RFC 9700 §4.8.2: a verifier for a code issued without a challenge is a downgrade attempt.
            throw OAuthError(.invalidGrant, "code_verifier was sent but the authorization request had no code_challenge")
        }
        guard let account = try await self.users.find(id: code.userID) else { throw OAuthError(.invalidGrant, "the user no longer exists") }
        guard account.active else { throw OAuthError(.invalidGrant, "the user is disabled") }

        let plan = IssuePlan(client: client, issuer: self.issuer, now: now)
        // Sign (and run the hook) before spending the code: a failing hook leaves the code usable, and the
        // redemption below decides atomically whether these tokens are handed out.
        let tokens = try await self.issuer.userTokens(
            TokenIssuer.UserGrant(
                client: client,
                account: account,
                scopes: code.scopes,
                authTime: code.authTime,
                nonce: code.nonce,
                accessTokenID: plan.accessJTI,
                originID: plan.familyID,
                trigger: .hostedAuth
            )
        )
        switch try await self.grants.redeem(
            code: value,
            now: now,
            accessJTI: plan.accessJTI,
            accessExpiresAt: plan.accessExpiresAt,
            refreshFamilyID: plan.familyID
        ) {
        case .unknown: throw OAuthError(.invalidGrant, "the authorization code is invalid")
        case .replayed(let replayed): throw try await self.replayed(replayed, now: now)
        case .redeemed: break
        }
        var refresh: String?
        if let familyID = plan.familyID {
            let expiry = plan.familyExpiresAt(self.refreshTokenTTL)
            refresh = try await self.grants.createRefreshToken(familyExpiresAt: expiry) { id in
                plan.refreshToken(id: id, familyID: familyID, account: account, scopes: code.scopes, authTime: code.authTime, expiresAt: expiry)
            }
        }
        return try self.respond(tokens, scopes: code.scopes, refreshToken: refresh, attempt: &attempt)
    }

    /// A replayed code: revoke the access token and refresh family of its first redemption.
    private func replayed(_ code: AuthorizationCode, now: Date) async throws -> OAuthError {
        if let jti = code.accessJTI, let expiry = code.accessExpiresAt, expiry > now {
            try await self.revocations.revoke(Revocation(jti: jti, clientID: code.clientID, expiresAt: expiry, revokedAt: now))
        }
        if let family = code.refreshFamilyID {
            try await self.grants.revokeFamily(family, clientID: code.clientID, now: now, revocations: self.revocations)
        }
        return OAuthError(.invalidGrant, "the authorization code was already used; the tokens it issued are revoked")
    }

    /// RFC 6749 §6 with rotation (RFC 9700 §4.14.2): the presented refresh token is spent and replaced; a
    /// spent one presented again revokes its whole family and the access tokens the family issued.
    func refresh(form: FormParameters, client: Client, attempt: inout Attempt) async throws -> TokenResponse {
        guard let value = form["refresh_token"] else { throw OAuthError(.invalidRequest, "refresh_token is required") }
        let now = self.now()
        guard let existing = try await self.grants.findRefreshToken(value), existing.clientID == client.id else {
            throw OAuthError(.invalidGrant, "the refresh token is invalid")
        }
        var scopes = existing.scopes
        if let requested = form["scope"] {
            let narrowed = requested.split(separator: " ").map(String.init).uniqued()
            guard narrowed.allSatisfy(existing.scopes.contains) else {
                throw OAuthError(.invalidScope, "a refresh can only narrow the scopes originally granted")
            }
            scopes = narrowed
        }
        guard let account = try await self.users.find(id: existing.userID) else { throw OAuthError(.invalidGrant, "the user no longer exists") }
        // Cognito answers a disabled user's refresh with NotAuthorizedException ("User is disabled").
        guard account.active else { throw OAuthError(.invalidGrant, "the user is disabled") }

        // Sign first; the rotation below decides atomically whether these tokens are handed out.
        let plan = IssuePlan(client: client, issuer: self.issuer, now: now)
        let tokens = try await self.issuer.userTokens(
            TokenIssuer.UserGrant(
                client: client,
                account: account,
                scopes: scopes,
                authTime: existing.authTime,
                nonce: nil,
                accessTokenID: plan.accessJTI,
                originID: existing.familyID,
                trigger: .refreshTokens
            )
        )
        let rotation = try await self.grants.rotate(token: value, now: now) { id in
            // The successor keeps the family's scopes and its first expiry.
            plan.refreshToken(
                id: id,
                familyID: existing.familyID,
                account: account,
                scopes: existing.scopes,
                authTime: existing.authTime,
                expiresAt: existing.expiresAt
            )
        }
        switch rotation {
        case .rotated(let successor):
            return try self.respond(tokens, scopes: scopes, refreshToken: successor, attempt: &attempt)
        case .reused(let issued):
            try await self.revocations.revoke(issued.map { Revocation(jti: $0.jti, clientID: client.id, expiresAt: $0.expiresAt, revokedAt: now) })
            throw OAuthError(.invalidGrant, "the refresh token was already used; its token family is revoked")
        case .inactive:
            throw OAuthError(.invalidGrant, "the refresh token has expired or was revoked")
        case .unknown:
            throw OAuthError(.invalidGrant, "the refresh token is invalid")
        }
    }

    /// RFC 6749 §4.3, for clients that list `password` (RFC 9700 §2.4 advises against it; tests need it).
    func password(form: FormParameters, client: Client, attempt: inout Attempt) async throws -> TokenResponse {
        guard let username = form["username"], let password = form["password"] else {
            throw OAuthError(.invalidRequest, "username and password are required")
        }
        let scopes = try ScopeRequest.grant(requested: form["scope"], client: client, userless: false)
        let account: UserRepository.Account
        switch try await self.userAuthenticator.authenticate(username: username, password: password) {
        case .success(let found): account = found
        case .failure: throw OAuthError(.invalidGrant, LoginController.failedSignIn)
        // Cognito: NotAuthorizedException "Password attempts exceeded".
        case .lockedOut: throw OAuthError(.invalidGrant, UserAuthenticator.lockedOutMessage)
        }
        let now = self.now()
        let plan = IssuePlan(client: client, issuer: self.issuer, now: now)
        let tokens = try await self.issuer.userTokens(
            TokenIssuer.UserGrant(
                client: client,
                account: account,
                scopes: scopes,
                authTime: now,
                nonce: nil,
                accessTokenID: plan.accessJTI,
                originID: plan.familyID,
                trigger: .authentication
            )
        )
        var refresh: String?
        if let familyID = plan.familyID {
            let expiry = plan.familyExpiresAt(self.refreshTokenTTL)
            refresh = try await self.grants.createRefreshToken(familyExpiresAt: expiry) { id in
                plan.refreshToken(id: id, familyID: familyID, account: account, scopes: scopes, authTime: now, expiresAt: expiry)
            }
        }
        return try self.respond(tokens, scopes: scopes, refreshToken: refresh, attempt: &attempt)
    }

    /// The token response for a user grant; audits the access token.
    private func respond(
        _ tokens: TokenIssuer.IssuedUserTokens,
        scopes: [String],
        refreshToken: String?,
        attempt: inout Attempt
    ) throws
        -> TokenResponse
    {
        guard let access = tokens.accessToken else { throw OAuthError(.serverError, "no access token was issued", status: .internalServerError) }
        attempt.record(in: self.audit, at: self.now(), issued: access)
        return TokenResponse(
            accessToken: access.token,
            expiresIn: access.expiresIn,
            scope: tokens.scopes.joined(separator: " "),
            idToken: tokens.idToken,
            refreshToken: refreshToken
        )
    }
}

/// Identifiers chosen before a user grant issues anything, so they can be recorded first.
struct IssuePlan {
    var client: Client
    var now: Date
    var accessJTI = UUID.random().lowercaseText
    var accessExpiresAt: Date
    /// A new refresh token family, for clients allowed the refresh grant.
    var familyID: String?

    init(client: Client, issuer: TokenIssuer, now: Date) {
        self.client = client
        self.now = now
        self.accessExpiresAt = now.addingTimeInterval(TimeInterval(issuer.accessTokenTTL(for: client)))
        self.familyID = client.allows(grant: GrantType.refreshToken) ? UUID.random().lowercaseText : nil
    }

    func familyExpiresAt(_ ttl: Int) -> Date {
        self.now.addingTimeInterval(TimeInterval(ttl))
    }

    func refreshToken(
        id: String,
        familyID: String,
        account: UserRepository.Account,
        scopes: [String],
        authTime: Date,
        expiresAt: Date
    )
        -> RefreshToken
    {
        RefreshToken(
            id: id,
            familyID: familyID,
            clientID: self.client.id,
            userID: account.user.id,
            scopes: scopes,
            authTime: authTime,
            accessJTI: self.accessJTI,
            accessExpiresAt: self.accessExpiresAt,
            expiresAt: expiresAt,
            usedAt: nil,
            revokedAt: nil,
            createdAt: self.now
        )
    }
}

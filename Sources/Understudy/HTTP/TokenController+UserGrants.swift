import Foundation
import Hummingbird

/// The grants that issue tokens for a user: authorization code, refresh token and password.
extension TokenController {
    /// RFC 6749 §4.1.3 with RFC 7636 §4.6: redeem a code once, bound to its client, redirect URI and verifier.
    /// A second redemption revokes everything the first one issued (RFC 6749 §4.1.2).
    func authorizationCode(form: FormParameters, client: Client, attempt: inout Attempt) async throws -> TokenResponse {
        guard let value = form["code"] else { throw OAuthError(.invalidRequest, "code is required") }
        let now = self.now()
        let code: AuthorizationCode
        switch try await self.grants.redeem(code: value, now: now) {
        case .unknown:
            throw OAuthError(.invalidGrant, "the authorization code is invalid")
        case .replayed(let replayed):
            try await self.revokeIssued(by: replayed, client: client, now: now)
            throw OAuthError(.invalidGrant, "the authorization code was already used; the tokens it issued are revoked")
        case .redeemed(let redeemed):
            code = redeemed
        }
        guard code.clientID == client.id else { throw OAuthError(.invalidGrant, "the authorization code was issued to another client") }
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
        let response = try await self.issueUserTokens(
            client: client,
            account: account,
            scopes: code.scopes,
            authTime: code.authTime,
            nonce: code.nonce,
            family: nil,
            attempt: &attempt
        )
        try await self.grants.recordIssued(codeID: code.id, jtis: response.jtis, refreshFamilyID: response.familyID)
        return response.body
    }

    /// RFC 6749 §6 with rotation (RFC 9700 §4.14.2): the presented refresh token is spent and replaced; a
    /// spent one presented again revokes its whole family.
    func refresh(form: FormParameters, client: Client, attempt: inout Attempt) async throws -> TokenResponse {
        guard let value = form["refresh_token"] else { throw OAuthError(.invalidRequest, "refresh_token is required") }
        let now = self.now()
        guard let existing = try await self.grants.findRefreshToken(value), existing.clientID == client.id else {
            throw OAuthError(.invalidGrant, "the refresh token is invalid")
        }
        let token: RefreshToken
        switch try await self.grants.rotate(token: value, now: now) {
        case .unknown:
            throw OAuthError(.invalidGrant, "the refresh token is invalid")
        case .inactive:
            throw OAuthError(.invalidGrant, "the refresh token has expired or was revoked")
        case .reused(let reused):
            try await self.grants.revokeFamily(reused.familyID, clientID: client.id, now: now, revocations: self.revocations)
            throw OAuthError(.invalidGrant, "the refresh token was already used; its token family is revoked")
        case .rotated(let rotated):
            token = rotated
        }
        var scopes = token.scopes
        if let requested = form["scope"] {
            let narrowed = requested.split(separator: " ").map(String.init).uniqued()
            guard narrowed.allSatisfy(token.scopes.contains) else {
                throw OAuthError(.invalidScope, "a refresh can only narrow the scopes originally granted")
            }
            scopes = narrowed
        }
        guard let account = try await self.users.find(id: token.userID) else { throw OAuthError(.invalidGrant, "the user no longer exists") }
        return try await self.issueUserTokens(
            client: client,
            account: account,
            scopes: scopes,
            authTime: token.authTime,
            nonce: nil,
            family: token,
            attempt: &attempt
        ).body
    }

    /// RFC 6749 §4.3, for clients that list `password` (RFC 9700 §2.4 advises against it; tests need it).
    func password(form: FormParameters, client: Client, attempt: inout Attempt) async throws -> TokenResponse {
        guard let username = form["username"], let password = form["password"] else {
            throw OAuthError(.invalidRequest, "username and password are required")
        }
        let scopes = try ScopeRequest.grant(requested: form["scope"], client: client, userless: false)
        guard let account = try await self.userAuthenticator.authenticate(username: username, password: password) else {
            throw OAuthError(.invalidGrant, LoginController.failedSignIn)
        }
        return try await self.issueUserTokens(
            client: client,
            account: account,
            scopes: scopes,
            authTime: self.now(),
            nonce: nil,
            family: nil,
            attempt: &attempt
        ).body
    }

    /// What a user grant issued: the response, and what a later revocation needs.
    struct UserGrantResult {
        var body: TokenResponse
        var jtis: [String]
        var familyID: String?
    }

    /// Access token, ID token (with `openid`) and, for clients allowed the refresh grant, a refresh token.
    /// - Parameter family: the refresh token being rotated; its successor keeps the family and its expiry.
    private func issueUserTokens(
        client: Client,
        account: UserRepository.Account,
        scopes: [String],
        authTime: Date,
        nonce: String?,
        family: RefreshToken?,
        attempt: inout Attempt
    ) async throws -> UserGrantResult {
        let tokens = try await self.issuer.userTokens(
            TokenIssuer.UserGrant(client: client, account: account, scopes: scopes, authTime: authTime, nonce: nonce)
        )
        guard let access = tokens.accessToken else { throw OAuthError(.serverError, "no access token was issued", status: .internalServerError) }
        let now = self.now()
        var refreshValue: String?
        var familyID: String?
        if client.allows(grant: GrantType.refreshToken) {
            let id = family?.familyID ?? UUID().uuidString.lowercased()
            let expiry = family?.expiresAt ?? now.addingTimeInterval(TimeInterval(self.refreshTokenTTL))
            refreshValue = try await self.grants.createRefreshToken { key in
                RefreshToken(
                    id: key,
                    familyID: id,
                    clientID: client.id,
                    userID: account.user.id,
                    scopes: family?.scopes ?? scopes,
                    authTime: authTime,
                    accessJTI: access.jti,
                    accessExpiresAt: now.addingTimeInterval(TimeInterval(access.expiresIn)),
                    expiresAt: expiry,
                    usedAt: nil,
                    revokedAt: nil,
                    createdAt: now
                )
            }
            familyID = id
        }
        attempt.record(in: self.audit, at: now, issued: access)
        let body = TokenResponse(
            accessToken: access.token,
            expiresIn: access.expiresIn,
            scope: scopes.joined(separator: " "),
            idToken: tokens.idToken,
            refreshToken: refreshValue
        )
        return UserGrantResult(body: body, jtis: [access.jti], familyID: familyID)
    }

    /// Revokes the access tokens and refresh token family a replayed code issued.
    private func revokeIssued(by code: AuthorizationCode, client: Client, now: Date) async throws {
        // The first redemption issued its access tokens when it consumed the code.
        let ttl = client.record.accessTokenTTL ?? self.issuer.accessTokenTTL
        let expiry = (code.consumedAt ?? now).addingTimeInterval(TimeInterval(ttl + 60))
        var revocations = code.issuedJTIs.map { Revocation(jti: $0, clientID: code.clientID, expiresAt: expiry, revokedAt: now) }
        if let family = code.refreshFamilyID {
            revocations += try await self.grants.revokeFamily(family, now: now).map {
                Revocation(jti: $0.jti, clientID: code.clientID, expiresAt: $0.expiresAt, revokedAt: now)
            }
        }
        try await self.revocations.revoke(revocations)
    }

}

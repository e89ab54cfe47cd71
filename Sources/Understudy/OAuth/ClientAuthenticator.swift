import ExtrasBase64
import Foundation
import HTTPTypes
import Hummingbird

/// Authenticates the client of a token, introspection or revocation request (RFC 6749 §2.3.1):
/// `client_secret_basic` or `client_secret_post`, or a public client that only names itself.
struct ClientAuthenticator: Sendable {
    let clients: ClientRepository
    let secrets: ClientSecretVerifier

    /// A client and how it proved who it is.
    struct Authenticated: Sendable {
        enum Method: String, Sendable {
            case basic = "client_secret_basic"
            case post = "client_secret_post"
            case none
        }
        var client: Client
        var method: Method
    }

    /// Identifies the client; confidential clients must prove their secret.
    /// - Parameter requireSecret: refuse public clients (client credentials, introspection, revocation).
    /// - Throws: ``OAuthError`` `invalid_client` (401) or `invalid_request`.
    func authenticate(_ request: Request, form: FormParameters, requireSecret: Bool) async throws -> Authenticated {
        let credentials = try Self.credentials(request.headers, form: form)
        guard let credentials else {
            throw OAuthError.invalidClient("client authentication is required (client_secret_basic or client_secret_post)")
        }
        do {
            return try await self.authenticate(credentials, requireSecret: requireSecret)
        } catch let error as OAuthError {
            // Many clients (authlib ≥ 1.3.2 among them) send Basic credentials without the form encoding of
            // RFC 6749 §2.3.1; when the decoded reading fails, the literal one gets a chance.
            guard let literal = credentials.literal else { throw error }
            let literalCredentials = Credentials(clientID: literal.clientID, secret: literal.secret, method: .basic)
            return try await self.authenticate(literalCredentials, requireSecret: requireSecret)
        }
    }

    /// The confidential client `credentials` prove, when memory alone answers: the client is cached and this
    /// secret was verified for it before. Nil is no verdict, only "ask ``authenticate(_:form:requireSecret:)``".
    func authenticatedFromMemory(_ credentials: Credentials) -> Authenticated? {
        guard let secret = credentials.secret, let client = self.clients.cached(id: credentials.clientID), !client.isPublic,
            let hash = client.record.secretHash, self.secrets.isVerifiedBefore(secret, hash: hash)
        else { return nil }
        return Authenticated(client: client, method: credentials.method)
    }

    private func authenticate(_ credentials: Credentials, requireSecret: Bool) async throws -> Authenticated {
        guard let client = try await self.clients.find(id: credentials.clientID) else {
            if credentials.secret != nil { try await self.secrets.rejectUnknownClient(secret: credentials.secret) }
            throw OAuthError.invalidClient("client authentication failed")
        }
        guard let secret = credentials.secret else {
            guard client.isPublic, !requireSecret else {
                let reason = client.isPublic ? "this endpoint requires a confidential client" : "client authentication is required"
                throw OAuthError.invalidClient(reason)
            }
            return Authenticated(client: client, method: .none)
        }
        guard !client.isPublic, let hash = client.record.secretHash, try await self.secrets.verify(secret, hash: hash) else {
            throw OAuthError.invalidClient("client authentication failed")
        }
        return Authenticated(client: client, method: credentials.method)
    }

    struct Credentials: Equatable {
        var clientID: String
        var secret: String?
        var method: Authenticated.Method
        /// For Basic: the id and secret as sent, when form-decoding changed them.
        var literal: Basic?

        struct Basic: Equatable {
            var clientID: String
            var secret: String
        }
    }

    /// The credentials the request presents, from the Basic header or the body, never both.
    static func credentials(_ headers: HTTPFields, form: FormParameters) throws -> Credentials? {
        if let authorization = headers.value(.authorization), let basic = try Self.basic(authorization) {
            guard form["client_secret"] == nil else {
                throw OAuthError(.invalidRequest, "use one client authentication method, not Basic and client_secret together")
            }
            if let bodyID = form["client_id"], bodyID != basic.clientID {
                throw OAuthError.invalidClient("client_id in the body does not match the Basic credentials")
            }
            return basic
        }
        guard let clientID = form["client_id"] else { return nil }
        let secret = form["client_secret"]
        return Credentials(clientID: clientID, secret: secret, method: secret == nil ? .none : .post)
    }

    /// Parses `Authorization: Basic …`; nil for other schemes.
    ///
    /// RFC 7617 with RFC 6749 §2.3.1: the id and secret are form-url-encoded before base64.
    static func basic(_ authorization: String) throws -> Credentials? {
        // Bytes, not `Character`s: the separators are ASCII. Spaces before the scheme are skipped.
        let utf8 = authorization.utf8.drop { $0 == UInt8(ascii: " ") }
        let space = utf8.firstIndex(of: UInt8(ascii: " "))
        let scheme = Substring(utf8[..<(space ?? utf8.endIndex)])
        guard scheme.lowercased() == "basic" else { return nil }
        // Built only when thrown: an OAuthError with its `WWW-Authenticate` header cost every request about
        // 2,000 instructions (callgrind), a fifth of the whole parse.
        var malformed: OAuthError { .invalidClient("malformed Basic credentials") }
        guard let space else { throw malformed }
        let encoded = Substring(utf8[utf8.index(after: space)...]).trimmingHTTPWhitespace()
        // Padding only at the end, as RFC 4648 §3.2 has it (the decoder alone would accept `QQ=A`).
        guard !encoded.utf8.dropLast(2).contains(UInt8(ascii: "=")) else { throw malformed }
        guard let bytes = try? Base64.decode(string: encoded), !bytes.contains(0), let decoded = String(validating: bytes, as: UTF8.self),
            let colon = decoded.utf8.firstIndex(of: UInt8(ascii: ":"))
        else { throw malformed }
        let literalID = String(Substring(decoded.utf8[..<colon]))
        let literalSecret = String(Substring(decoded.utf8[decoded.utf8.index(after: colon)...]))
        let clientID = FormParameters.formDecode(literalID) ?? literalID
        let secret = FormParameters.formDecode(literalSecret) ?? literalSecret
        guard !clientID.isEmpty else { throw malformed }
        let changed = literalID != clientID || literalSecret != secret
        return Credentials(
            clientID: clientID,
            secret: secret.isEmpty ? nil : secret,
            method: .basic,
            literal: changed && !literalSecret.isEmpty ? Credentials.Basic(clientID: literalID, secret: literalSecret) : nil
        )
    }
}

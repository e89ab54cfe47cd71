import Foundation
import HTTPTypes
import Hummingbird

/// `/admin/v1/clients`: create, list, read, replace and delete clients, and set a new secret. Bodies use the
/// seed file's client members; a secret is shown once, when it is generated, and never stored in clear.
struct ClientsController: Sendable {
    let clients: ClientRepository
    let scopes: ScopeRepository
    let signingAlgorithms: [SigningAlgorithm]
    /// Called after every change, to refresh what discovery advertises.
    let changed: @Sendable () async throws -> Void
    let now: @Sendable () -> Date

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.get("clients", use: self.list)
        router.post("clients", use: self.create)
        router.get("clients/{id}", use: self.read)
        router.put("clients/{id}", use: self.replace)
        router.delete("clients/{id}", use: self.delete)
        router.post("clients/{id}/secret", use: self.newSecret)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        AdminJSON.response(.object(["clients": .array(try await self.clients.all().map(\.adminJSON))]))
    }

    @Sendable func read(_ request: Request, context: AppRequestContext) async throws -> Response {
        AdminJSON.response(try await self.existing(context).adminJSON)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await AdminJSON.body(request, context: context)
        let (entry, generated) = try ClientRequest.parse(body, knownScopes: try await self.scopes.names(), signingAlgorithms: self.signingAlgorithms)
        let hash = try await Self.hash(entry)
        do {
            try await self.clients.create(entry, secretHash: hash, now: self.now())
        } catch StorageError.alreadyExists {
            throw AdminProblem(.conflict, "a client with client_id '\(entry.clientID.prefix(100))' exists")
        }
        try await self.changed()
        return try await self.answer(id: entry.clientID, secret: generated, status: .created)
    }

    /// Replaces every setting; a confidential client keeps its secret unless the body gives one.
    @Sendable func replace(_ request: Request, context: AppRequestContext) async throws -> Response {
        let existing = try await self.existing(context)
        let body = try await AdminJSON.body(request, context: context)
        var (entry, generated) = try ClientRequest.parse(
            body,
            id: existing.id,
            knownScopes: try await self.scopes.names(),
            signingAlgorithms: self.signingAlgorithms
        )
        if generated != nil, existing.record.secretHash != nil {
            // The old secret stays: nothing to generate, nothing to show.
            entry.clientSecret = nil
            generated = nil
        }
        let hash = try await Self.hash(entry)
        do {
            try await self.clients.replace(entry, secretHash: hash, now: self.now())
        } catch StorageError.notFound {
            throw AdminProblem(.notFound, "no such client")
        }
        try await self.changed()
        return try await self.answer(id: entry.clientID, secret: generated, status: .ok)
    }

    /// Generates a new secret for a confidential client; the old one stops working at once.
    @Sendable func newSecret(_ request: Request, context: AppRequestContext) async throws -> Response {
        let client = try await self.existing(context)
        guard !client.isPublic else { throw AdminProblem(.conflict, "a public client has no secret") }
        let secret = OpaqueToken.generate()
        try await self.clients.setSecret(id: client.id, hash: try await PasswordHasher.hash(secret), now: self.now())
        return try await self.answer(id: client.id, secret: secret, status: .ok)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        do {
            try await self.clients.delete(id: context.decodedParameter("id"))
        } catch StorageError.notFound {
            throw AdminProblem(.notFound, "no such client")
        }
        try await self.changed()
        return Response(status: .noContent)
    }

    private func existing(_ context: AppRequestContext) async throws -> Client {
        guard let client = try await self.clients.find(id: context.decodedParameter("id")) else {
            throw AdminProblem(.notFound, "no such client")
        }
        return client
    }

    private func answer(id: String, secret: String?, status: HTTPResponse.Status) async throws -> Response {
        guard let client = try await self.clients.find(id: id), case .object(var members) = client.adminJSON else {
            throw AdminProblem(.notFound, "no such client")
        }
        if let secret { members["client_secret"] = .string(secret) }
        return AdminJSON.response(.object(members), status: status)
    }

    private static func hash(_ entry: SeedFile.Client) async throws -> String? {
        if let hash = entry.clientSecretHash { return hash }
        guard let secret = entry.clientSecret else { return nil }
        return try await PasswordHasher.hash(secret)
    }
}

extension Client {
    /// The client in the seed file's member names, without its secret.
    var adminJSON: JSONValue {
        func strings(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }
        let time = Date.ISO8601FormatStyle()
        var members: [String: JSONValue] = [
            "client_id": .string(self.id),
            "public": .bool(self.isPublic),
            "grant_types": strings(self.record.grantTypes),
            "scopes": strings(self.scopes),
            "audience": strings(self.record.audience),
            "redirect_uris": strings(self.redirectURIs),
            "post_logout_redirect_uris": strings(self.postLogoutRedirectURIs),
            "dialect": .string(self.record.dialect),
            "signing_alg": .string(self.record.signingAlgorithm),
            "allow_plain_pkce": .bool(self.record.allowsPlainPKCE),
            "created_at": .string(self.record.createdAt.formatted(time)),
            "updated_at": .string(self.record.updatedAt.formatted(time)),
        ]
        if let name = self.record.name { members["name"] = .string(name) }
        if let defaults = self.record.defaultScopes { members["default_scopes"] = strings(defaults) }
        if let ttl = self.record.accessTokenTTL { members["access_token_ttl"] = .int(ttl) }
        if let ttl = self.record.idTokenTTL { members["id_token_ttl"] = .int(ttl) }
        switch self.record.preTokenGeneration {
        case nil: break
        case .disabled: members["pre_token_generation"] = .bool(false)
        case .custom(let hook):
            members["pre_token_generation"] = .object([
                "url": .string(hook.url), "version": .int(hook.version), "timeout_ms": .int(hook.timeoutMilliseconds),
            ])
        }
        return .object(members)
    }
}

import Foundation
import HTTPTypes
import Hummingbird

/// `/Users` (RFC 7644 §3): list and search with filters and paging, read, create, replace, patch, delete.
struct SCIMUsersController: Sendable {
    let directory: DirectoryRepository
    let urls: SCIMURLs

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.get("Users", use: self.list)
        router.post("Users/.search", use: self.search)
        router.post("Users", use: self.create)
        router.get("Users/{id}", use: self.read)
        router.put("Users/{id}", use: self.replace)
        router.patch("Users/{id}", use: self.patch)
        router.delete("Users/{id}", use: self.delete)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = try SCIMListQuery(query: SCIMJSON.query(request))
        return try await self.respond(query)
    }

    @Sendable func search(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = try SCIMListQuery(searchBody: try await SCIMJSON.body(request, context: context))
        return try await self.respond(query)
    }

    private func respond(_ query: SCIMListQuery) async throws -> Response {
        let users = try await self.directory.users()
        return SCIMJSON.response(query.listResponse(users.map { SCIMUserResource.render($0, urls: self.urls) }))
    }

    @Sendable func read(_ request: Request, context: AppRequestContext) async throws -> Response {
        let projection = try SCIMProjection(query: SCIMJSON.query(request))
        guard let entry = try await self.directory.user(id: try Self.id(context)) else { throw SCIMError.notFound("no such user") }
        return self.resource(entry, projection: projection)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let projection = try SCIMProjection(query: SCIMJSON.query(request))
        let body = try await SCIMJSON.body(request, context: context)
        let hashes = try await Self.hashes(body[scim: "password"]?.stringValue.map { [$0] } ?? [])
        let now = self.directory.now()
        let entry = try SCIMUserResource.entry(from: body, id: UUID.random().lowercaseText, existing: nil, passwordHashes: hashes, now: now)
        let created = try await SCIMDirectoryErrors.map { try await self.directory.createUser(entry) }
        return self.resource(created, projection: projection, status: .created)
    }

    @Sendable func replace(_ request: Request, context: AppRequestContext) async throws -> Response {
        let projection = try SCIMProjection(query: SCIMJSON.query(request))
        let id = try Self.id(context)
        let body = try await SCIMJSON.body(request, context: context)
        let hashes = try await Self.hashes(body[scim: "password"]?.stringValue.map { [$0] } ?? [])
        let now = self.directory.now()
        let updated = try await SCIMDirectoryErrors.map {
            try await self.directory.updateUser(id: id) { current in
                try SCIMUserResource.entry(from: body, id: id, existing: current, passwordHashes: hashes, now: now)
            }
        }
        return self.resource(updated, projection: projection)
    }

    @Sendable func patch(_ request: Request, context: AppRequestContext) async throws -> Response {
        let projection = try SCIMProjection(query: SCIMJSON.query(request))
        let id = try Self.id(context)
        let patch = try SCIMPatch(body: try await SCIMJSON.body(request, context: context))
        let hashes = try await Self.hashes(patch.passwords)
        let now = self.directory.now()
        let urls = self.urls
        let updated = try await SCIMDirectoryErrors.map {
            try await self.directory.updateUser(id: id) { current in
                let document = try patch.apply(to: SCIMUserResource.render(current, urls: urls), schema: SCIMUserResource.schema)
                return try SCIMUserResource.entry(from: document, id: id, existing: current, passwordHashes: hashes, now: now)
            }
        }
        return self.resource(updated, projection: projection)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try Self.id(context)
        try await SCIMDirectoryErrors.map { try await self.directory.deleteUser(id: id) }
        return Response(status: .noContent)
    }

    private func resource(_ entry: DirectoryRepository.UserEntry, projection: SCIMProjection, status: HTTPResponse.Status = .ok) -> Response {
        SCIMJSON.resource(.object(projection.apply(to: SCIMUserResource.render(entry, urls: self.urls))), status: status)
    }

    static func id(_ context: AppRequestContext) throws(SCIMError) -> String {
        guard let id = context.parameters.get("id"), !id.isEmpty else { throw SCIMError.notFound("no such resource") }
        return id
    }

    /// bcrypt hashes of the given plaintext passwords, by plaintext (computed off the event loop, before any
    /// transaction begins).
    static func hashes(_ passwords: [String]) async throws -> [String: String] {
        var hashes: [String: String] = [:]
        for password in Set(passwords) where !password.isEmpty {
            guard password.utf8.count <= 72 else {
                throw SCIMError.badRequest(.invalidValue, "password is longer than 72 bytes (the bcrypt limit)")
            }
            hashes[password] = try await PasswordHasher.hash(password)
        }
        return hashes
    }
}

/// Maps ``DirectoryRepository/WriteError`` to SCIM errors.
enum SCIMDirectoryErrors {
    static func map<T>(_ work: () async throws -> T) async throws -> T {
        do {
            return try await work()
        } catch let error as DirectoryRepository.WriteError {
            switch error {
            case .notFound: throw SCIMError.notFound("no such resource")
            case .nameTaken: throw SCIMError.uniqueness("the name is already taken")
            case .unknownMember(let id): throw SCIMError.badRequest(.invalidValue, "no user has the id '\(id.prefix(80))'")
            }
        }
    }
}

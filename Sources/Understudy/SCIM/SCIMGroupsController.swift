import Foundation
import HTTPTypes
import Hummingbird

/// `/Groups` (RFC 7644 §3): list and search (e.g. `displayName eq "SPA-Manager"`, `members.value eq "<user id>"`),
/// read, create, replace, patch (members and name), delete.
struct SCIMGroupsController: Sendable {
    let directory: DirectoryRepository
    let urls: SCIMURLs

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.get("Groups", use: self.list)
        router.post("Groups/.search", use: self.search)
        router.post("Groups", use: self.create)
        router.get("Groups/{id}", use: self.read)
        router.put("Groups/{id}", use: self.replace)
        router.patch("Groups/{id}", use: self.patch)
        router.delete("Groups/{id}", use: self.delete)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await self.respond(try SCIMListQuery(query: SCIMJSON.query(request)))
    }

    @Sendable func search(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await self.respond(try SCIMListQuery(searchBody: try await SCIMJSON.body(request, context: context)))
    }

    private func respond(_ query: SCIMListQuery) async throws -> Response {
        let groups = try await self.directory.groups()
        return SCIMJSON.response(query.listResponse(groups.map { SCIMGroupResource.render($0, urls: self.urls) }))
    }

    @Sendable func read(_ request: Request, context: AppRequestContext) async throws -> Response {
        let projection = try SCIMProjection(query: SCIMJSON.query(request))
        guard let entry = try await self.directory.group(id: try SCIMUsersController.id(context)) else { throw SCIMError.notFound("no such group") }
        return self.resource(entry, projection: projection)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let projection = try SCIMProjection(query: SCIMJSON.query(request))
        let entry = try SCIMGroupResource.entry(from: try await SCIMJSON.body(request, context: context), existing: nil)
        let created = try await SCIMDirectoryErrors.map { try await self.directory.createGroup(entry) }
        return self.resource(created, projection: projection, status: .created)
    }

    @Sendable func replace(_ request: Request, context: AppRequestContext) async throws -> Response {
        let projection = try SCIMProjection(query: SCIMJSON.query(request))
        let id = try SCIMUsersController.id(context)
        let body = try await SCIMJSON.body(request, context: context)
        let updated = try await SCIMDirectoryErrors.map {
            try await self.directory.updateGroup(id: id) { current in try SCIMGroupResource.entry(from: body, existing: current) }
        }
        return self.resource(updated, projection: projection)
    }

    @Sendable func patch(_ request: Request, context: AppRequestContext) async throws -> Response {
        let projection = try SCIMProjection(query: SCIMJSON.query(request))
        let id = try SCIMUsersController.id(context)
        let patch = try SCIMPatch(body: try await SCIMJSON.body(request, context: context))
        let urls = self.urls
        let updated = try await SCIMDirectoryErrors.map {
            try await self.directory.updateGroup(id: id) { current in
                let document = try patch.apply(to: SCIMGroupResource.render(current, urls: urls), schema: SCIMGroupResource.schema)
                return try SCIMGroupResource.entry(from: document, existing: current)
            }
        }
        return self.resource(updated, projection: projection)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try SCIMUsersController.id(context)
        try await SCIMDirectoryErrors.map { try await self.directory.deleteGroup(id: id) }
        return Response(status: .noContent)
    }

    private func resource(_ entry: DirectoryRepository.GroupEntry, projection: SCIMProjection, status: HTTPResponse.Status = .ok) -> Response {
        SCIMJSON.resource(.object(projection.apply(to: SCIMGroupResource.render(entry, urls: self.urls))), status: status)
    }
}

import Foundation
import HTTPTypes
import Hummingbird

/// `/admin/v1/scopes`: list, add, describe and delete the scopes clients can be granted.
struct ScopesController: Sendable {
    let scopes: ScopeRepository
    /// Called after every change, to refresh what discovery advertises.
    let changed: @Sendable () async throws -> Void

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.get("scopes", use: self.list)
        router.post("scopes", use: self.create)
        router.put("scopes/{name}", use: self.describe)
        router.delete("scopes/{name}", use: self.delete)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        AdminJSON.response(.object(["scopes": .array(try await self.scopes.all().map(\.adminJSON))]))
    }

    /// Body: `{"name": "orders/read", "description": "…"}`, checked as the seed's scopes are.
    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await AdminJSON.body(request, context: context)
        try AdminJSON.checkMembers(body, allowed: ["name", "description"])
        guard let name = body["name"]?.stringValue, Self.isValid(name) else {
            throw AdminProblem(.badRequest, "name must be a scope name: printable, without spaces, quotes or backslashes")
        }
        let description = try Self.description(body)
        do {
            try await self.scopes.create(name: name, description: description)
        } catch StorageError.alreadyExists {
            throw AdminProblem(.conflict, "the scope '\(name)' exists")
        }
        try await self.changed()
        return AdminJSON.response(Scope(name: name, description: description, isStandard: false).adminJSON, status: .created)
    }

    /// Body: `{"description": "…"}`.
    @Sendable func describe(_ request: Request, context: AppRequestContext) async throws -> Response {
        let name = context.decodedParameter("name")
        let body = try await AdminJSON.body(request, context: context)
        try AdminJSON.checkMembers(body, allowed: ["name", "description"])
        if let given = body["name"], given != .string(name) { throw AdminProblem(.badRequest, "a scope's name cannot change") }
        let description = try Self.description(body)
        do {
            try await self.scopes.describe(name: name, description: description)
        } catch StorageError.notFound {
            throw AdminProblem(.notFound, "no such scope")
        }
        let scope = try await self.scopes.all().first { $0.name == name }
        return AdminJSON.response(scope?.adminJSON ?? .null)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        do {
            try await self.scopes.delete(name: context.decodedParameter("name"))
        } catch ScopeRepository.DeleteError.notFound {
            throw AdminProblem(.notFound, "no such scope")
        } catch ScopeRepository.DeleteError.standard {
            throw AdminProblem(.conflict, "a standard OpenID Connect scope cannot be deleted")
        } catch ScopeRepository.DeleteError.inUse(let clients) {
            throw AdminProblem(.conflict, "clients may be granted this scope: \(clients.prefix(20).joined(separator: ", ")); change them first")
        }
        try await self.changed()
        return Response(status: .noContent)
    }

    /// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
    static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 200 && name.unicodeScalars.allSatisfy { (0x21...0x7E).contains($0.value) && $0 != "\"" && $0 != "\\" }
    }

    private static func description(_ body: [String: JSONValue]) throws(AdminProblem) -> String? {
        guard let value = body["description"], value != .null else { return nil }
        guard let text = value.stringValue, text.count <= 1000 else { throw AdminProblem(.badRequest, "description must be a string") }
        return text
    }
}

extension Scope {
    var adminJSON: JSONValue {
        var members: [String: JSONValue] = ["name": .string(self.name), "standard": .bool(self.isStandard)]
        if let description = self.description { members["description"] = .string(description) }
        return .object(members)
    }
}

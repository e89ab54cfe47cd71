import Foundation
import HTTPTypes
import Hummingbird
import NIOFoundationCompat

/// `/admin/v1/faults`: inject errors and delays into OAuth endpoints, list them, clear them.
struct FaultsController: Sendable {
    let injector: FaultInjector

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.post("faults", use: self.create)
        router.get("faults", use: self.list)
        router.delete("faults", use: self.clear)
        router.delete("faults/{id}", use: self.delete)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await AdminJSON.body(request, context: context)
        let request = try FaultRequest.parse(body)
        let fault = self.injector.add(request)
        return AdminJSON.response(fault.json, status: .created)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        AdminJSON.response(.object(["faults": .array(self.injector.list().map(\.json))]))
    }

    @Sendable func clear(_ request: Request, context: AppRequestContext) async throws -> Response {
        self.injector.remove()
        return Response(status: .noContent)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id", as: Int.self), self.injector.remove(id: id) else {
            throw AdminProblem(.notFound, "no such fault")
        }
        return Response(status: .noContent)
    }
}

/// The body of `POST /admin/v1/faults`:
/// `{"endpoint": "token", "count": 2, "status": 503, "error": "temporarily_unavailable", "error_description": "…", "delay_ms": 0}`.
enum FaultRequest {
    static let members: Set<String> = ["endpoint", "count", "status", "error", "error_description", "delay_ms"]

    static func parse(_ body: [String: JSONValue]) throws(AdminProblem) -> FaultInjector.Fault {
        if let unknown = body.keys.sorted().first(where: { !Self.members.contains($0) }) {
            throw AdminProblem(.badRequest, "unknown member '\(unknown.prefix(40))'; expected \(Self.members.sorted().joined(separator: ", "))")
        }
        let endpoints = FaultInjector.Endpoint.allCases.map(\.rawValue).joined(separator: ", ")
        guard let name = body["endpoint"]?.stringValue, let endpoint = FaultInjector.Endpoint(rawValue: name) else {
            throw AdminProblem(.badRequest, "endpoint must be one of \(endpoints)")
        }
        let count = try Self.integer(body["count"], "count", default: 1, range: 1...10_000)
        let delay = try Self.integer(body["delay_ms"], "delay_ms", default: 0, range: 0...30_000)
        var status: Int?
        if body["status"] != nil { status = try Self.integer(body["status"], "status", default: 0, range: 400...599) }
        guard status != nil || delay > 0 else { throw AdminProblem(.badRequest, "give a status, a delay_ms, or both") }
        let error = try Self.text(body["error"], "error")
        let description = try Self.text(body["error_description"], "error_description")
        if status == nil, error != nil || description != nil {
            throw AdminProblem(.badRequest, "error and error_description need a status")
        }
        return FaultInjector.Fault(
            id: 0,
            endpoint: endpoint,
            remaining: count,
            status: status,
            error: error,
            errorDescription: description,
            delayMilliseconds: delay
        )
    }

    /// What a fault answers when it names no error: what a real server would say for that status.
    static func defaultError(status: Int) -> String {
        switch status {
        case 503: OAuthError.Code.temporarilyUnavailable.rawValue
        case 500...: OAuthError.Code.serverError.rawValue
        case 401: OAuthError.Code.invalidClient.rawValue
        default: OAuthError.Code.invalidRequest.rawValue
        }
    }

    private static func integer(_ value: JSONValue?, _ name: String, default fallback: Int, range: ClosedRange<Int>) throws(AdminProblem) -> Int {
        guard let value else { return fallback }
        guard case .int(let number) = value, range.contains(number) else {
            throw AdminProblem(.badRequest, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// RFC 6749 §5.2: error and error_description are printable ASCII without `"` and `\`.
    private static func text(_ value: JSONValue?, _ name: String) throws(AdminProblem) -> String? {
        guard let value else { return nil }
        guard let text = value.stringValue, !text.isEmpty, text.count <= 200,
            text.unicodeScalars.allSatisfy({ (0x20...0x7E).contains($0.value) && $0 != "\"" && $0 != "\\" })
        else {
            throw AdminProblem(.badRequest, "\(name) must be 1 to 200 printable ASCII characters without quotes or backslashes")
        }
        if name == "error", text.contains(" ") { throw AdminProblem(.badRequest, "error must not contain spaces") }
        return text
    }
}

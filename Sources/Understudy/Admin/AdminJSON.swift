import Foundation
import HTTPTypes
import Hummingbird
import NIOFoundationCompat

/// JSON bodies and answers of the admin API.
enum AdminJSON {
    /// The request body as a JSON object, or a 400/415 problem.
    static func body(_ request: Request, context: AppRequestContext) async throws -> [String: JSONValue] {
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("application/json") else {
            throw AdminProblem(.unsupportedMediaType, "send a JSON object with Content-Type: application/json")
        }
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(buffer: buffer)) else {
            throw AdminProblem(.badRequest, "the body is not a JSON object")
        }
        guard !JSONValue.object(object).containsNUL else { throw AdminProblem(.badRequest, "strings must not contain NUL characters") }
        return object
    }

    /// Like ``body(_:context:)``, but an empty body (no content type needed) is an empty object.
    static func optionalBody(_ request: Request, context: AppRequestContext) async throws -> [String: JSONValue] {
        if request.headers[.contentType] == nil {
            let buffer = try await request.body.collect(upTo: context.maxUploadSize)
            guard buffer.readableBytes == 0 else {
                throw AdminProblem(.unsupportedMediaType, "send a JSON object with Content-Type: application/json")
            }
            return [:]
        }
        return try await Self.body(request, context: context)
    }

    /// Refuses members other than `allowed` with a 400 problem that lists them.
    static func checkMembers(_ body: [String: JSONValue], allowed: Set<String>) throws(AdminProblem) {
        if let unknown = body.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw AdminProblem(.badRequest, "unknown member '\(unknown.prefix(40))'; expected \(allowed.sorted().joined(separator: ", "))")
        }
    }

    static func response(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.encode(value)))
        )
    }
}

extension AppRequestContext {
    /// A path parameter, percent-decoded: ids and scope names may hold `/`, sent as `%2F`.
    func decodedParameter(_ name: String) -> String {
        guard let raw = self.parameters.get(name) else { return "" }
        let decoded = raw.removingPercentEncoding ?? raw
        // Nothing is named with a NUL; SQLite would read only up to it.
        return decoded.utf8.contains(0) ? "" : decoded
    }
}

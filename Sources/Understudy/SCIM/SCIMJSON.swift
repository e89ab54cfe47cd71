import Foundation
import HTTPTypes
import Hummingbird
import NIOFoundationCompat

/// JSON bodies and answers of the SCIM API (`application/scim+json`; `application/json` accepted).
enum SCIMJSON {
    static let contentType = "application/scim+json"

    /// The request body as a JSON object, or a SCIM error (400 invalidSyntax, 413, 415).
    static func body(_ request: Request, context: some RequestContext) async throws -> [String: JSONValue] {
        if let type = request.headers[.contentType]?.lowercased(),
            !(type.hasPrefix("application/scim+json") || type.hasPrefix("application/json"))
        {
            throw SCIMError(.unsupportedMediaType, nil, "send JSON with Content-Type: application/scim+json or application/json")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch {
            throw SCIMError(.contentTooLarge, nil, "the body is larger than \(context.maxUploadSize) bytes")
        }
        guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(buffer: buffer)) else {
            throw SCIMError.badRequest(.invalidSyntax, "the body is not a JSON object")
        }
        guard !JSONValue.object(object).containsNUL else { throw SCIMError.badRequest(.invalidValue, "strings must not contain NUL characters") }
        return object
    }

    /// The query string's parameters, form-decoded: `+` is a space (`filter=userName+eq+%22jdoe%22`, as IDCS
    /// documents it); the first of repeated names wins.
    static func query(_ request: Request) -> [String: String] {
        var parameters: [String: String] = [:]
        for pair in (request.uri.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let name = decode(parts[0])
            if parameters[name] == nil { parameters[name] = parts.count == 2 ? decode(parts[1]) : "" }
        }
        return parameters
    }

    static func response(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = Self.contentType
        fields[.cacheControl] = "no-store"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.encode(value))))
    }

    /// One resource, with its `ETag` (RFC 7644 §3.14) and, for a creation, its `Location`.
    static func resource(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var headers: HTTPFields = [:]
        if case .object(let members) = value, case .object(let meta)? = members["meta"] {
            if let version = meta["version"]?.stringValue { headers[.eTag] = version }
            if status == .created, let location = meta["location"]?.stringValue { headers[.location] = location }
        }
        return Self.response(value, status: status, headers: headers)
    }
}

/// Case-insensitive member access: SCIM attribute names are case-insensitive (RFC 7643 §2.1).
extension Dictionary where Key == String, Value == JSONValue {
    /// The stored key that matches `name` regardless of case.
    func scimKey(_ name: String) -> String? {
        if self[name] != nil { return name }
        let lowered = name.lowercased()
        return self.keys.first { $0.lowercased() == lowered }
    }

    subscript(scim name: String) -> JSONValue? {
        self.scimKey(name).flatMap { self[$0] }
    }
}

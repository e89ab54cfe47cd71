import Foundation
import HTTPTypes
import Hummingbird

/// An error of the SCIM API in RFC 7644 §3.12's format: `{"schemas":[…Error], "status":"400", "scimType":…, "detail":…}`.
struct SCIMError: HTTPResponseError, Equatable {
    /// RFC 7644 Table 9's `scimType` codes (status 400, except `uniqueness` 409 and `tooMany` 400).
    enum Kind: String, Sendable {
        case invalidFilter, tooMany, uniqueness, mutability, invalidSyntax, invalidPath, noTarget, invalidValue, invalidVers, sensitive
    }

    var status: HTTPResponse.Status
    var kind: Kind?
    var detail: String?
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ kind: Kind? = nil, _ detail: String?, headers: HTTPFields = [:]) {
        self.status = status
        self.kind = kind
        self.detail = detail
        self.headers = headers
    }

    static func badRequest(_ kind: Kind, _ detail: String) -> SCIMError {
        SCIMError(.badRequest, kind, detail)
    }

    static func notFound(_ detail: String) -> SCIMError {
        SCIMError(.notFound, nil, detail)
    }

    static func uniqueness(_ detail: String) -> SCIMError {
        SCIMError(.conflict, .uniqueness, detail)
    }

    var json: JSONValue {
        var members: [String: JSONValue] = [
            "schemas": .array([.string(SCIMSchema.error)]),
            "status": .string(String(self.status.code)),
        ]
        if let kind = self.kind { members["scimType"] = .string(kind.rawValue) }
        if let detail = self.detail { members["detail"] = .string(detail) }
        return .object(members)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = SCIMJSON.response(self.json, status: self.status)
        for field in self.headers { response.headers.append(field) }
        return response
    }
}

/// The schema and message URNs of SCIM 2.0 (RFC 7643 §8.7, RFC 7644 §3).
enum SCIMSchema {
    static let user = "urn:ietf:params:scim:schemas:core:2.0:User"
    static let group = "urn:ietf:params:scim:schemas:core:2.0:Group"
    static let listResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    static let patchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    static let searchRequest = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
    static let error = "urn:ietf:params:scim:api:messages:2.0:Error"
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore

@testable import Understudy

/// A seed for the SCIM tests: two groups, two users, a password-grant client per dialect, a service client.
let scimSeedYAML = """
    groups:
      - name: SPA-Manager
      - name: SPA-Employee
    scopes:
      - name: orders/get.order
    users:
      - username: manager
        password: manager-password
        email: manager@example.com
        given_name: Mia
        family_name: Manager
        groups: [SPA-Manager]
      - username: employee
        password: employee-password
        email: employee@corp.example
        given_name: Eli
        family_name: Employee
        groups: [SPA-Employee]
    clients:
      - client_id: portal
        client_secret: portal-secret
        grant_types: [password]
        scopes: [openid, email, groups, orders/get.order]
      - client_id: portal-cognito
        client_secret: portal-secret
        grant_types: [password]
        scopes: [openid, email, orders/get.order]
        dialect: cognito
      - client_id: svc
        client_secret: s3cret
        grant_types: [client_credentials]
        scopes: [orders/get.order]
    """

enum SCIMTest {
    static let adminToken = "scim-admin-token"
    static let admin: HTTPFields = [.authorization: "Bearer \(adminToken)"]

    static func app() async throws -> some ApplicationProtocol {
        try await makeApp(seed: SeedLoader.parse(scimSeedYAML, file: "scim.yaml").0) { $0.adminToken = adminToken }
    }

    /// A filter as a query value, spaces as `+` the way IDCS clients send them.
    static func query(_ filter: String) -> String {
        formEncode(filter)
    }
}

extension TestClientProtocol {
    /// A SCIM request with the admin token (or `headers`) and an optional JSON body.
    func scim(
        _ method: HTTPRequest.Method,
        _ uri: String,
        _ json: String? = nil,
        headers: HTTPFields = SCIMTest.admin,
        contentType: String = "application/scim+json"
    ) async throws -> TestResponse {
        var headers = headers
        if json != nil { headers[.contentType] = contentType }
        return try await self.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    /// The id of the group with `displayName`, found with a filter as an IDCS authorizer does.
    func scimGroupID(_ name: String, prefix: String = "/scim/v2") async throws -> String {
        let response = try await self.scim(.get, "\(prefix)/Groups?filter=\(SCIMTest.query("displayName eq \"\(name)\""))")
        guard case .array(let resources)? = try response.json()["Resources"], case .object(let group)? = resources.first,
            let id = group["id"]?.stringValue
        else { throw TestFailure("no group \(name): \(String(buffer: response.body))") }
        return id
    }

    /// A password-grant token response for `username`.
    func passwordToken(
        _ username: String,
        _ password: String,
        client: String = "portal",
        scope: String = "openid groups"
    ) async throws
        -> [String: JSONValue]
    {
        let response = try await self.postForm(
            "/oauth2/token",
            "grant_type=password&username=\(formEncode(username))&password=\(formEncode(password))&scope=\(formEncode(scope))",
            headers: [.authorization: basicAuthorization(client, "portal-secret")]
        )
        guard response.status == .ok else { throw TestFailure("token request failed: \(response.status) \(String(buffer: response.body))") }
        return try response.json()
    }
}

extension JSONValue {
    /// A member of an object value.
    subscript(member name: String) -> JSONValue? {
        if case .object(let members) = self { return members[name] }
        return nil
    }

    /// The elements of an array value (empty otherwise).
    var elements: [JSONValue] {
        if case .array(let values) = self { return values }
        return []
    }
}

extension TestResponse {
    /// The `Resources` of a ListResponse.
    func resources() throws -> [JSONValue] {
        try self.json()["Resources"]?.elements ?? []
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Understudy

/// The admin API's door, its audit log view and fault injection, over the real router.
@Suite struct AdminTests {
    static let adminToken = "test-admin-token"
    static let admin: HTTPFields = [.authorization: "Bearer \(adminToken)"]

    static func app() async throws -> some ApplicationProtocol {
        try await makeApp { $0.adminToken = adminToken }
    }

    static func postJSON(_ client: some TestClientProtocol, _ uri: String, _ json: String, headers: HTTPFields = admin) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: json))
    }

    @Test func adminAPIIsClosedWithoutItsTokenAndIDCSKeysStayOpen() async throws {
        try await Self.app().test(.router) { client in
            let missing = try await client.execute(uri: "/admin/v1/audit", method: .get)
            #expect(missing.status == .unauthorized)
            #expect(missing.headers[.wwwAuthenticate] == #"Bearer realm="understudy-admin""#)
            #expect(missing.headers[.contentType] == "application/problem+json")
            #expect(try missing.json()["status"] == .int(401))

            let wrong = try await client.execute(uri: "/admin/v1/faults", method: .get, headers: [.authorization: "Bearer test-admin-tokeN"])
            #expect(wrong.status == .unauthorized)
            #expect(wrong.headers[.wwwAuthenticate]?.contains(#"error="invalid_token""#) == true)
            let basic = try await client.execute(
                uri: "/admin/v1/faults",
                method: .get,
                headers: [.authorization: basicAuthorization("svc", "s3cret")]
            )
            #expect(basic.status == .unauthorized)
            // Another scheme is no bearer credentials at all: a bare challenge (RFC 6750 §3.1).
            #expect(basic.headers[.wwwAuthenticate] == #"Bearer realm="understudy-admin""#)
            let empty = try await client.execute(uri: "/admin/v1/faults", method: .get, headers: [.authorization: "Bearer "])
            #expect(empty.status == .badRequest)
            #expect(empty.headers[.wwwAuthenticate]?.contains(#"error="invalid_request""#) == true)
            let post = try await Self.postJSON(client, "/admin/v1/faults", #"{"endpoint":"token","status":500}"#, headers: [:])
            #expect(post.status == .unauthorized)

            #expect(try await client.execute(uri: "/admin/v1/audit", method: .get, headers: Self.admin).status == .ok)
            #expect(try await client.execute(uri: "/admin/v1/SigningCert/jwk", method: .get).status == .ok)
        }
    }

    @Test func aGeneratedAdminTokenIsNeverEmptyAndDiffersPerServer() async throws {
        // Without a configured token the server makes one; the configured one of another server does not open it.
        try await makeApp().test(.router) { client in
            let response = try await client.execute(uri: "/admin/v1/audit", method: .get, headers: Self.admin)
            #expect(response.status == .unauthorized)
        }
    }

    @Test func auditLogListsIssuedAndDeniedTokensWithFilters() async throws {
        try await Self.app().test(.router) { client in
            _ = try await client.clientCredentialsToken()
            let denied = try await client.postForm(
                "/oauth2/token",
                "grant_type=client_credentials",
                headers: [.authorization: basicAuthorization("svc", "wrong")]
            )
            #expect(denied.status == .unauthorized)

            let all = try await client.execute(uri: "/admin/v1/audit", method: .get, headers: Self.admin).json()
            guard case .array(let events)? = all["events"] else { throw TestFailure("no events array: \(all)") }
            #expect(events.count == 2)
            // Newest first.
            guard case .object(let newest)? = events.first else { throw TestFailure("\(events)") }
            #expect(newest["outcome"] == .string("denied"))

            let issued = try await client.execute(uri: "/admin/v1/audit?outcome=issued&client_id=svc", method: .get, headers: Self.admin).json()
            guard case .array(let issuedEvents)? = issued["events"], case .object(let event)? = issuedEvents.first else {
                throw TestFailure("no issued event: \(issued)")
            }
            #expect(issuedEvents.count == 1)
            #expect(event["client_id"] == .string("svc"))
            #expect(event["grant_type"] == .string("client_credentials"))
            #expect(event["time"] == .string("2027-01-15T08:00:00.000Z"))

            let later = try await client.execute(uri: "/admin/v1/audit?since=2027-01-15T08:00:01Z", method: .get, headers: Self.admin).json()
            #expect(later["events"] == .array([]))
            let unix = try await client.execute(uri: "/admin/v1/audit?since=1800000000&limit=1", method: .get, headers: Self.admin).json()
            guard case .array(let limited)? = unix["events"] else { throw TestFailure("\(unix)") }
            #expect(limited.count == 1)

            for bad in ["outcome=maybe", "since=yesterday", "limit=0", "limit=1001", "clientid=svc"] {
                let response = try await client.execute(uri: "/admin/v1/audit?\(bad)", method: .get, headers: Self.admin)
                #expect(response.status == .badRequest, "\(bad)")
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }

    @Test func injectedFaultsFailTheNextTokenRequestsThenStop() async throws {
        try await Self.app().test(.router) { client in
            let created = try await Self.postJSON(
                client,
                "/admin/v1/faults",
                #"{"endpoint":"token","count":2,"status":503,"error_description":"planned outage"}"#
            )
            #expect(created.status == .created)
            #expect(try created.json()["remaining"] == .int(2))

            for _ in 0..<2 {
                let response = try await client.postForm(
                    "/oauth2/token",
                    "grant_type=client_credentials",
                    headers: [.authorization: basicAuthorization("svc", "s3cret")]
                )
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.cacheControl] == "no-store")
                let body = try response.json()
                #expect(body["error"] == .string("temporarily_unavailable"))
                #expect(body["error_description"] == .string("planned outage"))
            }
            // Spent: the next request gets a token, and the list is empty.
            _ = try await client.clientCredentialsToken()
            #expect(try await client.execute(uri: "/admin/v1/faults", method: .get, headers: Self.admin).json()["faults"] == .array([]))

            // A fault on another endpoint leaves the token endpoint alone.
            _ = try await Self.postJSON(client, "/admin/v1/faults", #"{"endpoint":"userinfo","status":500}"#)
            _ = try await client.clientCredentialsToken()
            let userinfo = try await client.execute(uri: "/oauth2/userinfo", method: .get, headers: [.authorization: "Bearer x"])
            #expect(userinfo.status == .internalServerError)
            #expect(try userinfo.json()["error"] == .string("server_error"))
        }
    }

    @Test func delayOnlyFaultsAnswerLateButNormally() async throws {
        try await Self.app().test(.router) { client in
            _ = try await Self.postJSON(client, "/admin/v1/faults", #"{"endpoint":"token","delay_ms":300}"#)
            let start = ContinuousClock.now
            _ = try await client.clientCredentialsToken()
            #expect(ContinuousClock.now - start >= .milliseconds(300))
        }
    }

    @Test func faultsAreListedDeletedOneByOneOrAllAndValidated() async throws {
        try await Self.app().test(.router) { client in
            let first = try await Self.postJSON(client, "/admin/v1/faults", #"{"endpoint":"token","status":400,"error":"invalid_scope","count":5}"#)
                .json()
            _ = try await Self.postJSON(client, "/admin/v1/faults", #"{"endpoint":"revoke","status":500}"#)
            guard case .int(let id)? = first["id"] else { throw TestFailure("\(first)") }
            guard case .array(let listed)? = try await client.execute(uri: "/admin/v1/faults", method: .get, headers: Self.admin).json()["faults"]
            else {
                throw TestFailure("no list")
            }
            #expect(listed.count == 2)

            let scope = try await client.postForm(
                "/oauth2/token",
                "grant_type=client_credentials",
                headers: [.authorization: basicAuthorization("svc", "s3cret")]
            )
            #expect(try scope.json()["error"] == .string("invalid_scope"))

            #expect(try await client.execute(uri: "/admin/v1/faults/\(id)", method: .delete, headers: Self.admin).status == .noContent)
            #expect(try await client.execute(uri: "/admin/v1/faults/\(id)", method: .delete, headers: Self.admin).status == .notFound)
            _ = try await client.clientCredentialsToken()
            #expect(try await client.execute(uri: "/admin/v1/faults", method: .delete, headers: Self.admin).status == .noContent)
            #expect(try await client.execute(uri: "/admin/v1/faults", method: .get, headers: Self.admin).json()["faults"] == .array([]))

            let invalid = [
                #"{"endpoint":"nowhere","status":500}"#, #"{"endpoint":"token"}"#, #"{"endpoint":"token","status":200}"#,
                #"{"endpoint":"token","status":500,"count":0}"#, #"{"endpoint":"token","delay_ms":60000}"#,
                #"{"endpoint":"token","status":500,"error":"two words"}"#, #"{"endpoint":"token","status":500,"extra":1}"#,
                #"{"endpoint":"token","delay_ms":10,"error":"x"}"#, #"[1,2]"#, #"{"endpoint":"#,
            ]
            for body in invalid {
                let response = try await Self.postJSON(client, "/admin/v1/faults", body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.headers[.contentType] == "application/problem+json", "\(body)")
            }
            var plain = Self.admin
            plain[.contentType] = "text/plain"
            let wrongType = try await client.execute(uri: "/admin/v1/faults", method: .post, headers: plain, body: ByteBuffer(string: "{}"))
            #expect(wrongType.status == .unsupportedMediaType)
        }
    }
}

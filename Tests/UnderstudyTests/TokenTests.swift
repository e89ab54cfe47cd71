import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import Understudy

@Suite struct TokenTests {
    @Test func clientCredentialsWithBasicIssuesAnRFC9068AccessToken() async throws {
        try await makeApp().test(.router) { client in
            let response = try await client.postForm(
                "/oauth2/token",
                "grant_type=client_credentials&scope=orders%2Fget.order",
                headers: [.authorization: basicAuthorization("svc", "s3cret")]
            )
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(response.headers[.contentType] == "application/json")
            let body = try response.json()
            #expect(body["token_type"] == .string("Bearer"))
            #expect(body["expires_in"] == .int(600))
            #expect(body["scope"] == .string("orders/get.order"))
            #expect(body["refresh_token"] == nil)
            guard case .string(let token)? = body["access_token"] else { throw TestFailure("no access_token") }

            let (claims, header) = try await RelyingParty(client: client).verify(token)
            #expect(header["typ"] == .string("at+jwt"))
            #expect(header["alg"] == .string("RS256"))
            #expect(claims.string("iss") == "http://localhost:9999")
            #expect(claims.string("sub") == "svc")
            #expect(claims.string("client_id") == "svc")
            #expect(claims.audience == ["svc"])
            #expect(claims.string("scope") == "orders/get.order")
            #expect(claims.int("iat") == Int(testNow.timeIntervalSince1970))
            #expect(claims.int("exp") == Int(testNow.timeIntervalSince1970) + 600)
            #expect(claims.string("jti")?.isEmpty == false)
        }
    }

    @Test func clientSecretPostWithoutScopeGrantsTheClientsResourceScopes() async throws {
        try await makeApp().test(.router) { client in
            let response = try await client.postForm("/oauth2/token", "grant_type=client_credentials&client_id=svc&client_secret=s3cret")
            #expect(response.status == .ok)
            #expect(try response.json()["scope"] == .string("orders/get.order orders/create.order"))
        }
    }

    @Test func basicCredentialsAreFormDecodedAndES256ClientsGetES256Tokens() async throws {
        try await makeApp().test(.router) { client in
            let token = try await client.clientCredentialsToken(client: "svc:special/ü", secret: "p@ss:w+rd% ü")
            let (claims, header) = try await RelyingParty(client: client).verify(token)
            #expect(header["alg"] == .string("ES256"))
            #expect(claims.string("client_id") == "svc:special/ü")
            #expect(claims.audience == ["https://api.example.com", "orders"])
            #expect(claims.string("scope") == "orders/get.order")
            #expect(claims.int("exp") == Int(testNow.timeIntervalSince1970) + 120)
        }
    }

    @Test func basicCredentialsSentWithoutFormEncodingStillWork() async throws {
        var seed = try fixtureSeed()
        seed.clients[0].clientSecret = "a+b%41c"
        try await makeApp(seed: seed).test(.router) { client in
            let literal = "Basic " + Data("svc:a+b%41c".utf8).base64EncodedString()
            let encoded = basicAuthorization("svc", "a+b%41c")
            for authorization in [literal, encoded] {
                let response = try await client.postForm("/oauth2/token", "grant_type=client_credentials", headers: [.authorization: authorization])
                #expect(response.status == .ok, "\(authorization)")
            }
            let wrong = "Basic " + Data("svc:a b%41c".utf8).base64EncodedString()
            #expect(
                try await client.postForm("/oauth2/token", "grant_type=client_credentials", headers: [.authorization: wrong]).status == .unauthorized
            )
        }
    }

    @Test func tokensCarryAKidFromTheJWKSAndFreshJTIs() async throws {
        try await makeApp().test(.router) { client in
            let first = try await client.clientCredentialsToken()
            let second = try await client.clientCredentialsToken()
            let jwks = try await client.execute(uri: "/.well-known/jwks.json", method: .get).json()
            guard case .array(let keys)? = jwks["keys"] else { throw TestFailure("no keys") }
            let kids = keys.compactMap { key -> String? in
                if case .object(let fields) = key { return fields["kid"]?.stringValue }
                return nil
            }
            let header = try TokenVerifier.header(of: first)
            #expect(kids.contains(header["kid"]?.stringValue ?? "missing"))
            let (a, _) = try await RelyingParty(client: client).verify(first)
            let (b, _) = try await RelyingParty(client: client).verify(second)
            #expect(a.string("jti") != b.string("jti"))
        }
    }

    /// One bad request and the exact RFC 6749 §5.2 answer it gets.
    struct ErrorCase: CustomTestStringConvertible, Sendable {
        var name: String
        var body: String
        var authorization: String? = basicAuthorization("svc", "s3cret")
        var contentType = "application/x-www-form-urlencoded"
        var error: String
        var status: HTTPResponse.Status = .badRequest
        var testDescription: String { self.name }
    }

    static let errorCases: [ErrorCase] = [
        .init(name: "missing grant_type", body: "scope=orders%2Fget.order", error: "invalid_request"),
        .init(name: "unsupported grant", body: "grant_type=urn:example:magic", error: "unsupported_grant_type"),
        .init(name: "JSON body", body: #"{"grant_type":"client_credentials"}"#, contentType: "application/json", error: "invalid_request"),
        .init(name: "bad percent escape", body: "grant_type=client_credentials&scope=%ZZ", error: "invalid_request"),
        .init(name: "repeated parameter, first empty", body: "grant_type=&grant_type=client_credentials", error: "invalid_request"),
        .init(name: "repeated parameter", body: "grant_type=client_credentials&grant_type=client_credentials", error: "invalid_request"),
        .init(name: "Basic and client_secret together", body: "grant_type=client_credentials&client_secret=s3cret", error: "invalid_request"),
        .init(
            name: "wrong secret",
            body: "grant_type=client_credentials",
            authorization: basicAuthorization("svc", "nope"),
            error: "invalid_client",
            status: .unauthorized
        ),
        .init(
            name: "unknown client",
            body: "grant_type=client_credentials",
            authorization: basicAuthorization("ghost", "x"),
            error: "invalid_client",
            status: .unauthorized
        ),
        .init(
            name: "no client authentication",
            body: "grant_type=client_credentials",
            authorization: nil,
            error: "invalid_client",
            status: .unauthorized
        ),
        .init(
            name: "malformed Basic",
            body: "grant_type=client_credentials",
            authorization: "Basic !!!not-base64",
            error: "invalid_client",
            status: .unauthorized
        ),
        .init(
            name: "Basic without colon",
            body: "grant_type=client_credentials",
            authorization: "Basic " + Data("svc".utf8).base64EncodedString(),
            error: "invalid_client",
            status: .unauthorized
        ),
        .init(
            name: "public client",
            body: "grant_type=client_credentials&client_id=spa",
            authorization: nil,
            error: "invalid_client",
            status: .unauthorized
        ),
        .init(
            name: "public client with a secret",
            body: "grant_type=client_credentials",
            authorization: basicAuthorization("spa", "guess"),
            error: "invalid_client",
            status: .unauthorized
        ),
        .init(
            name: "client without the grant",
            body: "grant_type=client_credentials",
            authorization: basicAuthorization("reporter", "reporter-secret"),
            error: "unauthorized_client"
        ),
        .init(name: "scope beyond the client's", body: "grant_type=client_credentials&scope=reports%2Fread", error: "invalid_scope"),
        .init(name: "unknown scope", body: "grant_type=client_credentials&scope=orders%2Fget.order+admin", error: "invalid_scope"),
        .init(name: "scope with a backslash", body: "grant_type=client_credentials&scope=orders%5Cget", error: "invalid_scope"),
        .init(name: "invalid UTF-8 in a value", body: "grant_type=client_credentials&scope=%FF", error: "invalid_request"),
    ]

    @Test(arguments: errorCases)
    func badTokenRequestsGetRFC6749Errors(_ errorCase: ErrorCase) async throws {
        try await makeApp().test(.router) { client in
            var headers: HTTPFields = [.contentType: errorCase.contentType]
            if let authorization = errorCase.authorization { headers[.authorization] = authorization }
            let response = try await client.postForm("/oauth2/token", errorCase.body, headers: headers)
            #expect(response.status == errorCase.status)
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(response.headers[.contentType] == "application/json")
            let body = try response.json()
            #expect(body["error"] == .string(errorCase.error))
            #expect(body["error_description"]?.stringValue?.isEmpty == false)
            if errorCase.status == .unauthorized {
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Basic ") == true)
            }
        }
    }

    @Test func oversizedBodiesAreRefusedWith413() async throws {
        try await makeApp().test(.router) { client in
            let body = "grant_type=client_credentials&pad=" + String(repeating: "a", count: FormParameters.maximumBodySize + 1)
            let response = try await client.postForm("/oauth2/token", body, headers: [.authorization: basicAuthorization("svc", "s3cret")])
            #expect(response.status == .contentTooLarge)
            #expect(try response.json()["error"] == .string("invalid_request"))
        }
    }

    @Test func openidScopeIsRefusedForClientCredentials() async throws {
        var seed = try fixtureSeed()
        seed.clients[0].scopes.append("openid")
        try await makeApp(seed: seed).test(.router) { client in
            let response = try await client.postForm(
                "/oauth2/token",
                "grant_type=client_credentials&scope=openid",
                headers: [.authorization: basicAuthorization("svc", "s3cret")]
            )
            #expect(response.status == .badRequest)
            #expect(try response.json()["error"] == .string("invalid_scope"))
        }
    }

    @Test func everyIssuedAndDeniedTokenIsAudited() async throws {
        let database = try AppDatabase.inMemory()
        try await makeApp(database: database).test(.router) { client in
            _ = try await client.clientCredentialsToken()
            _ = try await client.postForm(
                "/oauth2/token",
                "grant_type=client_credentials",
                headers: [.authorization: basicAuthorization("svc", "bad")]
            )
            _ = try await client.postForm(
                "/oauth2/token",
                "grant_type=client_credentials&scope=reports%2Fread",
                headers: [.authorization: basicAuthorization("svc", "s3cret")]
            )
        }
        // Leaving `test` shuts the app down gracefully, which flushes the audit log.
        let events = try await database.writer.read { db in try AuditEvent.order(Column("id")).fetchAll(db) }
        #expect(events.map(\.outcome) == [.issued, .denied, .denied])
        #expect(events[0].clientID == "svc")
        #expect(events[0].subject == "svc")
        #expect(events[0].scopes == "orders/get.order orders/create.order")
        #expect(events[0].jti?.isEmpty == false)
        #expect(events[0].grantType == "client_credentials")
        #expect(events[1].reason?.hasPrefix("invalid_client") == true)
        #expect(events[2].clientID == "svc")
        #expect(events[2].reason?.hasPrefix("invalid_scope") == true)
    }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import Understudy

@Suite struct DiscoveryTests {
    @Test func discoveryAdvertisesExactlyWhatIsServed() async throws {
        try await makeApp().test(.router) { client in
            let response = try await client.execute(uri: "/.well-known/openid-configuration", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let document = try response.json()
            #expect(document["issuer"] == .string("http://localhost:9999"))
            #expect(document["token_endpoint"] == .string("http://localhost:9999/oauth2/token"))
            #expect(document["jwks_uri"] == .string("http://localhost:9999/.well-known/jwks.json"))
            #expect(document["introspection_endpoint"] == .string("http://localhost:9999/oauth2/introspect"))
            #expect(document["revocation_endpoint"] == .string("http://localhost:9999/oauth2/revoke"))
            #expect(document["authorization_endpoint"] == .string("http://localhost:9999/oauth2/authorize"))
            #expect(document["userinfo_endpoint"] == .string("http://localhost:9999/oauth2/userinfo"))
            #expect(document["end_session_endpoint"] == .string("http://localhost:9999/logout"))
            let strings: ([String]) -> JSONValue = { .array($0.map(JSONValue.string)) }
            #expect(
                document["grant_types_supported"] == strings(["authorization_code", "implicit", "refresh_token", "client_credentials", "password"])
            )
            #expect(document["response_types_supported"] == strings(["code", "token", "id_token", "id_token token"]))
            #expect(document["response_modes_supported"] == strings(["query", "fragment", "form_post"]))
            #expect(document["code_challenge_methods_supported"] == strings(["S256"]))
            #expect(document["subject_types_supported"] == strings(["public"]))
            #expect(document["id_token_signing_alg_values_supported"] == strings(["RS256", "ES256"]))
            #expect(document["request_uri_parameter_supported"] == .bool(false))
            #expect(document["token_endpoint_auth_methods_supported"] == strings(["client_secret_basic", "client_secret_post", "none"]))
            guard case .array(let scopes)? = document["scopes_supported"] else { throw TestFailure("no scopes_supported") }
            #expect(scopes.contains(.string("orders/get.order")))
            #expect(scopes.contains(.string("reports/read")))

            let metadata = try await client.execute(uri: "/.well-known/oauth-authorization-server", method: .get).json()
            #expect(metadata == document)
        }
    }

    @Test func issuerIgnoresHostAndForwardedHeadersWhileURLsFollowTheProxy() async throws {
        try await makeApp().test(.router) { client in
            let document = try await client.execute(
                uri: "/.well-known/openid-configuration",
                method: .get,
                headers: [.xForwardedHost: "idp.example.com", .xForwardedProto: "https"]
            ).json()
            #expect(document["issuer"] == .string("http://localhost:9999"))
            #expect(document["token_endpoint"] == .string("https://idp.example.com/oauth2/token"))

            let injected = try await client.execute(
                uri: "/.well-known/openid-configuration",
                method: .get,
                headers: [.xForwardedHost: "a.example/<script>"]
            ).json()
            #expect(injected["token_endpoint"] == .string("http://localhost:9999/oauth2/token"))
        }
    }

    @Test func internalURLKeepsTheIssuersPathAndDiscoveryVariesByProxyHeaders() async throws {
        try await makeApp {
            $0.issuer = "http://localhost:9999/us-east-1_pool"
            $0.internalURL = "http://idp:9400"
        }.test(.router) { client in
            let response = try await client.execute(uri: "/us-east-1_pool/.well-known/openid-configuration", method: .get)
            #expect(response.headers[.vary] == "X-Forwarded-Host, X-Forwarded-Proto")
            let document = try response.json()
            #expect(document["token_endpoint"] == .string("http://idp:9400/us-east-1_pool/oauth2/token"))
            // RFC 8414 §3: the well-known segment goes before the issuer's path.
            let inserted = try await client.execute(uri: "/.well-known/oauth-authorization-server/us-east-1_pool", method: .get)
            #expect(try inserted.json() == document)
        }
    }

    @Test func internalURLServesBackChannelEndpoints() async throws {
        try await makeApp { $0.internalURL = "http://idp:9400" }.test(.router) { client in
            let document = try await client.execute(uri: "/.well-known/openid-configuration", method: .get).json()
            #expect(document["issuer"] == .string("http://localhost:9999"))
            #expect(document["token_endpoint"] == .string("http://idp:9400/oauth2/token"))
            #expect(document["jwks_uri"] == .string("http://idp:9400/.well-known/jwks.json"))
            #expect(document["userinfo_endpoint"] == .string("http://idp:9400/oauth2/userinfo"))
            // Browser-facing endpoints stay on the public URL.
            #expect(document["authorization_endpoint"] == .string("http://localhost:9999/oauth2/authorize"))
            #expect(document["end_session_endpoint"] == .string("http://localhost:9999/logout"))
        }
    }

    @Test func anIssuerWithAPathMountsEveryEndpointUnderIt() async throws {
        try await makeApp { $0.issuer = "http://localhost:9999/tenant-a" }.test(.router) { client in
            let document = try await client.execute(uri: "/tenant-a/.well-known/openid-configuration", method: .get).json()
            #expect(document["token_endpoint"] == .string("http://localhost:9999/tenant-a/oauth2/token"))
            let token = try await client.postForm(
                "/tenant-a/oauth2/token",
                "grant_type=client_credentials",
                headers: [.authorization: basicAuthorization("svc", "s3cret")]
            )
            #expect(token.status == .ok)
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
    }

    @Test func jwksPublishesPublicKeysOnlyWithStableThumbprintKids() async throws {
        try await makeApp().test(.router) { client in
            let response = try await client.execute(uri: "/.well-known/jwks.json", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "public, max-age=300")
            #expect(response.headers[.accessControlAllowOrigin] == nil || response.headers[.accessControlAllowOrigin] == "*")
            guard case .array(let keys)? = try response.json()["keys"] else { throw TestFailure("no keys") }
            #expect(keys.count == 2)
            let ring = try await repositoryKeys()
            for case .object(let key) in keys {
                for privateMember in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
                    #expect(key[privateMember] == nil, "JWKS leaks private member \(privateMember)")
                }
                #expect(key["use"] == .string("sig"))
                guard let kid = key["kid"]?.stringValue, let signingKey = ring.key(kid: kid) else {
                    throw TestFailure("JWKS kid does not match a loaded key")
                }
                #expect(key["alg"] == .string(signingKey.algorithm.rawValue))
            }
            guard case .object(let first) = keys[0] else { throw TestFailure("not an object") }
            #expect(first["kty"] == .string("RSA"), "RSA (the default) comes first")
        }
    }

    @Test func corsLetsBrowsersReadDiscovery() async throws {
        try await makeApp().test(.router) { client in
            let response = try await client.execute(
                uri: "/.well-known/jwks.json",
                method: .get,
                headers: [.origin: "http://localhost:3000"]
            )
            #expect(response.headers[.accessControlAllowOrigin] == "*")
        }
    }

    @Test func healthz() async throws {
        try await makeApp().test(.router) { client in
            let response = try await client.execute(uri: "/healthz", method: .get)
            #expect(response.status == .ok)
            #expect(try response.json()["status"] == .string("ok"))
        }
    }
}

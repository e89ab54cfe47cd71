import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOFoundationEssentialsCompat
import Synchronization

@testable import Understudy

/// The fixed instant every test server lives at (2027-01-15T08:00:00Z).
let testNow = Date(timeIntervalSince1970: 1_800_000_000)

/// The repository root, for the shipped seed and keys.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// A small seed with one confidential client per signing algorithm and a public client.
let fixtureSeedYAML = """
    settings:
      access_token_ttl: 600
    groups:
      - name: SPA-Manager
    scopes:
      - name: orders/get.order
      - name: orders/create.order
      - name: reports/read
    users:
      - username: manager
        password: manager-password
        groups: [SPA-Manager]
    clients:
      - client_id: svc
        client_secret: "s3cret"
        grant_types: [client_credentials]
        scopes: [orders/get.order, orders/create.order]
      - client_id: "svc:special/ü"
        client_secret: "p@ss:w+rd% ü"
        grant_types: [client_credentials]
        scopes: [orders/get.order]
        default_scopes: [orders/get.order]
        audience: [https://api.example.com, orders]
        signing_alg: ES256
        access_token_ttl: 120
      - client_id: reporter
        client_secret: reporter-secret
        grant_types: [authorization_code]
        scopes: [reports/read]
      - client_id: spa
        public: true
        redirect_uris: [http://localhost:3000/callback]
        grant_types: [implicit]
        scopes: [openid, orders/get.order]
    """

extension ServerConfiguration {
    /// Defaults for tests: a fixed issuer and clock, the repository's keys; `configure` adjusts.
    static func test(_ configure: (inout ServerConfiguration) -> Void = { _ in }) -> ServerConfiguration {
        var config = ServerConfiguration()
        config.issuer = "http://localhost:9999"
        config.port = 0
        config.databasePath = ":memory:"
        config.keysDirectory = repositoryRoot + "/keys"
        config.accessTokenTTL = 600
        config.now = { testNow }
        configure(&config)
        return config
    }
}

func fixtureSeed() throws -> SeedFile {
    try SeedLoader.parse(fixtureSeedYAML, file: "fixture.yaml").0
}

func repositoryKeys() async throws -> KeyRing {
    try await KeyRing.load(folder: repositoryRoot + "/keys")
}

/// A server over the fixture seed (or `seed`) and a fresh in-memory database (or `database`).
func makeApp(
    seed: SeedFile? = nil,
    database: AppDatabase? = nil,
    _ configure: (inout ServerConfiguration) -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    try await buildApplication(
        configuration: .test(configure),
        database: database ?? AppDatabase.inMemory(),
        seed: seed ?? fixtureSeed(),
        keys: repositoryKeys(),
        logger: Logger(label: "understudy-test", factory: { _ in SwiftLogNoOpLogHandler() })
    )
}

extension TestClientProtocol {
    /// POSTs a form body.
    func postForm(_ uri: String, _ body: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        if headers[.contentType] == nil { headers[.contentType] = "application/x-www-form-urlencoded" }
        return try await self.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    /// A client-credentials token for `svc` (or another client), with Basic authentication.
    func clientCredentialsToken(client: String = "svc", secret: String = "s3cret", scope: String? = nil) async throws -> String {
        let body = "grant_type=client_credentials" + (scope.map { "&scope=\(formEncode($0))" } ?? "")
        let response = try await self.postForm("/oauth2/token", body, headers: [.authorization: basicAuthorization(client, secret)])
        guard response.status == .ok, case .string(let token)? = try response.json()["access_token"] else {
            throw TestFailure("token request failed: \(response.status) \(String(buffer: response.body))")
        }
        return token
    }
}

extension TestResponse {
    /// The body as a JSON object.
    func json() throws -> [String: JSONValue] {
        try JSONDecoder().decode([String: JSONValue].self, from: Data(buffer: self.body))
    }
}

/// `Authorization: Basic` as RFC 6749 §2.3.1 asks: form-encode id and secret, then base64.
func basicAuthorization(_ id: String, _ secret: String) -> String {
    "Basic " + Data("\(formEncode(id)):\(formEncode(secret))".utf8).base64EncodedString()
}

/// application/x-www-form-urlencoded encoding of one value.
func formEncode(_ value: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._*")
    return value.addingPercentEncoding(withAllowedCharacters: allowed)!.replacingOccurrences(of: "%20", with: "+")
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A clock tests move forward by hand.
final class TestClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date) {
        self.current = Mutex(start)
    }

    var now: @Sendable () -> Date {
        { self.current.withLock { $0 } }
    }

    func advance(by seconds: TimeInterval) {
        self.current.withLock { $0 += seconds }
    }
}

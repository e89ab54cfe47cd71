import AsyncHTTPClient
import Foundation
import GRDB
public import Hummingbird
public import Logging

/// Builds the server from its configuration: reads the seed, opens and seeds the database, loads the keys.
///
/// - Throws: ``SeedError`` for a bad seed (nothing applied), ``ConfigurationError``, key and database errors.
public func buildApplication(configuration: ServerConfiguration, logger: Logger) async throws -> some ApplicationProtocol {
    let seed = try SeedLoader.load(paths: configuration.seedPaths)
    let database = configuration.databasePath == ":memory:" ? try AppDatabase.inMemory() : try AppDatabase.file(path: configuration.databasePath)
    let keys = try await KeyRing.load(folder: configuration.keysDirectory)
    return try await buildApplication(configuration: configuration, database: database, seed: seed, keys: keys, logger: logger)
}

/// The composition root: every collaborator is built here from its inputs and injected.
func buildApplication(
    configuration: ServerConfiguration,
    database: AppDatabase,
    seed: SeedFile,
    keys: KeyRing,
    logger: Logger = Logger(label: "understudy")
) async throws -> some ApplicationProtocol {
    for algorithm in Set(seed.clients.compactMap { SigningAlgorithm(rawValue: $0.signingAlgorithm) }) where keys.active[algorithm] == nil {
        throw SigningKeyError.missingAlgorithm(algorithm, configuration.keysDirectory)
    }
    let seeding = try await Seeder(database: database, now: configuration.now).apply(seed)
    let keyRecords = SigningKeyRepository(writer: database.writer)
    let signingKeys = try await keyRecords.restore(folder: keys, now: configuration.now())
    let (scopes, codeChallengeMethods) = try await advertised(database)

    let clients = ClientRepository(writer: database.writer)
    let revocations = try RevocationRepository(writer: database.writer, now: configuration.now())
    let audit = AuditLog(writer: database.writer)
    let authenticator = ClientAuthenticator(clients: clients, secrets: ClientSecretVerifier())
    let issuers = DialectIssuers(issuer: configuration.issuer, cognito: configuration.cognito, idcs: configuration.idcs)
    let verifier = TokenVerifier(issuers: issuers.all, keys: signingKeys, revocations: revocations, now: configuration.now)
    let issuerPath = URLParts(configuration.issuer)?.path ?? ""
    let users = UserRepository(writer: database.writer)
    let sessions = SessionRepository(writer: database.writer)
    let grants = GrantRepository(writer: database.writer)
    let userAuthenticator = UserAuthenticator(users: users, throttle: LoginThrottle(enabled: configuration.loginLockout, now: configuration.now))

    let router = Router(context: AppRequestContext.self)
    router.get("healthz") { _, _ in HealthResponse(status: "ok") }
    let root = issuerPath.isEmpty ? router.group() : router.group(RouterPath(issuerPath))
    let metadata = ProviderMetadata(
        issuer: configuration.issuer,
        scopes: scopes,
        signingAlgorithms: signingKeys.ring.algorithms,
        codeChallengeMethods: codeChallengeMethods
    )
    var cognitoMetadata = metadata
    cognitoMetadata.issuer = issuers.cognito
    cognitoMetadata.userinfoPath = "/oauth2/userInfo"
    cognitoMetadata.responseTypes = ["code", "token"]
    cognitoMetadata.jwksPath = "/\(configuration.cognito?.userPoolID ?? "")/.well-known/jwks.json"
    let discovery = try DiscoveryController(
        metadata: metadata,
        cognito: configuration.cognito.map { ($0.userPoolID, cognitoMetadata) },
        issuerPath: issuerPath,
        internalURL: configuration.internalURL,
        keys: signingKeys,
        now: configuration.now
    )
    // Created after the last step that can throw: the client must be shut down by its service.
    let hookClient = HookHTTPClient()
    let issuer = TokenIssuer(configuration: configuration, seed: seed, keys: signingKeys, hookClient: hookClient)
    let cors = CORSMiddleware<AppRequestContext>(allowOrigin: .all, allowHeaders: [.contentType, .authorization], allowMethods: [.get, .options])
    discovery.addRoutes(to: root.group().add(middleware: cors), root: router.group().add(middleware: cors))
    // Back-channel endpoints: open to browsers of any origin (bearer tokens, no cookies), OAuth JSON errors.
    let backChannelCORS = CORSMiddleware<AppRequestContext>(
        allowOrigin: .all,
        allowHeaders: [.contentType, .authorization],
        allowMethods: [.get, .post, .options],
        exposedHeaders: ["WWW-Authenticate"]
    )
    let oauth = root.group().add(middleware: backChannelCORS).add(middleware: OAuthErrorMiddleware())
    for path in TokenController.paths + UserInfoController.paths + RevocationController.paths + IntrospectionController.paths {
        oauth.on(RouterPath(path), method: .options) { _, _ in Response(status: .noContent) }
    }
    let faults = FaultInjector()
    let tokenController = TokenController(
        authenticator: authenticator,
        issuer: issuer,
        audit: audit,
        grants: grants,
        users: users,
        userAuthenticator: userAuthenticator,
        revocations: revocations,
        refreshTokenTTL: configuration.refreshTokenTTL,
        now: configuration.now
    )
    tokenController.addRoutes(to: oauth.group().add(middleware: faults.middleware(for: .token)))
    IntrospectionController(authenticator: authenticator, verifier: verifier, grants: grants, users: users, now: configuration.now)
        .addRoutes(to: oauth.group().add(middleware: faults.middleware(for: .introspect)))
    RevocationController(
        authenticator: authenticator,
        verifier: verifier,
        revocations: revocations,
        grants: grants,
        audit: audit,
        now: configuration.now
    ).addRoutes(to: oauth.group().add(middleware: faults.middleware(for: .revoke)))
    UserInfoController(verifier: verifier, users: users, idcs: configuration.idcs, baseURL: configuration.issuer)
        .addRoutes(to: oauth.group().add(middleware: faults.middleware(for: .userinfo)))

    // Admin API: closed without the admin token. (IDCS's public /admin/v1/SigningCert/jwk is a discovery route.)
    let adminToken = configuration.adminToken ?? Base64URL.encode((0..<32).map { _ in UInt8.random(in: 0...255) })
    if configuration.adminToken == nil {
        // Logged at notice, or at the configured level when that is higher, so it is always shown.
        logger.log(
            level: max(logger.logLevel, .notice),
            "admin API token generated for this run; fix one with --admin-token or UNDERSTUDY_ADMIN_TOKEN",
            metadata: ["admin_token": "\(adminToken)"]
        )
    }
    let admin = root.group("admin/v1").add(middleware: AdminErrorMiddleware()).add(middleware: AdminAuthMiddleware(token: adminToken))
    AuditController(audit: audit).addRoutes(to: admin)
    FaultsController(injector: faults).addRoutes(to: admin)
    let scopeRepository = ScopeRepository(writer: database.writer)
    // One refresh at a time, so an older read is never installed after a newer one.
    let discoveryRefreshes = SerialQueue()
    let catalogChanged: @Sendable () async throws -> Void = {
        try await discoveryRefreshes.run {
            let (scopes, methods) = try await advertised(database)
            try discovery.update(scopes: scopes, codeChallengeMethods: methods)
        }
    }
    ClientsController(
        clients: clients,
        scopes: scopeRepository,
        signingAlgorithms: signingKeys.ring.algorithms,
        changed: catalogChanged,
        now: configuration.now
    ).addRoutes(to: admin)
    ScopesController(scopes: scopeRepository, changed: catalogChanged).addRoutes(to: admin)
    let mintedHorizon = ExpiryHorizon()
    TokensController(
        minter: TokenMint(clients: clients, users: users, issuer: issuer, audit: audit, horizon: mintedHorizon, now: configuration.now)
    ).addRoutes(to: admin)
    ResetController(
        reset: SeedReset(seeder: Seeder(database: database, now: configuration.now), seed: seed),
        clients: clients,
        faults: faults,
        changed: catalogChanged
    ).addRoutes(to: admin)
    KeysController(
        rotation: KeyRotation(keys: signingKeys, repository: keyRecords, now: configuration.now),
        repository: keyRecords,
        longestTokenLifetime: { [writer = database.writer, configuration, mintedHorizon] in
            let clients = try await writer.read { db in
                try Int.fetchOne(db, sql: "SELECT MAX(MAX(COALESCE(accessTokenTTL, 0), COALESCE(idTokenTTL, 0))) FROM client") ?? 0
            }
            let minted = mintedHorizon.seconds(after: configuration.now())
            return max(clients, configuration.accessTokenTTL, configuration.idTokenTTL, minted)
        },
        now: configuration.now
    ).addRoutes(to: admin)
    // SCIM 2.0 at /scim/v2 and IDCS's /admin/v1: Users and Groups behind the admin token, Me behind the user's token.
    let scim = SCIMRoutes(directory: DirectoryRepository(writer: database.writer, now: configuration.now), verifier: verifier, users: users)
    for prefix in ["scim/v2", "admin/v1"] {
        scim.addRoutes(to: root.group(RouterPath(prefix)), base: "\(configuration.issuer)/\(prefix)", adminToken: adminToken)
    }

    // Browser endpoints: HTML pages and redirects.
    let security = BrowserSecurity(issuer: configuration.issuer, issuerPath: issuerPath)
    let completer = AuthorizationCompleter(
        grants: grants,
        issuer: issuer,
        audit: audit,
        codeTTL: configuration.authorizationCodeTTL,
        now: configuration.now
    )
    let browser = root.group()
    AuthorizeController(clients: clients, users: users, sessions: sessions, completer: completer, assetBase: issuerPath, now: configuration.now)
        .addRoutes(to: browser)
    LoginController(
        clients: clients,
        users: users,
        sessions: sessions,
        authenticator: userAuthenticator,
        completer: completer,
        security: security,
        settings: .init(
            userPicker: configuration.loginUserPicker,
            denyButton: configuration.loginDenyButton,
            sessionTTL: configuration.sessionTTL
        ),
        assetBase: issuerPath,
        audit: audit,
        now: configuration.now
    ).addRoutes(to: browser)
    LogoutController(
        clients: clients,
        sessions: sessions,
        verifier: verifier,
        security: security,
        audit: audit,
        assetBase: issuerPath,
        now: configuration.now
    ).addRoutes(to: browser)
    PlaygroundController(clients: clients, issuer: configuration.issuer, assetBase: issuerPath).addRoutes(to: browser)

    let serverName = "understudy"
    // Last: wraps only the answer for requests no route takes.
    router.add(middleware: UnmatchedRouteMiddleware(issuerPath: issuerPath))

    var app = Application(
        router: router,
        server: .http1(
            configuration: FastPathHandler.http1Configuration(
                documents: discovery,
                tokens: TokenFastPath(controller: tokenController, faults: faults, issuerPath: issuerPath, logger: logger),
                serverName: serverName
            )
        ),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: serverName),
        logger: logger
    )
    app.addServices(audit, hookClient)
    logger.info(
        "understudy ready to start",
        metadata: [
            "issuer": "\(configuration.issuer)",
            "database": "\(configuration.databasePath)",
            "keys": "\(signingKeys.ring.keys.map { "\($0.algorithm.rawValue):\($0.kid)" }.joined(separator: ","))",
            "seed": "\(seeding == .applied ? "applied" : "unchanged") (\(seed.users.count) users, \(seed.clients.count) clients)",
        ]
    )
    return app
}

/// What discovery advertises from the database: every scope, and the PKCE methods clients accept.
private func advertised(_ database: AppDatabase) async throws -> (scopes: [String], codeChallengeMethods: [String]) {
    try await database.writer.read { db in
        let scopes = try String.fetchAll(db, sql: "SELECT name FROM scope ORDER BY isStandard DESC, name")
        let plain = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM client WHERE allowsPlainPKCE)") ?? false
        return (scopes, plain ? ["S256", "plain"] : ["S256"])
    }
}

/// The body of `GET /healthz`.
struct HealthResponse: ResponseEncodable {
    var status: String
}

import AsyncHTTPClient
import NIOCore
import ServiceLifecycle

/// The HTTP client hooks are called with: no retried connection attempts (an unreachable hook fails at once,
/// not after its timeout), a short connect timeout, and a lifetime tied to the server's.
final class HookHTTPClient: Service, Sendable {
    let client: HTTPClient

    init() {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(2)
        configuration.redirectConfiguration = .disallow
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Waits for shutdown, then closes the client's connections.
    func run() async throws {
        try? await gracefulShutdown()
        try await self.client.shutdown()
    }
}

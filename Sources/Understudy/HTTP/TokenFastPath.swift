import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The token endpoint's part of ``FastPathHandler``: which requests the handler holds on to, and their answer.
///
/// It holds a `POST` to a token path (under the issuer's path, and IDCS's alias) with no query and a
/// `Content-Length` a form may have, while no fault is injected (faults are a middleware on the route). Its
/// answer is ``TokenController/clientCredentialsWithoutWaiting(headers:body:logger:)``'s; when that is nil
/// the handler passes the request on to the router.
final class TokenFastPath: Sendable {
    let controller: TokenController
    let faults: FaultInjector
    /// The token paths as requests name them.
    let paths: Set<String>
    /// The server's logger; each answer logs with its own `hb.request.id`, as the router's requests do.
    let logger: Logger

    init(controller: TokenController, faults: FaultInjector, issuerPath: String, logger: Logger) {
        self.controller = controller
        self.faults = faults
        self.paths = Set(TokenController.paths.map { "\(issuerPath)/\($0)" })
        self.logger = logger
    }

    func accepts(_ request: HTTPRequest, path: String) -> Bool {
        guard request.method == .post, self.paths.contains(path), !self.faults.isArmed,
            let length = request.headerFields.value(.contentLength).flatMap({ Int($0) })
        else { return false }
        return (1...FormParameters.maximumBodySize).contains(length)
    }

    func answer(_ request: HTTPRequest, body: ByteBuffer) -> PreparedAnswer? {
        // A fault injected while the body was on its way applies to this request too.
        guard !self.faults.isArmed,
            let json = self.controller.clientCredentialsWithoutWaiting(headers: request.headerFields, body: body, logger: self.requestLogger)
        else { return nil }
        return PreparedAnswer(headers: TokenController.noStoreJSONHeaders, body: ByteBuffer(bytes: json))
    }

    private func requestLogger() -> Logger {
        guard self.logger.logLevel <= .info else { return self.logger }
        var logger = self.logger
        logger[metadataKey: "hb.request.id"] = .stringConvertible(RequestID())
        return logger
    }
}

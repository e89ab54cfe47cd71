import Foundation
import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// Answers a plain `GET` of a discovery document or key set on the event loop, with the bytes the route
/// would answer, before the request reaches the router: no task, no middleware chain, no per-request
/// response object. These are the requests API authorizers and client libraries make most.
///
/// "Plain" is deliberately narrow, so the answer is exactly the route's: method `GET`, a path in
/// ``DiscoveryController/documentPaths`` with no query, no `Origin` (CORS), no `X-Forwarded-Host` or
/// `X-Forwarded-Proto` (per-proxy documents), no `Connection` header, and no body (no `Content-Length`
/// other than 0, no `Transfer-Encoding`, no `Expect`), so head and end arrive together. Everything else goes
/// on to the router as usual, and so does a request that arrives while an earlier one on the connection is
/// still being answered (HTTP/1.1 pipelining keeps answers in order) or while the connection cannot take
/// more output (the router's path then applies backpressure to a client that does not read).
///
/// Hummingbird's connection handler, further down the pipeline, never sees these requests: with an idle
/// timeout configured (Understudy sets none) it would not count them as activity.
final class StaticDocumentHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let documents: DiscoveryController
    private let serverName: String
    /// Requests passed on to the router whose answer has not ended yet.
    private var inFlight = 0
    /// The answer to the request being read, sent when its end arrives.
    private var answer: DiscoveryController.PreparedDocument?
    private var dateHeader = HTTPDateHeader()

    init(documents: DiscoveryController, serverName: String) {
        self.documents = documents
        self.serverName = serverName
    }

    /// The HTTP/1.1 server configuration with this handler on every connection.
    static func http1Configuration(documents: DiscoveryController, serverName: String) -> HTTP1Channel.Configuration {
        .init(additionalChannelHandlers: [StaticDocumentHandler(documents: documents, serverName: serverName)])
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let request):
            if self.inFlight == 0, self.answer == nil, context.channel.isWritable, let prepared = self.preparedAnswer(request) {
                self.answer = prepared
                return
            }
            self.inFlight += 1
        case .body:
            if self.answer != nil { return }
        case .end:
            if let answer = self.answer {
                self.answer = nil
                self.send(answer, context: context)
                return
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = self.unwrapOutboundIn(data) { self.inFlight = max(0, self.inFlight - 1) }
        context.write(data, promise: promise)
    }

    private func preparedAnswer(_ request: HTTPRequest) -> DiscoveryController.PreparedDocument? {
        guard request.method == .get, let path = request.path else { return nil }
        let fields = request.headerFields
        guard !fields.contains(.origin), !fields.contains(.xForwardedHost), !fields.contains(.xForwardedProto), !fields.contains(.connection),
            !fields.contains(.transferEncoding), !fields.contains(.expect), fields[.contentLength] ?? "0" == "0"
        else { return nil }
        return self.documents.preparedDocument(path: path)
    }

    private func send(_ document: DiscoveryController.PreparedDocument, context: ChannelHandlerContext) {
        var headers = document.headers
        headers[.contentLength] = String(document.body.readableBytes)
        headers[.date] = self.dateHeader.current()
        headers[.server] = self.serverName
        context.write(self.wrapOutboundOut(.head(HTTPResponse(status: .ok, headerFields: headers))), promise: nil)
        context.write(self.wrapOutboundOut(.body(document.body)), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
    }
}

/// The `Date` header (RFC 9110 §5.6.7, IMF-fixdate), formatted once a second.
struct HTTPDateHeader {
    private var second: time_t = -1
    private var text = ""

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    mutating func current() -> String {
        var now = time(nil)
        if now != self.second {
            self.second = now
            self.text = Self.format(&now)
        }
        return self.text
    }

    static func format(_ seconds: inout time_t) -> String {
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let year = Int(parts.tm_year) + 1900
        return "\(Self.days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(Self.months[Int(parts.tm_mon)]) \(year) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}

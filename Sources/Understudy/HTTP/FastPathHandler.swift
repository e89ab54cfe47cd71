import Foundation
import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// Answers on the event loop, before the router, the requests that need no waiting and that API authorizers,
/// client libraries and load tests make most: a plain `GET` of a discovery document or key set, and a plain
/// client-credentials token request whose client and secret are already in memory. No task, no middleware
/// chain, no per-request response object; the answer is exactly the route's.
///
/// "Plain" is deliberately narrow. A document request: method `GET`, a path in
/// ``DiscoveryController/documentPaths`` with no query, no `X-Forwarded-Host` or `X-Forwarded-Proto`
/// (per-proxy documents) and no body (no `Content-Length` other than 0). A token request: see
/// ``TokenFastPath``. Neither may carry `Origin` (CORS), `Connection`, `Transfer-Encoding` or `Expect`.
/// Everything else goes on to the router as usual, and so does a request that arrives
/// - while an earlier one on the connection is still being answered (HTTP/1.1 pipelining keeps answers in
///   order);
/// - while the connection cannot take more output (the router's path then applies backpressure to a client
///   that does not read);
/// - after ``maximumAnswersPerRead`` answers from one read (a burst of pipelined token requests must not hold
///   the event loop, and the other connections on it, for the time of all its signatures);
/// - once the connection is closing: a request asked to close it, its output is closed, or the server is
///   shutting down (a request held here then goes to the router, which counts it and answers it first).
///
/// A token request this handler declines once its body is in (``TokenFastPath`` answers nil) goes on to the
/// router whole: head, body and end.
///
/// Hummingbird's connection handler, further down the pipeline, never sees the requests answered here: with
/// an idle timeout configured (Understudy sets none) it would not count them as activity.
final class FastPathHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let documents: DiscoveryController
    private let tokens: TokenFastPath?
    private let serverName: String
    /// Requests passed on to the router whose answer has not ended yet.
    private var inFlight = 0
    /// The request being read, when this handler may answer it.
    private var pending: Pending?
    /// Answers given since the last read from the socket completed.
    private var answersThisRead = 0
    /// True once this connection is closing or the server is shutting down: the router answers the rest.
    private var closing = false
    private var dateHeader = HTTPDateHeader()

    /// The most requests answered here from one read; a pipelined burst beyond it goes to the router.
    static let maximumAnswersPerRead = 4

    private enum Pending {
        /// A document request; its answer is sent when the request's end arrives.
        case document(HTTPRequest, PreparedAnswer)
        /// A token request, with the body read so far.
        case token(HTTPRequest, ByteBuffer)
    }

    init(documents: DiscoveryController, tokens: TokenFastPath?, serverName: String) {
        self.documents = documents
        self.tokens = tokens
        self.serverName = serverName
    }

    /// The HTTP/1.1 server configuration with this handler on every connection.
    static func http1Configuration(documents: DiscoveryController, tokens: TokenFastPath?, serverName: String) -> HTTP1Channel.Configuration {
        .init(additionalChannelHandlers: [FastPathHandler(documents: documents, tokens: tokens, serverName: serverName)])
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let request):
            if self.inFlight == 0, self.pending == nil, !self.closing, self.answersThisRead < Self.maximumAnswersPerRead,
                context.channel.isWritable, let pending = self.pending(for: request)
            {
                self.pending = pending
                return
            }
            self.inFlight += 1
            if request.headerFields[values: .connection].contains(where: { $0.lowercased().contains("close") }) { self.closing = true }
        case .body(let part):
            switch self.pending {
            case .document?: return
            case .token(let request, var body)?:
                self.pending = nil
                guard body.readableBytes + part.readableBytes <= FormParameters.maximumBodySize else {
                    // Larger than any form the route accepts: the router refuses it.
                    self.forward(request, body: body, context: context)
                    break
                }
                // Most bodies arrive in one part, kept as it is.
                if body.readableBytes == 0 { body = part } else { body.writeImmutableBuffer(part) }
                self.pending = .token(request, body)
                return
            case nil: break
            }
        case .end:
            switch self.pending {
            case .document(_, let answer)?:
                self.pending = nil
                self.send(answer, context: context)
                return
            case .token(let request, let body)?:
                self.pending = nil
                if let answer = self.tokens?.answer(request, body: body) {
                    self.send(answer, context: context)
                    return
                }
                self.forward(request, body: body, context: context)
            case nil: break
            }
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.answersThisRead = 0
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent || event as? ChannelEvent == .outputClosed {
            self.closing = true
            // The router's connection handler must see a request held here before this event, to answer it
            // before it closes the connection; the rest of the request follows it there.
            switch self.pending {
            case .document(let request, _)?: self.forward(request, body: ByteBuffer(), context: context)
            case .token(let request, let body)?: self.forward(request, body: body, context: context)
            case nil: break
            }
            self.pending = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = self.unwrapOutboundIn(data) { self.inFlight = max(0, self.inFlight - 1) }
        context.write(data, promise: promise)
    }

    private func pending(for request: HTTPRequest) -> Pending? {
        guard let path = request.path else { return nil }
        let fields = request.headerFields
        guard !fields.contains(.origin), !fields.contains(.connection), !fields.contains(.transferEncoding), !fields.contains(.expect) else {
            return nil
        }
        if request.method == .get {
            guard !fields.contains(.xForwardedHost), !fields.contains(.xForwardedProto), fields.value(.contentLength) ?? "0" == "0" else {
                return nil
            }
            return self.documents.preparedDocument(path: path).map { Pending.document(request, $0) }
        }
        guard let tokens = self.tokens, tokens.accepts(request, path: path) else { return nil }
        return .token(request, ByteBuffer())
    }

    /// Passes a request read whole on to the router: the head and body held here; the caller passes the end.
    private func forward(_ request: HTTPRequest, body: ByteBuffer, context: ChannelHandlerContext) {
        self.inFlight += 1
        context.fireChannelRead(self.wrapInboundOut(.head(request)))
        if body.readableBytes > 0 { context.fireChannelRead(self.wrapInboundOut(.body(body))) }
    }

    private func send(_ answer: PreparedAnswer, context: ChannelHandlerContext) {
        self.answersThisRead += 1
        var headers = answer.headers
        headers[.contentLength] = String(answer.body.readableBytes)
        headers[.date] = self.dateHeader.current()
        headers[.server] = self.serverName
        context.write(self.wrapOutboundOut(.head(HTTPResponse(status: .ok, headerFields: headers))), promise: nil)
        context.write(self.wrapOutboundOut(.body(answer.body)), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
    }
}

/// A `200` answer prepared without the router: its headers (without `Content-Length`, `Date` and `Server`,
/// which ``FastPathHandler`` adds as Hummingbird does) and its body.
struct PreparedAnswer: Sendable {
    var headers: HTTPFields
    var body: ByteBuffer
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

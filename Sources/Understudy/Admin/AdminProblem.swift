import Foundation
import HTTPTypes
import Hummingbird

/// An error of the admin API as RFC 9457 problem details (`application/problem+json`).
struct AdminProblem: HTTPResponseError, Equatable {
    var status: HTTPResponse.Status
    var detail: String
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.detail = detail
        self.headers = headers
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var writer = JSONWriter()
        writer.write(
            object: [
                "type": .string("about:blank"),
                "title": .string(self.status.reasonPhrase),
                "status": .int(self.status.code),
                "detail": .string(self.detail),
            ]
        )
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        headers[.cacheControl] = "no-store"
        return Response(status: self.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }
}

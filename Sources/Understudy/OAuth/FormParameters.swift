import Foundation
import Hummingbird

/// The parameters of an `application/x-www-form-urlencoded` request body (RFC 6749 §3.2, appendix B).
///
/// Parsed once per request: repeated parameters are an error (RFC 6749 §3.1), empty ones count as absent.
struct FormParameters: Sendable, Equatable {
    /// Larger bodies are refused with 413 before parsing.
    static let maximumBodySize = 64 * 1024

    private(set) var values: [String: String]

    subscript(name: String) -> String? {
        self.values[name]
    }

    /// Reads and parses the body of `request`.
    /// - Throws: ``OAuthError`` `invalid_request` (415-style content type problems and malformed bodies), 413 when too large.
    static func parse(_ request: Request) async throws -> FormParameters {
        guard Self.isFormContentType(request.headers.value(.contentType)) else {
            throw OAuthError(.invalidRequest, "the request body must be application/x-www-form-urlencoded")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Self.maximumBodySize)
        } catch {
            throw OAuthError(.invalidRequest, "the request body is larger than \(Self.maximumBodySize) bytes", status: .contentTooLarge)
        }
        return try Self.decode(buffer)
    }

    /// Whether a `Content-Type` value names a form body.
    static func isFormContentType(_ contentType: String?) -> Bool {
        // The exact header every client sends skips the media-type parser.
        contentType == "application/x-www-form-urlencoded" || contentType.flatMap(MediaType.init(from:))?.isType(.applicationUrlEncoded) == true
    }

    /// Decodes a whole body, which must be UTF-8.
    static func decode(_ buffer: ByteBuffer) throws(OAuthError) -> FormParameters {
        guard let body = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw OAuthError(.invalidRequest, "the request body is not valid UTF-8")
        }
        return try Self.decode(body)
    }

    /// Decodes `a=1&b=2`; `+` is a space and `%XX` an octet of UTF-8.
    static func decode(_ body: String) throws(OAuthError) -> FormParameters {
        var values: [String: String] = [:]
        var seen = Set<String>()
        // Split on the bytes `&` and `=` (ASCII, so always between characters), not on `Character`s: the
        // grapheme breaking costs more than the rest of the parse.
        for pair in body.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            guard let name = Self.formDecode(Substring(pair[..<(equals ?? pair.endIndex)])), !name.isEmpty else {
                throw OAuthError(.invalidRequest, "the request body is not valid form encoding")
            }
            guard let value = Self.formDecode(equals.map { Substring(pair[pair.index(after: $0)...]) } ?? "") else {
                throw OAuthError(.invalidRequest, "parameter '\(Self.printable(name))' is not valid form encoding")
            }
            guard seen.insert(name).inserted else {
                throw OAuthError(.invalidRequest, "parameter '\(Self.printable(name))' is repeated")
            }
            if !value.isEmpty { values[name] = value }
        }
        return FormParameters(values: values)
    }

    /// Form-url-decoding of one name or value; nil for a bad `%` escape, invalid UTF-8 or a NUL (SQLite would
    /// read a string only up to its NUL: `client_id=orders-service%00x` must not be `orders-service`).
    static func formDecode(_ text: some StringProtocol) -> String? {
        let utf8 = text.utf8
        guard utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") || $0 == 0 }) else { return String(text) }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            utf8.formIndex(after: &index)
            switch byte {
            case UInt8(ascii: "+"): decoded.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard index != utf8.endIndex, let high = hexValue(utf8[index]) else { return nil }
                utf8.formIndex(after: &index)
                guard index != utf8.endIndex, let low = hexValue(utf8[index]) else { return nil }
                utf8.formIndex(after: &index)
                decoded.append(high << 4 | low)
            default: decoded.append(byte)
            }
        }
        guard !decoded.contains(0) else { return nil }
        return String(validating: decoded, as: UTF8.self)
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// A name safe to echo in an error description.
    private static func printable(_ name: String) -> String {
        String(name.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }.prefix(40).map(Character.init))
    }
}

public import Logging

import struct Foundation.Date

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A log handler that writes one line per message to standard error, formatting metadata only when a message
/// is actually written.
///
/// swift-log's `StreamLogHandler` re-renders its metadata every time a key is set; Hummingbird sets a request
/// id on every request, so that cost was paid per request even when nothing was logged.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = self.metadata
        if let provided = self.metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var line = "\(Self.timestamp()) \(event.level) \(self.label):"
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        line += " \(event.message)\n"
        Self.write(line)
    }

    private static func write(_ line: String) {
        var line = line
        // One write(2) per line, so lines from concurrent requests do not interleave; the rest of a short
        // write follows, and an interrupted one is retried.
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Self.writeFD(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    #if canImport(Glibc)
    private static let writeFD = Glibc.write
    #elseif canImport(Darwin)
    private static let writeFD = Darwin.write
    #endif

    /// ISO 8601 in UTC with seconds, e.g. `2026-12-02T13:52:07Z`.
    private static func timestamp() -> String {
        Date().formatted(.iso8601)
    }
}

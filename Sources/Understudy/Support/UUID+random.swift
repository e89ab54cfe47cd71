import COpenSSLSigner
import Foundation

extension UUID {
    /// A random (version 4) UUID from OpenSSL's per-thread DRBG. Foundation's `UUID()` on Linux opens, reads
    /// and closes `/dev/urandom` for each one: three system calls and a path lookup on every token.
    static func random() -> UUID {
        var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let filled = withUnsafeMutableBytes(of: &uuid) { bytes in
            us_random_bytes(bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count)
        }
        guard filled == 1 else { return UUID() }
        uuid.6 = (uuid.6 & 0x0F) | 0x40  // version 4
        uuid.8 = (uuid.8 & 0x3F) | 0x80  // RFC 9562 variant
        return UUID(uuid: uuid)
    }
}

import Foundation

extension UUID {
    /// The RFC 9562 text form in lowercase (`8-4-4-4-12` hex digits), the form Cognito and IDCS use for
    /// identifiers. Written straight from the bytes: `uuidString.lowercased()` formats with `snprintf` and
    /// then copies, on every token.
    var lowercaseText: String {
        withUnsafeBytes(of: self.uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { text in
                let digits: StaticString = "0123456789abcdef"
                var index = 0
                for (position, byte) in bytes.enumerated() {
                    if position == 4 || position == 6 || position == 8 || position == 10 {
                        text[index] = UInt8(ascii: "-")
                        index += 1
                    }
                    text[index] = digits.utf8Start[Int(byte >> 4)]
                    text[index + 1] = digits.utf8Start[Int(byte & 0x0F)]
                    index += 2
                }
                return index
            }
        }
    }
}

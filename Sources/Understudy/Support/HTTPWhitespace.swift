extension StringProtocol {
    /// Without leading and trailing spaces and tabs (RFC 9110 §5.6.3 OWS), as a `String`.
    ///
    /// Header values are trimmed on every request; Foundation's `trimmingCharacters(in:)` goes through
    /// `NSString` on Linux.
    func trimmingHTTPWhitespace() -> String {
        let isWhitespace = { (character: Character) in character == " " || character == "\t" }
        guard let first = self.firstIndex(where: { !isWhitespace($0) }), let last = self.lastIndex(where: { !isWhitespace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}

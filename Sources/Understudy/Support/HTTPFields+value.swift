import HTTPTypes

extension HTTPFields {
    /// The value of the field `name`, exactly as `self[name]` gives it (a field that repeats is the
    /// subscript's own join), without the subscript's generic join for a field that appears once.
    ///
    /// The subscript joins even a single value through an unspecialized `joined(separator:)` (about 4,000
    /// instructions a call, callgrind), and the token endpoint reads three fields on every request.
    func value(_ name: HTTPField.Name) -> String? {
        var value: String?
        for field in self where field.name == name {
            guard value == nil else { return self[name] }
            value = field.value
        }
        return value
    }
}

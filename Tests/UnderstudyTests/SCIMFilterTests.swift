import HTTPTypes
import Testing

@testable import Understudy

/// The SCIM filter and PATCH path parser (RFC 7644 §3.4.2.2, §3.5.2) and filter evaluation.
@Suite struct SCIMFilterTests {
    static func path(_ attribute: String, _ sub: String? = nil) -> SCIMAttributePath {
        SCIMAttributePath(attribute: attribute, subAttribute: sub)
    }

    @Test func precedenceIsNotThenAndThenOr() throws {
        let filter = try SCIMFilter(parsing: #"a eq "1" or b eq "2" and not (c pr)"#)
        #expect(
            filter
                == .or(.compare(Self.path("a"), .eq, .string("1")), .and(.compare(Self.path("b"), .eq, .string("2")), .not(.present(Self.path("c")))))
        )
        let grouped = try SCIMFilter(parsing: #"(a eq "1" or b eq "2") and c eq 3"#)
        #expect(
            grouped
                == .and(
                    .or(.compare(Self.path("a"), .eq, .string("1")), .compare(Self.path("b"), .eq, .string("2"))),
                    .compare(Self.path("c"), .eq, .int(3))
                )
        )
    }

    @Test func valuesPathsAndEscapes() throws {
        #expect(try SCIMFilter(parsing: #"active eq TRUE"#) == .compare(Self.path("active"), .eq, .bool(true)))
        #expect(try SCIMFilter(parsing: #"x eq null"#) == .compare(Self.path("x"), .eq, .null))
        #expect(try SCIMFilter(parsing: #"n ge 1.5"#) == .compare(Self.path("n"), .ge, .double(1.5)))
        #expect(try SCIMFilter(parsing: #"name.givenName sw "A\"b\u00e9""#) == .compare(Self.path("name", "givenName"), .sw, .string("A\"bé")))
        #expect(
            try SCIMFilter(parsing: #"urn:ietf:params:scim:schemas:core:2.0:User:name.familyName co "x""#)
                == .compare(Self.path("name", "familyName"), .co, .string("x"))
        )
        #expect(
            try SCIMFilter(parsing: #"emails[type eq "work"]"#) == .valuePath(Self.path("emails"), .compare(Self.path("type"), .eq, .string("work")))
        )
        let path = try SCIMPatchPath(parsing: #"emails[type eq "work"].value"#)
        #expect(path.path == Self.path("emails", "value"))
        #expect(path.filter == .compare(Self.path("type"), .eq, .string("work")))
    }

    @Test(arguments: [
        "", "   ", "userName", "userName eq", "userName eq \"a", "userName eq 'a'", "(userName eq \"a\"", "userName eq \"a\")",
        "not userName eq \"a\"", "userName eq \"a\" and", "or userName eq \"a\"", "1abc eq \"a\"", "a.b.c eq \"a\"", "name.givenName[x eq \"y\"]",
        "userName eq \"\\x\"", "emails[type eq \"work\"", "userName ~ \"a\"", "userName eq \"\\uD800\"",
    ])
    func malformedFiltersAreInvalidFilter(text: String) {
        #expect(throws: SCIMError.self) { try SCIMFilter(parsing: text) }
        do {
            _ = try SCIMFilter(parsing: text)
        } catch {
            #expect(error.status == .badRequest)
            #expect(error.kind == .invalidFilter)
        }
    }

    @Test func evaluationFollowsSCIMRules() throws {
        let user: [String: JSONValue] = [
            "id": .string("AbC"), "userName": .string("Jane.Doe"), "active": .bool(true), "count": .int(3),
            "emails": .array([
                .object(["value": .string("jane@work.example"), "type": .string("work")]),
                .object(["value": .string("jane@home.example"), "type": .string("home")]),
            ]),
            "name": .object(["givenName": .string("Jane")]),
        ]
        func matches(_ text: String) throws -> Bool { try SCIMFilter(parsing: text).matches(user) }
        #expect(try matches(#"username eq "jane.doe""#))
        #expect(try !matches(#"id eq "abc""#))  // id is case-exact
        #expect(try matches(#"emails eq "JANE@home.example""#))
        #expect(try !matches(#"emails[type eq "work" and value co "home"]"#))
        #expect(try matches(#"emails[type eq "home" and value co "home"]"#))
        #expect(try matches(#"name.givenName pr and not (title pr)"#))
        #expect(try matches(#"count gt 2 and count le 3 and active ne false"#))
        #expect(try matches(#"title ne "x""#))
        #expect(try !matches(#"userName gt 5"#))
    }

    /// Property: no input makes the parser crash or answer anything but a filter or a 400 invalidFilter.
    @Test func randomInputNeverCrashesTheParser() {
        var generator = SplitMix64(seed: 0x5C1A_F11E)
        let alphabet = Array(#"abcdeuserNamEQ "\()[].:$-_+01 9 eq co sw and or not pr true null \u{0}\u{7F}é😀"#)
        let fragments = [
            "userName", " eq ", " co ", " and ", " or ", "not ", "(", ")", "[", "]", "\"", "\\", "\"x\"", " pr", ".", "emails", "\\u12", "\\uD83D",
        ]
        var parsed = 0
        for round in 0..<3000 {
            var text = ""
            let length = Int(generator.next() % 40)
            for _ in 0..<length {
                if round % 2 == 0 {
                    text.append(alphabet[Int(generator.next() % UInt64(alphabet.count))])
                } else {
                    text += fragments[Int(generator.next() % UInt64(fragments.count))]
                }
            }
            do {
                let filter = try SCIMFilter(parsing: text)
                _ = filter.matches(["userName": .string("x"), "emails": .array([.object(["value": .string("y")])])])
                parsed += 1
            } catch {
                #expect(error.kind == .invalidFilter, "\(text.debugDescription)")
                #expect(error.status == .badRequest)
            }
            do {
                _ = try SCIMPatchPath(parsing: text)
            } catch {
                #expect(error.kind == .invalidPath, "\(text.debugDescription)")
            }
        }
        #expect(parsed > 0)
    }

    @Test func deepNestingIsRefusedNotRecursedInto() {
        let deep = String(repeating: "not (", count: 10_000) + "a pr" + String(repeating: ")", count: 10_000)
        #expect(throws: SCIMError.self) { try SCIMFilter(parsing: deep) }
        let brackets = String(repeating: "a[", count: 5_000)
        #expect(throws: SCIMError.self) { try SCIMFilter(parsing: brackets) }
    }
}

/// A small deterministic random number generator (SplitMix64), so a failing case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Test func sortKeysOfNumbersOrderAsTheNumbersDo() {
    let numbers = [Int.min, -1_000_000, -2, -1, 0, 1, 2, 99, 1_000_000, Int.max]
    let keys = numbers.map(SCIMListQuery.orderedDigits)
    #expect(keys == keys.sorted())
    #expect(Set(keys.map(\.count)) == [20])
}

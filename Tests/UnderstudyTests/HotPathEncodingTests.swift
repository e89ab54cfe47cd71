import Foundation
import GRDB
import HTTPTypes
import JWTKit
import Synchronization
import Testing

@testable import Understudy

/// The hand-written pieces of the token endpoint's hot path, checked against the library code they replace.
@Suite struct HotPathEncodingTests {
    /// A reproducible source of random values (SplitMix64), so a failure names its seed.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func randomString(_ random: inout SeededGenerator, alphabet: [Character]) -> String {
        String((0..<Int.random(in: 0...12, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
    }

    static func randomValue(_ random: inout SeededGenerator, depth: Int = 0) -> JSONValue {
        let alphabet = Array("aZ09 \"\\/\n\t\r\u{0}\u{1F}\u{7F}é€😀\u{2028}")
        switch Int.random(in: 0..<(depth < 3 ? 7 : 5), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .int(Int.random(in: Int.min...Int.max, using: &random))
        case 3: return .double(Double.random(in: -1e6...1e6, using: &random))
        case 4: return .string(Self.randomString(&random, alphabet: alphabet))
        case 5: return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in Self.randomValue(&random, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &random) {
                members[Self.randomString(&random, alphabet: alphabet)] = Self.randomValue(&random, depth: depth + 1)
            }
            return .object(members)
        }
    }

    @Test func jsonWriterOutputParsesBackToTheSameValue() throws {
        var random = SeededGenerator(state: 7)
        for round in 0..<2000 {
            let value = Self.randomValue(&random)
            let text = JSONWriter.encode(.array([value]))
            let parsed = try JSONDecoder().decode([JSONValue].self, from: Data(text))
            #expect(parsed == [value], "round \(round): \(String(decoding: text, as: UTF8.self))")
        }
    }

    @Test func jsonWriterEscapesAsRFC8259RequiresAndSortsKeys() {
        let text = JSONWriter.encode(.object(["b": .string("q\"b\\s/\n\u{1}é"), "a": .array([.int(-1), .double(0.5), .bool(true), .null])]))
        #expect(String(decoding: text, as: UTF8.self) == #"{"a":[-1,0.5,true,null],"b":"q\"b\\s/\n\u0001é"}"#)
    }

    /// The escape scan skips eight clean bytes at a time: every character that needs an escape (and some
    /// that do not: DEL, multi-byte UTF-8), at every offset in and around the first three words, against
    /// a character-by-character reference.
    @Test func jsonWriterEscapesAtEveryOffsetOfTheWordScan() throws {
        func reference(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\u{8}": out += "\\b"
                case "\u{C}": out += "\\f"
                case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
        let specials = (0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) } + ["\"", "\\", "\u{7F}", "é", "€", "😀", "/"]
        for length in 1...26 {
            for offset in 0..<length {
                for special in specials {
                    let text = String(repeating: "a", count: offset) + String(special) + String(repeating: "z", count: length - offset - 1)
                    let written = String(decoding: JSONWriter.encode(.string(text)), as: UTF8.self)
                    #expect(written == reference(text), "length \(length), offset \(offset), \(special.unicodeScalars.first!.value)")
                    #expect(try JSONDecoder().decode(String.self, from: Data(written.utf8)) == text)
                }
            }
        }
        let clean = String(repeating: "eyJhbGciOiJSUzI1NiJ9", count: 50)
        #expect(String(decoding: JSONWriter.encode(.string(clean)), as: UTF8.self) == "\"" + clean + "\"")
    }

    @Test func uuidLowercaseTextIsFoundationsTextLowercased() {
        for _ in 0..<2000 {
            let uuid = UUID()
            #expect(uuid.lowercaseText == uuid.uuidString.lowercased())
        }
        // Random UUIDs from OpenSSL: version 4, RFC 9562 variant, no repeats, and every other bit used.
        var seen = Set<UUID>()
        var ones = [Int](repeating: 0, count: 128)
        for _ in 0..<4000 {
            let uuid = UUID.random()
            let text = uuid.lowercaseText
            #expect(text.count == 36 && text[text.index(text.startIndex, offsetBy: 14)] == "4")
            #expect("89ab".contains(text[text.index(text.startIndex, offsetBy: 19)]))
            #expect(seen.insert(uuid).inserted)
            withUnsafeBytes(of: uuid.uuid) { bytes in
                for bit in 0..<128 where bytes[bit / 8] & (0x80 >> (bit % 8)) != 0 { ones[bit] += 1 }
            }
        }
        let fixedBits: Set<Int> = [48, 49, 50, 51, 64, 65]
        for bit in 0..<128 where !fixedBits.contains(bit) {
            #expect((1500...2500).contains(ones[bit]), "bit \(bit) was set \(ones[bit]) times in 4000")
        }
        let fixed = UUID(uuid: (0x00, 0x01, 0x0A, 0xFF, 0x10, 0x9B, 0x4C, 0x5E, 0x8F, 0x10, 0x2A, 0x4B, 0x6C, 0x8D, 0x0E, 0x1F))
        #expect(fixed.lowercaseText == "00010aff-109b-4c5e-8f10-2a4b6c8d0e1f")
    }

    @Test func formDecodingMatchesFoundationsPercentDecoding() {
        var random = SeededGenerator(state: 11)
        let alphabet = Array("ab+%2F%zz%e2%82%AC%C3%28%%41=é ")
        for _ in 0..<5000 {
            let text = Self.randomString(&random, alphabet: alphabet)
            let expected = text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            #expect(FormParameters.formDecode(text) == expected, "input: \(text)")
        }
        #expect(FormParameters.formDecode("a%20b+c%E2%82%AC") == "a b c€")
        #expect(FormParameters.formDecode("%C3%28") == nil)
        #expect(FormParameters.formDecode("%4") == nil)
        #expect(FormParameters.formDecode("%G0") == nil)
    }

    @Test func databaseTimestampsAreWhatGRDBWritesAndReads() throws {
        let database = try DatabaseQueue()
        var random = SeededGenerator(state: 13)
        for _ in 0..<500 {
            let date = Date(timeIntervalSince1970: Double(Int.random(in: 0...4_102_444_800_000, using: &random)) / 1000)
            let ours = DatabaseTimestamp.string(date)
            let grdbs = try database.read { db in try String.fetchOne(db, sql: "SELECT ?", arguments: [date]) }
            #expect(ours == grdbs)
            let back = try database.read { db in try Date.fetchOne(db, sql: "SELECT ?", arguments: [ours]) }
            #expect(back.map { abs($0.timeIntervalSince(date)) < 0.001 } == true)
        }
    }

    @Test func openSSLSignaturesVerifyWithJWTKit() async throws {
        let ring = try await repositoryKeys()
        for key in ring.keys {
            let payload = JSONWriter.encode(.object(["sub": .string("s"), "exp": .int(4_102_444_800)]))
            let header = JSONWriter.encode(.object(["alg": .string(key.algorithm.rawValue), "kid": .string(key.kid)]))
            let input = Base64URL.encode(header) + "." + Base64URL.encode(payload)
            let signature = try key.signer.sign(Array(input.utf8))
            if key.algorithm == .es256 { #expect(signature.count == 64) } else { #expect(signature.count == 256) }
            let token = input + "." + Base64URL.encode(signature)
            let verified = try await ring.collection.verify(token, as: ClaimSet.self)
            #expect(verified.string("sub") == "s")
            var tampered = signature
            tampered[10] ^= 1
            await #expect(throws: (any Error).self) {
                try await ring.collection.verify(input + "." + Base64URL.encode(tampered), as: ClaimSet.self)
            }
        }
        #expect(OpenSSLSigner(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") == nil)
    }

    /// Signing contexts are pooled and reused: 24 threads signing at once (more than the pool's 8 idle
    /// contexts, so some are created and freed) and many signatures per context still give RS256 signatures
    /// identical to the first (PKCS #1 v1.5 is deterministic) and ES256 signatures that verify.
    @Test func pooledSigningContextsGiveTheSameSignaturesUnderConcurrency() async throws {
        let ring = try await repositoryKeys()
        for key in ring.keys {
            let header = Base64URL.encode(JSONWriter.encode(.object(["alg": .string(key.algorithm.rawValue), "kid": .string(key.kid)])))
            let inputs = (0..<6).map { header + "." + Base64URL.encode(JSONWriter.encode(.object(["n": .int($0)]))) }
            let references = try inputs.map { try key.signer.sign(Array($0.utf8)) }
            let workers = 24
            let signatures = Self.signOnThreads(key.signer, inputs: inputs, threads: workers, rounds: 10)
            #expect(signatures.count == workers * 10)
            for (index, signature) in signatures {
                guard let signature else {
                    Issue.record("OpenSSL refused to sign input \(index)")
                    continue
                }
                if key.algorithm == .rs256 {
                    #expect(signature == references[index])
                } else {
                    let verified = try await ring.collection.verify(inputs[index] + "." + Base64URL.encode(signature), as: ClaimSet.self)
                    #expect(verified.int("n") == index)
                }
            }
        }
    }

    /// Signs on `threads` threads released together, each signing `rounds` inputs; every (input index,
    /// signature or nil) pair, in any order.
    static func signOnThreads(_ signer: OpenSSLSigner, inputs: [String], threads: Int, rounds: Int) -> [(Int, [UInt8]?)] {
        let collected = SignaturePairs()
        let ready = DispatchGroup()
        let finished = DispatchGroup()
        let go = DispatchSemaphore(value: 0)
        for worker in 0..<threads {
            ready.enter()
            finished.enter()
            Thread {
                ready.leave()
                go.wait()
                for round in 0..<rounds {
                    let index = (worker + round) % inputs.count
                    let signature = try? signer.sign(Array(inputs[index].utf8))
                    collected.pairs.withLock { $0.append((index, signature)) }
                }
                finished.leave()
            }.start()
        }
        ready.wait()
        for _ in 0..<threads { go.signal() }
        finished.wait()
        return collected.pairs.withLock { $0 }
    }

    /// What ``signOnThreads(_:inputs:threads:rounds:)``'s threads produced.
    final class SignaturePairs: Sendable {
        let pairs = Mutex<[(Int, [UInt8]?)]>([])
    }

    /// A passphrase-protected P-256 key (passphrase `understudy`, made for this test): refused, never prompted for.
    @Test func encryptedKeysAreRefusedWithoutAPrompt() {
        let encrypted = """
            -----BEGIN ENCRYPTED PRIVATE KEY-----
            MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAgRMWp8EhIAkAICCAAw
            DAYIKoZIhvcNAgkFADAdBglghkgBZQMEAQIEEL3+CghX6eg0zkgsPreIEC0EgZCa
            0FYo38dIYs0dc/VAuKUQbRO7Q5jDEZKaKb+1YvYXAuDa7snZ9rzfUOvUI4LRKJra
            dUBprkZtPukZUfMqFloyAXaqvl5jg6BV2A9p415Loi3sFZH0tx69LO1oVMl/azk0
            SVv5c1jIwGs4Q84dHef8GNNz53Wy8sqWlRx72qsNqoGtEYkO78RV/SEJuTuXrss=
            -----END ENCRYPTED PRIVATE KEY-----

            """
        #expect(OpenSSLSigner(pem: encrypted) == nil)
        #expect(throws: SigningKeyError.self) { try SigningKey(pem: encrypted, source: "encrypted.pem") }
    }

    @Test func basicCredentialsWithPaddingInsideAreMalformed() throws {
        #expect(throws: OAuthError.self) { try ClientAuthenticator.basic("Basic QQ=A") }
        #expect(throws: OAuthError.self) { try ClientAuthenticator.basic("Basic c3ZjOnMzY3JldA=") }
        let valid = try ClientAuthenticator.basic("Basic  c3ZjOnMzY3JldA==\t")
        #expect(valid?.clientID == "svc")
        #expect(valid?.secret == "s3cret")
    }

    /// The id ends at the first `:` byte (RFC 7617), even where a combining mark after it would join the two
    /// into one `Character`; form parameters split on the bytes `&` and `=` the same way.
    @Test func separatorsAreBytesNotCharacters() throws {
        let header = "Basic " + Data("a:\u{301}x".utf8).base64EncodedString()
        let credentials = try #require(try ClientAuthenticator.basic(header))
        #expect(credentials.clientID == "a")
        #expect(credentials.secret == "\u{301}x")
        #expect(throws: OAuthError.self) { try ClientAuthenticator.basic("basic") }
        #expect(try ClientAuthenticator.basic("Bearer abc") == nil)
        #expect(try ClientAuthenticator.basic("  Basic   " + Data("b:c".utf8).base64EncodedString())?.clientID == "b")
        let form = try FormParameters.decode("a=\u{301}b&\u{301}c=d&e")
        #expect(form["a"] == "\u{301}b")
        #expect(form["\u{301}c"] == "d")
        #expect(form["e"] == nil)
        #expect(throws: OAuthError.self) { try FormParameters.decode("a=1&a=2") }
        #expect(throws: OAuthError.self) { try FormParameters.decode("=f") }
    }

    @Test func basicCredentialsRoundTripAndGarbageNeverCrashes() throws {
        var random = SeededGenerator(state: 17)
        let alphabet = Array("aZ09:%+ =&/é€😀\u{0}\u{1F}")
        var roundTrips = 0
        var refused = 0
        var plain = 0
        for _ in 0..<3000 {
            let id = Self.randomString(&random, alphabet: alphabet)
            let secret = Self.randomString(&random, alphabet: alphabet)
            // RFC 6749 §2.3.1: form-encode each, then base64 the pair.
            let header = basicAuthorization(id, secret)
            if !id.isEmpty, !(id + secret).utf8.contains(0) { plain += 1 }
            do {
                let credentials = try #require(try ClientAuthenticator.basic(header))
                if (id + secret).utf8.contains(0) {
                    // A NUL is never decoded into a name: at most the literal (still encoded) text is tried.
                    #expect(!(credentials.clientID + (credentials.secret ?? "")).utf8.contains(0))
                } else {
                    #expect(credentials.clientID == id)
                    #expect(credentials.secret == (secret.isEmpty ? nil : secret))
                    roundTrips += 1
                }
            } catch {
                // Only what can never name a client is refused: an empty id, or a NUL anywhere.
                #expect(id.isEmpty || (id + secret).utf8.contains(0))
                refused += 1
            }
            // Arbitrary text after the scheme: credentials without a NUL, or an OAuth error; never a crash.
            let garbage = "Basic " + Self.randomString(&random, alphabet: Array("QUJD=+/_-!~ \t") + alphabet)
            if let parsed = try? ClientAuthenticator.basic(garbage) {
                #expect(!(parsed.clientID + (parsed.secret ?? "")).utf8.contains(0))
            }
        }
        // Every pair without a NUL and with an id came back exactly.
        #expect(roundTrips == plain && plain > 1000 && refused > 0)
    }

    @Test func headerValuesAreTheSubscriptsForOnceRepeatedAndAbsentFields() {
        let cases: [HTTPFields] = [
            [:],
            [.authorization: "Basic YTpi"],
            [.contentType: "application/x-www-form-urlencoded", .contentLength: "29"],
            HTTPFields([HTTPField(name: .authorization, value: "Basic YTpi"), HTTPField(name: .authorization, value: "Bearer x")]),
            HTTPFields([
                HTTPField(name: .contentLength, value: "1"), HTTPField(name: .accept, value: "*/*"), HTTPField(name: .contentLength, value: "2"),
            ]),
            HTTPFields([HTTPField(name: HTTPField.Name("CONTENT-TYPE")!, value: "text/plain"), HTTPField(name: .contentType, value: "")]),
            HTTPFields([HTTPField(name: .cookie, value: "a=1"), HTTPField(name: .cookie, value: "b=2")]),
        ]
        for fields in cases {
            for name in [HTTPField.Name.authorization, .contentType, .contentLength, .cookie, .accept, .origin] {
                #expect(fields.value(name) == fields[name], "\(name) in \(fields)")
            }
        }
    }

    /// The audit log's row insert through SQLite's C API stores what GRDB's record insert stores (a value
    /// ends at a NUL byte in both); an insert SQLite refuses is a `DatabaseError` with SQLite's code and
    /// message, and the statement inserts the next rows as it should.
    @Test func auditRowsBoundByHandAreGRDBsRows() throws {
        let database = try AppDatabase.inMemory()
        let time = Date(timeIntervalSince1970: 1_764_000_000.123)
        let events = [
            AuditEvent(
                time: time,
                action: "token",
                outcome: .issued,
                grantType: "client_credentials",
                clientID: "svc",
                subject: "svc",
                scopes: "orders/read orders/write",
                jti: "9f1c",
                reason: nil
            ),
            AuditEvent(
                time: time.addingTimeInterval(1),
                action: "token",
                outcome: .denied,
                grantType: nil,
                clientID: "cl\u{0}ient é😀",
                subject: nil,
                scopes: "",
                jti: nil,
                reason: "invalid_client: client authentication failed\u{0}!"
            ),
        ]
        let refusedEvent = AuditEvent(time: time, action: "token", outcome: .denied, clientID: "refused")
        var refused: DatabaseError?
        let (byHand, byRecord) = try database.writer.write { db in
            try db.execute(
                sql:
                    "CREATE TRIGGER refuse BEFORE INSERT ON auditEvent WHEN NEW.clientID = 'refused' BEGIN SELECT RAISE(ABORT, 'no audit today'); END"
            )
            let insert = try db.cachedStatement(sql: AuditEvent.insertSQL)
            // A refused row first: the statement must bind and insert the next rows afresh after it.
            do { try refusedEvent.insert(with: insert) } catch let error as DatabaseError { refused = error }
            for event in events { try event.insert(with: insert) }
            for var event in events { try event.insert(db) }
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM auditEvent ORDER BY id")
            return (Array(rows[0..<2]), Array(rows[2...]))
        }
        #expect(refused?.resultCode == .SQLITE_CONSTRAINT)
        #expect(refused?.message == "no audit today")
        #expect(byHand.count == 2 && byRecord.count == 2)
        for (hand, record) in zip(byHand, byRecord) {
            for column in record.columnNames where column != "id" {
                #expect(hand[column] as DatabaseValue == record[column] as DatabaseValue, "\(column)")
            }
        }
        #expect(byHand[0]["scopes"] == "orders/read orders/write" && byHand[1]["reason"] == "invalid_client: client authentication failed")
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Understudy

/// Cognito's lockout: five failures in a row lock a username for 1 s, doubling with each further failure.
@Suite struct LockoutTests {
    static func attempt(_ client: some TestClientProtocol, _ username: String, _ password: String) async throws -> TestResponse {
        try await client.postForm(
            "/oauth2/token",
            "grant_type=password&username=\(formEncode(username))&password=\(formEncode(password))",
            headers: [.authorization: basicAuthorization("portal", "portal-secret")]
        )
    }

    static func description(_ response: TestResponse) throws -> String? {
        try response.json()["error_description"]?.stringValue
    }

    static func app(clock: TestClock, lockout: Bool = true) async throws -> some ApplicationProtocol {
        var seed = try SeedLoader.parse(scimSeedYAML, file: "scim.yaml").0
        seed.settings.loginLockout = lockout
        return try await makeApp(seed: seed) { configuration in
            configuration.now = clock.now
            configuration.loginLockout = seed.settings.loginLockout ?? true
        }
    }

    @Test func fiveFailuresLockTheUsernameEvenForTheRightPasswordAndTheLockDoubles() async throws {
        let clock = TestClock(testNow)
        try await Self.app(clock: clock).test(.router) { client in
            for _ in 1...5 {
                let wrong = try await Self.attempt(client, "manager", "wrong-password")
                #expect(wrong.status == .badRequest)
                #expect(try Self.description(wrong) != UserAuthenticator.lockedOutMessage)
            }
            let locked = try await Self.attempt(client, "manager", "manager-password")
            #expect(locked.status == .badRequest)
            #expect(try locked.json()["error"] == .string("invalid_grant"))
            #expect(try Self.description(locked) == UserAuthenticator.lockedOutMessage)
            // Another user is not affected.
            #expect(try await Self.attempt(client, "employee", "employee-password").status == .ok)

            clock.advance(by: 1.1)
            // One more failure: locked for 2 s now.
            #expect(try Self.description(try await Self.attempt(client, "manager", "wrong-password")) != UserAuthenticator.lockedOutMessage)
            clock.advance(by: 1.5)
            #expect(try Self.description(try await Self.attempt(client, "manager", "manager-password")) == UserAuthenticator.lockedOutMessage)
            clock.advance(by: 0.6)
            #expect(try await Self.attempt(client, "manager", "manager-password").status == .ok)
            // The success cleared the record: one failure does not lock.
            _ = try await Self.attempt(client, "manager", "wrong-password")
            #expect(try await Self.attempt(client, "manager", "manager-password").status == .ok)
        }
    }

    @Test func unknownUsernamesLockTheSameWaySoTheLockoutRevealsNothing() async throws {
        let clock = TestClock(testNow)
        try await Self.app(clock: clock).test(.router) { client in
            var descriptions: [String?] = []
            for _ in 1...6 { descriptions.append(try Self.description(try await Self.attempt(client, "nobody", "guess"))) }
            #expect(descriptions.last == UserAuthenticator.lockedOutMessage)
            #expect(Set(descriptions.dropLast()).count == 1)
        }
    }

    @Test func lockoutCanBeTurnedOff() async throws {
        let clock = TestClock(testNow)
        try await Self.app(clock: clock, lockout: false).test(.router) { client in
            for _ in 1...8 { _ = try await Self.attempt(client, "manager", "wrong-password") }
            #expect(try await Self.attempt(client, "manager", "manager-password").status == .ok)
        }
    }

    @Test func manyUsernamesKeepTheThrottleBoundedAndTheLatestLocksInForce() {
        let clock = TestClock(testNow)
        let throttle = LoginThrottle(now: clock.now)
        for index in 0..<(LoginThrottle.capacity + 500) { throttle.failed("user-\(index)") }
        for _ in 1...5 { throttle.failed("target") }
        #expect(throttle.lockedUntil("target") == testNow.addingTimeInterval(1))
        #expect(throttle.trackedCount <= LoginThrottle.capacity)
    }
}

/// Runs async operations one after another, each to its end, in the order they were submitted. An actor
/// alone does not promise that: another call may start at each of its method's `await`s.
actor SerialQueue {
    private var last: Task<Void, Never>?

    func run<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let previous = self.last
        let task = Task<T, any Error> {
            await previous?.value
            return try await operation()
        }
        self.last = Task { _ = try? await task.value }
        return try await task.value
    }
}

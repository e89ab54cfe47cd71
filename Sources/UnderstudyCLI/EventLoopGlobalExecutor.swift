internal import CConcurrencyHook
import NIOCore
import NIOPosix

/// Runs Swift concurrency's global jobs on NIO's event loops, as NIO's own
/// `NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()` does; that
/// function finds the runtime's hook with `dlsym`, which fails in a binary linked with `--static-swift-stdlib`.
///
/// A request is read on an event loop; without this its handler then runs on another thread pool and its
/// response goes back to the loop, two thread switches per request.
///
/// Each job runs as the runtime's default global executor runs it, on the generic executor. NIO's hook runs
/// it as the event loop's serial executor instead; the task then counts as isolated to the loop, and every
/// call into a nonisolated async function is a hop back through the loop's queue (79 per token request).
enum EventLoopGlobalExecutor {
    private typealias EnqueueHook = @convention(thin) (UnownedJob, @convention(thin) (UnownedJob) -> Void) -> Void

    /// Call once, first thing in `main`, before anything else uses Swift concurrency.
    static func install() {
        guard let slot = understudy_swift_task_enqueue_global_hook() else { return }
        let hook: EnqueueHook = { job, _ in
            let job = GlobalJob(pointer: unsafeBitCast(job, to: UnsafeMutableRawPointer.self))
            // `any()` stays on the current loop when called from one of the group's threads.
            MultiThreadedEventLoopGroup.singleton.any().execute { understudy_run_job_on_generic_executor(job.pointer) }
        }
        UnsafeMutableRawPointer(slot).assumingMemoryBound(to: EnqueueHook?.self).pointee = hook
    }
}

/// A job sent to the global executor, carried to an event loop and run there once.
private struct GlobalJob: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
}

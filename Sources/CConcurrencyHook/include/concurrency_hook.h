// The Swift runtime's global-executor enqueue hook, and a way to run a job as the default global executor
// does, reachable from Swift. See EventLoopGlobalExecutor.swift.
#ifndef UNDERSTUDY_CONCURRENCY_HOOK_H
#define UNDERSTUDY_CONCURRENCY_HOOK_H

/// The address of `swift_task_enqueueGlobal_hook` (swift/Runtime/ConcurrencyHooks.def). The runtime calls
/// the function stored there, when set, for every job sent to the global executor. The static Swift runtime
/// does not export the symbol, so NIO's `dlsym` lookup cannot find it; the linker can.
void **understudy_swift_task_enqueue_global_hook(void);

/// Runs `job` (an `UnownedJob`'s pointer) on the generic executor, as the runtime's own global executor
/// does (`swift_job_run` with `SerialExecutorRef::generic()`), so the job's task counts as running on the
/// global executor and entering a nonisolated async function is not a hop.
void understudy_run_job_on_generic_executor(void *job);

#endif

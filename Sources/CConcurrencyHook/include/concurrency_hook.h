// The Swift runtime's global-executor enqueue hook, reachable from Swift. See EventLoopGlobalExecutor.swift.
#ifndef UNDERSTUDY_CONCURRENCY_HOOK_H
#define UNDERSTUDY_CONCURRENCY_HOOK_H

/// The address of `swift_task_enqueueGlobal_hook` (swift/Runtime/ConcurrencyHooks.def). The runtime calls
/// the function stored there, when set, for every job sent to the global executor. The static Swift runtime
/// does not export the symbol, so NIO's `dlsym` lookup cannot find it; the linker can.
void **understudy_swift_task_enqueue_global_hook(void);

#endif

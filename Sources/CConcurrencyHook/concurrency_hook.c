#include "concurrency_hook.h"

#include <stdint.h>

extern void *swift_task_enqueueGlobal_hook;

void **understudy_swift_task_enqueue_global_hook(void) {
    return &swift_task_enqueueGlobal_hook;
}

/// swift/ABI/Executor.h: `SerialExecutorRef`, an identity and an implementation word; the generic executor
/// is both zero.
typedef struct {
    void *identity;
    uintptr_t implementation;
} understudy_serial_executor_ref;

/// swift/Runtime/Concurrency.h: `SWIFT_CC(swift) void swift_job_run(Job *job, SerialExecutorRef executor)`.
extern __attribute__((swiftcall)) void swift_job_run(void *job, understudy_serial_executor_ref executor);

void understudy_run_job_on_generic_executor(void *job) {
    understudy_serial_executor_ref generic = {0, 0};
    swift_job_run(job, generic);
}

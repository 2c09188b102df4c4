/**
 * Our view of a task's run, kept apart from ZEGO's lifecycle facts:
 * running → stopping (our StopMix sent) → stop_requested_ok (it succeeded; mix_stop awaited) → stopped,
 * or stop_failed (permanent error, retries exhausted, or still running after every stop we may send).
 */
export const TASK_PHASES = ['running', 'stopping', 'stop_requested_ok', 'stopped', 'stop_failed'] as const
export type TaskPhase = (typeof TASK_PHASES)[number]

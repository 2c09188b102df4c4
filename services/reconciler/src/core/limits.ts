/**
 * Fixed numbers of the decision core. They are constants rather than AppPolicy fields because they
 * protect the core's own guarantees (or follow ZEGO's limits), not an app's preferences.
 */

/**
 * No stop fires earlier than this after the event that made it due was received. A close can arrive
 * long after ZEGO's destroy time (ZEGO retries a failed callback 2 s, 4 s, 8 s… later), so its grace may
 * already be over on arrival; the reconnect's create that cancels it may be on its way at the same
 * time. 3 s covers one ZEGO retry step (2 s after a failed attempt) plus the ingest → Kafka →
 * reconciler hop, and is still small next to any grace period, so it costs nothing in the normal case.
 */
export const STOP_FLOOR_MS = 3_000

/**
 * Ended tasks, closed streams and idle rooms are forgotten this long after their last news, so the
 * changelog stays bounded. One hour is far beyond ZEGO's retry window (~62 s), so a late duplicate
 * still meets the record that keeps it from reviving anything.
 */
export const RETENTION_MS = 60 * 60_000

/**
 * A stream still live by our facts but silent this long, outside any task, is forgotten: its close was
 * lost. (Inside a task's inputs or room it is kept; the silent-task check resolves it instead.)
 */
export const STALE_LIVE_STREAM_MS = 24 * 60 * 60_000

/** The shortest wait between two sweeps for expired records (some stay expired but referenced). */
export const SWEEP_INTERVAL_MS = 5 * 60_000

/** DescribeSimpleStreamList allows one call per 10 s per room (docs/zego.md §4b). */
export const ROOM_CHECK_INTERVAL_MS = 10_000

/**
 * Stream lists per second per AppId the executor may make: zego-api's stream-list budget (40/s), under
 * ZEGO's 50/s (docs/zego.md §4b). The room sweep takes its policy share of it.
 */
export const ROOM_LISTS_PER_SECOND = 40

/** The room sweep's pace: at most one step per this long, each taking at most its share of a second's lists. */
export const ROOM_SWEEP_STEP_MS = 1_000

/**
 * A room whose every task input had news (a callback, a list) this recently is not swept: a list
 * could not tell more than that news, and ZEGO would refuse a second list within 10 s anyway.
 */
export const ROOM_SWEEP_FRESH_MS = ROOM_CHECK_INTERVAL_MS

/** Lists of one room a room check makes in all, the first included (the executor reads it). */
export const ROOM_LIST_ATTEMPTS = 3

/**
 * The shortest extra wait before an orphan stop falls back to the callbacks alone when its room check
 * brings no answer (see AppPolicy.confirmOrphansWithStreamList; the wait is otherwise one more grace).
 * A check may first wait up to ROOM_CHECK_INTERVAL_MS for ZEGO's per-room limit, and its retries of a
 * failing list are spaced by that interval: one interval per list lets a slow answer still count.
 */
export const UNCONFIRMED_STOP_MIN_WAIT_MS = ROOM_LIST_ATTEMPTS * ROOM_CHECK_INTERVAL_MS

/** StopMix calls for one run of a task, the first included, before it is left as stop_failed. */
export const MAX_STOP_ATTEMPTS = 3

/**
 * Mix callbacks carry a time in whole seconds, floored: a callback at T says the start happened before
 * T + this. So two task starts closer than this, when either time comes from a callback, cannot be
 * ordered (neither supersedes the other), and a callback time replaces an exact StartMix time only
 * when it is at least this much earlier.
 */
export const CALLBACK_TIME_SLACK_MS = 1_000

/** Dry-run causes remembered per task (so each is reported once); the oldest are dropped. */
export const MAX_REPORTED_CAUSES = 32

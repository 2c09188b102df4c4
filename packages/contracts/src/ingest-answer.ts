/**
 * Every `reason` ingest answers with, in the body `{ ok, reason?, detail?, requestId }`: stable codes a
 * client switches on (`detail` holds the words for a person). Adding one is a change to this list.
 * The authentication failures (`unknown_app` … `nonce_reused`) are never answered: the public answer
 * is `unauthenticated`, and they stay here as the access log's `outcome` and the metric label.
 */
export const INGEST_ANSWER_REASONS = [
  // 2xx
  'duplicate',
  'dead_lettered',
  'spooling',
  'nonce_store_down',
  // 4xx: the request as sent is wrong
  'malformed_body',
  'body_too_deep',
  'body_too_large',
  'bad_content_encoding',
  'unsupported_media_type',
  'method_not_allowed',
  'not_found',
  'missing_auth_field',
  'unauthenticated',
  'invalid_timestamp',
  'stale_timestamp',
  'empty_nonce',
  'unknown_app',
  'bad_signature',
  'nonce_reused',
  'record_too_large',
  // 5xx: ingest cannot take it now; a retry may succeed
  'shutting_down',
  'draining',
  'overloaded',
  'no_capacity',
  'spool_full',
  'store_failed',
  'nonce_store_unavailable',
  'in_flight',
  'upstream_unreachable',
  'internal_error',
] as const
export type IngestAnswerReason = (typeof INGEST_ANSWER_REASONS)[number]

export { assertNever } from './assert-never.ts'
export { callbackEventId, toEvent } from './callback-event.ts'
export { signatureSha256, withoutCallbackSecrets } from './callback-secrets.ts'
export {
  CALLBACK_EVENTS,
  CALLBACK_SCHEMAS,
  type CallbackAuthFields,
  type CallbackEvent,
  type CallbackParseResult,
  type CallbackPayload,
  callbackAuthFields,
  isCallbackEvent,
  MixStartCallbackSchema,
  MixStopCallbackSchema,
  parseCallback,
  RoomCloseCallbackSchema,
  StreamCloseCallbackSchema,
  StreamCreateCallbackSchema,
  type ZegoCallback,
} from './callbacks.ts'
export type { Decoded } from './codec.ts'
export { COMMAND_LANES, type Command, type CommandLane, CommandSchema } from './commands.ts'
export {
  type CommandDecision,
  DECISION_ACTIONS,
  DECISION_REASONS,
  type DeadLetter,
  DeadLetterSchema,
  type Decision,
  DecisionSchema,
  decisionId,
  decodeDeadLetter,
  decodeDecision,
  decodeOutcome,
  encodeDeadLetter,
  encodeDecision,
  encodeOutcome,
  OUTCOME_RESULTS,
  type Outcome,
  OutcomeSchema,
} from './decisions.ts'
export {
  decodeEvent,
  EVENT_BODY_SCHEMAS,
  EVENT_TYPES,
  type EventBody,
  type EventOf,
  type EventType,
  encodeEvent,
  MixCallbackBodySchema,
  RoomClosedBodySchema,
  StreamClosedBodySchema,
  StreamCreatedBodySchema,
  type ZegoEvent,
  ZegoEventSchema,
} from './events.ts'
export { INGEST_ANSWER_REASONS, type IngestAnswerReason } from './ingest-answer.ts'
export {
  eventJsonSchema,
  SCHEMA_NAMES,
  SCHEMA_VERSION,
  type SchemaName,
  schemaFileName,
  TOPIC_VALUE_SCHEMAS,
  topicJsonSchema,
} from './json-schema.ts'
export {
  MIX_API_ACTIONS,
  type MixApiAction,
  type MixApiCallBody,
  MixApiCallBodySchema,
  type MixApiCallInput,
  type MixApiResponse,
  MixApiResponseSchema,
  mixApiCallEvent,
  mixApiResponse,
  type StreamRef,
} from './mix-api.ts'
export { OUTCOME_ERROR_CODES, type OutcomeErrorCode, ZEGO_ERROR_CODES } from './outcome-error-codes.ts'
export {
  deadLetterId,
  deadLetterRecordMetadata,
  decisionRecordMetadata,
  eventRecordMetadata,
  outcomeId,
  outcomeRecordMetadata,
  RECORD_HEADERS,
  type RecordMetadata,
  recordMetadataOfValue,
} from './record-metadata.ts'
export { schemaIncompatibilities } from './schema-compatibility.ts'
export { normalizeTaskId } from './task-id.ts'
export {
  appKey,
  type Cleanup,
  DEFAULT_PARTITIONS,
  DEFAULT_TOPIC_PREFIX,
  LOGICAL_TOPICS,
  type LogicalTopic,
  TOPICS,
  type TopicDefinition,
  type TopicPlacement,
  type TopicSpec,
  topicName,
  topicSpecs,
} from './topics.ts'
export { urlDecodeOnce } from './url-decoding.ts'

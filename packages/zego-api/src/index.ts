export {
  type CallBudget,
  type CallBudgetOptions,
  createCallBudget,
  type Lane,
  lanes,
  type Release,
} from './budget.ts'
export { callbackSignature, verifyCallbackSignature } from './callback-signature.ts'
export {
  type CallOptions,
  createZegoClient,
  DEFAULT_BASE_URL,
  DEFAULT_TIMEOUT_MS,
  type ZegoClient,
  type ZegoClientOptions,
} from './client.ts'
export { ZegoCode, type ZegoCodeName, type ZegoCodeValue } from './codes.ts'
export { createEgressDispatcher, EGRESS_VARIABLES } from './egress.ts'
export {
  classifyZegoCode,
  RATE_LIMIT_RETRY_AFTER_MS,
  type ZegoCodeClass,
  ZegoError,
  type ZegoErrorClass,
  type ZegoErrorCode,
  type ZegoErrorInit,
  zegoErrorCodes,
} from './errors.ts'
export {
  AutoMixOutput,
  DescribeSimpleStreamListData,
  DescribeSimpleStreamListRequest,
  ExPara,
  ExtraMixInput,
  GetMixTaskInfoData,
  GetMixTaskInfoRequest,
  MixInput,
  MixOutput,
  type Operation,
  type OperationName,
  operations,
  PlayInfo,
  RectInfo,
  type StartAutoMixData,
  StartAutoMixRequest,
  StartMixData,
  StartMixRequest,
  StopAutoMixRequest,
  StopMixRequest,
  StreamListItem,
  ZegoEnvelope,
} from './operations.ts'
export type { ZegoOutcome } from './outcome.ts'
export {
  REQUEST_MAX_SKEW_SEC,
  type RequestAuth,
  type RequestAuthFailure,
  readRequestAuth,
  verifyRequestAuth,
} from './request-auth.ts'
export { type Retried, retryZegoCall, type ZegoRetryOptions } from './retry-outcome.ts'
export { newSignatureNonce, requestSignature, type SignedQuery, signQuery } from './sign.ts'

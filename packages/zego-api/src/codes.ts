/**
 * ZEGO server-API return codes Mixguard meets (zego-reference.md §6). ZEGO answers `Code` in a JSON
 * body; 0 is success. Shared by the client (to classify answers) and the simulator (to give them).
 */
export const ZegoCode = {
  Ok: 0,
  // gateway / common
  AppIdFormat: 100000001,
  TimestampEmpty: 100000002,
  TimestampFormat: 100000003,
  SignatureExpired: 100000004,
  SignatureInvalid: 100000005,
  ActionEmpty: 100000006,
  ActionUnsupported: 100000007,
  NonceEmpty: 100000008,
  SignatureEmpty: 100000009,
  SecretNotFound: 100000010,
  AppConfigNotFound: 100000011,
  SignatureVersionEmpty: 100000013,
  SignatureVersionInvalid: 100000014,
  GatewayInternal: 100000015,
  // mixing
  MixFailed: 110200001,
  MixBadParameter: 110200002,
  MixAuthFailed: 110200003,
  MixParseFailed: 110200004,
  MixStartLock: 110200005,
  MixStopLock: 110200006,
  MixUpdateFailed: 110200007,
  MixStopForwardFailed: 110200015,
  MixSameInputOutput: 110200140,
  MixInputMissing: 110200150,
  MixTaskFailed: 110200151,
  MixNotEnabled: 110200157,
  MixTooManyInputs: 110200158,
  MixDispatchFailed: 110200159,
  MixNotOwner: 110200160,
  MixDuplicateInput: 110200175,
  MixDuplicateOutput: 110200176,
  MixTooManyOutputs: 110200178,
  MixStartParse: 110200184,
  MixStopParse: 110200185,
  MixStartOverload: 110200190,
  MixStopOverload: 110200191,
  MixOverload: 110200194,
  MixSequenceError: 110200103,
  MixTaskNotFound: 110209001,
  // room
  RoomStreamListFailed: 154,
} as const

export type ZegoCodeName = keyof typeof ZegoCode
export type ZegoCodeValue = (typeof ZegoCode)[ZegoCodeName]

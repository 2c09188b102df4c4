import { describe, expect, it } from 'vitest'
import * as api from './index.ts'

describe('public entry', () => {
  it('exports the agreed surface by name', () => {
    for (const name of [
      'createZegoClient',
      'createCallBudget',
      'lanes',
      'requestSignature',
      'signQuery',
      'newSignatureNonce',
      'callbackSignature',
      'verifyCallbackSignature',
      'ZegoCode',
      'ZegoError',
      'classifyZegoCode',
      'zegoErrorCodes',
      'operations',
      'StartMixRequest',
      'StopMixRequest',
      'GetMixTaskInfoRequest',
      'StartAutoMixRequest',
      'StopAutoMixRequest',
      'DescribeSimpleStreamListRequest',
      'ZegoEnvelope',
      'StartMixData',
      'GetMixTaskInfoData',
      'DescribeSimpleStreamListData',
    ]) {
      expect(api, name).toHaveProperty(name)
    }
    expect(api.lanes).toEqual(['urgent', 'normal', 'background', 'idle'])
  })
})

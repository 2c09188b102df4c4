import { callbackSignature } from '@mixguard/zego-api'
import type { App, CallbackEncoding, MixOutputRef, Stream, TaskSnapshot, WorldEvent } from './world-types.ts'

/**
 * ZEGO's five callback bodies (docs/zego.md §7.4–7.8), built from world events. Field names and
 * types follow the docs: strings everywhere except `room_close`, whose `appid`, `timestamp`,
 * `room_session_id` and `close_reason` are numbers. Event times (`create_time_ms`, …) are simulated ms;
 * `timestamp` (signed) is the real wall clock.
 */

export type CallbackEventName = 'stream_create' | 'stream_close' | 'mix_start' | 'mix_stop' | 'room_close'
export type CallbackPayload = Record<string, string | number | string[]>

export interface CallbackStamp {
  /** Real wall-clock Unix seconds when the callback is built. */
  timestampSec: number
  nonce: string
}

const HOST = 'sim.zego.local'
const playUrls = (appId: number, streamId: string) => ({
  rtmp: `rtmp://${HOST}/${appId}/${streamId}`,
  hls: `https://${HOST}/${appId}/${streamId}/playlist.m3u8`,
  hdl: `https://${HOST}/${appId}/${streamId}.flv`,
  pic: `https://${HOST}/${appId}/${streamId}.jpg`,
})

const firstOutput = (task: TaskSnapshot): MixOutputRef =>
  task.outputs[0] ?? { streamId: undefined, url: undefined }
const outputAlias = (task: TaskSnapshot): string => firstOutput(task).streamId ?? ''
const outputUrl = (task: TaskSnapshot): string =>
  firstOutput(task).url ?? playUrls(task.appId, outputAlias(task)).rtmp

/** ZEGO prefixes the developer's TaskId with the AppId in callbacks. */
export const callbackTaskId = (appId: number, taskId: string): string => `${appId}:${taskId}`

function signed(
  app: App,
  stamp: CallbackStamp,
  body: CallbackPayload,
  numericTimestamp = false,
): CallbackPayload {
  const timestamp = numericTimestamp ? stamp.timestampSec : String(stamp.timestampSec)
  return {
    ...body,
    timestamp,
    nonce: stamp.nonce,
    signature: callbackSignature(app.callbackSecret, timestamp, stamp.nonce),
  }
}

/** The room and publisher fields both stream callbacks start with. */
const publisherFields = (appid: string, s: Stream) => ({
  appid,
  room_id: s.roomId,
  room_session_id: s.roomSessionId,
  user_id: s.userId,
  user_name: s.userName,
  channel_id: s.roomId,
})

/** The task fields both mix callbacks carry. */
const mixFields = (seq: number, t: TaskSnapshot) => ({
  seq: String(seq),
  task_id: callbackTaskId(t.appId, t.taskId),
  channel_id: t.roomId,
  publish_id: t.userId,
  mix_url: outputUrl(t),
  mix_stream_alias: outputAlias(t),
})

/** The callback a world event causes, if any (idle/active/update transitions cause none). */
export function callbackFor(event: WorldEvent, stamp: CallbackStamp): CallbackPayload | undefined {
  const { app } = event
  const appid = String(app.appId)
  switch (event.type) {
    case 'stream_created': {
      const s = event.stream
      const urls = playUrls(app.appId, s.streamId)
      return signed(app, stamp, {
        event: 'stream_create',
        ...publisherFields(appid, s),
        stream_id: s.streamId,
        stream_sid: s.streamSid,
        title: '',
        stream_alias: s.streamId,
        stream_attr: '{"cid":0}',
        stream_seq: String(event.streamSeq),
        create_time: String(Math.floor(event.at / 1000)),
        create_time_ms: String(event.at),
        extra_info: '',
        recreate: event.recreate ? '1' : '0',
        publish_id: s.userId,
        publish_name: s.userName,
        rtmp_url: [urls.rtmp],
        hls_url: [urls.hls],
        hdl_url: [urls.hdl],
        pic_url: [urls.pic],
      })
    }
    case 'stream_closed': {
      const s = event.stream
      return signed(app, stamp, {
        event: 'stream_close',
        ...publisherFields(appid, s),
        type: String(event.closeType),
        stream_alias: s.streamId,
        stream_id: s.streamId,
        stream_sid: s.streamSid,
        stream_seq: String(event.streamSeq),
        third_define_data: '',
        create_time_ms: String(s.createdAt),
        destroy_timemillis: String(event.at),
      })
    }
    case 'task_started': {
      const t = event.task
      const urls = playUrls(app.appId, outputAlias(t))
      return signed(app, stamp, {
        appid,
        event: 'mix_start',
        ...mixFields(event.seq, t),
        rtmp_urls: [urls.rtmp],
        hls_urls: [urls.hls],
        hdl_urls: [urls.hdl],
        // The doc example also carries singular strings its field table does not list.
        rtmp_url: urls.rtmp,
        hls_url: urls.hls,
        hdl_url: urls.hdl,
        stream_alias: outputAlias(t),
      })
    }
    case 'task_ended': {
      const t = event.task
      return signed(app, stamp, {
        appid,
        event: 'mix_stop',
        ...mixFields(event.seq, t),
      })
    }
    case 'room_closed': {
      const r = event.room
      return signed(
        app,
        stamp,
        {
          event: 'room_close',
          appid: app.appId,
          room_id: r.roomId,
          room_session_id: Number(r.sessionId),
          close_reason: event.reason,
          room_close_time: String(event.at),
        },
        true,
      )
    }
    case 'task_updated':
    case 'task_idle':
    case 'task_active':
      return undefined
  }
}

export function encodeCallback(
  payload: CallbackPayload,
  encoding: CallbackEncoding,
): { body: string; contentType: string } {
  switch (encoding) {
    case 'json':
      return { body: JSON.stringify(payload), contentType: 'application/json' }
    case 'form': {
      const form = new URLSearchParams()
      for (const [k, v] of Object.entries(payload)) {
        if (Array.isArray(v)) for (const item of v) form.append(k, item)
        else form.append(k, String(v))
      }
      return { body: form.toString(), contentType: 'application/x-www-form-urlencoded' }
    }
  }
}

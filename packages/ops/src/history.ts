import {
  type DeadLetter,
  type Decision,
  deadLetterId,
  decodeDeadLetter,
  decodeDecision,
  decodeEvent,
  decodeOutcome,
  type Outcome,
  topicName,
  type ZegoEvent,
} from '@mixguard/contracts'
import type { RawRecord } from './topic-reader.ts'

export interface DeadLetterEntry {
  id: string
  deadLetter: DeadLetter
  /** Where it sits on the dead-letter topic. */
  partition: number
  offset: string
}

/** What the topics say, decoded; records that do not decode are counted, not thrown. */
export interface History {
  events: ZegoEvent[]
  decisions: Decision[]
  outcomes: Outcome[]
  deadLetters: DeadLetterEntry[]
  unreadable: number
}

export function historyTopics(prefix: string): string[] {
  return [
    topicName('events', prefix),
    topicName('decisions', prefix),
    topicName('outcomes', prefix),
    topicName('dead-letter', prefix),
  ]
}

/** Sorts the records into a History, each list in time order (Kafka order between equal times). */
export function toHistory(records: readonly RawRecord[], prefix: string): History {
  const history: History = { events: [], decisions: [], outcomes: [], deadLetters: [], unreadable: 0 }
  const use = <D extends { ok: boolean }>(decoded: D, keep: (ok: Extract<D, { ok: true }>) => void) => {
    if (decoded.ok) keep(decoded as Extract<D, { ok: true }>)
    else history.unreadable += 1
  }
  for (const record of records) {
    switch (record.topic) {
      case topicName('events', prefix):
        use(decodeEvent(record.value), (d) => history.events.push(d.event))
        break
      case topicName('decisions', prefix):
        use(decodeDecision(record.value), (d) => history.decisions.push(d.decision))
        break
      case topicName('outcomes', prefix):
        use(decodeOutcome(record.value), (d) => history.outcomes.push(d.outcome))
        break
      case topicName('dead-letter', prefix):
        use(decodeDeadLetter(record.value), (d) =>
          history.deadLetters.push({
            id: deadLetterId(d.deadLetter),
            deadLetter: d.deadLetter,
            partition: record.partition,
            offset: record.offset,
          }),
        )
        break
    }
  }
  history.events.sort((a, b) => eventTime(a) - eventTime(b))
  history.decisions.sort((a, b) => a.decidedAt - b.decidedAt)
  history.outcomes.sort((a, b) => a.at - b.at)
  history.deadLetters.sort((a, b) => a.deadLetter.receivedAt - b.deadLetter.receivedAt)
  return history
}

/** ZEGO's time of an event, else when ingest received it. */
export function eventTime(event: ZegoEvent): number {
  return event.occurredAt ?? event.receivedAt
}

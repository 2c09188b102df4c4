// bench:ingest's stage columns read from ingest's /metrics text: the window between two readings.
import { describe, expect, test } from 'vitest'
import { addIngestStages, noStages, stagesExtra } from '../bench/ingest-stages.ts'

/** One listener's metrics: callbacks answered per bucket bound (cumulative) for two outcomes, and sends. */
function metrics(stored: number[], duplicate: number[], sum: number, sends: number): string {
  const les = ['0.005', '0.01', '0.025', '0.05', '+Inf']
  const series = (outcome: string, counts: number[]) => [
    ...les.map(
      (le, i) =>
        `mixguard_ingest_request_duration_seconds_bucket{le="${le}",route="callback",outcome="${outcome}"} ${counts[i]}`,
    ),
    `mixguard_ingest_request_duration_seconds_sum{route="callback",outcome="${outcome}"} ${sum / 2}`,
    `mixguard_ingest_request_duration_seconds_count{route="callback",outcome="${outcome}"} ${counts.at(-1)}`,
  ]
  return [
    ...series('stored', stored),
    ...series('duplicate', duplicate),
    // Another route's slow answers are not the callbacks'.
    'mixguard_ingest_request_duration_seconds_bucket{le="0.05",route="passthrough",outcome="forwarded"} 0',
    'mixguard_ingest_request_duration_seconds_bucket{le="+Inf",route="passthrough",outcome="forwarded"} 900',
    `mixguard_ingest_produce_duration_seconds_sum{path="direct",result="ok"} ${sends * 0.004}`,
    `mixguard_ingest_produce_duration_seconds_count{path="direct",result="ok"} ${sends}`,
  ].join('\n')
}

describe('ingest stages of a load window', () => {
  test('the p99 bucket counts only the window, every outcome, every listener, and the callback route only', () => {
    const from = noStages()
    addIngestStages(from, metrics([100, 100, 100, 100, 100], [0, 0, 0, 0, 0], 0.5, 10))
    const to = noStages()
    // Window: 900 callbacks over two listeners: 885 within 10 ms (98.3 %), 897 within 25 ms (99.7 %).
    addIngestStages(to, metrics([300, 590, 597, 600, 600], [0, 0, 0, 0, 0], 4.5, 30))
    addIngestStages(to, metrics([0, 290, 295, 295, 295], [0, 105, 105, 105, 105], 4, 30))
    expect(stagesExtra(from, to)).toEqual({
      'in ingest ms/callback (mean)': 9,
      'in ingest p99 ms': '≤ 25',
      'Kafka ms/send': 4,
      'records/send': 18,
    })
  })
})

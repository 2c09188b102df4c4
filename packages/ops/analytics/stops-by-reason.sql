-- Stops per app and reason, with the time from decision to a confirmed StopMix, over exported topics:
--   ./mixguard export decisions > decisions.jsonl && ./mixguard export outcomes > outcomes.jsonl
--   duckdb < packages/ops/analytics/stops-by-reason.sql
SELECT
  d.appId AS app_id,
  d.reason,
  count(DISTINCT d.id) AS tasks_stopped,
  round(median(o.at - d.decidedAt) / 1000.0, 3) AS median_seconds_to_stop
FROM read_json_auto('decisions.jsonl') AS d
JOIN read_json_auto('outcomes.jsonl') AS o ON o.decisionId = d.id
WHERE d.action = 'stop'
  AND o.action = 'StopMix'
  AND o.result IN ('stopped', 'already_gone')
GROUP BY ALL
ORDER BY app_id, reason;

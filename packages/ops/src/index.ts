export { type CliIo, readHistory, runCli, tailLine } from './cli.ts'
export { loadOpsConfig, type OpsConfig } from './config.ts'
export { escapeXml } from './escape-xml.ts'
export { type DeadLetterEntry, eventTime, type History, historyTopics, toHistory } from './history.ts'
export { reportText } from './report-text.ts'
export {
  type AppSavings,
  SAVINGS_MODEL,
  type SavingsReport,
  type StoppedTask,
  savingsReport,
} from './savings.ts'
export { savingsSvg } from './savings-svg.ts'
export { explainTask, type Timeline, type TimelineEntry } from './timeline.ts'
export { readTopics } from './topic-reader.ts'

export { type ConfigResult, ENVIRONMENT_VARIABLES, loadConfig, type ReconcilerConfig } from './config.ts'
export { createMetrics as createReconcilerMetrics } from './metrics.ts'
export { type ReconcilerDeps, type RunningReconciler, startReconciler } from './reconciler.ts'

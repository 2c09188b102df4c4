export { type ConfigResult, loadConfig, type ReconcilerConfig } from './config.ts'
export { type ReconcilerDeps, type RunningReconciler, startReconciler } from './reconciler.ts'

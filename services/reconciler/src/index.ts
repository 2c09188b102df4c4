export { type ConfigResult, ENVIRONMENT_VARIABLES, loadConfig, type ReconcilerConfig } from './config.ts'
export { type ReconcilerDeps, type RunningReconciler, startReconciler } from './reconciler.ts'

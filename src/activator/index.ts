export { ScalingManager, type ScalingTarget, type ScalingEvents, type ThreadScaling } from './manager.ts';
export { RevisionScaler, type Decision, type Admission } from './revision-scaler.ts';
export { resolveSettings, type HostScalingDefaults, type RevisionScalingOverrides, type ScalerSettings } from './settings.ts';

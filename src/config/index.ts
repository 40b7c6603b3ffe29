export { OPTIONS, type Config, type OptionKey, type OptionSpec } from './schema.ts';
export { loadConfig, ConfigError, isLoopback, type ConfigSources } from './load.ts';
export {
  REVISION_SETTINGS, SETTABLE_NAMES, LIMIT_NAMES, INSTANCE_LIMIT_NAMES, SCALING_NAMES,
  settable, settingPath, settingFlag, optionValue, defaultText, settingDescription, revisionDefaults, hostMaximums,
  type SettingGroup, type SettableSpec, type HostOnlySpec, type RevisionSettingSpec, type SettingName, type SettableName,
  type LimitName, type InstanceLimitName, type ScalingName, type RevisionLimitsConfig, type RevisionScalingConfig, type InstanceLimits,
} from './revision-settings.ts';

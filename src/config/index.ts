export { OPTIONS, type Config, type OptionSpec } from './schema.ts';
export { loadConfig, ConfigError, isLoopback, type ConfigSources } from './load.ts';

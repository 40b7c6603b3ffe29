/**
 * Every per-revision setting, once: the admin API's validation, the OpenAPI
 * `RevisionConfig`/`ConfigPatch` schemas, the revision config types, the docs
 * table and the `isoedge deploy` flags are all read off REVISION_SETTINGS.
 */
import { OPTIONS, type Config, type OptionKey } from './schema.ts';

/** Where a setting sits in a revision config: `limits.cpuMs`, `scaling.minScale`, or `concurrency` at the top. */
export type SettingGroup = 'limits' | 'scaling' | 'top';

interface SettableBase {
  type: 'int';
  /** Absolute bounds, checked before any host maximum. */
  min: number;
  max: number;
  unit: string;
  /** One sentence, no unit and no default (those are columns of their own). */
  doc: string;
  /** The host option whose value applies when the revision sets none. */
  hostDefault?: OptionKey;
  /** The fixed default when no host option supplies one. */
  default?: number;
  /** How the default is worked out, where it is neither of the above alone (docs only). */
  defaultDoc?: string;
  /** The host option a revision's value may not exceed. */
  hostMax?: OptionKey;
  hostOnly?: undefined;
}

/** A limit reaches every instance, so the host always has a default for it. */
interface SettableLimit extends SettableBase {
  group: 'limits';
  hostDefault: OptionKey;
}

interface SettableOther extends SettableBase {
  group: 'scaling' | 'top';
}

/** A setting a revision may give itself. All are integers today. */
export type SettableSpec = SettableLimit | SettableOther;

/**
 * A limit every instance runs with that only the host sets (its option's bounds apply);
 * a revision config naming it is refused as an unknown limit.
 */
export interface HostOnlySpec {
  group: 'limits';
  type: 'int';
  unit: string;
  doc: string;
  hostDefault: OptionKey;
  hostOnly: true;
}

export type RevisionSettingSpec = SettableSpec | HostOnlySpec;

/** The table. Order is the order of messages, schemas, docs rows and flags. */
export const REVISION_SETTINGS = {
  cpuMs: { group: 'limits', type: 'int', min: 1, max: 600_000, unit: 'ms', doc: 'CPU time a request may use in its isolate.', hostDefault: 'limits.cpuMs', hostMax: 'limits.maxCpuMs' },
  wallMs: { group: 'limits', type: 'int', min: 10, max: 3_600_000, unit: 'ms', doc: 'Wall time from dispatch to response.', hostDefault: 'limits.wallMs', hostMax: 'limits.maxWallMs' },
  streamMs: { group: 'limits', type: 'int', min: 10, max: 604_800_000, unit: 'ms', doc: 'Wall time of a streaming response, from its headers to its last byte.', hostDefault: 'limits.streamMs', hostMax: 'limits.maxStreamMs' },
  memoryMb: { group: 'limits', type: 'int', min: 8, max: 65536, unit: 'MiB', doc: 'Heap limit per isolate.', hostDefault: 'limits.memoryMb', hostMax: 'limits.maxMemoryMb' },
  wasmMemoryPages: { group: 'limits', type: 'int', min: 1, max: 65536, unit: '64 KiB pages', doc: 'Largest Wasm linear memory.', hostDefault: 'limits.wasmMemoryPages', hostMax: 'limits.maxWasmMemoryPages' },
  bodyBytes: { group: 'limits', type: 'int', min: 0, max: 4 * 1024 ** 3, unit: 'bytes', doc: 'Largest request body.', hostDefault: 'limits.bodyBytes', hostMax: 'limits.maxBodyBytes' },
  responseBytes: { group: 'limits', type: 'int', min: 0, max: 1024 ** 4, unit: 'bytes', doc: 'Largest response body.', hostDefault: 'limits.responseBytes', hostMax: 'limits.maxResponseBytes' },
  headerCount: { group: 'limits', type: 'int', unit: 'headers', doc: "Most headers in a request, and in a function's response.", hostDefault: 'limits.headerCount', hostOnly: true },
  headerBytes: { group: 'limits', type: 'int', unit: 'bytes', doc: "Most header bytes in a request, and in a function's response.", hostDefault: 'limits.headerBytes', hostOnly: true },
  concurrency: { group: 'top', type: 'int', min: 0, max: 10_000, unit: 'requests', doc: "Requests one instance serves at once (Knative's containerConcurrency); 0 is unlimited.", default: 0 },
  minScale: { group: 'scaling', type: 'int', min: 0, max: 10_000, unit: 'instances', doc: 'Fewest instances kept, even without traffic; not above a non-zero maxScale.', default: 0 },
  maxScale: { group: 'scaling', type: 'int', min: 0, max: 10_000, unit: 'instances', doc: 'Most instances; 0 is unbounded.', default: 0 },
  initialScale: { group: 'scaling', type: 'int', min: 0, max: 10_000, unit: 'instances', doc: 'Instances started on deploy; 0 starts the revision at zero.', default: 1 },
  target: { group: 'scaling', type: 'int', min: 1, max: 100_000, unit: 'requests', doc: 'Target concurrency per instance for the autoscaler (capped by a non-zero concurrency).', hostDefault: 'autoscaler.containerConcurrencyTargetDefault', defaultDoc: '`concurrency` when set, else the host setting `autoscaler.containerConcurrencyTargetDefault`' },
  targetUtilizationPercentage: { group: 'scaling', type: 'int', min: 1, max: 100, unit: '%', doc: 'Share of the target the autoscaler aims for.', hostDefault: 'autoscaler.targetUtilizationPercentage' },
  targetBurstCapacity: { group: 'scaling', type: 'int', min: -1, max: 1_000_000, unit: 'requests', doc: 'Spare capacity below which the activator stays in the path; -1: always in the path, 0: only while the revision is at zero.', hostDefault: 'autoscaler.targetBurstCapacity' },
  activationScale: { group: 'scaling', type: 'int', min: 1, max: 10_000, unit: 'instances', doc: 'Instances the revision scales to when it leaves zero.', default: 1 },
  scaleDownDelayMs: { group: 'scaling', type: 'int', min: 0, max: 3_600_000, unit: 'ms', doc: 'How long a lower desired count must hold before instances go.', default: 0 },
  windowMs: { group: 'scaling', type: 'int', min: 6000, max: 3_600_000, unit: 'ms', doc: 'Stable window of the autoscaler.', hostDefault: 'autoscaler.stableWindowMs' },
  panicWindowPercentage: { group: 'scaling', type: 'int', min: 1, max: 100, unit: '%', doc: 'Panic window as a percentage of the stable window.', hostDefault: 'autoscaler.panicWindowPercentage' },
  panicThresholdPercentage: { group: 'scaling', type: 'int', min: 110, max: 1000, unit: '%', doc: 'Panic mode starts at this percentage of the capacity.', hostDefault: 'autoscaler.panicThresholdPercentage' },
  scaleToZeroRetentionMs: { group: 'scaling', type: 'int', min: 0, max: 3_600_000, unit: 'ms', doc: 'Keep the last instance this long after traffic stops.', default: 0 },
  queueDepth: { group: 'scaling', type: 'int', min: 0, max: 1_000_000, unit: 'requests', doc: 'Waiting requests per instance when `concurrency` > 0.', defaultDoc: '10 × `concurrency`' },
} as const satisfies Record<string, RevisionSettingSpec>;

type Table = typeof REVISION_SETTINGS;
export type SettingName = keyof Table;
/** The settings a revision may give itself (host-only limits excluded). */
export type SettableName = { [K in SettingName]: Table[K] extends { hostOnly: true } ? never : K }[SettingName];
type NamesOf<G extends SettingGroup> = { [K in SettableName]: Table[K]['group'] extends G ? K : never }[SettableName];
/** Limits a revision may set (`limits.*`). */
export type LimitName = NamesOf<'limits'>;
/** Every limit an instance runs with: the settable ones and the host-only ones. */
export type InstanceLimitName = { [K in SettingName]: Table[K]['group'] extends 'limits' ? K : never }[SettingName];
export type ScalingName = NamesOf<'scaling'>;

/** A revision config's `limits` object; an absent limit is the host default. */
export type RevisionLimitsConfig = { [K in LimitName]?: number };
/** A revision config's `scaling` object (Knative annotation names); absent = host default. */
export type RevisionScalingConfig = { [K in ScalingName]?: number };
/** The limits an instance runs with, every one resolved. */
export type InstanceLimits = { [K in InstanceLimitName]: number };

const names = <N extends SettingName>(pick: (s: RevisionSettingSpec) => boolean) =>
  (Object.keys(REVISION_SETTINGS) as SettingName[]).filter((k) => pick(REVISION_SETTINGS[k])) as N[];
export const SETTABLE_NAMES = names<SettableName>((s) => !s.hostOnly);
export const LIMIT_NAMES = names<LimitName>((s) => s.group === 'limits' && !s.hostOnly);
export const INSTANCE_LIMIT_NAMES = names<InstanceLimitName>((s) => s.group === 'limits');
export const SCALING_NAMES = names<ScalingName>((s) => s.group === 'scaling');

/** The row of a settable setting, typed for code that reads its bounds. */
export const settable = (name: SettableName): SettableSpec => REVISION_SETTINGS[name];

const limitRow = (name: InstanceLimitName): SettableLimit | HostOnlySpec => REVISION_SETTINGS[name];

/** Where the setting sits in a revision config: `limits.cpuMs`, `scaling.minScale`, `concurrency`. */
export function settingPath(name: SettingName): string {
  const { group } = REVISION_SETTINGS[name];
  return group === 'top' ? name : `${group}.${name}`;
}

/** The `isoedge deploy` flag: `cpuMs` → `--cpu-ms`. */
export const settingFlag = (name: SettableName): string => '--' + name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** A host option's value in a loaded config, by its dotted key. */
export function optionValue(config: Config, key: OptionKey): number {
  let cur: unknown = config;
  for (const part of key.split('.')) cur = (cur as Record<string, unknown>)[part];
  if (typeof cur !== 'number') throw new TypeError(`${key} is not a number option`);
  return cur;
}

const optionDefault = (key: OptionKey) => OPTIONS.find((o) => o.key === key)!.default;

/** The default in words: "the host setting `limits.cpuMs` (50)", "1", "10 × `concurrency`". */
export function defaultText(name: SettingName): string {
  const s: RevisionSettingSpec = REVISION_SETTINGS[name];
  if (!s.hostOnly && s.defaultDoc) return s.defaultDoc;
  if (s.hostDefault) return `the host setting \`${s.hostDefault}\` (${JSON.stringify(optionDefault(s.hostDefault))})`;
  return String(s.default);
}

/** One description for schemas and help: the doc, its unit, default, bounds and host maximum. */
export function settingDescription(name: SettableName): string {
  const s = settable(name);
  const max = s.hostMax ? `, at most the host setting \`${s.hostMax}\`` : '';
  return `${s.doc} In ${s.unit}, an integer from ${s.min} to ${s.max}${max}; default ${defaultText(name)}.`;
}

/** The limits every instance of a revision gets when it sets none: the host's `limits.*` options. */
export function revisionDefaults(config: Config): InstanceLimits {
  return Object.fromEntries(INSTANCE_LIMIT_NAMES.map((k) => [k, optionValue(config, limitRow(k).hostDefault)])) as InstanceLimits;
}

/** The host's maximums for per-revision limits (`limits.max*`), by limit name; Infinity where a row has none. */
export function hostMaximums(config: Config): Record<LimitName, number> {
  return Object.fromEntries(LIMIT_NAMES.map((k) => {
    const cap = settable(k).hostMax;
    return [k, cap ? optionValue(config, cap) : Infinity];
  })) as Record<LimitName, number>;
}

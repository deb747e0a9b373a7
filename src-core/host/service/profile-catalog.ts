/**
 * The profiles the service offers: the stored ones (profile-store.ts), plus, with `porthole run -c
 * FILE…`, one read-only profile made of those files. Each is summarised with what its config
 * makes the engine (its roles) or the first error that stops it from loading.
 */
import { basename } from 'node:path';
import type { ErrorEnvelope, ExportedProfile, Profile, ProfileSummary, ValidationResult } from '../api/index.js';
import { ServiceError, toErrorEnvelope } from '../api/index.js';
import { formatErrorLine } from '../../engine/common/errors.js';
import { exportV2RayConfig, exportV2RayText, loadConfig, validateConfig, type ConfigSource, type PortholeConfig } from '../../engine/config/index.js';
import { checkProfileName, ProfileStore } from './profile-store.js';

interface CommandLineProfile {
  name: string;
  sources: ConfigSource[];
  text: string;
  updatedAt: number;
}

/** The command line's files as a profile name: `bridge.json + more.json`, within the contract's name pattern. */
function commandLineName(sources: ConfigSource[]): string {
  const name = sources.map((source) => basename(source.name)).join(' + ').replace(/[^\p{L}\p{N} ._()+-]/gu, '-').replace(/^[^\p{L}\p{N}]+/u, '');
  return (name || 'command line').slice(0, 80);
}

/** What a config makes this instance: `['bridge "bridge"', 'portal "portal"']`. */
export function rolesOf(config: PortholeConfig): string[] {
  return [
    ...config.reverse.bridges.map((bridge) => `bridge "${bridge.tag}"`),
    ...config.reverse.portals.map((portal) => `portal "${portal.tag}"`),
  ];
}

/** A config error as the editor needs it: code, message and place; anything else says what failed. */
export function configErrorEnvelope(error: unknown): ErrorEnvelope {
  const envelope = toErrorEnvelope(error);
  return envelope.code === 'PH_INTERNAL' ? { code: 'PH_CONFIG_VALUE', message: formatErrorLine(error) } : envelope;
}

/** Checks a text as `porthole test` does, but reports every error (in place order), not only the first. */
export function validateProfileText(text: string): ValidationResult {
  let envelopes: ErrorEnvelope[];
  try {
    const { errors, warnings, config } = validateConfig([{ name: 'profile.json', text }]);
    if (config) return { ok: true, warnings: warnings.map(toErrorEnvelope), roles: rolesOf(config) };
    envelopes = errors.map(configErrorEnvelope);
  } catch (error) {
    envelopes = [configErrorEnvelope(error)];
  }
  return { ok: false, error: envelopes[0] ?? { code: 'PH_CONFIG_VALUE', message: 'the config does not load' }, errors: envelopes };
}

/** A profile's text as V2Ray runs it, named `<profile>.v2ray.json`: Porthole-only fields cut out, comments kept. */
export function exportedProfile(name: string, text: string): ExportedProfile {
  const fileName = `${name.replace(/\.json$/i, '').replace(/\s+/g, '-')}.v2ray.json`;
  const exported = exportV2RayText({ name: `${name}.json`, text });
  return { fileName, text: exported.endsWith('\n') ? exported : `${exported}\n` };
}

/** The read-only profile's text: the file itself, or several merged (comments lost, so it says where to edit). */
function commandLineText(sources: readonly ConfigSource[]): string {
  return sources.length === 1
    ? sources[0]?.text ?? ''
    : `// Merged from ${sources.map((source) => source.name).join(', ')} (read-only: edit those files).\n${JSON.stringify(exportV2RayConfig(loadConfig([...sources])), null, 2)}\n`;
}

export class ProfileCatalog {
  private readonly store: ProfileStore;
  private readonly commandLine: CommandLineProfile | undefined;

  /**
   * @param activeProfile which profile is active now (summaries mark it).
   * @param commandLineSources `porthole run -c FILE…`: the files of the read-only profile.
   */
  constructor(folder: string, private readonly activeProfile: () => string | null, commandLineSources?: ConfigSource[]) {
    this.store = new ProfileStore(folder);
    if (commandLineSources) {
      const sources = commandLineSources;
      this.commandLine = { name: commandLineName(sources), sources, text: commandLineText(sources), updatedAt: Date.now() };
    }
  }

  /** The command line's files (name and text as last read), when `name` is that profile. */
  commandLineSources(name: string): readonly ConfigSource[] | undefined {
    return this.commandLine?.name === name ? this.commandLine.sources : undefined;
  }

  /** One of the command line's files was rewritten in place (an invite added or revoked): the profile now reads `text`. */
  replaceCommandLineSource(fileName: string, text: string): void {
    const profile = this.commandLine;
    if (!profile?.sources.some((source) => source.name === fileName)) throw new ServiceError('PH_PROFILE_NOT_FOUND', `${fileName} is not one of the command line's files`);
    profile.sources = profile.sources.map((source) => (source.name === fileName ? { ...source, text } : source));
    profile.text = commandLineText(profile.sources);
    profile.updatedAt = Date.now();
  }

  /** The command line's profile name, if run with `-c`. */
  get commandLineName(): string | undefined {
    return this.commandLine?.name;
  }

  async list(): Promise<ProfileSummary[]> {
    const stored = await this.store.list();
    const summaries = stored
      .filter((profile) => profile.name !== this.commandLine?.name)
      .map((profile) => this.summarize(profile.name, profile.text, profile.updatedAt));
    if (this.commandLine) summaries.push(this.summarizeCommandLine(this.commandLine));
    return summaries.sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<Profile> {
    if (this.commandLine?.name === name) return { ...this.summarizeCommandLine(this.commandLine), text: this.commandLine.text };
    const stored = await this.store.read(name);
    if (!stored) throw notFound(name);
    return { ...this.summarize(name, stored.text, stored.updatedAt), text: stored.text };
  }

  async save(name: string, text: string): Promise<ProfileSummary> {
    checkProfileName(name);
    if (this.commandLine?.name === name) throw new ServiceError('PH_PROFILE_READ_ONLY', `"${name}" comes from the command line: save it under another name`);
    const stored = await this.store.write(name, text);
    return this.summarize(name, stored.text, stored.updatedAt);
  }

  /** Removes a stored profile; `running` says the engine runs it now, which forbids it. */
  async remove(name: string, running: boolean): Promise<void> {
    if (this.commandLine?.name === name) throw new ServiceError('PH_PROFILE_READ_ONLY', `"${name}" comes from the command line and cannot be removed`);
    if (running) throw new ServiceError('PH_PROFILE_READ_ONLY', `"${name}" is running: stop the engine first`);
    if (!(await this.store.remove(name))) throw notFound(name);
  }

  /** The profile's text for V2Ray (see `exportedProfile`); rejects as `loadConfig` does when it does not load. */
  async export(name: string): Promise<ExportedProfile> {
    await this.loadConfig(name);
    return exportedProfile(name, (await this.get(name)).text);
  }

  /** The profile's config; rejects with its config error or `PH_PROFILE_NOT_FOUND`. */
  async loadConfig(name: string): Promise<PortholeConfig> {
    if (this.commandLine?.name === name) return loadConfig(this.commandLine.sources);
    const stored = await this.store.read(name);
    if (!stored) throw notFound(name);
    return loadConfig([{ name: `${name}.json`, text: stored.text }]);
  }

  private summarize(name: string, text: string, updatedAt: number): ProfileSummary {
    return this.summary(name, 'store', updatedAt, () => loadConfig([{ name: `${name}.json`, text }]));
  }

  private summarizeCommandLine(profile: CommandLineProfile): ProfileSummary {
    return this.summary(profile.name, 'command-line', profile.updatedAt, () => loadConfig(profile.sources));
  }

  private summary(name: string, origin: ProfileSummary['origin'], updatedAt: number, load: () => PortholeConfig): ProfileSummary {
    let error: ErrorEnvelope | null = null;
    let roles: string[] = [];
    try {
      roles = rolesOf(load());
    } catch (failure) {
      error = configErrorEnvelope(failure);
    }
    return { name, origin, active: this.activeProfile() === name, updatedAt, error, roles };
  }
}

function notFound(name: string): ServiceError {
  return new ServiceError('PH_PROFILE_NOT_FOUND', `there is no profile "${name}"`);
}

/**
 * The service's state as it runs (settings, active profile, exposures, "Pause all") and its
 * writing to the settings file. The command line's profile is active while `porthole run -c` runs
 * but never remembered: the file keeps naming the profile the user chose last.
 */
import { SettingsStore, type ServiceState } from './settings-store.js';

export class ServiceStateFile {
  /** What the service works with; change it, then `save`. */
  current: ServiceState = { settings: { theme: 'system' }, activeProfile: null, exposures: [], exposuresPaused: false };
  private readonly store: SettingsStore;
  /** The active profile the settings file names, kept there while the command line's is active. */
  private storedActiveProfile: string | null = null;
  private saving: Promise<void> = Promise.resolve();

  /** @param file omitted: kept in memory only. */
  constructor(file: string | undefined, private readonly commandLineProfile: string | undefined) {
    this.store = new SettingsStore(file);
  }

  /** Reads the file (the command line's profile becomes the active one); resolves with how many damaged exposure entries were skipped. */
  async load(): Promise<number> {
    this.current = await this.store.load();
    this.storedActiveProfile = this.current.activeProfile;
    if (this.commandLineProfile !== undefined) this.current.activeProfile = this.commandLineProfile;
    return this.store.dropped;
  }

  async save(): Promise<void> {
    const active = this.current.activeProfile;
    if (active !== null && active !== this.commandLineProfile) this.storedActiveProfile = active;
    if (active === null) this.storedActiveProfile = null;
    const snapshot: ServiceState = { ...this.current, exposures: this.current.exposures.map((exposure) => ({ ...exposure })), activeProfile: this.storedActiveProfile };
    // One write at a time: two quick changes must not race on the temporary file.
    const write = this.saving.then(() => this.store.save(snapshot));
    this.saving = write.catch(() => undefined);
    await write;
  }
}

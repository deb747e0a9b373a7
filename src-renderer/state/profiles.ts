/**
 * The Profiles page: the list, and one draft in the editor (a stored profile being edited, or a new
 * one from paste, file or drop). Drafts are validated by the engine's own config layer, so the
 * editor marks exactly what `porthole test` would say.
 */
import type { ErrorEnvelope, ExportedProfile, ProfileSummary, ValidationResult } from '../../src-core/host/api/index.js';
import { envelopeOf } from '../transport/errors.js';
import { engineService } from './service.js';
import type { SliceCreator } from './store.js';

export interface ProfileDraft {
  /** The stored name it was opened from; null for a new draft. */
  openedAs: string | null;
  name: string;
  text: string;
  readOnly: boolean;
  /** Changed since opened or saved. */
  dirty: boolean;
  /** New for each profile opened or draft started (not for edits or a save): the editor then shows line 1. */
  documentId: number;
}

export interface ProfileNotice {
  kind: 'success' | 'error';
  text: string;
}

export interface ProfilesSlice {
  profiles: ProfileSummary[];
  profilesLoaded: boolean;
  draft: ProfileDraft | null;
  validation: ValidationResult | null;
  /** The text the current `validation` is about. */
  validatedText: string | null;
  profileNotice: ProfileNotice | null;
  profileBusy: boolean;
  loadProfiles(): Promise<void>;
  openProfile(name: string): Promise<void>;
  newDraft(name?: string, text?: string): void;
  setDraftText(text: string): void;
  setDraftName(name: string): void;
  validateDraft(): Promise<void>;
  saveDraft(): Promise<boolean>;
  activateDraft(): Promise<void>;
  deleteProfile(name: string): Promise<void>;
  exportProfile(name: string): Promise<ExportedProfile | null>;
  dismissProfileNotice(): void;
}

/** A usable profile name from a file name: `My Bridge (2).json` → `My Bridge (2)`. */
export function profileNameFromFile(fileName: string): string {
  const base = fileName.replace(/\.(jsonc?|conf)$/i, '').replace(/[^\p{L}\p{N} ._()+-]/gu, '-').replace(/^[^\p{L}\p{N}]+/u, '');
  return (base || 'imported').slice(0, 80);
}

function uniqueName(base: string, taken: readonly ProfileSummary[]): string {
  const names = new Set(taken.map((profile) => profile.name));
  if (!names.has(base)) return base;
  for (let index = 2; ; index += 1) {
    const candidate = `${base} (${index})`;
    if (!names.has(candidate)) return candidate;
  }
}

let lastDocumentId = 0;

/** An id for a document put into the editor. */
function nextDocumentId(): number {
  lastDocumentId += 1;
  return lastDocumentId;
}

const NO_PROBLEMS: readonly ErrorEnvelope[] = [];

/** Every error a validation found, in line order; none when it is valid or not there yet. */
export function problemsOf(validation: ValidationResult | null): readonly ErrorEnvelope[] {
  return !validation || validation.ok ? NO_PROBLEMS : validation.errors;
}

function notice(kind: ProfileNotice['kind'], text: string): { profileNotice: ProfileNotice } {
  return { profileNotice: { kind, text } };
}

function errorText(error: ErrorEnvelope): string {
  const where = error.where?.line !== undefined ? `line ${error.where.line}${error.where.column !== undefined ? `, column ${error.where.column}` : ''}: ` : '';
  const path = error.where?.path ? `${error.where.path}: ` : '';
  return `${where}${path}${error.message}`;
}

export const createProfilesSlice: SliceCreator<ProfilesSlice> = (set, get) => ({
  profiles: [],
  profilesLoaded: false,
  draft: null,
  validation: null,
  validatedText: null,
  profileNotice: null,
  profileBusy: false,
  loadProfiles: async () => {
    try {
      set({ profiles: await engineService().listProfiles(), profilesLoaded: true });
    } catch (error) {
      set({ profilesLoaded: true, ...notice('error', errorText(envelopeOf(error))) });
    }
  },
  openProfile: async (name) => {
    try {
      const profile = await engineService().getProfile(name);
      set({
        draft: { openedAs: profile.name, name: profile.name, text: profile.text, readOnly: profile.origin === 'command-line', dirty: false, documentId: nextDocumentId() },
        validation: null,
        validatedText: null,
        profileNotice: null,
      });
      await get().validateDraft();
    } catch (error) {
      set(notice('error', errorText(envelopeOf(error))));
    }
  },
  newDraft: (name, text = '') => {
    set({
      draft: { openedAs: null, name: uniqueName(name ?? 'new profile', get().profiles), text, readOnly: false, dirty: text.length > 0, documentId: nextDocumentId() },
      validation: null,
      validatedText: null,
      profileNotice: null,
    });
    if (text) void get().validateDraft();
  },
  setDraftText: (text) => {
    const { draft } = get();
    if (!draft || draft.readOnly || draft.text === text) return;
    set({ draft: { ...draft, text, dirty: true } });
  },
  setDraftName: (name) => {
    const { draft } = get();
    if (!draft || draft.readOnly) return;
    set({ draft: { ...draft, name, dirty: true } });
  },
  validateDraft: async () => {
    const text = get().draft?.text;
    if (text === undefined) return;
    try {
      const validation = await engineService().validateProfile(text);
      // A newer edit may have been validated meanwhile; keep the result only if it is still current.
      if (get().draft?.text === text) set({ validation, validatedText: text });
    } catch (error) {
      set(notice('error', errorText(envelopeOf(error))));
    }
  },
  saveDraft: async () => {
    const { draft } = get();
    if (!draft || draft.readOnly) return false;
    set({ profileBusy: true, profileNotice: null });
    try {
      const saved = await engineService().saveProfile(draft.name.trim(), draft.text);
      if (draft.openedAs && draft.openedAs !== saved.name) {
        await engineService().deleteProfile(draft.openedAs).catch(() => undefined);
      }
      set({ draft: { ...draft, name: saved.name, openedAs: saved.name, dirty: false }, ...notice('success', `Saved "${saved.name}".`) });
      await get().loadProfiles();
      return true;
    } catch (error) {
      set(notice('error', errorText(envelopeOf(error))));
      return false;
    } finally {
      set({ profileBusy: false });
    }
  },
  activateDraft: async () => {
    const { draft } = get();
    if (!draft) return;
    if ((draft.dirty || draft.openedAs === null) && !(await get().saveDraft())) return;
    const name = get().draft?.name ?? draft.name;
    set({ profileBusy: true });
    try {
      const status = await engineService().activateProfile(name);
      set({ status, ...notice('success', `"${name}" is active; the engine is ${status.state}.`) });
    } catch (error) {
      set(notice('error', errorText(envelopeOf(error))));
    } finally {
      set({ profileBusy: false });
      await get().loadProfiles();
    }
  },
  deleteProfile: async (name) => {
    try {
      await engineService().deleteProfile(name);
      if (get().draft?.openedAs === name) set({ draft: null, validation: null, validatedText: null });
      set(notice('success', `Removed "${name}".`));
      await get().loadProfiles();
    } catch (error) {
      set(notice('error', errorText(envelopeOf(error))));
    }
  },
  exportProfile: async (name) => {
    try {
      return await engineService().exportProfile(name);
    } catch (error) {
      set(notice('error', errorText(envelopeOf(error))));
      return null;
    }
  },
  dismissProfileNotice: () => set({ profileNotice: null }),
});

export { errorText as describeError };

/**
 * Profiles: V2Ray configs as named profiles. Import from a file, paste into a new profile, or drop
 * a file anywhere on the page; edit with errors marked at line:column; save, activate, export;
 * Server setup makes the matching portal side (the dialog lives in App, so Exposures opens it too).
 */
import { useEffect, useRef, useState, type DragEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ErrorEnvelope } from '../../src-core/host/api/index.js';
import { ConfigEditor, type RevealRequest } from '../components/ConfigEditor.js';
import { useConfirm } from '../components/ConfirmDialog.js';
import { EmptyState } from '../components/EmptyState.js';
import { JoinLinkForm } from '../components/JoinLinkForm.js';
import { InviteDialog } from '../components/invites/InviteDialog.js';
import { isPortalProfile } from '../state/invites.js';
import { AlertIcon, CheckIcon, DownIcon, DownloadIcon, PlayIcon, PlusIcon, ProfilesIcon, ServerIcon, UpIcon, UploadIcon } from '../components/Icons.js';
import { describeError, problemsOf, profileNameFromFile } from '../state/profiles.js';
import { useAppStore } from '../state/store.js';

const VALIDATE_AFTER_MS = 300;

function download(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = fileName;
  anchor.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** One problem: its place (a button that shows it in the editor) and message. */
function ProblemText({ problem, onShow }: { problem: ErrorEnvelope; onShow(): void }) {
  const where = problem.where?.line !== undefined ? `${problem.where.line}:${problem.where.column ?? 1}` : null;
  return (
    <>
      {where ? <button type="button" className="where" data-testid="problem-place" onClick={onShow} title="Show in the editor">line {where}</button> : null}
      {where ? ' — ' : ''}
      <span data-testid="problem-message">{problem.where?.path ? `${problem.where.path}: ` : ''}{problem.message}</span>
    </>
  );
}

interface ValidationLineProps {
  problems: readonly ErrorEnvelope[];
  /** The problem last shown in the editor, or -1. */
  current: number;
  onShow(index: number): void;
  onStep(step: 1 | -1): void;
}

/**
 * What validation says: checking, valid (with roles and warnings), or every problem. Several
 * problems get a count, Previous / Next, and a list in line order (issue 4/7).
 */
function ValidationLine({ problems, current, onShow, onStep }: ValidationLineProps) {
  const { validation, validatedText, text } = useAppStore(useShallow((state) => ({ validation: state.validation, validatedText: state.validatedText, text: state.draft?.text })));
  const list = useRef<HTMLOListElement>(null);
  useEffect(() => {
    list.current?.querySelector('[aria-current="true"]')?.scrollIntoView({ block: 'nearest' });
  }, [current]);
  if (!validation || validatedText !== text) {
    return <div className="validation pending" role="status" data-testid="validation">Checking…</div>;
  }
  if (validation.ok) {
    const roles = validation.roles.length ? validation.roles.join(', ') : 'no bridge or portal';
    return (
      <div className="validation ok" role="status" data-testid="validation" data-valid="true">
        <CheckIcon />
        <span>Valid V2Ray config: {roles}{validation.warnings.length ? ` · ${validation.warnings.length} warning${validation.warnings.length === 1 ? '' : 's'}: ${validation.warnings.map((warning) => warning.message).join('; ')}` : ''}</span>
      </div>
    );
  }
  const [only] = problems;
  if (problems.length === 1 && only) {
    return (
      <div className="validation error" role="alert" data-testid="validation" data-valid="false">
        <AlertIcon />
        <span><ProblemText problem={only} onShow={() => onShow(0)} /></span>
      </div>
    );
  }
  return (
    <div className="validation error" data-testid="validation" data-valid="false">
      <AlertIcon />
      <div className="problems">
        <div className="problems-head">
          <span role="alert" data-testid="problem-count">{problems.length} problems</span>
          {current >= 0 ? <span className="position" aria-hidden="true">{current + 1} of {problems.length}</span> : null}
          <span className="step">
            <button type="button" className="icon-button" onClick={() => onStep(-1)} aria-label="Previous problem" title="Previous problem (Shift+F8 in the editor)"><UpIcon /></button>
            <button type="button" className="icon-button" onClick={() => onStep(1)} aria-label="Next problem" title="Next problem (F8 in the editor)"><DownIcon /></button>
          </span>
        </div>
        <ol className="problem-list" aria-label="Problems" ref={list}>
          {problems.map((problem, index) => (
            // Problems have no identity beyond their place in this list.
            <li key={index} aria-current={index === current} data-testid="problem" title={`${problem.where?.path ? `${problem.where.path}: ` : ''}${problem.message}`}><ProblemText problem={problem} onShow={() => onShow(index)} /></li>
          ))}
        </ol>
      </div>
    </div>
  );
}

export function ProfilesPage() {
  const { profiles, loaded, draft, notice, busy, validation, validatedText } = useAppStore(useShallow((state) => ({
    profiles: state.profiles, loaded: state.profilesLoaded, draft: state.draft, notice: state.profileNotice, busy: state.profileBusy,
    validation: state.validation, validatedText: state.validatedText,
  })));
  const actions = useAppStore(useShallow((state) => ({
    openProfile: state.openProfile, newDraft: state.newDraft, setDraftText: state.setDraftText, setDraftName: state.setDraftName,
    validateDraft: state.validateDraft, saveDraft: state.saveDraft, activateDraft: state.activateDraft, deleteProfile: state.deleteProfile,
    exportProfile: state.exportProfile, dismissProfileNotice: state.dismissProfileNotice, loadProfiles: state.loadProfiles,
    openServerSetup: state.openServerSetup,
  })));
  const fileInput = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [joining, setJoining] = useState(false);
  const [inviting, setInviting] = useState<string | null>(null);
  const [reveal, setReveal] = useState<RevealRequest | null>(null);
  const text = draft?.text;
  const problems = validation && validatedText === text ? problemsOf(validation) : problemsOf(null);
  // Other problems (an edit, another document) start the walk again; the same ones found again do not.
  const problemsKey = problems.map((problem) => `${problem.where?.line}:${problem.where?.column}:${problem.message}`).join('\n');
  useEffect(() => setReveal(null), [problemsKey]);
  const current = reveal && reveal.index < problems.length ? reveal.index : -1;
  const stepProblem = (step: 1 | -1) => {
    if (problems.length === 0) return;
    const from = current === -1 ? (step === 1 ? -1 : 0) : current;
    setReveal({ index: (from + step + problems.length) % problems.length, focus: false });
  };

  useEffect(() => {
    void actions.loadProfiles();
  }, [actions.loadProfiles]);

  useEffect(() => {
    // Coming back to the page with a text already checked needs no second check.
    if (text === undefined || useAppStore.getState().validatedText === text) return undefined;
    const timer = setTimeout(() => void actions.validateDraft(), VALIDATE_AFTER_MS);
    return () => clearTimeout(timer);
  }, [text, actions.validateDraft]);

  useEffect(() => setConfirmDelete(false), [draft?.openedAs]);

  const [ask, dialog] = useConfirm();
  /**
   * True when the editor may be replaced by `what` (issue 4/7: switching, New, Import and a drop
   * used to drop unsaved edits silently): nothing unsaved, or saved now, or discarded on purpose.
   */
  const mayReplaceDraft = async (what: string): Promise<boolean> => {
    const current = useAppStore.getState().draft;
    if (!current?.dirty || current.readOnly) return true;
    const answer = await ask({
      kind: 'unsaved-profile',
      title: `Save your changes to “${current.name.trim() || 'new profile'}”?`,
      body: <p>{what} replaces what is in the editor. Your unsaved changes are lost unless you save them first.</p>,
      choices: [{ id: 'save', label: 'Save', tone: 'primary' }, { id: 'discard', label: 'Discard changes', tone: 'danger' }, { id: 'cancel', label: 'Cancel' }],
      initial: 'save',
      cancel: 'cancel',
    });
    if (answer === 'save') return actions.saveDraft();
    return answer === 'discard';
  };

  const importFiles = async (files: FileList | null, how: 'Importing' | 'The dropped file') => {
    const file = files?.[0];
    if (!file) return;
    const text = await file.text();
    if (await mayReplaceDraft(`${how} “${file.name}”`)) actions.newDraft(profileNameFromFile(file.name), text);
  };

  const openProfile = async (name: string) => {
    if (await mayReplaceDraft(`Opening “${name}”`)) await actions.openProfile(name);
  };

  /** A profile made from an invite or share link, under a name no saved profile has. */
  const joinWithLink = async ({ name, text }: { name: string; text: string }): Promise<boolean> => {
    if (!(await mayReplaceDraft('Joining with a link'))) return false;
    const taken = new Set(profiles.map((profile) => profile.name));
    let unique = name;
    for (let n = 2; taken.has(unique); n++) unique = `${name.slice(0, 74)} (${n})`;
    actions.newDraft(unique, text);
    return actions.saveDraft();
  };

  const newProfile = async () => {
    if (await mayReplaceDraft('A new profile')) actions.newDraft();
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    void importFiles(event.dataTransfer.files, 'The dropped file');
  };

  const currentError = problems[0] ?? null;
  const stored = draft?.openedAs ? profiles.find((profile) => profile.name === draft.openedAs) : undefined;

  return (
    <div
      className={`profiles${dragging ? ' dragging' : ''}`}
      onDragOver={(event) => { event.preventDefault(); setDragging(true); }}
      onDragLeave={(event) => { if (event.currentTarget === event.target) setDragging(false); }}
      onDrop={onDrop}
    >
      <section className="card profile-list drop-target" aria-labelledby="profiles-title">
        <div className="card-header">
          <h2 id="profiles-title">Profiles</h2>
          <span className="spacer" style={{ flex: 1 }} />
          <button type="button" className="button small" onClick={() => void newProfile()}><PlusIcon />New</button>
          <button type="button" className="button small" onClick={() => fileInput.current?.click()}><UploadIcon />Import…</button>
          <input ref={fileInput} type="file" accept=".json,.jsonc,application/json" hidden onChange={(event) => { void importFiles(event.target.files, 'Importing'); event.target.value = ''; }} />
        </div>
        {joining ? <JoinLinkForm onCreate={joinWithLink} onClose={() => setJoining(false)} /> : (
          <button type="button" className="join-open" aria-expanded={false} onClick={() => setJoining(true)} data-testid="join-open"><PlusIcon />Join with an invite link…</button>
        )}
        <a className="join-open" href="#/remote-setup" data-testid="remote-setup-open"><ServerIcon />Set up my server over SSH…</a>
        {loaded && profiles.length === 0 ? (
          <p className="card-body muted" style={{ margin: 0 }}>No profiles yet. Click New and paste a V2Ray config, import a file, or drop one here.</p>
        ) : (
          <ul aria-label="Saved profiles">
            {profiles.map((profile) => (
              <li key={profile.name}>
                <button type="button" className="profile-item" aria-current={draft?.openedAs === profile.name} onClick={() => void openProfile(profile.name)} data-testid="profile-item">
                  <span className="title">
                    <span>{profile.name}</span>
                    {profile.active ? <span className="badge ok">active</span> : null}
                    {profile.error ? <span className="badge danger">error</span> : null}
                    {profile.origin === 'command-line' ? <span className="badge">-c</span> : null}
                  </span>
                  <span className="meta">{profile.error ? describeError(profile.error) : profile.roles.join(', ') || 'no bridge or portal'}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        <div className="drop-hint">Drop a .json file here to import it.</div>
      </section>

      <section className="card editor-card drop-target" aria-label="Profile editor">
        {draft ? (
          <>
            <div className="card-header">
              <label className="row">
                <span className="sr-only">Profile name</span>
                <input className="input name-input" value={draft.name} readOnly={draft.readOnly} onChange={(event) => actions.setDraftName(event.target.value)} aria-label="Profile name" />
              </label>
              {draft.readOnly ? <span className="badge">read-only: from the command line</span> : null}
              {draft.dirty ? <span className="faint">unsaved</span> : null}
              <span className="spacer" style={{ flex: 1 }} />
              {!draft.readOnly ? <button type="button" className="button" onClick={() => void actions.saveDraft()} disabled={busy || !draft.dirty}>Save</button> : null}
              <button type="button" className="button primary" onClick={() => void actions.activateDraft()} disabled={busy || currentError !== null}><PlayIcon />{stored?.active ? 'Restart' : 'Activate'}</button>
              <button
                type="button"
                className="button"
                disabled={!draft.openedAs || draft.dirty}
                title={draft.dirty ? 'Save first' : 'Download as V2Ray JSON (v2ray -test accepts it)'}
                onClick={async () => {
                  if (!draft.openedAs) return;
                  const exported = await actions.exportProfile(draft.openedAs);
                  if (exported) download(exported.fileName, exported.text);
                }}
              >
                <DownloadIcon />Export
              </button>
              <button
                type="button"
                className="button"
                disabled={!draft.openedAs || draft.dirty}
                title={draft.dirty ? 'Save first' : 'The portal-side config for this bridge, with the command to run it on the server'}
                onClick={() => { if (draft.openedAs) void actions.openServerSetup(draft.openedAs); }}
              >
                <ServerIcon />Server setup
              </button>
              {isPortalProfile(stored) ? (
                <button type="button" className="button" disabled={draft.dirty} title={draft.dirty ? 'Save first' : 'Give someone a link (and QR code) that links their bridge to this portal; see and revoke users'} onClick={() => setInviting(stored!.name)} data-testid="invite-open">
                  <PlusIcon />Invite someone…
                </button>
              ) : null}
              {draft.openedAs && !draft.readOnly ? (
                confirmDelete ? (
                  <>
                    <button type="button" className="button danger" onClick={() => { if (draft.openedAs) void actions.deleteProfile(draft.openedAs); }}>Delete “{draft.openedAs}”</button>
                    <button type="button" className="button" onClick={() => setConfirmDelete(false)}>Keep</button>
                  </>
                ) : <button type="button" className="button danger" onClick={() => setConfirmDelete(true)}>Delete</button>
              ) : null}
            </div>
            {notice ? (
              <div className={`notice ${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'} style={{ borderRadius: 0 }} data-testid="profile-notice">
                <span className="grow">{notice.text}</span>
                <button type="button" className="icon-button" aria-label="Dismiss" onClick={actions.dismissProfileNotice}>×</button>
              </div>
            ) : null}
            <ValidationLine problems={problems} current={current} onShow={(index) => setReveal({ index, focus: true })} onStep={stepProblem} />
            <ConfigEditor text={draft.text} documentId={draft.documentId} readOnly={draft.readOnly} errors={problems} onChange={actions.setDraftText} reveal={reveal} />
          </>
        ) : (
          <EmptyState
            icon={<ProfilesIcon />}
            title="Open, paste or import a V2Ray config"
            actions={(
              <>
                <button type="button" className="button primary" onClick={() => void newProfile()}><PlusIcon />New profile</button>
                <button type="button" className="button" onClick={() => fileInput.current?.click()}><UploadIcon />Import a file…</button>
              </>
            )}
          >
            Pick a profile on the left to edit it, or start a new one and paste a config (comments allowed). Errors are marked at their line and column, as <code>porthole test</code> reports them.
          </EmptyState>
        )}
      </section>
      {dialog}
      {inviting ? <InviteDialog profile={inviting} onClose={() => { setInviting(null); void actions.loadProfiles(); if (draft?.openedAs === inviting && !draft.dirty) void actions.openProfile(inviting); }} /> : null}
    </div>
  );
}

/** The contract shared by the engine, the Electron main process and the renderer (pure; no Node). */
export * from './engine-service.js';
export * from './errors.js';
export * from './exposure-names.js';
export * from './exposure-tag.js';
export * from './inspector.js';
export * from './methods.js';
export type * from './portal-invites.js';
export type * from './remote-setup.js';
export type * from './snapshots.js';

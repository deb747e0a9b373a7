/**
 * The renderer's state: one zustand store made of slices (zustand's slices pattern), each with its
 * actions beside its state. Components read through narrow selectors; actions call the service.
 */
import { create, type StateCreator } from 'zustand';
import { createConnectionsSlice, type ConnectionsSlice } from './connections.js';
import { createEngineSlice, type EngineSlice } from './engine.js';
import { createExposuresSlice, type ExposuresSlice } from './exposures.js';
import { createLogsSlice, type LogsSlice } from './logs.js';
import { createProfilesSlice, type ProfilesSlice } from './profiles.js';
import { createServerSetupSlice, type ServerSetupSlice } from './server-setup.js';
import { createSettingsSlice, type SettingsSlice } from './settings.js';
import { createTrafficSlice, type TrafficSlice } from './traffic.js';

export type AppState = EngineSlice & ConnectionsSlice & TrafficSlice & LogsSlice & SettingsSlice & ProfilesSlice & ExposuresSlice & ServerSetupSlice;

/** A slice creator that sees the whole store (for actions that read another slice). */
export type SliceCreator<T> = StateCreator<AppState, [], [], T>;

export const useAppStore = create<AppState>()((...a) => ({
  ...createEngineSlice(...a),
  ...createConnectionsSlice(...a),
  ...createTrafficSlice(...a),
  ...createLogsSlice(...a),
  ...createSettingsSlice(...a),
  ...createProfilesSlice(...a),
  ...createExposuresSlice(...a),
  ...createServerSetupSlice(...a),
}));

const initialState = useAppStore.getState();

/** Back to the state at start-up (tests call it between cases). */
export function resetAppStore(): void {
  useAppStore.setState(initialState, true);
}

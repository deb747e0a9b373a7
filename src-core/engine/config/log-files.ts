/**
 * The log files of a config, checked as V2Ray 4.34 checks them at load: it opens each one
 * (append, create) before anything starts, so `v2ray -test` refuses a file in a folder that does
 * not exist, a folder given as the file, or a file or folder it may not write. Porthole checks
 * the same without creating the file (`porthole test` leaves no trace); the engine then opens it.
 */
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { PortholeError } from '../common/errors.js';
import { fieldOriginOf } from './origins.js';
import type { PortholeConfig } from './types.js';

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/** Why a file system call on `path` failed, in words. */
function describeErrno(error: unknown, path: string): string {
  switch (errnoOf(error)) {
    case 'ENOENT': return `"${path}" does not exist`;
    case 'ENOTDIR': return `a part of "${path}" is not a folder`;
    case 'EACCES': case 'EPERM': return `permission denied on "${path}"`;
    case 'EROFS': return `"${path}" is on a read-only file system`;
    default: return error instanceof Error ? error.message : String(error);
  }
}

function statOrError(path: string): Stats | { error: unknown } {
  try {
    return statSync(path);
  } catch (error) {
    return { error };
  }
}

function accessProblem(path: string, mode: number, denied: string): string | undefined {
  try {
    accessSync(path, mode);
    return undefined;
  } catch (error) {
    return errnoOf(error) === 'EACCES' || errnoOf(error) === 'EPERM' ? denied : describeErrno(error, path);
  }
}

/** What stops `path` from being opened for appending, or undefined when it can be. */
export function logFileProblem(path: string): string | undefined {
  const file = statOrError(path);
  if (!('error' in file)) {
    if (file.isDirectory()) return 'it is a folder, not a file';
    return accessProblem(path, constants.W_OK, 'permission denied: this user may not write the file');
  }
  if (errnoOf(file.error) !== 'ENOENT') return describeErrno(file.error, path);
  // Missing: it would be created in its folder.
  const folderPath = dirname(path);
  const folder = statOrError(folderPath);
  if ('error' in folder) return errnoOf(folder.error) === 'ENOENT' ? `folder "${folderPath}" does not exist` : describeErrno(folder.error, folderPath);
  if (!folder.isDirectory()) return `"${folderPath}" is not a folder`;
  return accessProblem(folderPath, constants.W_OK | constants.X_OK, `permission denied: this user may not create files in "${folderPath}"`);
}

/** Throws a PH_CONFIG_VALUE error at `log.access` or `log.error` for a log file that cannot be opened. */
export function checkLogFiles(config: PortholeConfig): void {
  for (const kind of ['access', 'error'] as const) {
    const target = config.log[kind];
    if (target.type !== 'file') continue;
    const problem = logFileProblem(target.path);
    if (problem) throw new PortholeError('PH_CONFIG_VALUE', `cannot open the ${kind} log "${target.path}": ${problem}`, fieldOriginOf(config.log, kind) ?? {});
  }
}

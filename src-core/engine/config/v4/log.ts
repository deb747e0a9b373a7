/**
 * `log` section. V2Ray `infra/conf/log.go`: without the section, access → none, error → console,
 * level warning. With it, an empty path means console, `"none"` (exact case) means off, the level
 * is matched in any case and an unknown level means warning; `"none"` turns both logs off.
 */
import type { LogConfig, LogLevel, LogTarget } from '../types.js';
import type { BuildContext } from './decode.js';
import { Struct, readString, record, warn } from './decode.js';
import type { JsonNode } from './jsonc.js';

export const DEFAULT_LOG: LogConfig = { access: { type: 'none' }, error: { type: 'console' }, level: 'warning' };

function target(path: string): LogTarget {
  if (path === 'none') return { type: 'none' };
  if (path === '') return { type: 'console' };
  return { type: 'file', path };
}

export function buildLog(ctx: BuildContext, node: JsonNode | undefined): LogConfig {
  if (node === undefined) return DEFAULT_LOG;
  const s = new Struct(ctx, node, ['access', 'error', 'loglevel']);
  const access = readString(s.get('access')) ?? '';
  const error = readString(s.get('error')) ?? '';
  const levelNode = s.get('loglevel');
  const rawLevel = readString(levelNode) ?? '';
  let level: LogLevel;
  switch (rawLevel.toLowerCase()) {
    case 'debug': level = 'debug'; break;
    case 'info': level = 'info'; break;
    case 'error': level = 'error'; break;
    case 'none': level = 'none'; break;
    case 'warning': case '': level = 'warning'; break;
    default:
      level = 'warning';
      if (levelNode) warn(ctx, levelNode, `unknown log level ${JSON.stringify(rawLevel)} means "warning" (use debug, info, warning, error or none)`);
  }
  const config: LogConfig = level === 'none' ? { access: { type: 'none' }, error: { type: 'none' }, level } : { access: target(access), error: target(error), level };
  // Where the paths were written: a log file that cannot be opened is reported there.
  return record(ctx, config, node, { access: s.get('access'), error: s.get('error') });
}

/**
 * `policy` section. V2Ray `infra/conf/policy.go` (parsing), `app/policy/{config,manager}.go` and
 * `features/policy/{policy,default}.go` (defaults; see `policyForLevel`).
 */
import type { LevelPolicySettings, PolicyConfig } from '../types.js';
import type { BuildContext } from './decode.js';
import { Struct, absentNode, fail, readBool, readInt, readUint } from './decode.js';
import type { JsonNode } from './jsonc.js';
import { placeAt } from './jsonc.js';
import { PortholeError } from '../../common/errors.js';

/** Largest `bufferSize` (KiB) whose byte count fits V2Ray's int32 (it would overflow silently). */
const MAX_BUFFER_KIB = Math.floor(0x7fffffff / 1024);

function buildLevel(ctx: BuildContext, node: JsonNode): LevelPolicySettings {
  const s = new Struct(ctx, node, ['handshake', 'connIdle', 'uplinkOnly', 'downlinkOnly', 'statsUserUplink', 'statsUserDownlink', 'bufferSize']);
  const out: { -readonly [K in keyof LevelPolicySettings]: LevelPolicySettings[K] } = {
    statsUserUplink: readBool(s.get('statsUserUplink')) ?? false,
    statsUserDownlink: readBool(s.get('statsUserDownlink')) ?? false,
  };
  const handshake = readUint(s.get('handshake'), 32);
  const connIdle = readUint(s.get('connIdle'), 32);
  const uplinkOnly = readUint(s.get('uplinkOnly'), 32);
  const downlinkOnly = readUint(s.get('downlinkOnly'), 32);
  if (handshake !== undefined) out.handshake = handshake;
  if (connIdle !== undefined) out.connIdle = connIdle;
  if (uplinkOnly !== undefined) out.uplinkOnly = uplinkOnly;
  if (downlinkOnly !== undefined) out.downlinkOnly = downlinkOnly;
  const bufferNode = s.get('bufferSize');
  const bufferSize = readInt(bufferNode, 32);
  if (bufferSize !== undefined && bufferNode) {
    if (bufferSize > MAX_BUFFER_KIB) fail('PH_CONFIG_VALUE', bufferNode, `bufferSize ${bufferSize} KiB is too large (at most ${MAX_BUFFER_KIB}; -1 means unlimited)`);
    out.bufferBytes = bufferSize < 0 ? -1 : bufferSize * 1024;
  }
  return out;
}

export function buildPolicy(ctx: BuildContext, node: JsonNode | undefined): PolicyConfig | undefined {
  if (node === undefined) return undefined;
  const s = new Struct(ctx, node, ['levels', 'system']);
  const levels: Record<number, LevelPolicySettings> = {};
  const levelsNode = s.get('levels');
  if (levelsNode) {
    if (levelsNode.kind !== 'object') fail('PH_CONFIG_TYPE', levelsNode, 'expected an object keyed by level, such as {"0": {"connIdle": 300}}');
    for (const member of levelsNode.members) {
      // Go map[uint32] keys: strconv.ParseUint(key, 10, 64) that fits in uint32.
      if (!/^\d+$/.test(member.key) || BigInt(member.key) > 4294967295n) {
        throw new PortholeError('PH_CONFIG_TYPE', `invalid level ${JSON.stringify(member.key)}: levels are integers from 0 to 4294967295`,
          placeAt(levelsNode.file, member.keyOffset, member.value.path));
      }
      const level = Number(member.key);
      if (member.value.kind === 'null') { delete levels[level]; continue; }
      levels[level] = buildLevel(ctx, member.value);
    }
  }
  const systemNode = s.get('system');
  const system = new Struct(ctx, systemNode ?? absentNode(node, 'system'), ['statsInboundUplink', 'statsInboundDownlink', 'statsOutboundUplink', 'statsOutboundDownlink']);
  return {
    levels,
    system: {
      statsInboundUplink: readBool(system.get('statsInboundUplink')) ?? false,
      statsInboundDownlink: readBool(system.get('statsInboundDownlink')) ?? false,
      statsOutboundUplink: readBool(system.get('statsOutboundUplink')) ?? false,
      statsOutboundDownlink: readBool(system.get('statsOutboundDownlink')) ?? false,
    },
  };
}

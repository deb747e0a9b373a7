/**
 * Engine destinations ↔ Mux.Cool frame targets (shared/docs/v2ray-wire-protocol.md §4.2): the
 * same network, address and port, in the shape each side uses.
 */
import type { Destination } from '../net.js';
import { AddressType, type MuxAddress } from './address.js';
import { TargetNetwork, type MuxTarget } from './frame.js';

/** Converts an engine destination to the frame's target form. */
export function toMuxTarget(target: Destination): MuxTarget {
  const type = target.address.kind === 'ipv4' ? AddressType.IPv4 : target.address.kind === 'ipv6' ? AddressType.IPv6 : AddressType.Domain;
  return {
    network: target.network === 'udp' ? TargetNetwork.UDP : TargetNetwork.TCP,
    address: { type, host: target.address.value },
    port: target.port,
  };
}

/** Converts a frame's target to an engine destination. */
export function fromMuxTarget(target: MuxTarget): Destination {
  return {
    network: target.network === TargetNetwork.UDP ? 'udp' : 'tcp',
    address: fromMuxAddress(target.address),
    port: target.port,
  };
}

function fromMuxAddress(address: MuxAddress): Destination['address'] {
  if (address.type === AddressType.IPv4) return { kind: 'ipv4', value: address.host };
  if (address.type === AddressType.IPv6) return { kind: 'ipv6', value: address.host };
  return { kind: 'domain', value: address.host };
}

/**
 * Tuning a transport offers the protocol that runs over its link. The VMess handler at one end
 * of a link pair registers it; the Mux layer at the other end, once it knows its peer is
 * Porthole, uses it. Kept here (below both) so neither layer imports the other.
 */
export interface LinkTuning {
  /** The peer is Porthole: larger VMess chunks are fine. */
  peerIsPorthole(): void;
}

/** A link end that can hand over the tuning registered on its peer end. */
export interface TunableLink {
  peerTuning(): LinkTuning | undefined;
}

/** The tuning behind `transport`, when it is a tunable link end with one registered. */
export function tuningBehind(transport: unknown): LinkTuning | undefined {
  return (transport as Partial<TunableLink>).peerTuning?.();
}

/**
 * Invites from the window (issue 7/7), the portal owner's side of `porthole invite`: each invite
 * is its own user of the portal's link inbound, made into a `porthole://` link and a QR code,
 * listed with its traffic, and revocable. Works on a stored profile (saved, and the running
 * engine reloaded when it is the active one) and on `porthole run -c FILE` (the file is edited in
 * place, keeping comments, and the engine reloaded).
 */

export interface PortalInviteInput {
  /** The user's name (`email` in the config); default `invite-<8 hex>`. Letters, digits, . _ @ - (≤ 64). */
  name?: string;
  /** The address bridges dial (host or host:port); default what the profile's inbound and names imply. */
  address?: string;
  /** The link inbound when several lead to a portal. */
  inbound?: string;
}

/** Per-user figures since the engine started (zero while it is stopped). */
export interface PortalUserTraffic {
  /** Bridge links this user has open now. */
  links: number;
  /** Exposures this user's bridges hold now. */
  exposures: number;
  /** Visitor connections through this user's exposures: open now and in all. */
  openConnections: number;
  totalConnections: number;
  /** Bytes to the visitors (down) and from them (up), through this user's exposures. */
  bytesDown: number;
  bytesUp: number;
}

export interface PortalInvite {
  /** The user id (UUID) the invite carries. */
  id: string;
  name: string;
  /** The inbound it belongs to. */
  inbound: string;
  /** The `porthole://` link; present for invites made here or with the CLI (rebuilt from the config). */
  link: string;
  /** The same link as a QR code, an SVG document. */
  qrSvg: string;
  traffic: PortalUserTraffic;
}

export interface PortalInviteList {
  /** The profile whose portal this is. */
  profile: string;
  /** Users of the link inbound(s), in config order; users not made by invites are listed too. */
  invites: PortalInvite[];
  /** Why invites cannot be made for this profile (no portal, no VMess/VLESS inbound…), else null. */
  problem: string | null;
}

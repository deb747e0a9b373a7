/**
 * One entry for "join with a link" (the CLI's `porthole join` and the window's paste box): an
 * invite link, or a `vmess://` / `vless://` share link with the portal's reverse domain, made into
 * a bridge profile: a suggested name and the config text. Pure: the window runs it as it types.
 */
import { bridgeProfileText } from './bridge-profile.js';
import { badLink, checkedHostName } from './endpoint.js';
import { decodeInvite, isInviteLink } from './invite-link.js';
import { decodeShareLink, isShareLink } from './share-link.js';

export type LinkKind = 'invite' | 'share' | 'unknown';

export interface LinkProfile {
  /** A profile name to offer: the link's name, else `<address>` (the contract's name pattern). */
  readonly name: string;
  readonly text: string;
}

export interface LinkProfileOptions {
  /** Share links only: the portal's reverse domain. */
  readonly domain?: string;
  /** Send every connection to this `host:port` on the bridge. */
  readonly redirect?: string;
}

export function linkKind(link: string): LinkKind {
  if (isInviteLink(link)) return 'invite';
  if (isShareLink(link)) return 'share';
  return 'unknown';
}

const REDIRECT = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;

/** A profile name from free text: letters, digits, spaces and . _ ( ) + -, starting with a letter or digit. */
function profileNameOf(text: string): string {
  const name = text.replace(/[^\p{L}\p{N} ._()+-]/gu, '-').replace(/^[^\p{L}\p{N}]+/u, '').slice(0, 80).trim();
  return name || 'bridge';
}

export function bridgeProfileFromLink(link: string, options: LinkProfileOptions = {}): LinkProfile {
  if (options.redirect !== undefined && !REDIRECT.test(options.redirect)) badLink('redirect', `"${options.redirect}" is not host:port`);
  const redirect = options.redirect ? { redirect: options.redirect } : {};
  switch (linkKind(link)) {
    case 'invite': {
      const invite = decodeInvite(link);
      const source = `an invite${invite.name ? ` for "${invite.name}"` : ''}`;
      return { name: profileNameOf(invite.name ?? invite.endpoint.address), text: bridgeProfileText({ ...invite, ...redirect, source }) };
    }
    case 'share': {
      const shared = decodeShareLink(link);
      if (!options.domain) badLink('share link', 'has no reverse domain: give the portal\'s (reverse.portals[].domain)');
      const domain = checkedHostName('share link', 'reverse domain', options.domain)!;
      const source = `a ${shared.endpoint.protocol}:// link${shared.name ? ` "${shared.name}"` : ''}`;
      return { name: profileNameOf(shared.name ?? shared.endpoint.address), text: bridgeProfileText({ endpoint: shared.endpoint, domain, ...redirect, source }) };
    }
    default:
      badLink('link', 'expected a porthole://, vmess:// or vless:// link');
  }
}

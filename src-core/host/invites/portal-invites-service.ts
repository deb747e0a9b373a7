/**
 * Invites from the window: the service side of `listPortalInvites`, `createPortalInvite` and
 * `revokePortalInvite` (api/portal-invites.ts).
 * SKELETON: the contract is fixed; the implementation is being built.
 */
import type { PortalInvite, PortalInviteInput, PortalInviteList } from '../api/index.js';
import { ServiceError } from '../api/index.js';

export class PortalInvitesService {
  list(profile: string): Promise<PortalInviteList> {
    return Promise.resolve({ profile, invites: [], problem: 'invites from the window are not built yet' });
  }

  create(profile: string, input: PortalInviteInput): Promise<PortalInvite> {
    void input;
    return Promise.reject(new ServiceError('PH_INVITE', `invites for "${profile}" are not built yet`));
  }

  revoke(profile: string, user: string): Promise<void> {
    void user;
    return Promise.reject(new ServiceError('PH_INVITE', `invites for "${profile}" are not built yet`));
  }
}

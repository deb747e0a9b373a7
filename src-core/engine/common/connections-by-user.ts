/**
 * An inbound's authenticated connections, grouped by the user each authenticated as
 * (`Session.userKey`): when a reload takes users away, the inbound closes exactly their
 * connections and leaves everyone else's alone.
 *
 * Each user's connections are a Roster (roster.ts: members come and go with connections, and must
 * not stay reachable after they close). The map of users itself changes only when a user connects
 * for the first time or is removed, so a plain Map is fine there.
 */
import { Roster, type RosterMembership } from './roster.js';

export class ConnectionsByUser<C extends { destroy(): void }> {
  private readonly byUser = new Map<string, Roster<C>>();

  /** Adds `connection` under `userKey`; the membership takes it off again (when it closes). */
  add(userKey: string, connection: C): RosterMembership {
    let roster = this.byUser.get(userKey);
    if (!roster) {
      roster = new Roster<C>();
      this.byUser.set(userKey, roster);
    }
    return roster.add(connection);
  }

  /**
   * Closes the connections of every user not in `kept` and forgets those users; returns how many
   * it closed. Closed as an inbound's close() closes them, not reset: a v2ray 4.34 bridge whose
   * link is reset while a session is open on it never notices, and never dials again (seen in
   * reload-users.integration.test.ts); the sessions on the link are reset to their visitors by
   * the portal either way.
   */
  closeAllExcept(kept: ReadonlySet<string>): number {
    let closed = 0;
    for (const [userKey, roster] of [...this.byUser]) {
      if (kept.has(userKey)) continue;
      this.byUser.delete(userKey);
      for (const connection of roster.toArray()) {
        connection.destroy();
        closed += 1;
      }
      roster.clear();
    }
    return closed;
  }
}

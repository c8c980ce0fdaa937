/**
 * Who is acting: a signed-in user, an API token's service user, or the engine itself
 * (workflow actions, pack installs, demo data).
 */
export interface Actor {
  userId: number | null;
  username: string;
  displayName?: string;
  roles: string[];
  departmentId: number | null;
  /** The department and every department below it (row scope "department"). */
  departments?: number[];
  /** Administrators pass every permission check. */
  isAdmin: boolean;
  /** The engine acting on its own (demo data, installs). */
  isSystem?: boolean;
  /**
   * An API token's scopes (`form:action`, `*` for any form or action): they narrow what the
   * roles allow, and such an actor never administers anything. Absent on sessions.
   */
  scopes?: string[];
}

export const SYSTEM_ACTOR: Actor = {
  userId: null,
  username: 'system',
  roles: ['admin'],
  departmentId: null,
  isAdmin: true,
  isSystem: true,
};

/** The variables rules and row scopes may read as {"var": "$user.…"}. */
export function actorVars(actor: Actor): Record<string, unknown> {
  return {
    $user: {
      id: actor.userId, username: actor.username, roles: actor.roles, department: actor.departmentId,
      departments: actor.departments ?? (actor.departmentId != null ? [actor.departmentId] : []),
    },
  };
}

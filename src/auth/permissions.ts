/**
 * Permissions and the least role that holds each. Roles are ordered: admin holds everything an
 * operator holds, an operator everything a viewer holds. A person with no role holds only `help`.
 */
import { ROLES, type Role } from './config-schema.js';

export const PERMISSION_ROLE = {
  help: undefined,
  'health:read': 'viewer',
  'mesh:read': 'viewer',
  'phase:list': 'viewer',
  'drill:list': 'viewer',
  'silence:list': 'viewer',
  'incident:list': 'viewer',
  'oncall:read': 'viewer',
  'flux:read': 'viewer',
  'alerts:read': 'viewer',
  'workload:read': 'viewer',
  'phase:status': 'operator',
  'drill:plan': 'operator',
  'drill:status': 'operator',
  'silence:write': 'operator',
  'incident:write': 'operator',
  'oncall:write': 'operator',
  'alert:act': 'operator',
  'flux:write': 'operator',
  'workload:logs': 'operator',
  'workload:write': 'operator',
  'phase:run': 'admin',
  'drill:run': 'admin',
  'silence:everything': 'admin',
  'audit:read': 'admin',
} as const satisfies Record<string, Role | undefined>;

export type Permission = keyof typeof PERMISSION_ROLE;

export function roleRank(role: Role | undefined): number {
  return role === undefined ? -1 : ROLES.indexOf(role);
}

/** The least role a permission needs, or undefined when anyone may. */
export function requiredRole(permission: Permission): Role | undefined {
  return PERMISSION_ROLE[permission];
}

export function allows(role: Role | undefined, permission: Permission): boolean {
  const needed = requiredRole(permission);
  return needed === undefined || roleRank(role) >= roleRank(needed);
}

/**
 * Config keys of authorization, owned here: the roles, lowest first, and who holds which
 * (`auth.bindings`: by chat username, group or channel; nobody has a role by default).
 * src/config/schema.ts composes this; nothing in auth reads the whole configuration.
 */
import { z } from 'zod';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const nonEmpty = () => z.string().min(1, { error: 'must not be empty' });

const roleBinding = z.strictObject({
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
  users: z.array(nonEmpty()).default([]),
  groups: z.array(nonEmpty()).default([]),
  channels: z.array(nonEmpty()).default([]),
});

export const authSchema = z
  .strictObject({
    bindings: z.array(roleBinding).default([]),
  })
  .prefault({});

export type RoleBinding = z.infer<typeof roleBinding>;

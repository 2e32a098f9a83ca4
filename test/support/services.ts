/**
 * The command handlers' services for a router a test wires by hand: every engine absent (as
 * main.ts leaves those the config does not call for) unless the test hands it in.
 */
import { allGroups } from '../../commands/index.js';
import { AlertmanagerDirectory } from '../../src/alerts/alertmanager-api.js';
import type { Services } from '../../src/services.js';

export function testServices(given: Pick<Services, 'config' | 'store'> & Partial<Services>): Services {
  return {
    now: Date.now,
    groups: allGroups,
    dialogs: null,
    upload: null,
    alertmanagers: new AlertmanagerDirectory([]),
    incidents: null,
    oncall: null,
    health: null,
    caches: new Map(),
    clusters: null,
    phases: null,
    drills: null,
    ...given,
  };
}

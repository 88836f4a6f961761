import type { Queryable } from '../db/index.js';
import type { ComponentDef } from './components.js';
import type { ProbeStatus } from './model.js';
import { loadComponents, type ComponentState } from './store/components.js';

/**
 * The components' states as this process knows them (mirrored to the database by the probes): what a
 * probe is weighed against when the database is away, and what the page shows from memory.
 */
export class ComponentStates {
  private readonly byId = new Map<string, ComponentState>();

  constructor(private readonly db: Queryable) {}

  /** Re-reads the states of `ids` as whichever node probes them wrote them. */
  async reload(ids: string[]): Promise<void> {
    for (const r of await loadComponents(this.db)) if (ids.includes(r.id)) this.byId.set(r.id, r);
  }

  /** A component's state, created on first use: hidden until a probe has found something. */
  get(def: ComponentDef): ComponentState {
    let s = this.byId.get(def.id);
    if (!s) {
      const now = new Date();
      s = {
        id: def.id,
        name: def.name,
        status: 'operational' as ProbeStatus,
        active: false,
        badStreak: 0,
        goodStreak: 0,
        lastObserved: null,
        lastProbeAt: null,
        lastLatencyMs: null,
        lastMessage: null,
        createdAt: now,
        updatedAt: now,
      };
      this.byId.set(def.id, s);
    }
    return s;
  }

  set(s: ComponentState): void {
    this.byId.set(s.id, { ...s });
  }

  /** The probed status, operational for a component not probed yet. */
  status(id: string): ProbeStatus {
    return this.byId.get(id)?.status ?? 'operational';
  }

  all(): ComponentState[] {
    return [...this.byId.values()].map((s) => ({ ...s }));
  }
}

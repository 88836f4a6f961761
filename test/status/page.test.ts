import { describe, expect, it } from 'vitest';
import { renderPage } from '../../src/status/page.js';
import type { ComponentView, StatusView } from '../../src/status/view.js';

const at = new Date('2026-12-01T10:00:00Z');

function component(id: string, probed: boolean): ComponentView {
  return {
    id,
    name: id,
    description: `the ${id}`,
    upstream: false,
    position: 1,
    status: 'operational',
    active: probed,
    createdAt: at,
    updatedAt: at,
    lastProbeAt: probed ? at : null,
    lastLatencyMs: probed ? 12 : null,
    lastMessage: probed ? 'ok' : null,
    history: null,
  };
}

function view(components: ComponentView[]): StatusView {
  return {
    generatedAt: at,
    page: { id: 'p', name: 'Earshot', url: 'http://127.0.0.1/status', updatedAt: at },
    indicator: 'none',
    description: 'All Systems Operational',
    components,
    unresolved: [],
    incidents: [],
    maintenances: [],
    live: true,
  };
}

const banner = (html: string) => /<div class="banner ([^"]+)" id="indicator">([^<]*)<\/div>/.exec(html)!.slice(1);

describe('status page banner', () => {
  it('is grey and says so before any component has been checked, never a green "All Systems Operational"', () => {
    const [cls, text] = banner(
      renderPage(view([component('transcription', false), component('storage', false)]), { emailEnabled: false, refreshMs: 0 }),
    );
    expect(cls).toBe('i-unchecked');
    expect(text).toMatch(/^Not checked yet/);
  });

  it('gives the indicator once a component has a result', () => {
    const [cls, text] = banner(
      renderPage(view([component('transcription', true), component('storage', false)]), { emailEnabled: false, refreshMs: 0 }),
    );
    expect(cls).toBe('i-none');
    expect(text).toBe('All Systems Operational');
  });
});

describe('status page subscribe form', () => {
  it('offers "only some components" once there are components to pick, and not before', () => {
    const fresh = renderPage(view([component('transcription', false), component('storage', false)]), { emailEnabled: true, refreshMs: 0 });
    expect(fresh).toContain('action="/status/subscriptions"');
    expect(fresh).not.toContain('Only some components');
    const probed = renderPage(view([component('transcription', true), component('storage', false)]), { emailEnabled: true, refreshMs: 0 });
    expect(probed).toContain('Only some components');
    expect(probed).toContain('name="components" value="transcription"');
    expect(probed).not.toContain('value="storage"');
  });
});
